"""The notification outbox: plan what is due into rows, then send due rows exactly once.

Beat only ticks. Each tick plans (inserting rows; the unique key (recipient, kind, subject, period)
makes a second plan of the same thing a no-op) and sends: due rows are claimed with
SELECT ... FOR UPDATE SKIP LOCKED and moved to "sending" in one short transaction, then sent, then
marked "sent" with a conditional update. So two ticks at once, a retried task or a restarted beat never
send a row twice, and a worker killed mid-send leaves the row in "sending", surfaced to people (the
operations page, /healthz) rather than re-sent or dropped.

Delivery is humane: at the program's send hour in the recipient's own time zone, on working days,
computed with zoneinfo so daylight-saving changes keep the local hour.
"""

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives, mailers
from django.db import connection, connections, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from pairings.models import Pairing
from profiles.models import Person
from programs.selectors import program_invitations_to_announce, survey_respondents_due, surveys_open

from ..models import Notification, NotificationPreference

log = logging.getLogger(__name__)

Kind = Notification.Kind
State = Notification.State

ESSENTIAL = {Kind.ACCEPTANCE_PENDING, Kind.HR_OVERDUE}  # always emailed: someone is waiting on them
MAX_ATTEMPTS = 5
STALE_CLAIM = timedelta(minutes=15)
# A reminder planned after its send hour (a late change, the first tick after an outage) waits for the
# next working day's send hour rather than going out in the evening.
LATE_PLAN_GRACE = timedelta(minutes=10)
INACTIVITY_DAYS = 21
ACCEPTANCE_GRACE_DAYS = 3
AGREEMENT_GRACE_DAYS = 7
DEFAULT_SEND_HOUR = 9
# Program invitations are planned from rows this recent: a tick that was down for a day still sends them.
INVITATION_PLAN_WINDOW = timedelta(days=14)
UNSUBSCRIBE_SALT = "twoway.unsubscribe"

HR_KINDS = {Kind.HR_DIGEST, Kind.HR_OVERDUE}
LEADER_KINDS = {Kind.MONTHLY_REPORT}

__all__ = [
    "ESSENTIAL",
    "notification_kinds_for",
    "STALE_CLAIM",
    "local_send_time",
    "notification_mark_read",
    "notification_preference_set",
    "notification_retry",
    "notifications_plan",
    "notifications_send_due",
    "unsubscribe_token",
    "unsubscribe_with_token",
]


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local_send_time(*, day: date, zone: str, hour: int) -> datetime:
    """`hour` o'clock on `day` in `zone`, moved to the next working day if it falls on a weekend, in UTC.

    zoneinfo gives the right UTC offset on either side of a daylight-saving change, so the local hour
    stays the same all year.
    """
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return datetime.combine(day, time(hour), tzinfo=_zone(zone)).astimezone(UTC)


def _local_today(person: Person, now: datetime) -> date:
    return now.astimezone(_zone(person.time_zone)).date()


# --- Planning --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Plan:
    recipient: Person
    kind: str
    subject: str
    period: str
    title: str
    body: str
    link: str
    why: str
    hour: int


