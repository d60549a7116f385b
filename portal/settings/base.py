"""Settings shared by every environment; everything that differs comes from the environment."""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONE, SELF

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("PORTAL_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


SECRET_KEY = os.environ.get("SECRET_KEY", "")
DEBUG = env_bool("DEBUG")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
    "django_celery_results",
    "simple_history",
    "axes",
    "oncall",
    "pipelines",
    "incidents",
    "sla",
    "portal",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "portal.middleware.RejectNulBytesMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "portal.middleware.LoginRequiredMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "portal.middleware.ChangeSourceMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

# The portal loads nothing from other origins and runs no inline script or style.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "oncall.context_processors.display_zone",
            ],
        },
    },
]

if "DATABASE_URL" not in os.environ:
    VAR_DIR.mkdir(parents=True, exist_ok=True)  # the embedded SQLite file lives there
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'portal.sqlite3'}"),
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24  # a reset link works for one day, once
# Every route in goes through oncall.accounts.can_sign_in: offboarded members cannot sign in.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses a username locked out from that address
    "oncall.accounts.MemberBackend",
    "oncall.sso.MemberOIDCBackend",
]
# Guessing passwords: after AXES_FAILURE_LIMIT failed sign-ins for one username from one address,
# the sign-in form and the token exchange refuse it for the cool-off; a success clears the count.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("AXES_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False  # no banner on every start of manage.py
AXES_LOCKOUT_CALLABLE = "portal.views.signed_in_too_often_wrongly"
AXES_USERNAME_CALLABLE = "oncall.accounts.failed_sign_in_username"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
# The portal speaks British English only. Without translation machinery every number and date a page
# formats skips a per-request language lookup (hundreds on a dashboard); the en-gb formats still apply.
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Email, all from the environment. EMAIL_BACKEND takes a dotted path or one of the short names below;
# `make run` uses "file", so every message a newcomer triggers lands in var/mail/.
EMAIL_BACKENDS = {
    "console": "django.core.mail.backends.console.EmailBackend",
    "file": "django.core.mail.backends.filebased.EmailBackend",
    "smtp": "django.core.mail.backends.smtp.EmailBackend",
    "locmem": "django.core.mail.backends.locmem.EmailBackend",
    "dummy": "django.core.mail.backends.dummy.EmailBackend",
}


def email_backend(default: str) -> str:
    name = os.environ.get("EMAIL_BACKEND", "").strip() or default
    return EMAIL_BACKENDS.get(name, name)


EMAIL_BACKEND = email_backend("console")
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH", str(VAR_DIR / "mail"))
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS")
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL")
EMAIL_TIMEOUT = int(os.environ["EMAIL_TIMEOUT"]) if os.environ.get("EMAIL_TIMEOUT") else None
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "pipeline-ops@localhost")
SERVER_EMAIL = os.environ.get("SERVER_EMAIL", DEFAULT_FROM_EMAIL)
# The Data Engineering Manager's address for SLA escalations; empty means the members marked as managers.
DATA_ENGINEERING_MANAGER_EMAIL = os.environ.get("DATA_ENGINEERING_MANAGER_EMAIL", "")
# Base URL used in emails and calendar feeds.
PORTAL_BASE_URL = os.environ.get("PORTAL_BASE_URL", "http://127.0.0.1:8000")

