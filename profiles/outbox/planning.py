"""Planning messages: one row per message and channel, unique on (recipient, kind, subject, period,
channel), written inside the transaction of the event that causes it, so a message exists exactly when its
event happened. Planning decides every row (the email-and-in-app row, the person's Slack row, HR's Teams
row); delivery only sends them.

Delivery is humane: a reminder goes out at its program's send hour in the recipient's own time zone, on
a working day, computed with zoneinfo so daylight-saving changes keep the local hour. A message about
something that just happened goes at once, or on the next sweep.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.db import connection, transaction
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import pgettext

from ..models import Notification, NotificationPreference, Person, User
from .preferences import NOT_CHOSEN, TEAMS_KINDS, slack_configured, teams_configured

Channel = Notification.Channel


@dataclass(frozen=True)
class Message:
    """What a planner or an event asks the outbox to send: to whom, about what, and why."""

    recipient: Person | None
    kind: str
    subject: str  # what it is about: "pairing:12", "survey:3"
    period: str  # what makes it a new message: a day, a week, a state
    title: str
    body: str
    link: str  # a path of this site, or a full URL
    why: str  # why the app sent it, in plain words
    due_at: datetime | None = None  # None: now
    email: str = ""  # only for a recipient outside the directory (an account email to a login)
    in_app: bool = True


def language_of(reader: Person | User | None) -> str:
    """The language a message to this reader is written in: the one their login chose (User.language),
    else the site's (settings.LANGUAGE_CODE). A person's login is `person.user`: select_related it when
    composing for many people. Every message's words, dates and email are rendered in it."""
    if isinstance(reader, Person):
        reader = reader.user if reader.user_id else None
    language = getattr(reader, "language", "")
    return language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


def absolute_link(link: str) -> str:
    """A message's link as a reader follows it from their mail or chat: a path gets the site's address."""
    return link if link.startswith(("http://", "https://")) else settings.SITE_URL + link


def preferences_link() -> str:
    """The full address of the reader's email and chat choices, which every message's footer gives."""
    return _site_page("checkins:preferences", settings.SITE_URL, get_script_prefix(), get_urlconf())


@cache
def _site_page(name: str, site: str, prefix: str, urlconf: str | None) -> str:
    """A page that takes no arguments, once per `site`, script `prefix` and `urlconf` (reverse() costs 50
    microseconds, a twentieth of an email's)."""
    return site + reverse(name)


def date_text(day: date) -> str:
    """A day as a message writes it, in the language active (the reader's): "4 March 2025", "4. März 2025"."""
    return date_format(day, pgettext("a day in a message (Django date format)", "j F Y"))


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local_send_time(*, day: date, zone_name: str, hour: int) -> datetime:
    """`hour` o'clock on `day` in `zone_name`, moved to the next working day if it falls on a weekend, in
    UTC. zoneinfo gives the right offset on either side of a daylight-saving change."""
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return datetime.combine(day, time(hour), tzinfo=zone(zone_name)).astimezone(UTC)


def local_today(person: Person, now: datetime) -> date:
    """The day it is for this person, in their own time zone."""
    return now.astimezone(zone(person.time_zone)).date()


# A message planned after its send hour (a late change, the first tick after an outage) waits for the
# next working day's send hour rather than going out in the evening.
LATE_PLAN_GRACE = timedelta(minutes=10)


def next_send_time(*, person: Person, hour: int, now: datetime) -> datetime:
    """The person's next `hour` o'clock on a working day, in their own time zone: today's if it has not
    passed (give or take LATE_PLAN_GRACE), else the next working day's."""
    today = local_today(person, now)
    due = local_send_time(day=today, zone_name=person.time_zone, hour=hour)
    if due < now - LATE_PLAN_GRACE:
        due = local_send_time(day=today + timedelta(days=1), zone_name=person.time_zone, hour=hour)
    return due


_COLUMNS = (
    "recipient_id",
    "email",
    "kind",
    "subject",
    "period",
    "title",
    "body",
    "link",
    "why",
    "in_app",
    "channel",
    "state",
    "due_at",
    "attempts",
    "last_error",
    "skip_reason",
    "created_at",
)


def _row(message: Message, now: datetime, channel: str = Channel.EMAIL) -> tuple:
    """The row of one channel of a message. The email row is also the in-app one; a Teams row goes to
    HR's channel, so it has no recipient."""
    recipient = message.recipient if channel != Channel.TEAMS else None
    email = "" if channel == Channel.TEAMS else (message.email or (recipient.email if recipient else ""))
    return (
        recipient.pk if recipient else None,
        email.lower(),
        message.kind,
        message.subject[:60],
        message.period[:40],
        message.title[:200],
        message.body,
        message.link[:500],
        message.why[:300],
        message.in_app and channel == Channel.EMAIL,
        channel,
        Notification.State.PENDING,
        message.due_at or now,
        0,
        "",
        "",
        now,
    )


