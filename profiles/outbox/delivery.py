"""Delivering the outbox: each due row claimed, sent and recorded, once.

A row is claimed just before its own send (one UPDATE ... FOR UPDATE SKIP LOCKED statement, so senders
share the work without waiting on or repeating each other), then marked sent with a conditional update
(on PostgreSQL in the statement that claims the sender's next row: one round trip a message).
What a failure means depends on where it happened:

- the mail server can't be reached (the connection fails): the row goes back untouched and email
  pauses for this sweep (Slack and Teams rows go on); an outage spends nobody's attempts, and the next
  sweep starts again;
- the server refused this message (a 4xx, or anything else about the row): one attempt is spent and it
  is retried after 5, 10, 20, 40 minutes, then marked failed for HR to look at; a 5xx refusal is failed
  at once (the server said it never will);
- the server may have taken the message but its answer was lost (a timeout or a dropped connection in
  the middle of the send): the row is "may have been sent", never sent again on its own; HR looks and
  says whether it arrived. A worker killed mid-send leaves its row in "sending", which is the same.

A Slack or Teams row (Notification.channel) is claimed and recorded the same way and sent by chat.py,
whose failures mean the same four things; a channel in trouble pauses alone. HR's Teams channel hears
once a day when a row failed or may have been sent.

Every attempt carries the row's own Message-ID, so a mail system that got a message twice (HR resending
one that had in fact arrived) can tell it is one message. One sweep runs at a time per worker (an
advisory lock named after the worker), so a worker strands at most OUTBOX_SENDERS rows in "sending".

Several workers share a large sweep: the tick asks for one sweep per ROWS_PER_SWEEP due rows (at most
SWEEPS_MAX) and every worker that takes one claims rows from the same queue of due rows, each row by
itself (SKIP LOCKED), so throughput grows with the workers and no row is taken twice. A sweep asked for
where one already runs (that worker's lock), or after the rows are gone, returns at once.
"""

import logging
import smtplib
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime, timedelta
from enum import Enum
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import mailers
from django.db import DatabaseError, connection, connections, transaction
from django.db.models import Q, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from ..models import Notification, NotificationPreference, Person, User
from .chat import ChatFailure, ChatSender, chat_skip_reason
from .invitations import invitation_for
from .mime import OutboxEmail
from .planning import Message, absolute_link, language_of, plan, preferences_link
from .preferences import ESSENTIAL, NOT_CHOSEN, SECRET, teams_configured, unsubscribe_token

log = logging.getLogger(__name__)

State = Notification.State
MAX_ATTEMPTS = 5
STALE_CLAIM = timedelta(minutes=15)
# One more worker's sweep per this many due rows (a smaller batch goes out in a second or two from the
# tick's own), up to SWEEPS_MAX sweeps: more than the workers only adds sweeps that find nothing to do.
ROWS_PER_SWEEP = 500
SWEEPS_MAX = 16


# --- Claiming -----------------------------------------------------------------------------------------------

_CLAIMED_FIELDS = [
    "id",
    "recipient_id",
    "email",
    "kind",
    "subject",
    "title",
    "body",
    "link",
    "why",
    "attempts",
    "created_at",
    "channel",
]
_RECIPIENT_FIELDS = ["id", "full_name", "email", "is_active", "user_id"]
_LOGIN_FIELDS = ["id", "language"]
# The row sent last is marked sent by the statement that claims the next (one round trip a message):
# it needs no more than the claim's own guarantees, and a worker that dies in between leaves it "sending",
# which is what it is ("may have been sent": it was).
_CLAIM_ONE_SQL = """
WITH sent AS (
    UPDATE profiles_notification SET state = 'sent', sent_at = %s, attempts = attempts + 1, last_error = ''
    WHERE id = %s AND state = 'sending'
    RETURNING id
), claimed AS (
    UPDATE profiles_notification SET state = 'sending', claimed_at = %s
    WHERE id = (
        SELECT id FROM profiles_notification
        WHERE state = 'pending' AND due_at <= %s AND (next_attempt_at IS NULL OR next_attempt_at <= %s)
        {only} {paused}
        ORDER BY due_at, id LIMIT 1 FOR UPDATE SKIP LOCKED
    )
    RETURNING id, recipient_id, email, kind, subject, title, body, link, why, attempts, created_at, channel
)
SELECT (SELECT count(*) FROM sent), claimed.*, person.id, person.full_name, person.email, person.is_active,
    person.user_id, login.id, login.language
FROM (SELECT 1) AS one LEFT JOIN claimed ON true
LEFT JOIN profiles_person person ON person.id = claimed.recipient_id
LEFT JOIN profiles_user login ON login.id = COALESCE(
    person.user_id,
    (SELECT id FROM profiles_user WHERE claimed.recipient_id IS NULL AND lower(email) = claimed.email)
)
"""


