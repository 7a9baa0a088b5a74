from celery import shared_task

from .outbox import notifications_send_now


@shared_task(
    name="profiles.tasks.send_notifications", autoretry_for=(OSError,), retry_backoff=True, max_retries=3
)
def send_notifications(ids: list[int]) -> int:
    """Send these outbox rows now (planned by an event that must not wait for the next tick). Safe to
    run twice: a row is claimed before it is sent, and one already sent is not claimed again."""
    return notifications_send_now(ids=ids)


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
