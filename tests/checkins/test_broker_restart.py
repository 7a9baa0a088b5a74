"""The broker restarting under a worker in the middle of a tick: the next tick still runs.

A fault run saw the worker exit ("Unrecoverable error: AttributeError('NoneType' object has no attribute
'hostname')" in kombu, right after "Restoring 1 unacknowledged message"), and `make run` then stopped
web and beat too. Now `bin/keep-running` starts the worker again (as compose's restart policy does), so
beat's next tick is run. On a Redis of this test's own, so the suite's broker is never touched.
"""

import subprocess
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from checkins import services
from checkins.selectors import heartbeat_last
from checkins.tasks import tick
from mentoring.celery import app
from profiles.models import Notification
from tests.smtp import SmtpServer, free_port
from tests.workers import CELERY, ROOT, database_url_of_test_db, wait_for

from .test_outbox_reliability import _active_pairings, _overdue


def _redis(port: int) -> subprocess.Popen:
    process = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for(lambda: _answers(port), timeout=10, what="the test's own Redis")
    return process


def _answers(port: int) -> bool:
    import redis

    try:
        return redis.Redis(port=port, socket_connect_timeout=0.5).ping()
    except redis.exceptions.ConnectionError:
        return False


def _send_tick(broker_url: str) -> None:
    with app.connection_for_write(broker_url) as connection:
        tick.apply_async(connection=connection)


@pytest.mark.django_db(transaction=True)
def test_a_broker_restart_mid_tick_does_not_stop_the_next_tick(tmp_path):
    port = free_port()
    broker_url = f"redis://127.0.0.1:{port}/0"
    redis_server = _redis(port)
    smtp = SmtpServer().start()
    log_path = tmp_path / "worker.log"
    worker = None
    try:
        _overdue(_active_pairings(2), on=timezone.localdate())
        services.notifications_plan()
        Notification.objects.update(due_at=timezone.now() - timedelta(minutes=1))
        env = {
            "DATABASE_URL": database_url_of_test_db(),
            "REDIS_URL": broker_url,
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(smtp.port),
            "OUTBOX_SENDERS": "1",
            "KEEP_RUNNING_PAUSE": "1",
            "PATH": "/usr/bin:/bin",
        }
        import os

        with open(log_path, "wb") as log:
            worker = subprocess.Popen(
                [
                    str(ROOT / "bin" / "keep-running"),
                    "worker",
                    CELERY,
                    "-A",
                    "mentoring",
                    "worker",
                    "--pool",
                    "solo",
                    "--loglevel",
                    "INFO",
                    "--without-mingle",
                    "--without-gossip",
                ],
                cwd=ROOT,
                env={**os.environ, **env},
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        wait_for(lambda: b"ready." in log_path.read_bytes(), timeout=60, what="the worker")

        # A tick is in the middle of sending when the broker goes away and comes back.
        smtp.hold_next()
        _send_tick(broker_url)
        wait_for(lambda: smtp.held == 1, timeout=30, what="the tick to be sending")
        redis_server.kill()
        redis_server.wait()
        time.sleep(1)
        redis_server = _redis(port)
        smtp.release()

        before = heartbeat_last()
        time.sleep(1)
        _send_tick(broker_url)
        wait_for(
            lambda: (last := heartbeat_last()) is not None and last > before,
            timeout=90,
            what=f"the next tick to run after the restart:\n{log_path.read_text()[-3000:]}",
        )
        # And every message still went out once, whatever the worker did meanwhile.
        wait_for(lambda: smtp.count == Notification.objects.count(), timeout=30, what="the rest of the sweep")
        assert Notification.objects.exclude(state=Notification.State.SENT).count() == 0
    finally:
        if worker is not None:
            worker.terminate()
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()
        redis_server.kill()
        smtp.stop()


def test_keep_running_starts_a_command_again_and_stops_with_it(tmp_path):
    marker = tmp_path / "runs"
    script = f"echo run >> {marker}; exit 3"
    process = subprocess.Popen(
        [str(Path(ROOT) / "bin" / "keep-running"), "demo", "bash", "-c", script],
        env={"KEEP_RUNNING_PAUSE": "0.2", "PATH": "/usr/bin:/bin"},
        stderr=subprocess.PIPE,
    )
    wait_for(lambda: marker.exists() and marker.read_text().count("run") >= 3, timeout=10, what="3 runs")
    process.terminate()
    process.wait(timeout=10)
    assert b"demo stopped (exit 3); starting it again" in process.stderr.read()
