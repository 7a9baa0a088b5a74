"""The checks behind /healthz: each returns (ok, detail) and never raises."""

from django.conf import settings
from django.db import connection
from django.utils import timezone
from kombu import Connection

from checkins.selectors import heartbeat_last, stale_claims


def check_database() -> tuple[bool, str]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True, connection.vendor
    except Exception as exc:  # noqa: BLE001 - any failure means "down", and the message says why
        return False, f"{type(exc).__name__}: {exc}"


def check_broker() -> tuple[bool, str]:
    try:
        with Connection(
            settings.CELERY_BROKER_URL,
            transport_options=settings.CELERY_BROKER_TRANSPORT_OPTIONS,
            connect_timeout=2,
        ) as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
            return True, conn.transport.driver_type
    except Exception as exc:  # noqa: BLE001
        return False, f"{type(exc).__name__}: {exc}"


def check_beat() -> tuple[bool, str]:
    try:
        last = heartbeat_last()
    except Exception as exc:  # noqa: BLE001
        return False, f"{type(exc).__name__}: {exc}"
    if last is None:
        return False, "no tick recorded yet"
    age = (timezone.now() - last).total_seconds()
    ok = age <= settings.BEAT_STALE_AFTER_SECONDS
    return ok, f"last tick {int(age)} s ago at {last.isoformat()}"


def check_outbox() -> tuple[bool, str]:
    """A notification stuck in "sending" means a worker stopped mid-send: a person must look at it."""
    try:
        stale = stale_claims().count()
    except Exception as exc:  # noqa: BLE001
        return False, f"{type(exc).__name__}: {exc}"
    if stale:
        return False, f"{stale} notifications stuck in sending for over 15 minutes (see the operations page)"
    return True, "no stale claims"
