"""The test suite: PostgreSQL and Redis when DATABASE_URL / REDIS_URL are set, embedded defaults otherwise."""

from .base import *  # noqa: F403

SECRET_KEY = "test-only-not-secret"
DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
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
