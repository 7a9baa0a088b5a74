from celery import shared_task

from .outbox import notifications_send_now


@shared_task(
    name="profiles.tasks.send_notifications", autoretry_for=(OSError,), retry_backoff=True, max_retries=3
)
def send_notifications(ids: list[int]) -> int:
    """Send these outbox rows now (planned by an event that must not wait for the next tick). Safe to
    run twice: a row is claimed before it is sent, and one already sent is not claimed again."""
    return notifications_send_now(ids=ids)
