from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from common.counts import counts_compact
from pairings.services import (
    mentor_requests_expire,
    pairing_conflicts_recheck,
    pairings_complete_closed_programs,
)
from profiles.outbox import notifications_send_due
from profiles.tasks import scan_directory_drop, sweeps_fan_out

from .services import heartbeat_record, notifications_plan


@shared_task(bind=True, name="checkins.tasks.tick")
def tick(self) -> int:
    """Beat's periodic tick: what is due lives in the database, so every step here is idempotent.
    Returns how many messages this worker's sweep sent."""
    heartbeat_record()
    # A directory import may have put a pair into one reporting line: flag it for HR.
    pairing_conflicts_recheck()
    mentor_requests_expire()
    # A program HR closed since the last tick: its pairs are completed, so nobody is reminded any more.
    pairings_complete_closed_programs()
    # Many rows already due (a morning's reminders): the other workers start sending them while this
    # one plans; each row is claimed by one sweep alone.
    sweeps_fan_out()
    # Plan what is due (idempotent rows), then send what is due, each row once.
    if notifications_plan():
        sweeps_fan_out()
    # One sweep per worker at a time (a slow tick never stacks sweeps); workers sweep side by side.
    sent = notifications_send_due(worker=self.request.hostname or "")
    # The dashboards' figures, when the last build is older than DASHBOARD_REFRESH_MINUTES.
    if dashboard_due():
        rebuild_dashboard.delay()
    # The HR system's file drop, when DIRECTORY_DROP_DIR is set: new files become directory imports
    # (in a task of its own: reading a large file must not hold up the reminders).
    if settings.DIRECTORY_DROP_DIR:
        scan_directory_drop.delay()
    # The lists' kept totals (common.counts): each counter's rows folded into one.
    counts_compact()
    # Once a day: notes of programs closed longer than NOTES_RETENTION_MONTHS are purged.
    if retention_due():
        notes_retention_purge.delay()
    return sent


RETENTION_HEARTBEAT = "notes-retention"


def retention_due() -> bool:
    from .selectors import heartbeat_last

    purged = heartbeat_last(name=RETENTION_HEARTBEAT)
    return purged is None or timezone.now() - purged >= timedelta(days=1)


def dashboard_due() -> bool:
    from .dashboard.rollup import DASHBOARD_HEARTBEAT
    from .selectors import heartbeat_last

    built = heartbeat_last(name=DASHBOARD_HEARTBEAT)
    return built is None or timezone.now() - built >= timedelta(minutes=settings.DASHBOARD_REFRESH_MINUTES)


@shared_task(name="checkins.tasks.rebuild_dashboard")
def rebuild_dashboard() -> dict:
    """Rebuild the dashboards' rollups. Safe to run twice at once: the second waits, then rebuilds."""
    from .dashboard import pages
    from .dashboard.rollup import DASHBOARD_HEARTBEAT, rollup_rebuild
    from .selectors import heartbeat_last

    result = rollup_rebuild()
    # The views leaders open most, rendered now: their first visit after the build is served at once.
    result["pages_warmed"] = pages.warm(built_at=heartbeat_last(name=DASHBOARD_HEARTBEAT))
    return result


@shared_task(name="checkins.tasks.notes_retention_purge")
def notes_retention_purge() -> dict:
    """Daily (from the tick): blank the notes of programs closed longer than NOTES_RETENTION_MONTHS,
    through the personal-data registry, and forget old once-only form tokens. Safe to run twice: a
    second run finds nothing left to blank."""
    from common.once import form_submissions_forget
    from common.personal_data import personal_data_purge_expired

    result = personal_data_purge_expired()
    result["form_tokens_forgotten"] = form_submissions_forget()
    heartbeat_record(name=RETENTION_HEARTBEAT)
    return result
