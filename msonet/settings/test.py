"""Settings for the test suite."""

import os
from urllib.parse import urlsplit, urlunsplit

# `make test` runs the suite in one process per core (pytest-xdist: gw0, gw1...). Each process takes
# a Redis database of its own, the next numbers after REDIS_URL's, so that a test counting what waits
# in the broker's queue sees only its own process's tasks; the processes the tests start inherit it.
_worker = os.environ.get("PYTEST_XDIST_WORKER", "")
if os.environ.get("REDIS_URL") and _worker.startswith("gw"):
    _url = urlsplit(os.environ["REDIS_URL"])
    _database = (int(_url.path.strip("/") or 0) + int(_worker[2:])) % 16
    os.environ["REDIS_URL"] = urlunsplit(_url._replace(path=f"/{_database}"))

from .local import *  # noqa: E402, F403

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405
CELERY_TASK_ALWAYS_EAGER = True  # tests that need the real broker say so
MFA_TOTP_INSECURE_BYPASS_CODE = None
# Only warnings and errors reach the test run's output (tests that read the logs set up their own).
LOGGING["root"]["level"] = "WARNING"  # noqa: F405
