"""Reads of the outbox: a person's notifications and unread count, and HR's view of delivery."""

from datetime import UTC, datetime

from django.db.models import Count, QuerySet
from django.utils import timezone

from common.db import CompiledValues

from ..models import Notification, NotificationPreference, Person
from .delivery import STALE_CLAIM, may_have_been_sent_q

State = Notification.State


def _in_app(*, person_id: int, now: datetime) -> QuerySet[Notification]:
    """What a person sees in the app at `now`: their in-app messages that are due."""
    return Notification.objects.filter(recipient_id=person_id, in_app=True, due_at__lte=now)


def notifications_of(*, person: Person) -> QuerySet[Notification]:
    """What a person sees in the app: their messages that are due, newest first."""
    return _in_app(person_id=person.pk, now=timezone.now()).order_by("-due_at", "-pk")


def _unread(*, person_id: int, now: datetime) -> QuerySet:
    """The definition of a person's unread count: what they see in the app, not yet read."""
    return (
        _in_app(person_id=person_id, now=now)
        .filter(read_at__isnull=True)
        .order_by()
        .values("recipient_id")
        .annotate(n=Count("pk"))
        .values("n")
    )


# Every page's navigation shows it: compiled once per process (common.db.CompiledValues). The samples are
# values no page has.
_unread_counted = CompiledValues(
    _unread, person_id=-27182, now=datetime(2000, 1, 1, 0, 0, 0, 271828, tzinfo=UTC)
)


def unread_count(*, person: Person) -> int:
    rows = _unread_counted(person_id=person.pk, now=timezone.now())
    return rows[0]["n"] if rows else 0


def email_off_kinds(*, person: Person) -> set[str]:
    return set(
        NotificationPreference.objects.filter(person=person, email=False).values_list("kind", flat=True)
    )


def slack_on_kinds(*, person: Person) -> set[str]:
    return set(
        NotificationPreference.objects.filter(person=person, slack=True).values_list("kind", flat=True)
    )


def stale_claims() -> QuerySet[Notification]:
    """Rows a worker claimed more than 15 minutes ago and never finished: maybe sent, maybe not."""
    return Notification.objects.filter(state=State.SENDING, claimed_at__lt=timezone.now() - STALE_CLAIM)


def may_have_been_sent() -> QuerySet[Notification]:
    """Rows whose send was cut off (the server's answer lost, a worker killed): a person decides."""
    return Notification.objects.filter(may_have_been_sent_q())


def outbox_overview() -> dict:
    counts = dict(Notification.objects.values_list("state").annotate(n=Count("pk")).order_by())
    return {
        "counts": [(label, counts.get(value, 0), value) for value, label in State.choices],
        "failures": list(
            Notification.objects.filter(state=State.FAILED)
            .select_related("recipient")
            .order_by("-due_at")[:100]
        ),
        "uncertain": list(may_have_been_sent().select_related("recipient").order_by("claimed_at")[:100]),
        "retrying": list(
            Notification.objects.filter(state=State.PENDING, attempts__gt=0)
            .select_related("recipient")
            .order_by("next_attempt_at")[:100]
        ),
        "recent": list(
            Notification.objects.filter(state=State.SENT)
            .select_related("recipient")
            .order_by("-sent_at")[:20]
        ),
    }
