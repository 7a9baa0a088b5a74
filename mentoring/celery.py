"""The Celery app: configured from Django settings (namespace CELERY), tasks autodiscovered per app."""

import os

from celery import Celery
from celery.signals import beat_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mentoring.settings")

app = Celery("mentoring")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@beat_init.connect
def tick_when_beat_starts(sender=None, **kwargs):
    # Beat's first scheduled tick comes one interval after it starts; one tick now lets the health
    # check see a live beat at once instead of reporting it stale for five minutes.
    app.send_task("checkins.tasks.tick")