def _pairing_plans(pairing: Pairing, now: datetime) -> list[_Plan]:
    program = pairing.program
    plans = []
    home = reverse("checkins:home")
    detail = reverse("pairings:detail", args=[pairing.pk])
    people = [
        ("mentor", pairing.mentor.person, pairing.mentee.person),
        ("mentee", pairing.mentee.person, pairing.mentor.person),
    ]
    for side, person, partner in people:
        today = _local_today(person, now)

        def plan(kind, period, title, body, link, why, subject=f"pairing:{pairing.pk}", person=person):
            plans.append(_Plan(person, kind, subject, str(period), title, body, link, why, program.send_hour))

        if pairing.status == Pairing.Status.AWAITING:
            accepted = pairing.mentor_accepted_at if side == "mentor" else pairing.mentee_accepted_at
            waited = (today - pairing.created_at.date()).days
            if not accepted and waited >= ACCEPTANCE_GRACE_DAYS:
                plan(
                    Kind.ACCEPTANCE_PENDING,
                    pairing.created_at.date(),
                    _("%(name)s is waiting for your answer") % {"name": partner.full_name},
                    _("Please say whether you want to work together. Saying no is fine; only HR sees why."),
                    detail,
                    _("You haven't answered the pairing introduction for %(days)s days.") % {"days": waited},
                )
            continue
        if pairing.status != Pairing.Status.ACTIVE:
            continue
        agreement = getattr(pairing, "agreement", None)
        if agreement and not getattr(agreement, f"{side}_confirmed_at") and pairing.activated_at:
            if (today - pairing.activated_at.date()).days >= AGREEMENT_GRACE_DAYS:
                plan(
                    Kind.AGREEMENT_PENDING,
                    pairing.activated_at.date(),
                    _("Your agreement is waiting for you"),
                    _("Agree together how you'll work, add goals on both sides, then confirm."),
                    detail,
                    _("Your pairing started %(days)s days ago and you haven't confirmed the agreement yet.")
                    % {"days": (today - pairing.activated_at.date()).days},
                )
        due = pairing.next_checkin_due
        if due:
            if today <= due and (due - today).days <= program.reminder_days_before:
                plan(
                    Kind.CHECKIN_UPCOMING,
                    due,
                    _("Your check-in with %(name)s is due by %(date)s")
                    % {"name": partner.full_name, "date": due},
                    _("Plan it if you haven't, and download the calendar invite."),
                    home,
                    _("Your program reminds you %(days)s days before each check-in is due.")
                    % {"days": program.reminder_days_before},
                )
            elif today > due:
                plan(
                    Kind.CHECKIN_OVERDUE,
                    due,
                    _("Your check-in with %(name)s is overdue") % {"name": partner.full_name},
                    _("It was due on %(date)s. A short call counts: log it when it's done.") % {"date": due},
                    home,
                    _("The last check-in was more than %(days)s days ago (the pair's cadence).")
                    % {"days": pairing.cadence_days},
                )
        last = pairing.last_checkin_on or (pairing.activated_at.date() if pairing.activated_at else None)
        if last and (today - last).days >= INACTIVITY_DAYS:
            plan(
                Kind.INACTIVITY,
                last,
                _("Three weeks without a check-in"),
                _("Both of you are busy; a 20-minute call keeps the two-way street open."),
                home,
                _("No check-in has been logged since %(date)s.") % {"date": last},
            )
        if pairing.activated_at:
            weeks = (today - pairing.activated_at.date()).days // 7
            review = weeks // program.goal_review_weeks
            if review >= 1:
                plan(
                    Kind.GOAL_REVIEW,
                    f"review-{review}",
                    _("Time for a goal review"),
                    _("Where does each goal stand, on both sides?"),
                    reverse("checkins:goal_review", args=[pairing.pk]),
                    _("Your program asks for a goal review every %(weeks)s weeks.")
                    % {"weeks": program.goal_review_weeks},
                )
    return plans


def _survey_plans(now: datetime) -> list[_Plan]:
    plans = []
    for survey in surveys_open(today=now.date()):
        for person in survey_respondents_due(survey=survey):
            plans.append(
                _Plan(
                    person,
                    Kind.SURVEY,
                    f"survey:{survey.pk}",
                    "invite",
                    _("A few questions about %(program)s") % {"program": survey.program.name},
                    _("Two minutes: how is it going, and would you recommend it? Only HR sees your answers."),
                    reverse("programs:survey_respond", args=[survey.pk]),
                    _("The %(kind)s survey of your program is open until %(date)s.")
                    % {"kind": survey.get_kind_display().lower(), "date": survey.closes_on},
                    survey.program.send_hour,
                )
            )
    return plans