def _loaded(model, values: dict):
    """An instance as the ORM would load it with only these columns (the others load on access)."""
    names = [f.attname for f in model._meta.concrete_fields if f.attname in values]
    return model.from_db(connection.alias, names, [values[name] for name in names])


def _due(now: datetime) -> QuerySet[Notification]:
    """The rows due to be sent at `now`: pending, their time come, not waiting for a retry (the same
    condition as _CLAIM_ONE_SQL's)."""
    return Notification.objects.filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now), state=State.PENDING, due_at__lte=now
    )


@contextmanager
def _claims_in_due_order():
    """Claims made inside this walk the pending rows' index in due order whatever the table's statistics
    say (on PostgreSQL, one statement a claim). A morning's rows, planned a moment ago, are not in the
    statistics yet: autovacuum analyzes the table a minute or more later (never, when it is off), and a
    new deployment's table has never been analyzed. Believing a handful of rows pending, the planner
    reads every pending row and sorts them, for each claim: 2 ms instead of 0.1 at 5,000 rows, growing
    with the rows (O(n) a claim), and kept for the connection's life, since the claim is a prepared
    statement (tests/profiles/test_outbox_sweeps.py reproduces it). Sorting is taken off the planner's
    choices for the sender's session while it claims; the claim's index gives its order, so nothing
    else changes."""
    if not _on_one_statement():
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET enable_sort = off")
    try:
        yield
    finally:
        try:
            with connection.cursor() as cursor:
                cursor.execute("RESET enable_sort")
        except DatabaseError:  # a connection that broke mid-sweep is closed, and its setting with it
            pass


def _on_one_statement() -> bool:
    """Whether a claim is the one statement of _CLAIM_ONE_SQL (PostgreSQL, not inside a transaction)."""
    return connection.vendor == "postgresql" and not connection.in_atomic_block


def _claim(
    now: datetime, only: list[int] | None, paused: frozenset[str] = frozenset(), sent: int | None = None
) -> tuple[Notification | None, int]:
    """Move the next due row to "sending", stamped with the moment it was claimed, and return it, with
    how many rows it marked sent: the row `sent` (the id of the one sent last, which _sent() left to
    this statement), if it was still "sending". Rows of a `paused` channel (its service unreachable or
    rate-limiting in this sweep) are left for later.

    On PostgreSQL one statement (one round trip, one commit) that also returns what its email needs.
    """
    if _on_one_statement():
        sql = _CLAIM_ONE_SQL.format(
            only="AND id = ANY(%s)" if only is not None else "",
            paused="AND channel <> ALL(%s)" if paused else "",
        )
        at = timezone.now()
        params = [at, sent, at, now, now] + ([list(only)] if only is not None else [])
        params += [sorted(paused)] if paused else []
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            marked, *row = cursor.fetchone()
        if row[0] is None:
            return None, marked
        split, login_at = len(_CLAIMED_FIELDS), len(_CLAIMED_FIELDS) + len(_RECIPIENT_FIELDS)
        notification = _loaded(Notification, dict(zip(_CLAIMED_FIELDS, row[:split], strict=True)))
        person = dict(zip(_RECIPIENT_FIELDS, row[split:login_at], strict=True))
        login = dict(zip(_LOGIN_FIELDS, row[login_at:], strict=True))
        notification.recipient = _loaded(Person, person) if person["id"] is not None else None
        notification.login = _loaded(User, login) if login["id"] is not None else None
        if notification.recipient is not None:
            notification.recipient.user = notification.login
        return notification, marked
    if sent is not None:
        raise ValueError("only a claim on one statement marks the row sent before it")
    with transaction.atomic():
        rows = _due(now).select_for_update(skip_locked=True, of=("self",))
        if only is not None:
            rows = rows.filter(pk__in=only)
        if paused:
            rows = rows.exclude(channel__in=paused)
        notification = rows.select_related("recipient__user").order_by("due_at", "pk").first()
        if notification is not None:
            notification.login = (
                notification.recipient.user
                if notification.recipient
                else User.objects.filter(email__iexact=notification.email).first()
            )
            Notification.objects.filter(pk=notification.pk, state=State.PENDING).update(
                state=State.SENDING, claimed_at=timezone.now()
            )
    return notification, 0


