"""Settings shared by every environment; all values come from the environment."""

from pathlib import Path

import environ
from celery.schedules import crontab

from msonet import logs, sentry, spreadsheets

BASE_DIR = Path(__file__).resolve().parent.parent.parent


class Env(environ.Env):
    """django-environ, whose refusal of a malformed value (DEBUG=maybe, IMPORT_MAX_ROWS=many) is an
    ImproperlyConfigured naming the variable, so that start-up says it in one line (msonet.startup)."""

    def get_value(self, var, *args, **kwargs):
        try:
            return super().get_value(var, *args, **kwargs)
        except ValueError as exc:
            raise environ.ImproperlyConfigured(f"{var} has a value that cannot be read ({exc}).") from exc


env = Env()
env.read_env(BASE_DIR / ".env", overwrite=False)

# Required: the local settings give a development key; the production settings refuse to start
# without a strong one (msonet.startup); Django refuses an empty one when it is first used.
SECRET_KEY = env("SECRET_KEY", default="")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "import_export",
    "simple_history",
    "rest_framework",
    "drf_spectacular",
    "users",
    "organisations",
    "officers",
    "committees",
    "networks",
    "meetings",
    "handovers",
    "emails",
    "compliance",
    "registrations",
    "workspace",
    "dashboard",
    "imports",
    "audit",
    "mailings",
    "presentations",
    "directory",
    "api",
]

MIDDLEWARE = [
    # First, so that its line has every response's status and time, and every line its request id.
    "msonet.logs.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "msonet.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "msonet.middleware.NulPathMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "users.middleware.SessionLifetimeMiddleware",
    "access.middleware.RequireMFAMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
]

ROOT_URLCONF = "msonet.urls"
WSGI_APPLICATION = "msonet.wsgi.application"

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
                "access.context_processors.navigation",
            ],
            "libraries": {"nhsuk": "msonet.templatetags.nhsuk"},
        },
    },
]
# Form widgets render through the engine above ("django.forms" in INSTALLED_APPS gives it Django's widget
# templates), so templates/django/forms/ can replace one: select.html writes its options in one loop.
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