def _slack_rows(messages: list[Message], now: datetime) -> list[tuple]:
    """A Slack row for each message whose person chose Slack for its kind (Slack set up): one query per
    thousand messages, none without Slack."""
    if not slack_configured():
        return []
    rows = []
    candidates = [m for m in messages if m.recipient is not None and m.kind not in NOT_CHOSEN]
    for start in range(0, len(candidates), 1000):
        batch = candidates[start : start + 1000]
        chosen = set(
            NotificationPreference.objects.filter(
                slack=True, person_id__in={m.recipient.pk for m in batch}, kind__in={m.kind for m in batch}
            ).values_list("person_id", "kind")
        )
        rows += [_row(m, now, Channel.SLACK) for m in batch if (m.recipient.pk, m.kind) in chosen]
    return rows


def _teams_rows(messages: list[Message], now: datetime) -> list[tuple]:
    """One Teams row per HR event (Teams set up): the same message goes to every HR admin, each in their
    own language; the channel gets the one written in the site's language when there is one."""
    if not teams_configured():
        return []
    site = settings.LANGUAGE_CODE
    languages: dict[int, str] = {}  # a person's language, looked up once however many events name them

    def in_site_language(message: Message) -> bool:
        if message.recipient is None:
            return False
        if message.recipient.pk not in languages:
            languages[message.recipient.pk] = language_of(message.recipient)
        return languages[message.recipient.pk] == site

    events: dict[tuple[str, str, str], Message] = {}
    for m in messages:
        if m.kind not in TEAMS_KINDS:
            continue
        key = (m.kind, m.subject[:60], m.period[:40])
        if key not in events or (not in_site_language(events[key]) and in_site_language(m)):
            events[key] = m
    return [_row(m, now, Channel.TEAMS) for m in events.values()]


def plan(messages: Iterable[Message], *, now: datetime | None = None) -> list[int]:
    """Insert a row for each message, and one for each chat channel it goes to (the person's Slack, HR's
    Teams channel); one already planned (the same recipient, kind, subject, period and channel) is left
    as it is. A fixed number of queries per thousand messages. Returns the new rows' ids."""
    now = now or timezone.now()
    messages = list(messages)
    # A message with nobody to email (a notice for HR's channel alone) has only its chat rows.
    rows = [_row(m, now) for m in messages if m.recipient is not None or m.email]
    rows += _slack_rows(messages, now) + _teams_rows(messages, now)
    table = connection.ops.quote_name(Notification._meta.db_table)
    columns = ", ".join(_COLUMNS)
    placeholders = "(" + ", ".join(["%s"] * len(_COLUMNS)) + ")"
    ids: list[int] = []
    for start in range(0, len(rows), 1000):
        batch = rows[start : start + 1000]
        sql = (
            f"INSERT INTO {table} ({columns}) VALUES {', '.join([placeholders] * len(batch))} "  # noqa: S608 - our own table and columns
            "ON CONFLICT DO NOTHING RETURNING id"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [value for row in batch for value in row])
            ids += [row[0] for row in cursor.fetchall()]
    return ids


def notify(*messages: Message, at_once: bool = False) -> list[int]:
    """Plan messages as part of the transaction of the event that causes them.

    With at_once (a password reset, an invitation, a new concern for HR) the new rows are handed to the
    sender as soon as that transaction commits, rather than at the next tick; with the same guarantees,
    since the sender claims each row before sending it. Should the hand-over be lost (the broker down),
    the next sweep sends them. A rolled-back event plans nothing.
    """
    ids = plan(messages)
    if at_once and ids:
        from ..tasks import send_notifications  # noqa: PLC0415 - tasks import the outbox

        # robust: a broker that can't take the hand-over must not fail the event; the sweep sends them.
        transaction.on_commit(lambda: send_notifications.delay(ids), robust=True)
    return ids


def withdraw(*, subjects: list[str], kinds: list[str], reason: str, recipient: Person | None = None) -> int:
    """Take back messages about these subjects that have not gone yet (a pairing ended, an invitation was
    replaced): they are skipped with the reason and leave the in-app list; a secret link is wiped."""
    from .preferences import SECRET  # noqa: PLC0415

    if not subjects:
        return 0
    pending = Notification.objects.filter(
        subject__in=subjects, kind__in=kinds, state=Notification.State.PENDING
    )
    if recipient is not None:
        pending = pending.filter(recipient=recipient)
    pending.filter(kind__in=SECRET).update(body="", link="")
    return pending.update(state=Notification.State.SKIPPED, skip_reason=reason[:200], in_app=False)


def to_hr_admins(*, words: Callable[[], dict[str, str]], **fields) -> list[Message]:
    """The same message for every active HR admin: in the app and by email for those in the directory,
    by email alone for an HR login that has no directory entry (nobody who must know is left out).

    `words()` returns the texts (title, body, why); it is called in each admin's own language."""
    admins = User.objects.filter(is_active=True, is_hr_admin=True).select_related("person").order_by("pk")
    messages = []
    for user in admins:
        person = getattr(user, "person", None)
        with translation.override(language_of(user)):
            texts = words()
        if person is not None and person.is_active:
            messages.append(Message(recipient=person, **fields, **texts))
        else:
            messages.append(Message(recipient=None, email=user.email, in_app=False, **fields, **texts))
    return messages
