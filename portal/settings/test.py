"""The test suite: PostgreSQL and Redis when DATABASE_URL / REDIS_URL are set, embedded defaults otherwise."""

import os

from .base import *  # noqa: F403
from .base import DATABASES, VAR_DIR

SECRET_KEY = "test-only-not-secret"
DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# A Celery worker started by a test writes its mail to files the test can read.
EMAIL_BACKEND = os.environ.get("TEST_EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH", str(VAR_DIR / "test-mail"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Tasks run inline where a test runs the on-commit callbacks; one test starts a real worker instead.
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
# Static files straight from the apps' folders: tests run without collectstatic.
STATIC_ROOT = None
WHITENOISE_USE_FINDERS = True

# On SQLite the test database is a file, so a worker process started by a test can open it too.
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-portal-{os.getpid()}.sqlite3")}
# Threads of the live server and of race tests must not keep connections to the test database open.
DATABASES["default"]["CONN_MAX_AGE"] = 0

# Each test starts with no throttle counts and no failed sign-ins counted: a process-local cache,
# emptied before every test (tests/conftest.py). The shared backends are exercised by the throttle tests.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
