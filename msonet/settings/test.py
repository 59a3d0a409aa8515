"""Settings for the test suite."""

from .local import *  # noqa: F403

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405
CELERY_TASK_ALWAYS_EAGER = True  # tests that need the real broker say so
MFA_TOTP_INSECURE_BYPASS_CODE = None
# Only warnings and errors reach the test run's output (tests that read the logs set up their own).
LOGGING["root"]["level"] = "WARNING"  # noqa: F405
