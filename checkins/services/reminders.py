"""Reminders and prompts: what is due, planned into the outbox on each tick.

Beat only ticks. Each tick plans a row for every reminder that is due (the outbox's unique key (recipient,
kind, subject, period) makes planning the same thing twice a no-op), at the program's send hour in each
person's own time zone, on a working day. The outbox (profiles.outbox) sends them, each once.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, override

from common.text import in_sentence
from pairings.messages import PAIRING_REMINDERS
from pairings.messages import subject as pairing_subject
from pairings.models import Pairing
from profiles.models import Notification, Person
from profiles.outbox import (
    Message,
    date_text,
    language_of,
    local_send_time,
    local_today,
    next_send_time,
    plan,
)
from profiles.selectors import hr_admin_people, report_readers
from programs.selectors import survey_respondents_due, surveys_open

Kind = Notification.Kind

INACTIVITY_DAYS = 21
ACCEPTANCE_GRACE_DAYS = 3
AGREEMENT_GRACE_DAYS = 7
DEFAULT_SEND_HOUR = 9

__all__ = ["notifications_plan"]


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


def _pairing_plans(pairing: Pairing, now: datetime, planned: set[tuple]) -> list[_Plan]:
    """What is due for the pair's two sides. A reminder already in `planned` (its row's key) is left
    out before its words are written: most ticks find nearly everything planned already."""
    program = pairing.program
    plans = []
    home = reverse("checkins:home")
    detail = reverse("pairings:detail", args=[pairing.pk])
    subject = pairing_subject(pairing)
    for side, person, partner in pairing.sides():
        language = language_of(person)  # each reminder in its reader's language
        today = local_today(person, now)

        def add(kind, period, link, words, person=person, language=language):
            if (person.pk, kind, subject, str(period)) in planned:
                return
            with override(language):
                title, body, why = words()
            plans.append(_Plan(person, kind, subject, str(period), title, body, link, why, program.send_hour))

        if pairing.is_awaiting:
            waited = (today - pairing.created_at.date()).days
            if not pairing.has_accepted(side) and waited >= ACCEPTANCE_GRACE_DAYS:
                add(
                    Kind.ACCEPTANCE_PENDING,
                    pairing.created_at.date(),
                    detail,
                    lambda partner=partner, waited=waited: (
                        _("%(name)s is waiting for your answer") % {"name": partner.full_name},
                        _(
                            "Please say whether you want to work together. Saying no is fine; only HR sees why."
                        ),
                        _("You haven't answered the pairing introduction for %(days)s days.")
                        % {"days": waited},
                    ),
                )
            continue
        if not pairing.is_active:
            continue
        agreement = getattr(pairing, "agreement", None)
        if agreement and not getattr(agreement, f"{side}_confirmed_at") and pairing.activated_at:
            days = (today - pairing.activated_at.date()).days
            if days >= AGREEMENT_GRACE_DAYS:
                add(
                    Kind.AGREEMENT_PENDING,
                    pairing.activated_at.date(),
                    detail,
                    lambda days=days: (
                        _("Your agreement is waiting for you"),
                        _("Agree together how you'll work, add goals on both sides, then confirm."),
                        _(
                            "Your pairing started %(days)s days ago and you haven't confirmed the agreement yet."
                        )
                        % {"days": days},
                    ),
                )
        due = pairing.next_checkin_due
        if due:
            if not pairing.is_overdue_on(today) and (due - today).days <= program.reminder_days_before:
                add(
                    Kind.CHECKIN_UPCOMING,
                    due,
                    home,
                    lambda partner=partner, due=due: (
                        _("Your check-in with %(name)s is due by %(date)s")
                        % {"name": partner.full_name, "date": date_text(due)},
                        _("Plan it if you haven't, and download the calendar invite."),
                        _("Your program reminds you %(days)s days before each check-in is due.")
                        % {"days": program.reminder_days_before},
                    ),
                )
            elif pairing.is_overdue_on(today):
                add(
                    Kind.CHECKIN_OVERDUE,
                    due,
                    home,
                    lambda partner=partner, due=due: (
                        _("Your check-in with %(name)s is overdue") % {"name": partner.full_name},
                        _("It was due on %(date)s. A short call counts: log it when it's done.")
                        % {"date": date_text(due)},
                        _("The last check-in was more than %(days)s days ago (the pair's cadence).")
                        % {"days": pairing.cadence_days},
                    ),
                )
        last = pairing.last_checkin_on or (pairing.activated_at.date() if pairing.activated_at else None)
        if last and (today - last).days >= INACTIVITY_DAYS:
            add(
                Kind.INACTIVITY,
                last,
                home,
                lambda last=last: (
                    _("Three weeks without a check-in"),
                    _("Both of you are busy; a 20-minute call keeps the two-way street open."),
                    _("No check-in has been logged since %(date)s.") % {"date": date_text(last)},
                ),
            )
        if pairing.activated_at:
            weeks = (today - pairing.activated_at.date()).days // 7
            review = weeks // program.goal_review_weeks
            if review >= 1:
                add(
                    Kind.GOAL_REVIEW,
                    f"review-{review}",
                    reverse("checkins:goal_review", args=[pairing.pk]),
                    lambda: (
                        _("Time for a goal review"),
                        _("Where does each goal stand, on both sides?"),
                        _("Your program asks for a goal review every %(weeks)s weeks.")
                        % {"weeks": program.goal_review_weeks},
                    ),
                )
    return plans


def _survey_plans(now: datetime) -> list[_Plan]:
    plans = []
    for survey in surveys_open(today=now.date()):
        for person in survey_respondents_due(survey=survey).select_related("user"):
            with override(language_of(person)):
                plans.append(
                    _Plan(
                        person,
                        Kind.SURVEY,
                        f"survey:{survey.pk}",
                        "invite",
                        _("A few questions about %(program)s") % {"program": survey.program.name},
                        _(
                            "Two minutes: how is it going, and would you recommend it? Only HR sees your answers."
                        ),
                        reverse("programs:survey_respond", args=[survey.pk]),
                        _("The %(kind)s survey of your program is open until %(date)s.")
                        % {
                            "kind": in_sentence(survey.get_kind_display()),
                            "date": date_text(survey.closes_on),
                        },
                        survey.program.send_hour,
                    )
                )
    return plans


def digest_text(digest: dict[str, int]) -> str:
    """The digest's one line, each count with its own plural ("1 open concern", "2 open concerns")."""
    parts = [
        ngettext("%(n)s pair at risk", "%(n)s pairs at risk", digest["risk"]) % {"n": digest["risk"]},
        ngettext(
            "%(n)s enrollment waiting for approval",
            "%(n)s enrollments waiting for approval",
            digest["pending"],
        )
        % {"n": digest["pending"]},
        ngettext("%(n)s open concern", "%(n)s open concerns", digest["concerns"]) % {"n": digest["concerns"]},
        ngettext(
            "%(n)s pair flagged for a reporting-line conflict",
            "%(n)s pairs flagged for a reporting-line conflict",
            digest["conflicts"],
        )
        % {"n": digest["conflicts"]},
    ]
    return ", ".join(parts) + "."