# --- The email ----------------------------------------------------------------------------------------------


def message_id(notification: Notification) -> str:
    """The row's own Message-ID, the same on every attempt."""
    domain = urlsplit(settings.SITE_URL).hostname or "twoway.invalid"
    return f"<twoway.{notification.pk}.{int(notification.created_at.timestamp())}@{domain}>"


def _with_invitation(message: OutboxEmail, subject: str) -> OutboxEmail:
    """Add the calendar invitation of what the message is about, when there is one: as the calendar
    alternative (the invitation) and as an invite.ics attachment (for mail programs that show only
    attachments)."""
    invitation = invitation_for(subject)
    if invitation is None:
        return message
    ics, method = invitation
    message.calendar_method = method
    message.attach_alternative(ics.decode(), "text/calendar")
    message.attach("invite.ics", ics, "application/ics")
    return message


def _email(notification: Notification) -> OutboxEmail:
    """The row's email, its greeting and footer in the reader's language (its words already are)."""
    with override(language_of(notification.recipient or notification.login)):
        return _email_in_language(notification)


def _email_in_language(notification: Notification) -> OutboxEmail:
    recipient = notification.recipient
    to = notification.email or (recipient.email if recipient else "")
    essential = notification.kind in ESSENTIAL or recipient is None
    context = {
        "n": notification,
        "name": recipient.full_name if recipient else "",
        "link": absolute_link(notification.link) if notification.link else "",
        "preferences": preferences_link(),
        "essential": essential,
        # An invitation or a login email: the person asked for it (or HR did), so no email choices apply.
        "asked": notification.kind in NOT_CHOSEN,
        "unsubscribe": ""
        if essential
        else settings.SITE_URL
        + reverse(
            "checkins:unsubscribe", args=[unsubscribe_token(person_id=recipient.pk, kind=notification.kind)]
        ),
    }
    headers = {"Message-ID": message_id(notification)}
    if not essential:
        headers |= {
            "List-Unsubscribe": f"<{context['unsubscribe']}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        }
    message = OutboxEmail(
        subject=" ".join(render_to_string("emails/notification/subject.txt", context).split()),
        body=render_to_string("emails/notification/body.txt", context),
        to=[to],
        headers=headers,
    )
    message.attach_alternative(render_to_string("emails/notification/body.html", context), "text/html")
    return _with_invitation(message, notification.subject)


# --- What a failure means ---------------------------------------------------------------------------------------


class Outcome(Enum):
    UNREACHABLE = "unreachable"  # no connection to the mail server: put back, pause the sweep
    REFUSED = "refused"  # this message refused for now: an attempt spent, retried later
    REJECTED = "rejected"  # refused for good (5xx): failed at once
    UNCERTAIN = "uncertain"  # cut off mid-send: the server may have it


def classify(exc: BaseException) -> Outcome:
    """What a failure while sending one message means for its row."""
    if isinstance(exc, ChatFailure):  # Slack or Teams: chat.py says which, in these terms
        return Outcome(exc.outcome)
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _message in exc.recipients.values()]
        return Outcome.REJECTED if codes and all(code >= 500 for code in codes) else Outcome.REFUSED
    if isinstance(exc, smtplib.SMTPResponseException):
        return Outcome.REJECTED if exc.smtp_code >= 500 else Outcome.REFUSED
    if isinstance(exc, smtplib.SMTPServerDisconnected | TimeoutError | ConnectionError):
        return Outcome.UNCERTAIN
    return Outcome.REFUSED


def _update(notification: Notification, **values) -> int:
    if notification.kind in SECRET and values.get("state") in {State.SENT, State.FAILED, State.SKIPPED}:
        values |= {"body": "", "link": ""}  # the link worked like a password: not kept once used
    return Notification.objects.filter(pk=notification.pk, state=State.SENDING).update(**values)


def _sent(notification: Notification) -> tuple[int, int | None]:
    """Record that the row was sent: (how many rows this marked, the id the next claim is to mark). On
    one statement the next claim marks it (see _CLAIM_ONE_SQL); a row whose link worked like a password
    is marked here, with the link wiped."""
    if _on_one_statement() and notification.kind not in SECRET:
        return 0, notification.pk
    values = {"sent_at": timezone.now(), "attempts": notification.attempts + 1, "last_error": ""}
    return _update(notification, state=State.SENT, **values), None


