from celery import shared_task

from . import services


@shared_task(name="pairings.tasks.run_matching", autoretry_for=(OSError,), retry_backoff=True, max_retries=3)
def run_matching(run_id: int) -> None:
    # Idempotent: only a queued run is claimed, so a retried task does nothing the second time.
    services.match_run_execute(run_id=run_id)