# Database: a SQLite file unless DATABASE_URL says otherwise.
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # PostgreSQL's JIT compiler costs the coverage queries (compliance.coverage: subqueries over
    # the whole register, estimated high though they run in tens of milliseconds) at seconds of
    # compiling each time; the portal's queries are short, so it is off on the portal's connections
    # (PG_JIT=true turns it back on).
    _options = [] if env.bool("PG_JIT", default=False) else ["-c jit=off"]
    # The coverage statement prepared on each connection (below) runs its generic plan: left to
    # choose, PostgreSQL plans it again for the ids of every execution (about 3 ms, six times its
    # running time, as its generic plan is estimated dearer for one organisation), and for a long
    # list of organisations picks a slower plan than the generic one. Django prepares no statements
    # of its own, so the setting concerns the coverage statement alone.
    _options.append("-c plan_cache_mode=force_generic_plan")
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = " ".join(_options)
# The coverage of a page's organisations (compliance.coverage.add_coverage) runs as a statement
# prepared once on each PostgreSQL connection. A connection pooler that shares server connections
# between clients in transaction mode (PgBouncer's pool_mode=transaction) does not keep prepared
# statements: set PG_PREPARED_STATEMENTS=false behind one.
PG_PREPARED_STATEMENTS = env.bool("PG_PREPARED_STATEMENTS", default=True)
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "users.User"
# Django's and allauth's backends, each loading a request's user with their person record and whether
# they have an authenticator app in one query (users.backends).
AUTHENTICATION_BACKENDS = [
    "users.backends.ModelBackend",
    "users.backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "directory:home"

# django-allauth: email is the login; verification is mandatory.
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_SESSION_REMEMBER = False
# What the portal calls itself: in the subject and layout of every account email and the
# authenticator app's entry.
SITE_NAME = "MSO Network"
ACCOUNT_EMAIL_SUBJECT_PREFIX = f"[{SITE_NAME}] "
# A change of email address takes effect only once the new address is confirmed; until then the
# old address stays the one the account signs in and receives email with.
ACCOUNT_CHANGE_EMAIL = True
# A notice to the account's address when its password, email address or two-factor authentication
# changes, saying when and from where, so that someone who did not make the change can act.
ACCOUNT_EMAIL_NOTIFICATIONS = True
# allauth's rate limits stay on (never set ACCOUNT_RATE_LIMITS = False): its defaults limit sign-up,
# password reset and confirmation emails (one per address every 3 minutes). Sign-in is limited per
# account, not per address: an NHS trust (or the HSCN gateway several share) puts thousands of staff
# behind one IP address, so one person's wrong passwords must not lock out their colleagues.
# - login_failed: 10 wrong passwords for one account (the email address tried) within 15 minutes
#   lock that account, even against its right password, until 15 minutes after the first of them
#   (the NCSC suggests allowing about 10 attempts); a password reset unlocks it at once. 100 failed
#   sign-ins a minute from one address, against any accounts, stop that address for the minute:
#   far more than the staff of one trust mistype, far fewer than a password-guessing run.
# - login: 300 sign-in attempts a minute from one address, right or wrong.
# Added: asking for the confirmation email again, per IP.
ACCOUNT_RATE_LIMITS = {
    "login": "300/m/ip",
    "login_failed": "100/m/ip,10/15m/key",
    "resend_confirmation": "5/m/ip",
}
# Rate limits count requests per client IP. Behind proxies, set how many of them (which append to
# X-Forwarded-For) are ours; with 0 allauth uses REMOTE_ADDR, the proxy's own address.
ALLAUTH_TRUSTED_PROXY_COUNT = env.int("ALLAUTH_TRUSTED_PROXY_COUNT", default=0)

# Changing the email address (adding, removing or making one primary) and turning two-factor
# authentication off need the password entered again within ACCOUNT_REAUTHENTICATION_TIMEOUT.
ACCOUNT_REAUTHENTICATION_REQUIRED = True
MFA_REAUTHENTICATION_REQUIRED = True
ACCOUNT_REAUTHENTICATION_TIMEOUT = 5 * 60
# Password reset, sign-up and the confirmation email answer alike for known and unknown addresses.
ACCOUNT_PREVENT_ENUMERATION = True

# Sessions: signed out after SESSION_IDLE_TIMEOUT seconds without a request and
# SESSION_ABSOLUTE_TIMEOUT seconds after signing in, whatever the activity
# (users.middleware.SessionLifetimeMiddleware; the stored session also expires when idle). The
# session id changes at sign-in; deactivating a user deletes their sessions.
SESSION_IDLE_TIMEOUT = env.int("SESSION_IDLE_TIMEOUT", default=30 * 60)
SESSION_ABSOLUTE_TIMEOUT = env.int("SESSION_ABSOLUTE_TIMEOUT", default=12 * 60 * 60)
if not 60 <= SESSION_IDLE_TIMEOUT <= SESSION_ABSOLUTE_TIMEOUT:
    raise environ.ImproperlyConfigured(
        "SESSION_IDLE_TIMEOUT must be at least 60 seconds and no more than SESSION_ABSOLUTE_TIMEOUT."
    )
SESSION_COOKIE_AGE = SESSION_IDLE_TIMEOUT
# Where sessions are kept, from SESSION_ENGINE: "db" (the default: the database, which every web
# server shares), "cached_db" (the database, read through the cache) or "cache" (the cache alone: a
# restart of the cache signs everyone out). The last two need a shared cache (CACHE_URL, checked
# below).
SESSION_STORE = env("SESSION_ENGINE", default="db")
if SESSION_STORE not in ("db", "cached_db", "cache"):
    raise environ.ImproperlyConfigured(f"SESSION_ENGINE must be db, cached_db or cache, not {SESSION_STORE!r}.")
SESSION_ENGINE = f"django.contrib.sessions.backends.{SESSION_STORE}"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

# Content-Security-Policy on every response (msonet.middleware.ContentSecurityPolicyMiddleware), in
# every environment so that the tests meet it: scripts and styles only from the portal's own static
# files (no inline script, style or event handler), nothing embeds the portal. The NHS.UK frontend
# loads its fonts from assets.nhs.uk; the authenticator app's QR code is a data: image.
CONTENT_SECURITY_POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'", "https://assets.nhs.uk"],
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'none'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# History (django-simple-history) is a record, not an undo: the admin shows past versions but never
# reverts to one (users.admin.HistoryAdminMixin refuses the form's POST as well).
SIMPLE_HISTORY_REVERT_DISABLED = True

# Privacy: people who left their last role (appointment or network membership) more than this many
# years ago are anonymised by the nightly audit.tasks.anonymise_former_officers.
RETENTION_YEARS = env.int("RETENTION_YEARS", default=6)
if RETENTION_YEARS < 1:
    raise environ.ImproperlyConfigured("RETENTION_YEARS must be at least 1.")

# Two-factor authentication: an authenticator app (TOTP) with recovery codes, open to everyone
# and required of national leads and network chairs (access.middleware.RequireMFAMiddleware).
MFA_ADAPTER = "users.adapters.MFAAdapter"
ACCOUNT_ADAPTER = "users.adapters.AccountAdapter"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = SITE_NAME

# The cache holds allauth's rate-limit counters and the TOTP codes already used (and the sessions,
# with SESSION_ENGINE cache or cached_db). In development a local-memory cache: it needs nothing
# running. But it is per process: each gunicorn worker of each web server would count its own wrong
# passwords (10 per account become 10 per process) and know only the TOTP codes used through it, so
# production refuses to start with one (msonet.startup): set CACHE_URL (for example
# redis://host:6379/1, a database number apart from the broker's, or dbcache://msonet_cache after
# `manage.py createcachetable`) so that every process shares them; REDIS_URL alone does not switch it.
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}
# Costly figures (the dashboard's counts, a directory search's count) are kept in that cache until
# a write to the tables they read commits (msonet.generations); writes made outside the portal (psql)
# are not seen, so the figures also expire after this many seconds.
GENERATION_CACHE_TIMEOUT = env.int("GENERATION_CACHE_TIMEOUT", default=300)
PROCESS_LOCAL_CACHES = (
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
)
if SESSION_STORE != "db" and CACHES["default"]["BACKEND"] in PROCESS_LOCAL_CACHES:
    raise environ.ImproperlyConfigured(
        f"SESSION_ENGINE={SESSION_STORE} keeps sessions in the cache: set CACHE_URL to a shared cache "
        "(redis://...), or each web process would know only its own sessions."
    )

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True
DATE_FORMAT = "j F Y"

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# The NHS.UK frontend is installed by npm into node_modules; only its dist folder is served.
NHSUK_FRONTEND_DIST = BASE_DIR / "node_modules" / "nhsuk-frontend" / "dist"
if NHSUK_FRONTEND_DIST.is_dir():
    STATICFILES_DIRS.append(("nhsuk", NHSUK_FRONTEND_DIST))
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
MEDIA_URL = "/media/"
# Private files (committees' terms of reference): outside MEDIA_ROOT and the static files, never
# served by a URL of their own; a view that checks who may see the organisation sends each one.
PRIVATE_MEDIA_ROOT = env.path("PRIVATE_MEDIA_ROOT", default=BASE_DIR / "private-media")
_public_roots = [MEDIA_ROOT, STATIC_ROOT, *(d if isinstance(d, Path) else d[1] for d in STATICFILES_DIRS)]
_private = Path(PRIVATE_MEDIA_ROOT).resolve()
for _public in (Path(path).resolve() for path in _public_roots):
    if _private == _public or _public in _private.parents or _private in _public.parents:
        raise environ.ImproperlyConfigured("PRIVATE_MEDIA_ROOT must be outside MEDIA_ROOT and the static files.")
