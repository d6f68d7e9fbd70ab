"""Base settings shared by every environment; everything variable comes from the environment."""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

SECRET_KEY = env("SECRET_KEY", default="django-insecure-local-development-key-change-me")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "knox",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "guardian",
    "axes",
    "django_celery_beat",
    "orgs",
    "trail",
    "accounts",
    "tasks_app",
    "indicators",
    "cockpit",
    "reports",
    "rhythm",
    "demo",
]

MIDDLEWARE = [
    "reform.logging.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "accounts.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.SessionTimeoutMiddleware",
    "accounts.middleware.PasswordChangeRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
    # Last, so it sees a view's exception first: SQLite's "database is locked" becomes a 409.
    "reform.middleware.DatabaseBusyMiddleware",
]

ROOT_URLCONF = "reform.urls"
WSGI_APPLICATION = "reform.wsgi.application"
ASGI_APPLICATION = "reform.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "tasks_app.context_processors.inbox",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL, and every transaction taking the write lock when it begins (IMMEDIATE): two writers queue on the
    # busy timeout (SQLite retries for up to SQLITE_BUSY_TIMEOUT seconds) instead of deadlocking on the
    # read-to-write upgrade, which SQLite answers at once with "database is locked". A writer still waiting
    # after the timeout gets a 409 like a lock conflict on PostgreSQL (reform.errors.database_busy).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": env.float("SQLITE_BUSY_TIMEOUT", default=5.0),
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
# An optional read replica, used only inside reform.db_router.use_replica() blocks.
if env("DATABASE_REPLICA_URL", default=""):
    DATABASES["replica"] = env.db("DATABASE_REPLICA_URL")
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["reform.db_router.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "accounts.validators.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "accounts.validators.CharacterClassesValidator", "OPTIONS": {"min_classes": 3}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env("TIME_ZONE", default="Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(env("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
# Uploaded attachments live outside the web root and are served only through access-checked views.
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(BASE_DIR / "var" / "media")))
MEDIA_URL = "/media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
ATTACHMENT_MAX_BYTES = env.int("ATTACHMENT_MAX_BYTES", default=20 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
IMPORT_MAX_BYTES = env.int("IMPORT_MAX_BYTES", default=50 * 1024 * 1024)
IMPORT_MAX_ROWS = env.int("IMPORT_MAX_ROWS", default=200_000)
# The one bounded reader of uploaded workbooks (reform.spreadsheet): checked before a single row is built.
IMPORT_MAX_COLUMNS = env.int("IMPORT_MAX_COLUMNS", default=256)
IMPORT_MAX_CELLS = env.int("IMPORT_MAX_CELLS", default=5_000_000)
IMPORT_MAX_UNZIPPED_BYTES = env.int("IMPORT_MAX_UNZIPPED_BYTES", default=256 * 1024 * 1024)
IMPORT_MAX_XML_DEPTH = env.int("IMPORT_MAX_XML_DEPTH", default=64)

# Sessions: idle timeout (seconds) and absolute lifetime.
SESSION_IDLE_TIMEOUT = env.int("SESSION_IDLE_TIMEOUT", default=30 * 60)
SESSION_ABSOLUTE_TIMEOUT = env.int("SESSION_ABSOLUTE_TIMEOUT", default=12 * 60 * 60)
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_TIMEOUT
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# API tokens (django-rest-knox, reform.token_auth): end when idle like a session, and at the latest this many
# days after they were issued; a password change or reset ends them all. Every POST /api/auth/token/ issues a
# new one; a user holds at most API_TOKEN_LIMIT_PER_USER (the oldest goes first).
API_TOKEN_IDLE_TIMEOUT = env.int("API_TOKEN_IDLE_TIMEOUT", default=SESSION_IDLE_TIMEOUT)
API_TOKEN_MAX_AGE_DAYS = env.int("API_TOKEN_MAX_AGE_DAYS", default=30)
API_TOKEN_LIMIT_PER_USER = env.int("API_TOKEN_LIMIT_PER_USER", default=10)
REST_KNOX = {
    "TOKEN_TTL": timedelta(seconds=API_TOKEN_IDLE_TIMEOUT),
    "AUTO_REFRESH": True,
    "AUTO_REFRESH_MAX_TTL": timedelta(days=API_TOKEN_MAX_AGE_DAYS),
    "MIN_REFRESH_INTERVAL": 60,
    "AUTH_HEADER_PREFIX": "Token",
}

# django-axes: 5 failures lock a user+IP pair out for 15 minutes…
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# …and a username locks out from every address after this many failures (accounts.lockout): changing the client
# address (X-Forwarded-For when the app port is reached without the proxy) no longer buys more guesses.
AXES_USERNAME_FAILURE_LIMIT = env.int("AXES_USERNAME_FAILURE_LIMIT", default=20)
AXES_HANDLER = "accounts.lockout.TwoLevelLockoutHandler"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# Chinese page for the login form, the API error shape under /api/ (accounts.auth.lockout_response).
AXES_LOCKOUT_CALLABLE = "accounts.auth.lockout_response"
AXES_IPWARE_PROXY_COUNT = env.int("AXES_PROXY_COUNT", default=0)
# The client address behind AXES_PROXY_COUNT trusted proxies (X-Forwarded-For from the right).
AXES_CLIENT_IP_CALLABLE = "accounts.auth.client_ip"

# django-csp 4: no inline scripts anywhere.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    },
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "reform.token_auth.ExpiringTokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "reform.errors.api_exception_handler",
    # JSON with a nesting limit and Chinese errors (reform.parsers.BoundedJSONParser), forms, uploads.
    "DEFAULT_PARSER_CLASSES": [
        "reform.parsers.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
}
# Deeper JSON is refused with a 400 before any view sees it (the API's bodies nest three levels at most).
API_JSON_MAX_DEPTH = env.int("API_JSON_MAX_DEPTH", default=32)
SPECTACULAR_SETTINGS = {
    "TITLE": "数字化改革任务清单与闭环督办 API",
    "VERSION": "1.0.0",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # One schema name per choice set where several fields share a name (status, level, source).
    "ENUM_NAME_OVERRIDES": {
        "TaskStatusEnum": "tasks_app.workflow.Status",
        "UnitLevelEnum": "orgs.models.OrgUnit.Level",
        "NoticeLevelEnum": "tasks_app.models.Notice.Level",
        "NoticeSourceEnum": "tasks_app.models.Notice.Source",
        "MeasurementSourceEnum": "indicators.models.Measurement.Source",
        "ProgrammeKindEnum": "tasks_app.models.Programme.Kind",
        "FeedbackKindEnum": "tasks_app.models.Feedback.Kind",
    },
}

# Celery: with no broker configured, tasks run eagerly in-process (demo, tests).
CELERY_TASK_ALWAYS_EAGER = not env("CELERY_BROKER_URL", default="")
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="") or "memory://localhost/"
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=None)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_IMPORTS = ("reform.tasks",)
# One queue per deployment on a shared broker (CI runs set their own so they never take each other's tasks).
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_TASK_DEFAULT_QUEUE", default="celery")
REDIS_URL = env("REDIS_URL", default="")

EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="督查室 <duchashi@example.gov.cn>")

# RAG light thresholds (percentage points / days).
RAG_RED_INDICATOR_GAP = env.float("RAG_RED_INDICATOR_GAP", default=20.0)
RAG_YELLOW_INDICATOR_GAP = env.float("RAG_YELLOW_INDICATOR_GAP", default=10.0)
RAG_YELLOW_PROGRESS_GAP = env.float("RAG_YELLOW_PROGRESS_GAP", default=10.0)
RAG_WARN_DAYS = env.int("RAG_WARN_DAYS", default=3)

# Audit retention: trace entries and reports are kept at least this long (等保 2.0: ≥ 6 months).
TRACE_RETENTION_DAYS = env.int("TRACE_RETENTION_DAYS", default=365 * 10)
# With a real worker, the cockpit may serve figures this old while the worker recomputes them after a
# write (the page shows their "as of" time); without one it always recomputes (cockpit.services.max_stale_seconds).
COCKPIT_MAX_STALE_SECONDS = env.int("COCKPIT_MAX_STALE_SECONDS", default=30)
# /readyz warns (trace_verification_stale) when the last full walk of the trace chain is older than this.
TRACE_VERIFY_MAX_AGE_HOURS = env.int("TRACE_VERIFY_MAX_AGE_HOURS", default=48)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}, "celery.app.trace": {"level": "WARNING"}},
}
AXES_VERBOSE = env.bool("AXES_VERBOSE", default=False)

