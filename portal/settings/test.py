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
CELERY_TASK_ALWAYS_EAGER = False
# Static files straight from the apps' folders: tests run without collectstatic.
STATIC_ROOT = None
WHITENOISE_USE_FINDERS = True
