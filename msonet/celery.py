"""The Celery application: Redis broker from REDIS_URL, in-process tasks without it."""

import os
import sys
from pathlib import Path

from celery import Celery, signals

from msonet import logs  # noqa: F401 (its receivers write one line per task)

# Celery's commands, the first of which on the command line is the one this process runs.
CELERY_COMMANDS = {
    "amqp", "beat", "call", "control", "events", "graph", "inspect", "list", "logtool", "migrate",
    "multi", "purge", "report", "result", "shell", "status", "upgrade", "worker",
}  # fmt: skip


def celery_command(argv: list[str]) -> str | None:
    """The Celery command this process runs (`celery -A msonet worker` gives "worker"), or None when
    it is not the celery program (the web server and manage.py import this module too)."""
    program = Path(argv[0]) if argv else Path()
    if program.name != "celery" and program.parts[-2:] != ("celery", "__main__.py"):
        return None
    return next((arg for arg in argv[1:] if arg in CELERY_COMMANDS), None)


# The celery program runs the local settings unless told otherwise. Anything else that imports this
# module (every import of msonet does) chooses its own: manage.py the local settings, msonet.wsgi the
# production ones.
_command = celery_command(sys.argv)
if _command is not None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "msonet.settings.local")
# A worker or beat checks its configuration (and that Redis answers) before Celery reads the
# settings, so that a bad one stops it with one line rather than a traceback (msonet.startup).
if _command in ("worker", "beat"):
    from msonet.startup import check_or_exit

    check_or_exit(_command)

app = Celery("msonet")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.setup_logging.connect
def _use_the_portals_logging(loglevel=None, **kwargs):
    """The worker and beat log as the web processes do (settings.LOGGING), not in Celery's own
    format. In JSON (production) the level is LOG_LEVEL; in text (development and the tests'
    workers) --loglevel sets it, and Celery's own line per task is kept."""
    import logging
    import logging.config

    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)
    if settings.LOG_FORMAT == "text" and loglevel:
        logging.getLogger().setLevel(loglevel)
