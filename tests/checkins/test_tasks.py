import pytest

from checkins.models import Heartbeat
from checkins.selectors import heartbeat_last
from checkins.services import heartbeat_record
from checkins.tasks import tick
from tests.workers import celery_worker, database_url_of_test_db, wait_for


@pytest.mark.django_db
def test_heartbeat_record_is_idempotent_and_moves_forward():
    first = heartbeat_record()
    second = heartbeat_record()
    assert Heartbeat.objects.count() == 1
    assert second.last_beat_at >= first.last_beat_at
    assert heartbeat_last() == second.last_beat_at


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_on_redis_runs_the_tick(tmp_path, settings):
    assert settings.CELERY_BROKER_URL.startswith("redis://"), "this test is about the Redis broker"
    assert heartbeat_last() is None
    with celery_worker({"DATABASE_URL": database_url_of_test_db()}, log_path=tmp_path / "worker.log"):
        tick.delay()
        wait_for(heartbeat_last, timeout=30, what="the worker to record the tick")
    log = (tmp_path / "worker.log").read_text()
    assert "checkins.tasks.tick" in log and "succeeded" in log
