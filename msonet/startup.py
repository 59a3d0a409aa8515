"""Start-up refusals: a process with a bad configuration stops at once, saying what to fix in one
line per problem on stderr, with no traceback, and starts nothing.

Every entry point calls `check_or_exit` before anything else: manage.py ("manage"), msonet.wsgi
and a gunicorn config's on_starting hook ("web"), and msonet.celery for `celery worker` and
`celery beat` ("worker", "beat"). It loads the settings, whose own validations (ImproperlyConfigured)
become such a line; under the production settings (CHECK_PRODUCTION_CONFIGURATION) it checks the
secret key, the allowed hosts, DEBUG and the storage folders; and a worker or beat with a REDIS_URL
that does not answer within 2 seconds does not start (the web server does, and reports not ready at
/readyz/).
"""

import os
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

from django.core.checks.security.base import (
    SECRET_KEY_INSECURE_PREFIX,
    SECRET_KEY_MIN_LENGTH,
    SECRET_KEY_MIN_UNIQUE_CHARACTERS,
)
from django.core.exceptions import ImproperlyConfigured

# gunicorn's status for "app failed to load": a gunicorn whose workers import msonet.wsgi stops
# rather than starting them again; any other program just sees a failure.
EXIT_STATUS = 4
# Each process, with the settings it runs when DJANGO_SETTINGS_MODULE is unset.
PROCESSES = {
    "manage": "msonet.settings.local",
    "web": "msonet.settings.production",
    "worker": "msonet.settings.local",
    "beat": "msonet.settings.local",
}
# The processes that cannot work without the broker, as the refusal names them.
NEED_REDIS = {"worker": "the Celery worker", "beat": "Celery beat"}
REDIS_TIMEOUT = 2
NEW_SECRET_KEY = "python -c 'import secrets; print(secrets.token_urlsafe(50))'"


def secret_key_problem(key: str) -> str | None:
    """Django's own measure of a weak key (check security.W009), said as what to do."""
    if not key:
        return (
            f"SECRET_KEY is missing. Set it to a random string of at least {SECRET_KEY_MIN_LENGTH} characters: "
            f"{NEW_SECRET_KEY}"
        )
    if (
        len(key) < SECRET_KEY_MIN_LENGTH
        or len(set(key)) < SECRET_KEY_MIN_UNIQUE_CHARACTERS
        or key.startswith(SECRET_KEY_INSECURE_PREFIX)
    ):
        return (
            f"SECRET_KEY is too weak: it needs at least {SECRET_KEY_MIN_LENGTH} characters, "
            f"{SECRET_KEY_MIN_UNIQUE_CHARACTERS} of them different, and must not start with "
            f"'{SECRET_KEY_INSECURE_PREFIX}'. Set a new one: {NEW_SECRET_KEY}"
        )
    return None


def folder_problem(name: str, path) -> str | None:
    """The folder must exist and take a new file (tried for real: an unnamed temporary file)."""
    folder = Path(path)
    if not folder.is_dir():
        return f"{name} ({folder}) is not an existing folder. Create it, writable by the portal, or set {name} to one."
    try:
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        return f"{name} ({folder}) is not writable by the portal ({exc.strerror}). Give the portal write access to it."
    return None


def storage_folders(settings) -> dict[str, str]:
    """Every folder the portal writes files to, by the setting that names it."""
    folders = {"MEDIA_ROOT": settings.MEDIA_ROOT, "PRIVATE_MEDIA_ROOT": settings.PRIVATE_MEDIA_ROOT}
    if settings.EMAIL_BACKEND == "django.core.mail.backends.filebased.EmailBackend":
        folders["EMAIL_URL"] = settings.EMAIL_FILE_PATH
    return folders


def production_problems(settings) -> list[str]:
    try:
        key = settings.SECRET_KEY
    except ImproperlyConfigured:  # Django's refusal of an empty one
        key = ""
    problems = [secret_key_problem(key)]
    if not settings.ALLOWED_HOSTS:
        problems.append(
            "ALLOWED_HOSTS is empty. Set it to the host names the portal answers to, comma-separated "
            "(e.g. mso-network.example.nhs.uk)."
        )
    if settings.DEBUG:
        problems.append("DEBUG is on. Production never runs with DEBUG: unset DEBUG or set DEBUG=false.")
    problems.append(cache_problem(settings))
    problems += [folder_problem(name, path) for name, path in storage_folders(settings).items()]
    return [problem for problem in problems if problem]


def cache_problem(settings) -> str | None:
    """A cache kept in each process's memory (settings.PROCESS_LOCAL_CACHES), or none: every gunicorn
    worker would count its own sign-in attempts and remember its own used authenticator codes."""
    if settings.CACHES["default"]["BACKEND"] not in settings.PROCESS_LOCAL_CACHES:
        return None
    return (
        "CACHE_URL is not set to a shared cache: production counts the sign-in attempts and remembers the "
        "authenticator codes used in a cache every web process reaches. Set CACHE_URL to Redis "
        "(redis://host:6379/1, a database apart from the broker's) or to the database "
        "(dbcache://msonet_cache, after manage.py createcachetable)."
    )


def redis_problem(process: str, url: str) -> str | None:
    from msonet.health import redis_answers

    if redis_answers(url, timeout=REDIS_TIMEOUT):
        return None
    parts = urlsplit(url)
    where = f"{parts.hostname or 'localhost'}:{parts.port or 6379}"
    return (
        f"REDIS_URL ({where}) does not answer within {REDIS_TIMEOUT} seconds, and {NEED_REDIS[process]} cannot work "
        "without it. Start Redis, or set REDIS_URL to a Redis that answers."
    )


def startup_problems(process: str) -> list[str]:
    """What stops `process` from starting, one line each; empty when nothing does."""
    from django.conf import settings

    if process not in PROCESSES:
        raise ValueError(f"process must be one of {', '.join(PROCESSES)}")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", PROCESSES[process])
    try:
        settings.INSTALLED_APPS  # noqa: B018  (loads the settings module, running its validations)
    except ImproperlyConfigured as exc:
        return [str(exc)]
    problems = production_problems(settings) if getattr(settings, "CHECK_PRODUCTION_CONFIGURATION", False) else []
    if process in NEED_REDIS and settings.REDIS_URL:
        problems.append(redis_problem(process, settings.REDIS_URL))
    return [problem for problem in problems if problem]


def check_or_exit(process: str) -> None:
    """Return if `process` may start; otherwise print each problem on a line of its own to stderr,
    starting "Configuration error: ", and exit with EXIT_STATUS (no traceback)."""
    problems = startup_problems(process)
    if not problems:
        return
    for problem in problems:
        print(f"Configuration error: {problem}", file=sys.stderr)
    sys.stderr.flush()
    raise SystemExit(EXIT_STATUS)