# Uploaded files: FILE_STORAGE says where they are kept (msonet.storage). Every web server and
# worker must reach the same files, so with two or more web servers the folders are one shared mount
# or the files are in object storage. Import and export jobs keep their files in the database.
# - "filesystem" (the default): public files under MEDIA_ROOT, private ones (committees' terms of
#   reference) under PRIVATE_MEDIA_ROOT.
# - "s3": in the bucket AWS_STORAGE_BUCKET_NAME of S3 or S3-compatible object storage (django-storages;
#   AWS_S3_ENDPOINT_URL for one that is not Amazon's, AWS_S3_REGION_NAME), public files under
#   media/, private ones under private/, every object with a private ACL. Private files get no
#   signed URL: the portal reads each one and sends it through the view that checks access. The
#   credentials are read from the environment as boto3 reads them (AWS_ACCESS_KEY_ID and
#   AWS_SECRET_ACCESS_KEY, or the machine's role), never from these settings.
FILE_STORAGE = env("FILE_STORAGE", default="filesystem")
if FILE_STORAGE == "filesystem":
    _file_storages = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "private": {"BACKEND": "msonet.storage.PrivateFileSystemStorage"},
    }
elif FILE_STORAGE == "s3":
    AWS_STORAGE_BUCKET_NAME = env("AWS_STORAGE_BUCKET_NAME", default="")
    if not AWS_STORAGE_BUCKET_NAME:
        raise environ.ImproperlyConfigured("FILE_STORAGE=s3 needs AWS_STORAGE_BUCKET_NAME, the bucket's name.")
    AWS_S3_ENDPOINT_URL = env("AWS_S3_ENDPOINT_URL", default="") or None
    if AWS_S3_ENDPOINT_URL and not AWS_S3_ENDPOINT_URL.startswith(("https://", "http://")):
        raise environ.ImproperlyConfigured("AWS_S3_ENDPOINT_URL must start with https:// or http://.")
    AWS_S3_REGION_NAME = env("AWS_S3_REGION_NAME", default="") or None
    _bucket = {
        "bucket_name": AWS_STORAGE_BUCKET_NAME,
        "endpoint_url": AWS_S3_ENDPOINT_URL,
        "region_name": AWS_S3_REGION_NAME,
        "default_acl": "private",
        "file_overwrite": False,
    }
    _file_storages = {
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {**_bucket, "location": "media", "querystring_auth": True},
        },
        "private": {
            "BACKEND": "msonet.storage.PrivateS3Storage",
            "OPTIONS": {**_bucket, "location": "private", "querystring_auth": False},
        },
    }