def _hr_plans(
    hr_people: list[Person], late_pairings: list[Pairing], now: datetime, digest: dict
) -> list[_Plan]:
    plans = []
    for person in hr_people:
        today = _local_today(person, now)
        for pairing in late_pairings:
            plans.append(
                _Plan(
                    person,
                    Kind.HR_OVERDUE,
                    f"pairing:{pairing.pk}",
                    str(pairing.next_checkin_due),
                    _("%(a)s and %(b)s are overdue by two cadences")
                    % {"a": pairing.mentor.person.full_name, "b": pairing.mentee.person.full_name},
                    _("Their check-in was due on %(date)s. You see dates, not what was said.")
                    % {"date": pairing.next_checkin_due},
                    reverse("checkins:pair_health"),
                    _("A pair more than two cadences late is escalated to HR."),
                    DEFAULT_SEND_HOUR,
                )
            )
        year, week, _weekday = today.isocalendar()
        plans.append(
            _Plan(
                person,
                Kind.HR_DIGEST,
                "hr",
                f"{year}-W{week:02d}",
                _("Your weekly Twoway digest"),
                _(
                    "%(risk)s pairs at risk, %(pending)s enrollments waiting for approval, %(concerns)s open "
                    "concerns, %(conflicts)s pairs flagged for a reporting-line conflict."
                )
                % digest,
                reverse("checkins:pair_health"),
                _("HR admins get a digest every Monday."),
                DEFAULT_SEND_HOUR,
            )
        )
    return plans


def _program_invitation_plans(now: datetime) -> list[_Plan]:
    """One message for each invitation HR sent to enroll in a program (planned once: the unique key)."""
    plans = []
    for invitation in program_invitations_to_announce(since=now - INVITATION_PLAN_WINDOW):
        program = invitation.program
        plans.append(
            _Plan(
                invitation.person,
                Kind.PROGRAM_INVITATION,
                f"program:{program.pk}",
                "invite",
                _("You are invited to join %(program)s") % {"program": program.name},
                _(
                    "Enrollment is open until %(date)s. Juniors mentor seniors, and both sides learn. Taking "
                    "part is voluntary and not tied to performance reviews, pay or promotion."
                )
                % {"date": program.enrollment_closes_on},
                reverse("programs:enroll", args=[program.pk]),
                _("HR invited %(audience)s to this program.") % {"audience": invitation.audience or _("you")},
                program.send_hour,
            )
        )
    return plans


def _report_plans(now: datetime) -> list[_Plan]:
    """The monthly report to every leader and HR admin in the directory, for the month just ended."""
    from checkins.dashboard.report import report_text, reported_month  # noqa: PLC0415 - reads the rollups

    month = reported_month(now.date())
    readers = list(
        Person.objects.filter(is_active=True, user__is_active=True).filter(
            Q(user__is_leader=True) | Q(user__is_hr_admin=True)
        )
    )
    if not readers:
        return []
    body = report_text(month=month)
    if body is None:
        return []
    title = _("Twoway in %(month)s: your monthly report") % {"month": date_format(month, "F Y")}
    return [
        _Plan(
            person,
            Kind.MONTHLY_REPORT,
            "report",
            month.strftime("%Y-%m"),
            title,
            body,
            reverse("dashboards:index"),
            _("Leaders and HR admins get the dashboard's headline figures once a month."),
            DEFAULT_SEND_HOUR,
        )
        for person in readers
    ]