def _hr_plans(hr_people: list[Person], active: list[Pairing], now: datetime, digest: dict) -> list[_Plan]:
    plans = []
    for person in hr_people:
        with override(language_of(person)):
            # Each HR admin's own day, and the one rule of escalation (Pairing.escalates_on).
            today = local_today(person, now)
            for pairing in (p for p in active if p.escalates_on(today)):
                plans.append(
                    _Plan(
                        person,
                        Kind.HR_OVERDUE,
                        pairing_subject(pairing),
                        str(pairing.next_checkin_due),
                        _("%(a)s and %(b)s are overdue by more than a cadence")
                        % {"a": pairing.mentor.person.full_name, "b": pairing.mentee.person.full_name},
                        _("Their check-in was due on %(date)s. You see dates, not what was said.")
                        % {"date": date_text(pairing.next_checkin_due)},
                        reverse("checkins:pair_health"),
                        _(
                            "A pair whose check-in is overdue by more than its whole cadence is escalated to HR."
                        ),
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
                    digest_text(digest),
                    reverse("checkins:pair_health"),
                    _("HR admins get a digest every Monday."),
                    DEFAULT_SEND_HOUR,
                )
            )
    return plans


def _report_plans(now: datetime) -> list[_Plan]:
    """The monthly report to every leader and HR admin in the directory, for the month just ended."""
    from checkins.dashboard.report import report_text, reported_month  # noqa: PLC0415 - reads the rollups

    month = reported_month(now.date())
    readers = list(report_readers().select_related("user"))
    # The report in each of its readers' languages, composed once per language.
    words: dict[str, tuple[str, str, str]] = {}
    for language in sorted({language_of(person) for person in readers}):
        with override(language):
            body = report_text(month=month)
            if body is None:
                return []  # nothing to report, in any language
            title = _("Twoway in %(month)s: your monthly report") % {"month": date_format(month, "F Y")}
            why = _("Leaders and HR admins get the dashboard's headline figures once a month.")
            words[language] = (title, body, why)
    return [
        _Plan(
            person,
            Kind.MONTHLY_REPORT,
            "report",
            month.strftime("%Y-%m"),
            words[language_of(person)][0],
            words[language_of(person)][1],
            reverse("dashboards:index"),
            words[language_of(person)][2],
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
        .select_related("program", "agreement", "mentor__person__user", "mentee__person__user")
        .defer("agreement__confidentiality", "agreement__off_limits")
    )
    planned = _planned_pairing_reminders(now)
    plans = [p for pairing in pairings for p in _pairing_plans(pairing, now, planned)]
    plans += _survey_plans(now)
    # Once a month's report has been planned for everyone, there is nothing to add until the next one.
    plans += _report_plans(now) if _report_due(now) else []
    hr_people = list(hr_admin_people().select_related("user"))
    if hr_people:
        active = [p for p in pairings if p.is_active]
        plans += _hr_plans(hr_people, active, now, digest_figures())

    def due_at(p: _Plan) -> datetime:
        if p.kind == Kind.HR_DIGEST:
            monday = _monday(local_today(p.recipient, now))
            return local_send_time(day=monday, zone_name=p.recipient.time_zone, hour=p.hour)
        return next_send_time(person=p.recipient, hour=p.hour, now=now)

    messages = [
        Message(p.recipient, p.kind, p.subject, p.period, p.title, p.body, p.link, p.why, due_at=due_at(p))
        for p in plans
    ]
    return len(plan(messages, now=now))


# A pairing's reminders planned within this many days are looked up before planning (older ones cannot
# come due again: their period, a date or a review number, has passed).
PLANNED_LOOKBACK_DAYS = 120


def _planned_pairing_reminders(now: datetime) -> set[tuple]:
    """The keys (recipient, kind, subject, period) of the pairings' email reminders planned lately. Only
    spares the writing of words: the outbox's unique key is what makes planning twice a no-op."""
    return set(
        Notification.objects.filter(
            channel=Notification.Channel.EMAIL,
            kind__in=PAIRING_REMINDERS,
            created_at__gte=now - timedelta(days=PLANNED_LOOKBACK_DAYS),
        ).values_list("recipient_id", "kind", "subject", "period")
    )


def _report_due(now: datetime) -> bool:
    from checkins.dashboard.report import reported_month  # noqa: PLC0415

    period = reported_month(now.date()).strftime("%Y-%m")
    readers = report_readers()
    planned = Notification.objects.filter(kind=Kind.MONTHLY_REPORT, subject="report", period=period)
    return readers.exclude(pk__in=planned.values("recipient_id")).exists()


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())
