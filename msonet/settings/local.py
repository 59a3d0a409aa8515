"""Development settings: the default for manage.py and `make run`."""

import os

os.environ.setdefault("SECRET_KEY", "django-insecure-development-only-key-not-for-production")
os.environ.setdefault("DEBUG", "true")
os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")

from .base import *  # noqa: E402,F403

DEMO_DATA_ALLOWED = True
