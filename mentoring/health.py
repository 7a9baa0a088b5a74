"""The checks behind /healthz: each returns (ok, detail) and never raises."""

import logging

from django.conf import settings
from django.db import connection
from django.utils import timezone
from kombu import Connection

from checkins.selectors import heartbeat_last
from profiles.outbox.selectors import may_have_been_sent

logger = logging.getLogger(__name__)


def _failed(check: str, exc: Exception) -> tuple[bool, str]:
    """Down. /healthz is public: it says what kind of failure, the log says the rest (hosts, addresses)."""
    logger.error("health check %s failed: %s: %s", check, type(exc).__name__, exc)
    return False, f"{type(exc).__name__} (see the log)"


def check_database() -> tuple[bool, str]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True, connection.vendor
    except Exception as exc:  # noqa: BLE001 - any failure means "down"
        return _failed("database", exc)


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
        return _failed("broker", exc)


def check_beat() -> tuple[bool, str]:
    try:
        last = heartbeat_last()
    except Exception as exc:  # noqa: BLE001
        return _failed("beat", exc)
    if last is None:
        return False, "no tick recorded yet"
    age = (timezone.now() - last).total_seconds()
    ok = age <= settings.BEAT_STALE_AFTER_SECONDS
    return ok, f"last tick {int(age)} s ago at {last.isoformat()}"


def check_outbox() -> tuple[bool, str]:
    """The outbox answers. Messages whose send was cut off wait for HR's decision on the operations page:
    they are reported here, but they do not make the app unhealthy (it serves every page)."""
    try:
        waiting = may_have_been_sent().count()
    except Exception as exc:  # noqa: BLE001
        return _failed("outbox", exc)
    if waiting:
        return True, f"{waiting} notifications may have been sent and wait for HR (see the operations page)"
    return True, "nothing waits for a decision"
