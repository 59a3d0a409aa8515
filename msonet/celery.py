"""The Celery application: Redis broker from REDIS_URL, in-process tasks without it."""

import os

from celery import Celery, signals

from msonet import logs  # noqa: F401 (its receivers write one line per task)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "msonet.settings.local")

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
