from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from checkins.services import heartbeat_record


@pytest.mark.django_db
def test_healthz_is_200_when_database_broker_and_beat_are_fine(client):
    heartbeat_record()
    response = client.get("/healthz")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"]["ok"] and body["checks"]["database"]["detail"] == "postgresql"
    assert body["checks"]["broker"]["ok"] and body["checks"]["broker"]["detail"] == "redis"
    assert body["checks"]["beat"]["ok"]


@pytest.mark.django_db
def test_healthz_is_503_when_the_broker_is_unreachable(client, settings):
    heartbeat_record()
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unhealthy"
    assert body["checks"]["broker"]["ok"] is False
    assert body["checks"]["database"]["ok"] is True


@pytest.mark.django_db
def test_healthz_is_503_when_beat_never_ticked(client):
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["beat"] == {"ok": False, "detail": "no tick recorded yet"}


@pytest.mark.django_db
def test_healthz_is_503_when_the_last_tick_is_stale(client, settings):
    with time_machine.travel(timezone.now() - timedelta(seconds=settings.BEAT_STALE_AFTER_SECONDS + 5)):
        heartbeat_record()
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["beat"]["ok"] is False
