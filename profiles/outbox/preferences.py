"""What each person gets by email (every kind unless they turn it off, except the essential ones) and in
Slack (the kinds they turn on, when Slack is set up); which kinds HR's Teams channel carries."""

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.utils import timezone

from ..models import Notification, NotificationPreference, Person, User

Kind = Notification.Kind
UNSUBSCRIBE_SALT = "twoway.unsubscribe"

# Always emailed: someone is waiting on the reader, or the message is about their own login.
ESSENTIAL = frozenset(
    {
        Kind.ACCEPTANCE_PENDING,
        Kind.HR_OVERDUE,
        Kind.INVITATION,
        Kind.ACCOUNT,
        Kind.PAIRING_PROPOSED,
        Kind.MENTOR_REQUESTED,
        Kind.CONCERN_RAISED,
        Kind.CONFLICT_FLAGGED,
    }
)
# Sent by email only and never chosen: an invitation to sign up, the login's own emails.
NOT_CHOSEN = frozenset({Kind.INVITATION, Kind.ACCOUNT})
# Their body carries a link that works like a password (a sign-up or a reset link): it is wiped from
# the row once the email has gone (or has failed for good).
SECRET = frozenset({Kind.INVITATION, Kind.ACCOUNT})
HR_KINDS = frozenset(
    {
        Kind.HR_DIGEST,
        Kind.HR_OVERDUE,
        Kind.CONFLICT_FLAGGED,
        Kind.CONCERN_RAISED,
        Kind.IMPORT_HELD,
    }
)
LEADER_KINDS = frozenset({Kind.MONTHLY_REPORT})
# What HR's Teams channel carries: every message to HR admins, once per event (not once per admin), and
# the outbox's own notice that a message failed (to the channel alone). Their words are the email's, which
# name no concern's, note's or reflection's text.
TEAMS_KINDS = HR_KINDS | {Kind.OUTBOX_FAILED}
# Kinds for HR's channel alone: nobody chooses them.
CHANNEL_ONLY = frozenset({Kind.OUTBOX_FAILED})


def slack_configured() -> bool:
    """Slack is offered, and Slack rows planned, only with a bot token."""
    return bool(settings.SLACK_BOT_TOKEN)


def teams_configured() -> bool:
    return bool(settings.TEAMS_HR_WEBHOOK_URL)


def notification_kinds_for(*, user: User) -> set[str]:
    """The kinds a person can get, so the kinds they can choose: HR's and leaders' own only to them."""
    kinds = set(Kind.values) - NOT_CHOSEN - CHANNEL_ONLY
    if not user.is_hr_admin:
        kinds -= HR_KINDS
    if not (user.is_hr_admin or user.is_leader):
        kinds -= LEADER_KINDS
    return kinds


@transaction.atomic
def notification_preference_set(
    *, person: Person, kind: str, email: bool, slack: bool | None = None
) -> NotificationPreference:
    """Turn email (and, given, Slack) for a kind on or off. Essential kinds stay on by email: someone is
    waiting on them. Slack is never on for a kind that is not chosen (a sign-up or reset link stays in
    email). Slack left out (an unsubscribe link) keeps the person's Slack choice."""
    if kind in ESSENTIAL and not email:
        email = True
    defaults = {"email": email}
    if slack is not None:
        defaults["slack"] = slack and kind not in NOT_CHOSEN
    preference, _created = NotificationPreference.objects.update_or_create(
        person=person, kind=kind, defaults=defaults
    )
    return preference


def unsubscribe_token(*, person_id: int, kind: str) -> str:
    return signing.dumps({"p": person_id, "k": kind}, salt=UNSUBSCRIBE_SALT)


def unsubscribe_with_token(*, token: str) -> NotificationPreference | None:
    """The one-click link in each email: no login, a signed token naming the person and the kind."""
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    person = Person.objects.filter(pk=data.get("p")).first()
    if person is None or data.get("k") not in Kind.values:
        return None
    return notification_preference_set(person=person, kind=data["k"], email=False)


def notification_mark_read(*, person: Person, notification_id: int | None = None) -> int:
    """Mark one (or every) notification of the person as read."""
    rows = Notification.objects.filter(recipient=person, read_at__isnull=True)
    if notification_id is not None:
        rows = rows.filter(pk=notification_id)
    return rows.update(read_at=timezone.now())