def _after_failure(notification: Notification, exc: BaseException, outcome: Outcome, now: datetime) -> None:
    attempts = notification.attempts + 1
    error = f"{type(exc).__name__}: {exc}"[:2000]
    if outcome == Outcome.UNREACHABLE:
        # Not this row's fault: back to pending as it was, for the next sweep.
        _update(notification, state=State.PENDING, claimed_at=None, last_error=error)
    elif outcome == Outcome.UNCERTAIN:
        if _update(notification, state=State.UNCERTAIN, attempts=attempts, last_error=error):
            _tell_hr_channel(notification, now)
    elif outcome == Outcome.REJECTED or attempts >= MAX_ATTEMPTS:
        if _update(notification, state=State.FAILED, attempts=attempts, last_error=error):
            _tell_hr_channel(notification, now)
    else:
        retry = now + timedelta(minutes=5 * 2 ** (attempts - 1))
        # A chat service that said how long to wait (Retry-After) is not asked again sooner.
        retry = max(retry, now + timedelta(seconds=getattr(exc, "retry_after", None) or 0))
        _update(notification, state=State.PENDING, attempts=attempts, last_error=error, next_attempt_at=retry)


def _tell_hr_channel(notification: Notification, now: datetime) -> None:
    """HR's Teams channel hears, once a day at most, that a message failed or may have been sent: a row
    of its own (Teams only; HR admins see the same on the outbox page)."""
    if not teams_configured() or notification.kind == Notification.Kind.OUTBOX_FAILED:
        return
    with override(settings.LANGUAGE_CODE):
        message = Message(
            recipient=None,
            kind=Notification.Kind.OUTBOX_FAILED,
            subject="outbox",
            period=now.date().isoformat(),
            title=_("A message could not be sent"),
            body=_(
                "The outbox gave up on a message today, or lost the answer while sending it. Open the "
                "outbox to see which, then send it again or mark it as arrived."
            ),
            link=reverse("checkins:operations"),
            why=_("HR's channel hears once a day when a message needs someone to look at it."),
            in_app=False,
        )
    plan([message], now=now)


def _skip_reason(notification: Notification, email_off: set[tuple[int, str]]) -> str:
    recipient = notification.recipient
    if notification.channel != Notification.Channel.EMAIL and (reason := chat_skip_reason(notification)):
        return reason
    if recipient is None:
        return ""
    if (
        notification.channel == Notification.Channel.EMAIL
        and notification.kind not in ESSENTIAL
        and (recipient.pk, notification.kind) in email_off
    ):
        return _("email is off for this kind")
    if not recipient.is_active:
        return _("the person has left")
    return ""


# --- The sweep --------------------------------------------------------------------------------------------------


def _open(mailer) -> None:
    mailer.open()
    smtp = getattr(mailer, "connection", None)
    if smtp is not None:
        # A connection the server closed while idle fails here, before a message is on its way.
        status, _text = smtp.noop()
        if status != 250:
            raise smtplib.SMTPServerDisconnected(f"NOOP answered {status}")


def _close(mailer) -> None:
    if mailer is None:
        return
    try:
        mailer.close()
    except Exception:  # noqa: BLE001, S110 - closing a broken connection may fail too; nothing to do
        pass


def _send_loop(now: datetime, email_off: set[tuple[int, str]], only: list[int] | None) -> int:
    """Claim, send and record due rows until none is left. A channel whose service can't be reached (or
    is rate-limiting) pauses for the rest of this loop; the other channels go on."""
    with _claims_in_due_order():
        return _send_each(now, email_off, only)


