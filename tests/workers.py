"""Real Celery worker processes for tests: started as a user would start them, stopped afterwards."""

import os
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
CELERY = str(Path(sys.executable).with_name("celery"))


def database_url_of_test_db() -> str:
    """The URL of the database this test session really uses (pytest-django's test_ database)."""
    s = connection.settings_dict
    return f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def wait_for(predicate, *, timeout: float, interval: float = 0.2, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


@contextmanager
def celery_worker(env: dict[str, str], *, log_path: Path, concurrency: int = 1, name: str = "test"):
    """Run `celery -A mentoring worker` until the block ends; the log is kept for failure messages.
    With `concurrency` above 1, a prefork pool: tasks of one worker run side by side. Workers started side
    by side need each their own `name` (a worker's outbox sweep lock is named after it)."""
    pool = (
        ["--pool", "solo"] if concurrency == 1 else ["--pool", "prefork", "--concurrency", str(concurrency)]
    )
    full_env = {**os.environ, **env}
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [
                CELERY,
                "-A",
                "mentoring",
                "worker",
                *pool,
                "--loglevel",
                "INFO",
                "--without-mingle",
                "--without-gossip",
                "--hostname",
                f"{name}-{os.getpid()}@%h",
            ],
            cwd=ROOT,
            env=full_env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for(
            lambda: b"ready." in log_path.read_bytes() or process.poll() is not None,
            timeout=60,
            what="the worker to be ready",
        )
        if process.poll() is not None:
            raise AssertionError(f"worker exited early:\n{log_path.read_text()}")
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