# Single sign-on (OpenID Connect, e.g. Microsoft Entra ID): on when the three OIDC_ variables are set.
# The provider's endpoints come from its discovery document; mozilla-django-oidc does the protocol.
OIDC_ISSUER = os.environ.get("OIDC_ISSUER", "").rstrip("/")
OIDC_CLIENT_ID = os.environ.get("OIDC_CLIENT_ID", "")
OIDC_CLIENT_SECRET = os.environ.get("OIDC_CLIENT_SECRET", "")
OIDC_ONLY = env_bool("OIDC_ONLY")  # hide the password form (the admin's own sign-in stays)
# Entra ID sends no email_verified claim: set this to trust its email claim all the same.
OIDC_TRUST_EMAIL = env_bool("OIDC_TRUST_EMAIL")
OIDC_RP_SIGN_ALGO = os.environ.get("OIDC_SIGN_ALGO", "RS256")
OIDC_RP_SCOPES = "openid email profile"
OIDC_CREATE_USER = False  # only the team gets in: an identity must match a member
OIDC_TIMEOUT = 10
OIDC_USE_PKCE = True

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first, so a request without credentials gets 401 with a WWW-Authenticate header.
        "oncall.authentication.PersonalTokenAuthentication",
        "oncall.authentication.ServiceTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["oncall.permissions.ReadOrManagerWrite"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "portal.schema.AutoSchema",
    "DEFAULT_PARSER_CLASSES": [
        "portal.api.JSONParser",
        "rest_framework.parsers.FormParser",
        "portal.api.MultiPartParser",
    ],
    "EXCEPTION_HANDLER": "portal.api.exception_handler",
    # Generous for people and orchestrators, tight for the password-to-token exchange.
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": os.environ.get("API_THROTTLE_ANON", "60/minute"),
        "user": os.environ.get("API_THROTTLE_USER", "2000/minute"),
        "token": os.environ.get("API_THROTTLE_TOKEN", "10/minute"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Pipeline Ops Portal API",
    "DESCRIPTION": "Runbooks, on-call, incidents and SLA of the data-engineering team.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # People only: a service token (create_service_token) posts runs and reads nothing, the schema included.
    "SERVE_PERMISSIONS": ["oncall.permissions.SignedInPerson"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # One name per choice set, where two apps use a field called "status".
    "ENUM_NAME_OVERRIDES": {
        "IncidentStatusEnum": "incidents.choices.IncidentStatus",
        "RunStatusEnum": "pipelines.choices.RunStatus",
        "TradeStatusEnum": "oncall.choices.TradeStatus",
        "NotificationStatusEnum": "oncall.choices.NotificationStatus",
        "ShiftKindEnum": "oncall.choices.ShiftKind",
        "AlertStatusEnum": "incidents.api.serializers.ALERT_STATUSES",
    },
}

# The cache holds the API's throttle counters, so every web process must share it: Redis when
# REDIS_URL is set, else files under var/ (a process-local memory cache would let each worker
# count on its own).
REDIS_URL = os.environ.get("REDIS_URL", "")


def redis_cache(url: str) -> dict:
    """Redis as a cache the portal can do without: while Redis is down or slow, every read is a miss and
    every write is dropped (and logged), so pages, sign-in and run posts go on, unthrottled and with
    sessions read from the database, instead of failing."""
    return {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": url,
        "KEY_PREFIX": "portal",
        "OPTIONS": {"IGNORE_EXCEPTIONS": True, "SOCKET_CONNECT_TIMEOUT": 1, "SOCKET_TIMEOUT": 1},
    }


DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
CACHES = {
    "default": (
        redis_cache(REDIS_URL)
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache", "LOCATION": str(VAR_DIR / "cache")}
    )
}

# Sessions are read from the cache (Redis), falling back to the database: one query fewer on every page.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# Celery: Redis when REDIS_URL is set, else kombu's filesystem transport under var/,
# so a worker and beat run on a laptop with nothing installed.
CELERY_BROKER_URL = REDIS_URL or "filesystem://"
CELERY_BROKER_TRANSPORT_OPTIONS = (
    {}
    if REDIS_URL
    else {
        "data_folder_in": str(VAR_DIR / "broker"),
        "data_folder_out": str(VAR_DIR / "broker"),
        "processed_folder": str(VAR_DIR / "broker-processed"),
        "control_folder": str(VAR_DIR / "broker-control"),
        "store_processed": False,
    }
)
CELERY_RESULT_BACKEND = "django-db"
CELERY_RESULT_EXTENDED = True
# Every task acknowledges its message once done, so a worker lost mid-task leaves it to run again
# (tasks are written to make a second run a no-op); set here for all, not on each decorator.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    # Missed deliveries, overdue runs, unacknowledged escalations and delay notices (`manage.py watch`).
    "incidents-watch": {"task": "incidents.tasks.watch", "schedule": 60.0},
    "incidents-delay-contacts": {"task": "incidents.tasks.notify_delay_contacts", "schedule": crontab(minute=20)},
    "sla-nightly": {"task": "sla.tasks.compute_sla_nightly", "schedule": crontab(hour=2, minute=30)},
    "oncall-requeue-notifications": {"task": "oncall.tasks.requeue_pending_notifications", "schedule": 60.0},
    "oncall-shift-reminders": {"task": "oncall.tasks.send_shift_reminders", "schedule": crontab(minute=5)},
    "oncall-expire-trades": {"task": "oncall.tasks.expire_holiday_trades", "schedule": crontab(minute="*/15")},
    "generate-rotations-nightly": {
        "task": "oncall.tasks.generate_all_rotations",
        "schedule": crontab(hour=1, minute=0),
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}