def _send_each(now: datetime, email_off: set[tuple[int, str]], only: list[int] | None) -> int:
    sent = 0
    mailer = None
    chat = ChatSender()
    paused: set[str] = set()
    just_sent = None  # the row sent last, when the next claim is to mark it sent
    while True:
        notification, marked = _claim(now, only, frozenset(paused), just_sent)
        sent += marked
        if notification is None:
            break
        just_sent = None
        reason = _skip_reason(notification, email_off)
        if reason:
            _update(notification, state=State.SKIPPED, skip_reason=reason)
            continue
        if notification.channel != Notification.Channel.EMAIL:
            try:
                chat.send(notification)
            except Exception as exc:  # noqa: BLE001 - recorded on the row, as classify() says
                _after_failure(notification, exc, classify(exc), now)
                if getattr(exc, "pause", False):
                    log.warning("outbox: %s paused for this sweep (%s)", notification.channel, exc)
                    paused.add(notification.channel)
                continue
            marked, just_sent = _sent(notification)
            sent += marked
            continue
        try:
            email = _email(notification)
        except Exception as exc:  # noqa: BLE001 - a message that can't be built is this row's failure
            _after_failure(notification, exc, Outcome.REFUSED, now)
            continue
        if mailer is None:
            mailer = mailers.default
            try:
                _open(mailer)
            except Exception as exc:  # noqa: BLE001 - the server is unreachable: nobody's attempt spent
                log.warning("outbox paused: the mail server can't be reached (%s)", exc)
                _after_failure(notification, exc, Outcome.UNREACHABLE, now)
                _close(mailer)
                mailer = None
                paused.add(Notification.Channel.EMAIL)
                continue
        try:
            mailer.send_messages([email])
        except Exception as exc:  # noqa: BLE001 - recorded on the row, as classify() says
            _after_failure(notification, exc, classify(exc), now)
            _close(mailer)
            mailer = None  # reconnect for the next row
            continue
        marked, just_sent = _sent(notification)
        sent += marked
    _close(mailer)
    chat.close()
    return sent


def _on_own_connection(function, *args):
    """Run `function` in a sender thread; its database connection is closed when it ends."""
    try:
        return function(*args)
    finally:
        connections.close_all()


def _email_off() -> set[tuple[int, str]]:
    return set(NotificationPreference.objects.filter(email=False).values_list("person_id", "kind"))


def notifications_send_due(
    *, now: datetime | None = None, senders: int | None = None, worker: str = ""
) -> int:
    """Send every due pending row once; returns how many were sent.

    On PostgreSQL `senders` (settings.OUTBOX_SENDERS) threads share the sweep, each with its own database
    and SMTP connection and at most one row in "sending". A sweep already running in this `worker`
    (a redelivered tick overlapping the next) makes this one return at once. Inside a transaction, or
    on SQLite, the sweep stays in this thread.
    """
    now = now or timezone.now()
    email_off = _email_off()
    senders = senders or settings.OUTBOX_SENDERS
    if senders <= 1 or connection.vendor != "postgresql" or connection.in_atomic_block:
        return _send_loop(now, email_off, None)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(hashtext(%s))", [f"twoway-outbox-sweep:{worker}"])
        if not cursor.fetchone()[0]:
            log.info("outbox sweep skipped: another sweep of %s is running", worker or "this worker")
            return 0
    try:
        with ThreadPoolExecutor(max_workers=senders, thread_name_prefix="outbox-sender") as pool:
            futures = [
                pool.submit(_on_own_connection, _send_loop, now, email_off, None) for _ in range(senders)
            ]
        return sum(future.result() for future in futures)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(hashtext(%s))", [f"twoway-outbox-sweep:{worker}"])


def notifications_sweeps_wanted(*, now: datetime | None = None) -> int:
    """How many sweeps the rows due now call for: one per ROWS_PER_SWEEP rows, at least one, at most
    SWEEPS_MAX. Counts no further than that (a bounded scan of the claim order's index)."""
    now = now or timezone.now()
    due = _due(now).order_by().values("pk")[: ROWS_PER_SWEEP * SWEEPS_MAX]
    return max(1, min(SWEEPS_MAX, -(-due.count() // ROWS_PER_SWEEP)))


def notifications_send_now(*, ids: list[int]) -> int:
    """Send these rows now (a message that must not wait for the next tick), each once."""
    return _send_loop(timezone.now(), _email_off(), list(ids))


# --- HR's decisions --------------------------------------------------------------------------------------------


def may_have_been_sent_q() -> Q:
    """Rows whose send was cut off (the server's answer lost, a worker killed): only a person can tell."""
    return Q(state=State.UNCERTAIN) | Q(state=State.SENDING, claimed_at__lt=timezone.now() - STALE_CLAIM)


def notification_retry(*, notification_ids: list[int]) -> int:
    """HR sends again rows that failed, or that may have been sent and did not arrive (HR checked)."""
    return Notification.objects.filter(
        Q(state=State.FAILED) | may_have_been_sent_q(), pk__in=notification_ids
    ).update(state=State.PENDING, attempts=0, next_attempt_at=None, claimed_at=None)


def notification_confirm_sent(*, notification_ids: list[int]) -> int:
    """HR confirms that rows which may have been sent did arrive: they are sent, never sent again."""
    return Notification.objects.filter(may_have_been_sent_q(), pk__in=notification_ids).update(
        state=State.SENT, sent_at=timezone.now(), last_error=""
    )
