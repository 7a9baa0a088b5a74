import logging

from celery import shared_task
from kombu.exceptions import OperationalError

from .outbox import notifications_send_due, notifications_send_now, notifications_sweeps_wanted

log = logging.getLogger(__name__)


@shared_task(
    name="profiles.tasks.send_notifications", autoretry_for=(OSError,), retry_backoff=True, max_retries=3
)
def send_notifications(ids: list[int]) -> int:
    """Send these outbox rows now (planned by an event that must not wait for the next tick). Safe to
    run twice: a row is claimed before it is sent, and one already sent is not claimed again."""
    return notifications_send_now(ids=ids)


@shared_task(bind=True, name="profiles.tasks.send_due_notifications")
def send_due_notifications(self) -> int:
    """One more sweep of the due rows, asked for by the tick when there are many, so that every free
    worker sends a share. Safe to run twice and at once: each row is claimed (SKIP LOCKED) before it is
    sent; a second sweep in the same worker, or one that comes after the rows are gone, returns at once."""
    return notifications_send_due(worker=self.request.hostname or "")


def sweeps_fan_out() -> int:
    """Ask other workers to join in sending the rows due now (the caller sweeps too): one more sweep per
    outbox.ROWS_PER_SWEEP due rows. Returns how many were asked for. A broker that can't take them only
    means fewer workers send: the caller's own sweep sends every row."""
    wanted = notifications_sweeps_wanted() - 1
    for asked in range(wanted):
        try:
            send_due_notifications.delay()
        except OperationalError as exc:
            log.warning("outbox: %d of %d more sweeps asked for, the broker refused (%s)", asked, wanted, exc)
            return asked
    return wanted


@shared_task(name="profiles.tasks.import_directory")
def import_directory(job_id: int) -> str:
    """Write a large directory import HR confirmed (profiles.services.directory_import_job_run). Safe to
    run twice: only a queued job is claimed."""
    from .services import directory_import_job_run

    job = directory_import_job_run(job_id=job_id)
    return job.state if job else "not queued"


@shared_task(name="profiles.tasks.scan_directory_drop")
def scan_directory_drop() -> int:
    """Import the new files of the HR system's drop folder (profiles.directory_drop), from the tick.
    Safe to run twice, at once too: a file already seen (name and SHA-256) creates nothing."""
    from .directory_drop import directory_drop_scan

    return len(directory_drop_scan())