def notifications_plan(*, now: datetime | None = None) -> int:
    """Insert a row for everything due at `now`. Idempotent: rows that exist are left as they are.

    Returns how many new rows were created.
    """
    from checkins.selectors import digest_figures  # noqa: PLC0415 - selectors import this module

    now = now or timezone.now()
    pairings = list(
        Pairing.objects.filter(status__in=Pairing.LIVE)
        .select_related("program", "agreement", "mentor__person", "mentee__person")
        .defer("agreement__confidentiality", "agreement__off_limits")
    )
    plans = [plan for pairing in pairings for plan in _pairing_plans(pairing, now)]
    late = [
        p
        for p in pairings
        if p.status == Pairing.Status.ACTIVE
        and p.next_checkin_due
        and (now.date() - p.next_checkin_due).days > p.cadence_days
    ]
    plans += _survey_plans(now)
    plans += _program_invitation_plans(now)
    # Once a month's report has been planned for everyone, there is nothing to add until the next one.
    plans += _report_plans(now) if _report_due(now) else []
    hr_people = list(Person.objects.filter(user__is_hr_admin=True, user__is_active=True, is_active=True))
    if hr_people:
        plans += _hr_plans(hr_people, late, now, digest_figures())

    def due_at(plan: _Plan) -> datetime:
        today = _local_today(plan.recipient, now)
        if plan.kind == Kind.HR_DIGEST:
            return local_send_time(day=_monday(today), zone=plan.recipient.time_zone, hour=plan.hour)
        due = local_send_time(day=today, zone=plan.recipient.time_zone, hour=plan.hour)
        if due < now - LATE_PLAN_GRACE:
            due = local_send_time(
                day=today + timedelta(days=1), zone=plan.recipient.time_zone, hour=plan.hour
            )
        return due

    before = Notification.objects.count()
    Notification.objects.bulk_create(
        [
            Notification(
                recipient=p.recipient,
                kind=p.kind,
                subject=p.subject,
                period=p.period,
                title=p.title[:200],
                body=p.body,
                link=p.link,
                why=p.why[:300],
                due_at=due_at(p),
            )
            for p in plans
        ],
        ignore_conflicts=True,
        batch_size=1000,
    )
    return Notification.objects.count() - before


def _report_due(now: datetime) -> bool:
    from checkins.dashboard.report import reported_month  # noqa: PLC0415

    period = reported_month(now.date()).strftime("%Y-%m")
    readers = Person.objects.filter(is_active=True, user__is_active=True).filter(
        Q(user__is_leader=True) | Q(user__is_hr_admin=True)
    )
    planned = Notification.objects.filter(kind=Kind.MONTHLY_REPORT, subject="report", period=period)
    return readers.exclude(pk__in=planned.values("recipient_id")).exists()


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


# --- Sending ---------------------------------------------------------------------------------------------


# The email needs these columns of the row and of its recipient, so the claim returns them too.
_CLAIMED_FIELDS = ["id", "recipient_id", "kind", "subject", "title", "body", "link", "why", "attempts"]
_RECIPIENT_FIELDS = ["id", "full_name", "email", "is_active"]
_CLAIM_ONE_SQL = """
WITH claimed AS (
    UPDATE checkins_notification SET state = 'sending', claimed_at = %s
    WHERE id = (
        SELECT id FROM checkins_notification
        WHERE state = 'pending' AND due_at <= %s AND (next_attempt_at IS NULL OR next_attempt_at <= %s)
        ORDER BY due_at, id LIMIT 1 FOR UPDATE SKIP LOCKED
    )
    RETURNING id, recipient_id, kind, subject, title, body, link, why, attempts
)
SELECT claimed.id, claimed.recipient_id, claimed.kind, claimed.subject, claimed.title, claimed.body,
       claimed.link, claimed.why, claimed.attempts,
       person.id, person.full_name, person.email, person.is_active
FROM claimed JOIN profiles_person person ON person.id = claimed.recipient_id
"""


def _loaded(model, values: dict):
    """An instance as the ORM would load it with only these columns (the others load on access)."""
    names = [f.attname for f in model._meta.concrete_fields if f.attname in values]
    return model.from_db(connection.alias, names, [values[name] for name in names])


def _claim(now: datetime, batch: int) -> list[Notification]:
    """Move up to `batch` due rows to "sending", each stamped with the moment it was claimed.

    SKIP LOCKED lets concurrent senders share the work without waiting on or repeating each other.
    On PostgreSQL one row is claimed in a single statement (one round trip, one commit) that also
    returns what its email needs; the other columns load on access, like a deferred queryset's.
    """
    if batch == 1 and connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_CLAIM_ONE_SQL, [timezone.now(), now, now])
            row = cursor.fetchone()
        if row is None:
            return []
        split = len(_CLAIMED_FIELDS)
        notification = _loaded(Notification, dict(zip(_CLAIMED_FIELDS, row[:split], strict=True)))
        notification.recipient = _loaded(Person, dict(zip(_RECIPIENT_FIELDS, row[split:], strict=True)))
        return [notification]
    with transaction.atomic():
        rows = list(
            Notification.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(state=State.PENDING, due_at__lte=now)
            .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
            .select_related("recipient")
            .order_by("due_at", "pk")[:batch]
        )
        if rows:
            Notification.objects.filter(pk__in=[r.pk for r in rows], state=State.PENDING).update(
                state=State.SENDING, claimed_at=timezone.now()
            )
    return rows