else:
    raise environ.ImproperlyConfigured(
        f"FILE_STORAGE must be filesystem (the MEDIA_ROOT and PRIVATE_MEDIA_ROOT folders) or s3 "
        f"(S3-compatible object storage), not {FILE_STORAGE!r}."
    )
STORAGES = {
    **_file_storages,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# The largest terms of reference accepted (checked before the file is stored).
TERMS_OF_REFERENCE_MAX_BYTES = env.int("TERMS_OF_REFERENCE_MAX_BYTES", default=10 * 1024 * 1024)
if TERMS_OF_REFERENCE_MAX_BYTES <= 0:
    raise environ.ImproperlyConfigured("TERMS_OF_REFERENCE_MAX_BYTES must be a positive number of bytes.")

# Email: console by default; EMAIL_URL selects file-based (filemail:///path) or SMTP (smtp+tls://user:pass@host:587).
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="MSO Network <mso-network@england.nhs.uk>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
# Messages to the network go out at no more than this many emails a minute (the mail server's limit).
BULK_EMAILS_PER_MINUTE = env.int("BULK_EMAILS_PER_MINUTE", default=120)
if BULK_EMAILS_PER_MINUTE < 1:
    raise environ.ImproperlyConfigured("BULK_EMAILS_PER_MINUTE must be at least 1.")

# Redis and Celery: without REDIS_URL, tasks run in-process.
REDIS_URL = env("REDIS_URL", default="")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 15 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 14 * 60
# A web request that queues a task waits at most about 2 s for Redis: refused connections fail at
# once, a Redis that accepts but does not answer after socket_timeout (emails.services publishes
# without retries; the email waits in the outbox).
CELERY_BROKER_CONNECTION_TIMEOUT = 2
# Tasks are acknowledged when they finish (task_acks_late), so a task whose worker is killed stays
# unacknowledged in Redis, which hands it to a worker again once this many seconds have passed since
# it was delivered. Keep it longer than any task runs or waits for a retry (the scan's 11-minute
# limit, the emails' 30-minute backoff): a shorter one starts a second copy of a task still running.
BROKER_VISIBILITY_TIMEOUT = env.int("BROKER_VISIBILITY_TIMEOUT", default=60 * 60)
if BROKER_VISIBILITY_TIMEOUT < 1:
    raise environ.ImproperlyConfigured("BROKER_VISIBILITY_TIMEOUT must be a positive number of seconds.")
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": 2,
    "socket_timeout": 2,
    "visibility_timeout": BROKER_VISIBILITY_TIMEOUT,
}
CELERY_TIMEZONE = TIME_ZONE
# A worker or beat started while Redis does not answer stops at once with one line (msonet.startup);
# one whose Redis stops answering after that check, while it connects, waits for it instead of exiting.
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Where beat records when each periodic job last ran (a file it rewrites: the folder must be
# writable by beat's user; deploy/systemd/msonet-beat.service uses /var/lib/msonet).
CELERY_BEAT_SCHEDULE_FILENAME = env("BEAT_SCHEDULE_FILE", default=str(BASE_DIR / "celerybeat-schedule"))
if not CELERY_BEAT_SCHEDULE_FILENAME.strip():
    raise environ.ImproperlyConfigured("BEAT_SCHEDULE_FILE must name a file in a folder beat can write to.")
# The compliance scan runs every night at 02:00; COMPLIANCE_SCAN_EVERY (seconds) runs it at that
# interval instead (a smoke test sets a few seconds, to see beat and the worker at work).
COMPLIANCE_SCAN_EVERY = env.int("COMPLIANCE_SCAN_EVERY", default=None)
if COMPLIANCE_SCAN_EVERY is not None and COMPLIANCE_SCAN_EVERY < 1:
    raise environ.ImproperlyConfigured("COMPLIANCE_SCAN_EVERY must be a positive number of seconds.")
_COMPLIANCE_SCAN_INTERVAL = COMPLIANCE_SCAN_EVERY or 24 * 60 * 60
# The schedule of the periodic jobs, run by `celery -A msonet beat`; each is also a management command.
CELERY_BEAT_SCHEDULE = {
    # Emails whose task was lost (Redis down) or gave up (mail server down).
    "send-pending-emails": {
        "task": "emails.tasks.send_pending_emails",
        "schedule": 5 * 60,
        "options": {"expires": 5 * 60},
    },
    # Messages to the network: a minute's worth of their emails at a time (BULK_EMAILS_PER_MINUTE).
    "send-bulk-emails": {
        "task": "emails.tasks.send_bulk_emails",
        "schedule": 60,
        "options": {"expires": 60},
    },
    # Open and resolve compliance flags (no MSO, lapsed handover...), every night (or every
    # COMPLIANCE_SCAN_EVERY seconds); a run not started before the next is due is dropped.
    "scan-compliance": {
        "task": "compliance.tasks.scan_compliance",
        "schedule": COMPLIANCE_SCAN_EVERY or crontab(hour=2, minute=0),
        "options": {"expires": min(6 * 60 * 60, _COMPLIANCE_SCAN_INTERVAL)},
    },
    # The open flags to the national lead (all) and each chair (their networks), on Monday mornings.
    "send-flag-digests": {
        "task": "compliance.tasks.send_flag_digests",
        "schedule": crontab(day_of_week="mon", hour=7, minute=0),
        "options": {"expires": 6 * 60 * 60},
    },
    # What organisations' officers changed in their profiles last week, to the national leads.
    "send-profile-change-summaries": {
        "task": "audit.tasks.send_profile_change_summaries",
        "schedule": crontab(day_of_week="mon", hour=7, minute=15),
        "options": {"expires": 6 * 60 * 60},
    },
    # Reminders of tomorrow's scheduled webinars and meetings, to everyone invited.
    "send-meeting-reminders": {
        "task": "meetings.tasks.send_meeting_reminders",
        "schedule": crontab(hour=9, minute=0),
        "options": {"expires": 6 * 60 * 60},
    },
    # Handover reminders: seven days before the due date and on the day.
    "send-handover-reminders": {
        "task": "handovers.tasks.send_handover_reminders",
        "schedule": crontab(hour=7, minute=30),
        "options": {"expires": 6 * 60 * 60},
    },
    # Officers whose details were last confirmed a year ago are asked to confirm them.
    "send-reconfirmation-reminders": {
        "task": "officers.tasks.send_reconfirmation_reminders",
        "schedule": crontab(hour=8, minute=0),
        "options": {"expires": 6 * 60 * 60},
    },
    # People who left their last role more than RETENTION_YEARS ago are anonymised.
    "anonymise-former-officers": {
        "task": "audit.tasks.anonymise_former_officers",
        "schedule": crontab(hour=3, minute=30),
        "options": {"expires": 6 * 60 * 60},
    },
    # Import and export jobs that stopped moving (worker killed, task never delivered) are marked failed.
    "fail-stale-import-jobs": {
        "task": "imports.tasks.fail_stale_jobs",
        "schedule": 5 * 60,
        "options": {"expires": 5 * 60},
    },
    # Expired sessions, and the records of sessions past the absolute timeout, are deleted.
    "clear-expired-sessions": {
        "task": "users.tasks.clear_expired_sessions",
        "schedule": crontab(hour=4, minute=0),
        "options": {"expires": 6 * 60 * 60},
    },
}

# Readiness (/readyz/, msonet.health): the portal is not ready when the last compliance scan
# finished longer ago than this many seconds (with no scan yet, since the scan's record was created
# by its migration). By default its interval and a margin: 26 hours for the nightly scan, twice
# COMPLIANCE_SCAN_EVERY and a minute when that is set. Longer than the interval, or never ready.
READINESS_SCAN_MAX_AGE = env.int(
    "READINESS_SCAN_MAX_AGE",
    default=2 * COMPLIANCE_SCAN_EVERY + 60 if COMPLIANCE_SCAN_EVERY else 26 * 60 * 60,
)
if READINESS_SCAN_MAX_AGE <= _COMPLIANCE_SCAN_INTERVAL:
    raise environ.ImproperlyConfigured(
        "READINESS_SCAN_MAX_AGE must be longer than the compliance scan's interval "
        f"({_COMPLIANCE_SCAN_INTERVAL} seconds)."
    )
# Nor when an email has waited to be sent (unsent, not refused for good) for longer than this many
# seconds: its task and the pending-email job (every 5 minutes, for emails a minute old) both failed.
READINESS_EMAIL_MAX_AGE = env.int("READINESS_EMAIL_MAX_AGE", default=15 * 60)
if READINESS_EMAIL_MAX_AGE < 1:
    raise environ.ImproperlyConfigured("READINESS_EMAIL_MAX_AGE must be a positive number of seconds.")

# Handovers: a handover is due this many days after the outgoing officer's leaving date.
HANDOVER_DUE_DAYS = env.int("HANDOVER_DUE_DAYS", default=28)
if HANDOVER_DUE_DAYS < 0:
    raise environ.ImproperlyConfigured("HANDOVER_DUE_DAYS cannot be negative.")

# Getting started in post: the checklist is offered to officers for this many months after the start
# of their appointment, and the progress list counts only those officers.
GETTING_STARTED_MONTHS = env.int("GETTING_STARTED_MONTHS", default=6)
if GETTING_STARTED_MONTHS < 1:
    raise environ.ImproperlyConfigured("GETTING_STARTED_MONTHS must be at least 1.")

# The portal's address, for the links in the portal's own emails, whether a page or a scheduled job
# (which has no request) sends them. `make run`, `make worker` and `make beat` set it to
# http://$(HOST):$(PORT), the address the development server serves.
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
if not SITE_URL.startswith(("http://", "https://")):
    raise environ.ImproperlyConfigured("SITE_URL must start with http:// or https://.")

# Imports
IMPORT_MAX_UPLOAD_BYTES = env.int("IMPORT_MAX_UPLOAD_BYTES", default=5 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = IMPORT_MAX_UPLOAD_BYTES + 1024 * 1024
IMPORT_EXPORT_SKIP_ADMIN_LOG = False
IMPORT_EXPORT_USE_TRANSACTIONS = True
# Every admin's CSV and XLSX, written by the portal's one writer (no cell runs as a formula).
IMPORT_EXPORT_FORMATS = EXPORT_FORMATS = spreadsheets.FORMATS
# Imports of more rows than this are checked and imported by a Celery task, with their progress on
# the job's page; smaller ones run in the request.
IMPORT_BACKGROUND_ROWS = env.int("IMPORT_BACKGROUND_ROWS", default=3000)
if IMPORT_BACKGROUND_ROWS < 0:
    raise environ.ImproperlyConfigured("IMPORT_BACKGROUND_ROWS cannot be negative.")
# Exports of more rows than this are written by a Celery task; smaller ones in the request (10,000
# organisations are written in under a second: bench/spreadsheets.py, README "Performance").
EXPORT_BACKGROUND_ROWS = env.int("EXPORT_BACKGROUND_ROWS", default=10_000)
if EXPORT_BACKGROUND_ROWS < 0:
    raise environ.ImproperlyConfigured("EXPORT_BACKGROUND_ROWS cannot be negative.")
# A background import or export job that has not moved (been taken up, read or written another
# batch of rows) for this many seconds has stopped: its worker was killed, or its task never
# delivered. It is marked failed by beat (imports.tasks.fail_stale_jobs) and when its page is shown.
# Longer than a task may run (CELERY_TASK_TIME_LIMIT), so that no running job is taken for stopped.
IMPORT_JOB_STALE_AFTER = env.int("IMPORT_JOB_STALE_AFTER", default=20 * 60)
if IMPORT_JOB_STALE_AFTER <= CELERY_TASK_TIME_LIMIT:
    raise environ.ImproperlyConfigured(
        f"IMPORT_JOB_STALE_AFTER must be longer than the tasks' time limit ({CELERY_TASK_TIME_LIMIT} seconds)."
    )

# Uploads (msonet.uploads reads every import and upload within these limits; the memory a file can
# take is bounded by them). An XLSX or DOCX file is a ZIP archive: how much it may unpack to in all
# and in any one part, checked from its directory before anything is inflated and again while it is.
UPLOAD_MAX_UNPACKED_BYTES = env.int("UPLOAD_MAX_UNPACKED_BYTES", default=64 * 1024 * 1024)
UPLOAD_MAX_UNPACKED_PART_BYTES = env.int("UPLOAD_MAX_UNPACKED_PART_BYTES", default=48 * 1024 * 1024)
# A table (CSV or XLSX) holds at most this many rows with a value, its header row included (about
# twice the largest ODS file, and what every import checks within the memory bound: bench/uploads.py),
# cells in a row (to its last value) and characters in a cell (32,767 is what an Excel cell holds).
IMPORT_MAX_ROWS = env.int("IMPORT_MAX_ROWS", default=40_000)
IMPORT_MAX_COLUMNS = env.int("IMPORT_MAX_COLUMNS", default=200)
IMPORT_MAX_CELL_CHARACTERS = env.int("IMPORT_MAX_CELL_CHARACTERS", default=32_767)
for _name in (
    "IMPORT_MAX_UPLOAD_BYTES",
    "UPLOAD_MAX_UNPACKED_BYTES",
    "UPLOAD_MAX_UNPACKED_PART_BYTES",
    "IMPORT_MAX_ROWS",
    "IMPORT_MAX_COLUMNS",
    "IMPORT_MAX_CELL_CHARACTERS",
):
    if globals()[_name] <= 0:
        raise environ.ImproperlyConfigured(f"{_name} must be a positive number.")
if UPLOAD_MAX_UNPACKED_PART_BYTES > UPLOAD_MAX_UNPACKED_BYTES:
    raise environ.ImproperlyConfigured("UPLOAD_MAX_UNPACKED_PART_BYTES cannot be more than UPLOAD_MAX_UNPACKED_BYTES.")

# The partner API (/api/v1/, the api app): read-only JSON for partner systems, which authenticate
# with an API key the national lead issues (never with a portal session), each key limited to its
# scopes. Errors are JSON with a code and a message.
# API_RATE_LIMIT: the requests one key may make, as "<number>/<second|minute|hour|day>"; beyond it
# the API answers 429 with Retry-After. Counted in the cache (CACHE_URL), so with several web
# processes set CACHE_URL to a shared cache for the limit to hold across them.
API_RATE_LIMIT = env("API_RATE_LIMIT", default="600/minute")
_rate_number, _, _rate_period = API_RATE_LIMIT.partition("/")
if not (_rate_number.isdigit() and int(_rate_number) > 0 and _rate_period in {"second", "minute", "hour", "day"}):
    raise environ.ImproperlyConfigured(
        'API_RATE_LIMIT must be a positive number of requests per second, minute, hour or day, such as "600/minute".'
    )
# API_PAGE_SIZE: the organisations (or networks) in one page of a list; a partner may ask for fewer
# with ?page_size=.
API_PAGE_SIZE = env.int("API_PAGE_SIZE", default=100)
if not 1 <= API_PAGE_SIZE <= 1000:
    raise environ.ImproperlyConfigured("API_PAGE_SIZE must be between 1 and 1000.")
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["api.authentication.PartnerKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.HasScope"],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.PartnerKeyThrottle"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "UNAUTHENTICATED_TOKEN": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "MSO Network partner API",
    "DESCRIPTION": "The national register of NHS Medication Safety Officers, read-only, for partner systems.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PUBLIC": True,
    "SERVE_AUTHENTICATION": [],
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
}

# Demo data may be loaded only where a settings module allows it.
DEMO_DATA_ALLOWED = False
# Whether processes refuse to start without a production configuration (msonet.startup): only the
# production settings turn it on.
CHECK_PRODUCTION_CONFIGURATION = False

# Logs (msonet.logs): every line to standard error, one per request and one per task, with its
# request or task id and no names, email addresses or telephone numbers. LOG_FORMAT `json` (one JSON
# object a line, for a log collector; the default here and in production) or `text` (the default in
# development); LOG_LEVEL the root level.
LOG_FORMAT = env("LOG_FORMAT", default="json")
if LOG_FORMAT not in ("json", "text"):
    raise environ.ImproperlyConfigured("LOG_FORMAT must be json or text.")
LOG_LEVEL = env("LOG_LEVEL", default="INFO").upper()
if LOG_LEVEL not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
    raise environ.ImproperlyConfigured("LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR or CRITICAL.")
LOGGING = logs.logging_config(log_format=LOG_FORMAT, level=LOG_LEVEL)
# The Celery worker and beat keep this LOGGING instead of setting up their own (msonet.celery).

# Error reports to Sentry (msonet.sentry), only when SENTRY_DSN is set, with personal data removed;
# SENTRY_ENVIRONMENT names the environment in them, SENTRY_TRACES_SAMPLE_RATE (0 to 1, default 0)
# the share of requests and tasks whose timings are sent too.
SENTRY_DSN = env("SENTRY_DSN", default="")
if SENTRY_DSN and not SENTRY_DSN.startswith(("http://", "https://")):
    raise environ.ImproperlyConfigured("SENTRY_DSN must be a Sentry DSN, starting with https://.")
SENTRY_ENVIRONMENT = env("SENTRY_ENVIRONMENT", default="")
try:
    SENTRY_TRACES_SAMPLE_RATE = float(env("SENTRY_TRACES_SAMPLE_RATE", default="0"))
except ValueError:
    SENTRY_TRACES_SAMPLE_RATE = -1.0
if not 0 <= SENTRY_TRACES_SAMPLE_RATE <= 1:
    raise environ.ImproperlyConfigured("SENTRY_TRACES_SAMPLE_RATE must be a number from 0 to 1.")
sentry.init(dsn=SENTRY_DSN, environment=SENTRY_ENVIRONMENT, traces_sample_rate=SENTRY_TRACES_SAMPLE_RATE)
