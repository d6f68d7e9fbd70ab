"""Test settings: fast hashing, in-memory email, eager Celery unless a broker is configured."""

from pathlib import Path

from .base import *  # noqa: F403
from .base import BASE_DIR, env

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(BASE_DIR / "var" / "test-media")))
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
# Tests run Celery tasks eagerly even when a broker is configured; integration tests switch the
# app to the real worker themselves (tests/integration/conftest.py).
CELERY_TASK_ALWAYS_EAGER = True