# Recording a send need not wait for the disk: losing this write in a database crash is safe (the row
# stays "sending" and is surfaced, never re-sent); the claim before it did wait. set_config(..., true)
# turns synchronous commit off for this statement's own transaction only.
_MARK_SENT_SQL = """
WITH no_wait AS (SELECT set_config('synchronous_commit', 'off', true))
UPDATE checkins_notification SET state = 'sent', sent_at = %s, attempts = %s, last_error = ''
FROM no_wait WHERE id = %s AND state = 'sending'
"""


def _mark_sent(notification: Notification) -> int:
    """Record a send, if the row is still this sender's claim."""
    attempts = notification.attempts + 1
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_MARK_SENT_SQL, [timezone.now(), attempts, notification.pk])
            return cursor.rowcount
    return Notification.objects.filter(pk=notification.pk, state=State.SENDING).update(
        state=State.SENT, sent_at=timezone.now(), attempts=attempts, last_error=""
    )


def unsubscribe_token(*, person_id: int, kind: str) -> str:
    return signing.dumps({"p": person_id, "k": kind}, salt=UNSUBSCRIBE_SALT)


def _message(notification: Notification) -> EmailMultiAlternatives:
    site = settings.SITE_URL
    unsubscribe = site + reverse(
        "checkins:unsubscribe",
        args=[unsubscribe_token(person_id=notification.recipient_id, kind=notification.kind)],
    )
    context = {
        "n": notification,
        "name": notification.recipient.full_name,
        "link": site + notification.link,
        "preferences": site + reverse("checkins:preferences"),
        "unsubscribe": unsubscribe,
        "essential": notification.kind in ESSENTIAL,
    }
    message = EmailMultiAlternatives(
        subject=render_to_string("emails/notification/subject.txt", context).strip(),
        body=render_to_string("emails/notification/body.txt", context),
        to=[notification.recipient.email],
        headers={
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        }
        if notification.kind not in ESSENTIAL
        else {},
    )
    message.attach_alternative(render_to_string("emails/notification/body.html", context), "text/html")
    return message


def _skip_reason(notification: Notification, email_off: set[tuple[int, str]], ended: set[str]) -> str:
    if notification.subject in ended:
        return _("the pairing has ended")
    if notification.kind not in ESSENTIAL and (notification.recipient_id, notification.kind) in email_off:
        return _("email is off for this kind")
    if not notification.recipient.is_active:
        return _("the person has left")
    return ""


def notifications_send_due(*, now: datetime | None = None, batch: int = 1, senders: int | None = None) -> int:
    """Send every due pending row once; returns how many were sent.

    Rows are claimed one at a time by default, just before their own send: a worker killed mid-send
    leaves only the rows it was sending in "sending" (surfaced, never re-sent), and every other row
    stays pending for the next sweep. A failure puts the row back to pending with a growing delay
    (5, 10, 20, 40 minutes); after MAX_ATTEMPTS it is marked failed, for HR to retry.

    On PostgreSQL `senders` (default settings.OUTBOX_SENDERS) threads share the sweep, each with its own
    database and SMTP connection and at most one row in "sending": while one waits for the disk or the
    mail server, another renders its email. SKIP LOCKED keeps them from claiming the same row. Inside a
    transaction the sweep stays in this thread, since other connections could not see its rows.
    """
    now = now or timezone.now()
    # Who turned email off, and which pairings ended: read once per sweep, not once per row.
    email_off = set(NotificationPreference.objects.filter(email=False).values_list("person_id", "kind"))
    ended = {
        f"pairing:{pk}"
        for pk in Pairing.objects.exclude(status__in=Pairing.LIVE).values_list("pk", flat=True)
    }
    senders = senders or settings.OUTBOX_SENDERS
    if senders <= 1 or connection.vendor != "postgresql" or connection.in_atomic_block:
        return _send_loop(now, batch, email_off, ended)
    with ThreadPoolExecutor(max_workers=senders, thread_name_prefix="outbox-sender") as pool:
        futures = [
            pool.submit(_on_own_connection, _send_loop, now, batch, email_off, ended) for _ in range(senders)
        ]
    return sum(future.result() for future in futures)


