from tests.integration.conftest import real_celery  # noqa: F401  (shared fixture for the worker round trip)
