from celery import shared_task

from pairings.services import mentor_requests_expire, pairing_conflicts_recheck

from .services import heartbeat_record, notifications_plan, notifications_send_due


@shared_task(name="checkins.tasks.tick")
def tick() -> None:
    """Beat's periodic tick: what is due lives in the database, so every step here is idempotent."""
    heartbeat_record()
    # A directory import may have put a pair into one reporting line: flag it for HR.
    pairing_conflicts_recheck()
    mentor_requests_expire()
    # Plan what is due (idempotent rows), then send what is due, each row once.
    notifications_plan()
    notifications_send_due()