def _on_own_connection(function, *args):
    """Run `function` in a sender thread; its database connection is closed when it ends."""
    try:
        return function(*args)
    finally:
        connections.close_all()


def _send_loop(now: datetime, batch: int, email_off: set[tuple[int, str]], ended: set[str]) -> int:
    """Claim, send and record due rows until none is left; one SMTP connection for the whole loop."""
    sent = 0
    mailer = None
    while rows := _claim(now, batch):
        for notification in rows:
            reason = _skip_reason(notification, email_off, ended)
            if reason:
                Notification.objects.filter(pk=notification.pk, state=State.SENDING).update(
                    state=State.SKIPPED, skip_reason=reason
                )
                continue
            try:
                if mailer is None:
                    mailer = mailers.default
                    mailer.open()
                mailer.send_messages([_message(notification)])
            except Exception as exc:  # noqa: BLE001 - any failure is recorded on the row and retried
                _failed(notification, exc, now)
                _close(mailer)
                mailer = None  # reconnect for the next row: the server may be back
                continue
            sent += _mark_sent(notification)
    _close(mailer)
    return sent


def _close(mailer) -> None:
    if mailer is None:
        return
    try:
        mailer.close()
    except Exception:  # noqa: BLE001, S110 - closing a broken connection may fail too; nothing to do
        pass


def _failed(notification: Notification, exc: Exception, now: datetime) -> None:
    attempts = notification.attempts + 1
    error = f"{type(exc).__name__}: {exc}"[:2000]
    if attempts >= MAX_ATTEMPTS:
        update = {"state": State.FAILED}
    else:
        update = {"state": State.PENDING, "next_attempt_at": now + timedelta(minutes=5 * 2 ** (attempts - 1))}
    Notification.objects.filter(pk=notification.pk, state=State.SENDING).update(
        attempts=attempts, last_error=error, **update
    )


# --- People's choices and HR's operations ----------------------------------------------------------------


def notification_mark_read(*, person: Person, notification_id: int | None = None) -> int:
    """Mark one (or every) notification of the person as read."""
    rows = Notification.objects.filter(recipient=person, read_at__isnull=True)
    if notification_id is not None:
        rows = rows.filter(pk=notification_id)
    return rows.update(read_at=timezone.now())


def notification_kinds_for(*, user) -> set[str]:
    """The kinds a person can get, so the kinds they can choose: HR's and leaders' own only to them."""
    kinds = set(Kind.values)
    if not user.is_hr_admin:
        kinds -= HR_KINDS
    if not (user.is_hr_admin or user.is_leader):
        kinds -= LEADER_KINDS
    return kinds


def notification_preference_set(*, person: Person, kind: str, email: bool) -> NotificationPreference:
    """Turn email for a kind on or off. Essential kinds stay on: someone is waiting on them."""
    if kind in ESSENTIAL and not email:
        email = True
    preference, _created = NotificationPreference.objects.update_or_create(
        person=person, kind=kind, defaults={"email": email}
    )
    return preference


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


def notification_retry(*, notification_ids: list[int]) -> int:
    """HR sends failed rows, or rows stuck in "sending", again (a person decided it is safe to)."""
    return Notification.objects.filter(
        pk__in=notification_ids, state__in=[State.FAILED, State.SENDING]
    ).update(state=State.PENDING, next_attempt_at=None, claimed_at=None)
