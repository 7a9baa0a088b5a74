from celery import shared_task

from .services import heartbeat_record


@shared_task(name="checkins.tasks.tick")
def tick() -> None:
    """Beat's periodic tick. For now it records a heartbeat; the reminder sweep will hang on it."""
    heartbeat_record()
