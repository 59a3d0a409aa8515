"""The Celery application: Redis broker from REDIS_URL, in-process tasks without it."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "msonet.settings.local")

app = Celery("msonet")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
