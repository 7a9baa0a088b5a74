"""`make run`'s embedded default: SQLite under var/, kombu's filesystem broker, no service at all."""

import os
import secrets
import sqlite3
import subprocess
import sys

from tests.workers import ROOT, celery_worker, wait_for


def _embedded_env(var_dir) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(TWOWAY_VAR_DIR=str(var_dir), SECRET_KEY=secrets.token_urlsafe(50), DEBUG="true")
    return env


def _heartbeats(db_path):
    with sqlite3.connect(db_path) as db:
        return db.execute("SELECT name FROM checkins_heartbeat").fetchall()


def test_embedded_default_migrates_on_sqlite_and_runs_a_task_through_the_filesystem_broker(tmp_path):
    env = _embedded_env(tmp_path / "var")
    migrate = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert migrate.returncode == 0, migrate.stderr
    db_path = tmp_path / "var" / "twoway.sqlite3"
    assert db_path.exists()
    assert _heartbeats(db_path) == []

    # celery_worker starts from this process's environment: blank the service URLs explicitly.
    worker_env = {**env, "DATABASE_URL": "", "REDIS_URL": ""}
    with celery_worker(worker_env, log_path=tmp_path / "worker.log"):
        send = subprocess.run(
            [sys.executable, "manage.py", "shell", "-c", "from checkins.tasks import tick; tick.delay()"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert send.returncode == 0, send.stderr
        wait_for(lambda: _heartbeats(db_path), timeout=60, what="the tick to run on the embedded broker")
        # The tick also asks for the dashboards' first build and the day's notes retention, which run on
        # SQLite too.
        wait_for(
            lambda: {("dashboard",), ("notes-retention",)} <= set(_heartbeats(db_path)),
            timeout=60,
            what="the dashboard rollups and the retention job on SQLite",
        )
    assert sorted(_heartbeats(db_path)) == [("beat",), ("dashboard",), ("notes-retention",)]
    assert "filesystem" in (tmp_path / "worker.log").read_text()
