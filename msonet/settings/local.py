"""Development settings: the default for manage.py and `make run`."""

import os

os.environ.setdefault("SECRET_KEY", "django-insecure-development-only-key-not-for-production")
os.environ.setdefault("DEBUG", "true")
os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
os.environ.setdefault("LOG_FORMAT", "text")

from .base import *  # noqa: E402,F403
from .base import env  # noqa: E402

DEMO_DATA_ALLOWED = True

# Development only (django-allauth refuses it unless DEBUG is on): the demo lead and chair must set
# up two-factor authentication; on the set-up and sign-in pages this code is accepted in place of
# one from an authenticator app. Empty it to use a real app.
MFA_TOTP_INSECURE_BYPASS_CODE = env("MFA_TOTP_INSECURE_BYPASS_CODE", default="000000") or None
