"""Production settings: refuse to start without a secret key; HTTPS everywhere."""

from django.core.exceptions import ImproperlyConfigured
from whitenoise.compress import Compressor

from .base import *  # noqa: F403
from .base import TRACE_RETENTION_DAYS, env

DEBUG = False
# Demo and scale data are for development and benchmarks only: their commands do not exist here.
INSTALLED_APPS = [app for app in INSTALLED_APPS if app != "demo"]  # noqa: F405
SECRET_KEY = env("SECRET_KEY", default="")
if not SECRET_KEY or SECRET_KEY.startswith("django-insecure") or len(SECRET_KEY) < 50:
    raise ImproperlyConfigured(
        "生产环境必须通过环境变量 SECRET_KEY 提供至少 50 个字符的随机密钥 "
        "(SECRET_KEY must be set to a random value of at least 50 characters in production)."
    )
# Rotation: the new key goes in SECRET_KEY, the old one(s) here until sessions and signed links expire.
SECRET_KEY_FALLBACKS = env.list("SECRET_KEY_FALLBACKS", default=[])
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
# 等保 2.0: audit records are kept at least six months.
if TRACE_RETENTION_DAYS < 183:
    raise ImproperlyConfigured(
        "留痕和报告的保存期限 TRACE_RETENTION_DAYS 不得少于 183 天（6 个月）"
        "(TRACE_RETENTION_DAYS must be at least 183 days in production)."
    )

# Behind a TLS-terminating proxy, set SECURE_PROXY_SSL_HEADER_ENABLED=true and let the proxy redirect.
if env.bool("SECURE_PROXY_SSL_HEADER_ENABLED", default=True):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "reform.staticfiles.StaticFilesStorage"},
}
# Hashed copies only (templates use {% static %}); source maps are served as they are, not pre-compressed.
WHITENOISE_KEEP_ONLY_HASHED_FILES = True
WHITENOISE_SKIP_COMPRESS_EXTENSIONS = (*Compressor.SKIP_COMPRESS_EXTENSIONS, "map")
STATIC_BROTLI_QUALITY = env.int("STATIC_BROTLI_QUALITY", default=11)

# One JSON object per line on stdout, each with the request id (reform.logging); the worker logs the same way.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "reform.logging.RequestIdFilter"}},
    "formatters": {"json": {"()": "reform.logging.JsonFormatter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": "json",
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}, "celery.app.trace": {"level": "WARNING"}},
}
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