# Periodic safety net for notifications: the trace is the outbox, so anything a dropped on-commit
# nudge missed (e.g. while the broker was down) is relayed within a minute.
CELERY_BEAT_SCHEDULE = {
    "relay-trace-notifications": {"task": "tasks_app.tasks.relay_trace_notifications", "schedule": 60.0},
    "recompute-lights-nightly": {
        "task": "indicators.tasks.recompute_lights_nightly",
        "schedule": crontab(hour=1, minute=5),
    },
}
# A dead broker must cost a request at most about a second after its data committed (the trace
# outbox delivers the notification later), never hang it on kombu's default retries.
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}
# Extra transport options as JSON, merged over these. On Redis, ``visibility_timeout`` (seconds; kombu's default
# is 3600) is how long a message taken by a worker that then died (SIGKILL, OOM, power) stays unacknowledged
# before it is delivered again; it must exceed the longest task, or a slow task runs twice. Redis checks for
# such messages every ``unacked_restore_interval`` × ``unacked_restore_throttle`` seconds (10 × 10 by default).
# The worker-kill tests use {"visibility_timeout": 4, "unacked_restore_interval": 1, "unacked_restore_throttle": 1}.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": 1,
    "socket_timeout": 3,
    **env.json("CELERY_BROKER_TRANSPORT_OPTIONS", default={}),
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Dates as Chinese government documents write them.
DATE_FORMAT = "Y-m-d"
DATETIME_FORMAT = "Y-m-d H:i"
SHORT_DATE_FORMAT = "Y-m-d"

# Supervision rhythm (rhythm app): ten-day report due days, reminders, escalation ladder, warnings.
TENDAY_DUE_DAYS = tuple(env.list("TENDAY_DUE_DAYS", cast=int, default=[1, 11, 21]))
TENDAY_REMIND_DAYS = env.int("TENDAY_REMIND_DAYS", default=2)  # remind from this many days before the due date
# Days after an item first becomes overdue (day 0 = the day after its deadline) for 提醒, 催办, 督办, 挂牌督办.
ESCALATION_GRACE_DAYS = tuple(env.list("ESCALATION_GRACE_DAYS", cast=int, default=[0, 3, 7, 15]))
DEADLINE_WARNING_DAYS = env.int("DEADLINE_WARNING_DAYS", default=3)
# A unit may return a task that is not its own within this many working days of its assignment (退回).
TASK_RETURN_WORKING_DAYS = env.int("TASK_RETURN_WORKING_DAYS", default=3)
# Webhooks to government messaging platforms: targets from the environment and from the admin (WebhookTarget).
WEBHOOK_URLS = env.list("WEBHOOK_URLS", default=[])
WEBHOOK_SECRET = env("WEBHOOK_SECRET", default="")
WEBHOOK_EVENTS = tuple(env.list("WEBHOOK_EVENTS", default=["notice.issue", "report.missed"]))
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=5.0)
WEBHOOK_MAX_ATTEMPTS = env.int("WEBHOOK_MAX_ATTEMPTS", default=6)
WEBHOOK_BACKOFF_SECONDS = env.int("WEBHOOK_BACKOFF_SECONDS", default=30)
WEBHOOK_REPLAY_WINDOW_SECONDS = env.int("WEBHOOK_REPLAY_WINDOW_SECONDS", default=300)

# PDF reports (reports app): the issuing office printed in the document header.
REPORT_ISSUER = env("REPORT_ISSUER", default="演示市数字化改革工作专班办公室")
REPORT_ISSUER_DEPT = env("REPORT_ISSUER_DEPT", default="督查室")
# 文号 prefixes per report kind: 数改督〔2026〕12号 (issue numbers run per kind and year).
REPORT_DOC_PREFIXES = {"bulletin": "数改督", "tenday": "数改旬", "monthly": "数改月", "dossier": "数改档"}
