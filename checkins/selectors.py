"""Reads of the pair's relationship, each in a fixed number of queries, and the privacy rules for them.

Who sees what (each rule has a test):
- a Reflection's rating and private notes: its author only;
- shared notes, what each side learned and would change: the two people of the pair only;
- a Concern: the person who raised it, and HR;
- HR: dates, counts and statuses, never the text of notes or reflections;
- leaders: aggregates only.
"""

from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, time, timedelta
from functools import partial, reduce
from operator import or_

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import (
    BooleanField,
    Case,
    Count,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    F,
    Func,
    IntegerField,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
    Window,
)
from django.db.models.functions import Coalesce, Least, RowNumber
from django.db.models.lookups import GreaterThanOrEqual
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from common.counts import counted
from common.db import CompiledValues, of_ids
from pairings.models import Goal, Pairing, Side, cadence_expression, late_q, risk_marked_by_database
from pairings.selectors import conflict_count, live_pairings_among, not_yours, side_of, side_of_person
from pairings.services import pairings_risk_store
from profiles.models import Person, User
from programs.selectors import pending_enrollment_count, person_enrollments

from .models import Action, Cancellation, CheckIn, Concern, Heartbeat, Meeting, Reflection
from .services import BEAT

RECENT_CANCELLATION_DAYS = 60
REPEATED_CANCELLATIONS = 2


def heartbeat_last(*, name: str = BEAT) -> datetime | None:
    return Heartbeat.objects.filter(name=name).values_list("last_beat_at", flat=True).first()


# --- Fetch and authorise ----------------------------------------------------------------------------


def meeting_for_participant(*, user: User, person: Person, pk: int) -> Meeting:
    """A meeting of one of the person's own pairings; see `not_yours` for everyone else."""
    meeting = (
        Meeting.objects.select_related(
            "pairing__program", "pairing__mentor__person", "pairing__mentee__person"
        )
        .filter(pk=pk)
        .first()
    )
    if meeting is None:
        raise Http404
    if side_of(meeting.pairing, person) is None:
        raise not_yours(user)
    return meeting


def checkin_for_participant(*, user: User, pk: int) -> tuple[CheckIn, Person, str]:
    checkin = (
        CheckIn.objects.select_related("pairing__program", "pairing__mentor", "pairing__mentee")
        .filter(pk=pk)
        .first()
    )
    if checkin is None:
        raise Http404
    person = Person.objects.filter(user=user).first()
    side = side_of(checkin.pairing, person) if person else None
    if side is None:
        raise not_yours(user)
    return checkin, person, side


def action_for_senior(*, user: User, pk: int) -> Action:
    """A "you said, we did" change, for the senior who recorded it; anyone else gets 404."""
    action = (
        Action.objects.select_related("pairing__program", "pairing__mentor", "pairing__mentee", "theme")
        .filter(pk=pk)
        .first()
    )
    person = Person.objects.filter(user=user).first()
    if action is None or person is None or side_of(action.pairing, person) != Side.MENTEE:
        raise Http404
    return action


def concern_for_user(*, user: User, pk: int) -> Concern:
    """HR sees every concern; its raiser sees their own; the partner and everyone else get 404."""
    concern = (
        Concern.objects.select_related(
            "pairing__program",
            "pairing__mentor__person",
            "pairing__mentee__person",
            "raised_by",
            "handled_by",
        )
        .filter(pk=pk)
        .first()
    )
    if concern is None:
        raise Http404
    if user.is_hr_admin or concern.raised_by.user_id == user.pk:
        return concern
    raise Http404


# --- The participant's home -------------------------------------------------------------------------------


@dataclass
class PairingView:
    """One live pairing of the participant's home, as plain values (read by checkins.views.HomeSection)."""

    pk: int
    is_awaiting: bool
    program_name: str
    cadence_days: int
    side: str
    partner_name: str
    next_due: date | None
    next_meeting: dict | None  # pk, starts_at, duration_minutes
    meeting_can_be_logged: bool  # its day has come: a check-in is logged once it has happened
    goals: list[dict]  # owner_side, title, status, target_date, progress, updated_at
    checkins: list[dict]  # pk, happened_on, duration_minutes, meeting_format, visible (shared_view)
    awaiting_my_side: list[dict]
    actions: list[dict]  # pk, kind, title, measured_effect, effect
    goal_review_due: bool

    @property
    def is_mentor(self) -> bool:
        return self.side == Side.MENTOR


def shared_view(author_side: str, learned: str, side: str) -> tuple[bool, bool, str]:
    """What either side of the pair reads of a reflection by `author_side`, seen from `side`: whether it is
    their own, whether the mentor wrote it, and what the author learned (the pair's, never private)."""
    return author_side == side, author_side == Side.MENTOR, learned


def visible_reflections(checkin: CheckIn, side: str) -> list[dict]:
    """What a participant may read of a check-in's reflections: both sides' learned and change-next-time;
    rating and private notes only of their own."""
    rows = []
    for reflection in checkin.reflections.all():
        mine, by_mentor, learned = shared_view(reflection.side, reflection.learned, side)
        rows.append(
            {
                "side": reflection.side,
                "by_mentor": by_mentor,
                "mine": mine,
                "learned": learned,
                "change_next_time": reflection.change_next_time,
                "rating": reflection.rating if mine else None,
                "private_notes": reflection.private_notes if mine else None,
                "reflection": reflection if mine else None,
            }
        )
    return rows


def _by_pairing(rows) -> dict[int, list]:
    grouped: dict[int, list] = {}
    for row in rows:
        grouped.setdefault(row["pairing_id"], []).append(row)
    return grouped


# How many of a pairing's latest "you said, we did" actions the home page shows.
HOME_ACTIONS = 5


# The home page's reads, each built and compiled once per process (common.db.CompiledValues): building
# and compiling its six queries took two thirds of every participant's first page. The samples are
# values no page has.
_home_enrollments = CompiledValues(person_enrollments, person_id=-27182)
_home_pairings = CompiledValues(
    lambda *, as_mentor, as_mentee: (
        live_pairings_among(as_mentor=as_mentor, as_mentee=as_mentee)
        .values(
            "pk",
            "status",
            "next_checkin_due",
            "activated_at",
            "created_at",
            mentor_person=F("mentor__person_id"),
            mentee_person=F("mentee__person_id"),
            mentor_name=F("mentor__person__full_name"),
            mentee_name=F("mentee__person__full_name"),
            program_name=F("program__name"),
            goal_review_weeks=F("program__goal_review_weeks"),
            cadence=cadence_expression(),
        )
        .order_by("-activated_at", "-created_at")
    ),
    as_mentor=[-27182, -27183],
    as_mentee=[-27184, -27185],
)
_home_goals = CompiledValues(
    lambda *, ids: of_ids(Goal.objects.filter(Goal.kept_q()), "pairing_id", ids).values(
        "pairing_id", "owner_side", "title", "status", "target_date", "progress", "updated_at"
    ),
    ids=[-27182, -27183],
)
# From the start of today: a meeting held this morning stays here, to be logged.
_home_meetings = CompiledValues(
    lambda *, ids, since: (
        of_ids(Meeting.objects.filter(status=Meeting.Status.PLANNED, starts_at__gte=since), "pairing_id", ids)
        .values("pairing_id", "pk", "starts_at", "duration_minutes")
        .order_by("starts_at", "pk")
    ),
    ids=[-27182, -27183],
    since=datetime(2000, 1, 1, 0, 0, 0, 271828, tzinfo=UTC),
)
# A pair records a handful of actions, not hundreds: all of them, of which the page shows the latest.
_home_actions = CompiledValues(
    lambda *, ids: (
        of_ids(Action.objects.all(), "pairing_id", ids)
        .values("pairing_id", "pk", "kind", "title", "measured_effect", "effect")
        .order_by("-created_at", "-pk")
    ),
    ids=[-27182, -27183],
)
# The `recent` latest check-ins of each pairing, in one query: a window numbers each pairing's check-ins,
# newest first, so a pair with years of history costs no more than a new one.
_home_checkins = CompiledValues(
    lambda *, ids, recent: (
        of_ids(CheckIn.objects.all(), "pairing_id", ids)
        .annotate(
            newest=Window(
                RowNumber(), partition_by=F("pairing_id"), order_by=[F("happened_on").desc(), F("pk").desc()]
            )
        )
        .filter(newest__lte=recent)
        .values("pairing_id", "pk", "happened_on", "duration_minutes", "meeting_format")
        .order_by("pairing_id", "-happened_on", "-pk")
    ),
    ids=[-27182, -27183],
    recent=-27182,
)
_home_reflections = CompiledValues(
    lambda *, checkins: (
        of_ids(Reflection.objects.all(), "checkin_id", checkins)
        .values("checkin_id", "side", "learned")
        .order_by("pk")
    ),
    checkins=[-27182, -27183],
)


def home_for_person(*, person: Person, recent: int = 3) -> list[PairingView]:
    """Every live pairing of a person, with what the home page shows, in a fixed number of queries.

    Loads what the page shows and no more (the page is every participant's first), as plain values: the
    person's enrollments, their live pairings (with both names, the program's and the cadence), then the
    goals, planned meetings, actions and latest check-ins of all the pairings in one query each, and
    those check-ins' reflections (who wrote each and what they learned)."""
    now = timezone.now()
    today = timezone.localdate()
    start_of_today = datetime.combine(today, time(), tzinfo=timezone.get_current_timezone())
    enrollments = [row["pk"] for row in _home_enrollments(person_id=person.pk)]
    pairings = _home_pairings(as_mentor=enrollments, as_mentee=enrollments) if enrollments else []
    ids = [p["pk"] for p in pairings]
    if not ids:
        return []
    goals = _by_pairing(_home_goals(ids=ids))
    planned = _by_pairing(_home_meetings(ids=ids, since=start_of_today))
    actions = _by_pairing(_home_actions(ids=ids))
    shown = _home_checkins(ids=ids, recent=recent)
    reflections: dict[int, list] = {}
    for row in _home_reflections(checkins=[c["pk"] for c in shown]) if shown else []:
        reflections.setdefault(row["checkin_id"], []).append((row["side"], row["learned"]))
    checkins = _by_pairing(shown)
    views = []
    for pairing in pairings:
        side = side_of_person(
            mentor_person_id=pairing["mentor_person"],
            mentee_person_id=pairing["mentee_person"],
            person_id=person.pk,
        )
        its_checkins = [
            row | {"visible": tuple(shared_view(*r, side) for r in reflections.get(row["pk"], []))}
            for row in checkins.get(pairing["pk"], [])
        ]
        its_goals = goals.get(pairing["pk"], [])
        its_meetings = planned.get(pairing["pk"], [])
        last_review = max(
            (g["updated_at"] for g in its_goals), default=pairing["activated_at"] or pairing["created_at"]
        )
        is_active = pairing["status"] == Pairing.Status.ACTIVE
        views.append(
            PairingView(
                pk=pairing["pk"],
                is_awaiting=pairing["status"] == Pairing.Status.AWAITING,
                program_name=pairing["program_name"],
                cadence_days=pairing["cadence"],
                side=side,
                partner_name=pairing["mentee_name"] if side == Side.MENTOR else pairing["mentor_name"],
                next_due=pairing["next_checkin_due"],
                next_meeting=its_meetings[0] if its_meetings else None,
                meeting_can_be_logged=bool(its_meetings)
                and timezone.localdate(its_meetings[0]["starts_at"]) <= today,
                goals=its_goals,
                checkins=its_checkins,
                awaiting_my_side=[c for c in its_checkins if not any(mine for mine, *_ in c["visible"])],
                actions=actions.get(pairing["pk"], [])[:HOME_ACTIONS],
                goal_review_due=bool(its_goals)
                and is_active
                and now - last_review >= timedelta(weeks=pairing["goal_review_weeks"]),
            )
        )
    return views


def checkins_of_pairing(*, pairing: Pairing) -> QuerySet[CheckIn]:
    return (
        CheckIn.objects.filter(pairing=pairing)
        .prefetch_related("reflections")
        .order_by("-happened_on", "-pk")
    )


# --- HR: pair health --------------------------------------------------------------------------------------


def _count(model, *, extra: Q | None = None):
    return Coalesce(
        Subquery(
            model.objects.filter(extra or Q(), pairing=OuterRef("pk"))
            .order_by()
            .values("pairing")
            .annotate(n=Count("pk"))
            .values("n")[:1],
            output_field=IntegerField(),
        ),
        Value(0),
    )


# One side's directory entry is inactive: they left, and HR decides whether the pair ends or is re-matched.
_LEFT = {"is_active": False}  # a person who has left
_SIDES = ("mentor", "mentee")
LEAVER_Q = reduce(or_, (Q(**{f"{side}__person__{k}": v for k, v in _LEFT.items()}) for side in _SIDES))


def asks_fit(*, checkin: CheckIn) -> bool:
    """Whether a reflection on this check-in asks "is this pairing a good fit?": on the pair's first."""
    first = CheckIn.objects.filter(pairing_id=checkin.pairing_id).order_by("happened_on", "pk").first()
    return first is not None and first.pk == checkin.pk


def _poor_fit_answers() -> QuerySet[Reflection]:
    """Someone answered "no" to "is this pairing a good fit?": the one condition of the doubts_fit flag."""
    return Reflection.objects.filter(fit=Reflection.Fit.POOR)


# The conditions of the flags read from other tables, for the pairing of the query (OuterRef("pk")).
_DOUBTS_FIT = Exists(_poor_fit_answers().filter(checkin__pairing=OuterRef("pk")))
_OPEN_CONCERN_Q = ~Q(status=Concern.Status.RESOLVED)


def _cancellations_counted_since(now: datetime) -> datetime:
    return now - timedelta(days=RECENT_CANCELLATION_DAYS)


def _cancelled_since_q(since: datetime) -> Q:
    return Q(created_at__gte=since)


def _recent_cancellation_q(now: datetime) -> Q:
    """A cancellation or move that counts toward "repeated cancellations": made in the last 60 days."""
    return _cancelled_since_q(_cancellations_counted_since(now))


class _StartOfDay(Func):
    """The first instant of a date in a named time zone (PostgreSQL: date::timestamp AT TIME ZONE tz)."""

    arg_joiner = "::timestamp AT TIME ZONE "
    template = "(%(expressions)s)"
    output_field = DateTimeField()


def company_today(now: datetime | None = None) -> date:
    """The company's day (settings.TIME_ZONE), not the reader's: a pair turns late for everyone at once,
    so pair health lists the same pairs in the same order whoever opens it, wherever they are."""
    return timezone.localdate(now or timezone.now(), timezone=timezone.get_default_timezone())


def _risk_flags(pairings: QuerySet[Pairing], *, now: datetime) -> QuerySet[Pairing]:
    """The one definition of "at risk": each flag as 0 or 1 and their sum (risk_now), per pairing, read
    from its own row and its own concerns, cancellations and answers; and when a dated flag may change
    next without any write (changes_at): the pair turns late, or a cancellation leaves the 60 days."""
    today = company_today(now)
    recent = _recent_cancellation_q(now)
    in_window = Cancellation.objects.filter(recent, pairing=OuterRef("pk")).order_by()

    def flag(condition):
        return Case(When(condition, then=Value(1)), default=Value(0), output_field=IntegerField())

    oldest_in_window = Subquery(in_window.values("pairing").annotate(first=Min("created_at")).values("first"))
    return pairings.annotate(
        is_late=flag(late_q(today)),
        is_falling=flag(Q(rating_trend__lt=0)),
        is_cancelling=flag(GreaterThanOrEqual(_count(Cancellation, extra=recent), REPEATED_CANCELLATIONS)),
        has_concern=flag(Exists(Concern.objects.filter(_OPEN_CONCERN_Q, pairing=OuterRef("pk")))),
        has_leaver=flag(LEAVER_Q),
        doubts_fit=flag(_DOUBTS_FIT),
        risk_now=F("is_late")
        + F("is_falling")
        + F("is_cancelling")
        + F("has_concern")
        + F("has_leaver")
        + F("doubts_fit"),
        changes_at=Least(
            Case(
                When(late_from__gt=today, then=_StartOfDay(F("late_from"), Value(settings.TIME_ZONE))),
                output_field=DateTimeField(),
            ),
            ExpressionWrapper(
                oldest_in_window + Value(timedelta(days=RECENT_CANCELLATION_DAYS)),
                output_field=DateTimeField(),
            ),
        )
        if risk_marked_by_database()
        else Value(None, output_field=DateTimeField()),
    )


def refresh_stored_risk(*, now: datetime | None = None) -> int:
    """Bring pair health's stored order up to date (the rows the database marked, or whose dated flag is
    due) by the one definition, _risk_flags; the pairings app stores it (pairings_risk_store). Every
    reader of the stored figure calls this first. Returns how many rows were worked out again."""
    now = now or timezone.now()
    return pairings_risk_store(now=now, worked_out=partial(_risk_flags, now=now))


def pair_health(*, user: User, program_id: int | None = None) -> QuerySet:
    """The ids of active pairings in pair-health order: at-risk pairs first, then by next check-in due.

    The order is an index scan of the pairing table at any size: each pairing stores how many at-risk
    flags hold (refresh_stored_risk keeps it up to date by the one definition, _risk_flags); then
    pair_health_details loads the rows of one page with what HR may see: dates, counts, statuses.

    At risk when: overdue by more than half a cadence, ratings falling (a direction, never the
    ratings), repeated cancellations (2 or more in 60 days), an open concern, one of the pair has left,
    or someone in the pair answered "no" to "is this pairing a good fit?" (never who).
    """
    if not user.is_hr_admin:
        raise PermissionDenied
    refresh_stored_risk()
    pairings = Pairing.objects.filter(status=Pairing.Status.ACTIVE)
    if program_id:
        pairings = pairings.filter(program_id=program_id)
    # A row still marked (NULL: a writer held it during the refresh) sorts first on PostgreSQL, as the
    # index does: at the top until the next read works it out, rather than hidden at the bottom.
    return pairings.order_by("-risk", "next_checkin_due", "pk").values_list("pk", flat=True)


def pair_health_count(*, program_id: int | None = None) -> int | None:
    """How many pairs pair_health(program_id=...) lists, as the database keeps it (pairings migration
    0005: no COUNT of 40,000 active pairs per page view); None where it keeps none."""
    return counted(f"pairing.active.program.{program_id}" if program_id else "pairing.active")


@dataclass(frozen=True)
class PairHealth:
    """One row of pair health: what HR may see of a pairing (dates, counts, statuses, names), no more."""

    pk: int
    mentor_name: str
    mentee_name: str
    program_name: str
    activated_at: datetime | None
    last_checkin_on: date | None
    next_checkin_due: date | None
    cadence_days: int
    rating_trend: int
    checkin_count: int
    open_concerns: int
    recent_cancellations: int
    mentor_cancellations: int
    mentee_cancellations: int
    late_from: date | None
    has_leaver: bool
    doubts_fit: bool
    today: date  # the company's day when the row was read (company_today), not a column

    @property
    def overdue_days(self) -> int:
        """Days since the check-in was due, on the company's day as is_late counts; 0 when not due yet."""
        if self.next_checkin_due is None:
            return 0
        return max(0, (self.today - self.next_checkin_due).days)

    # The same rules as _risk_flags, read off this row's own columns and counts.
    @property
    def is_late(self) -> bool:
        return self.late_from is not None and self.late_from <= self.today

    @property
    def is_falling(self) -> bool:
        return self.rating_trend < 0

    @property
    def is_cancelling(self) -> bool:
        return self.recent_cancellations >= REPEATED_CANCELLATIONS

    @property
    def has_concern(self) -> bool:
        return self.open_concerns > 0


_PAIR_HEALTH_COLUMNS = {
    "has_leaver": ExpressionWrapper(LEAVER_Q, output_field=BooleanField()),
    "doubts_fit": _DOUBTS_FIT,
    "mentor_name": F("mentor__person__full_name"),
    "mentee_name": F("mentee__person__full_name"),
    "program_name": F("program__name"),
    "cadence_days": cadence_expression(),
}


_NOT_PAIR_HEALTH_FIELDS = {*_PAIR_HEALTH_COLUMNS, "today"}


def pair_health_values(*, ids: list[int], cancellations_since: datetime) -> QuerySet:
    """The definition of pair health's rows: the pairings `ids` with their flags' inputs and counts, as
    values (PairHealth's fields but `today`); recent cancellations are those since
    `cancellations_since` (_cancellations_counted_since)."""
    return (
        of_ids(Pairing.objects.all(), "id", ids)
        .annotate(
            checkin_count=_count(CheckIn),
            open_concerns=_count(Concern, extra=_OPEN_CONCERN_Q),
            recent_cancellations=_count(Cancellation, extra=_cancelled_since_q(cancellations_since)),
            mentee_cancellations=_count(Cancellation, extra=Q(asked_by_side=Side.MENTEE)),
            mentor_cancellations=_count(Cancellation, extra=Q(asked_by_side=Side.MENTOR)),
        )
        .values(
            *(field.name for field in fields(PairHealth) if field.name not in _NOT_PAIR_HEALTH_FIELDS),
            **_PAIR_HEALTH_COLUMNS,
        )
        .order_by()
    )


# Built and compiled once per process (common.db.CompiledValues): its five counts took 5 ms of each page
# to build and compile. The samples are values no page has.
_pair_health_rows = CompiledValues(
    pair_health_values,
    ids=[-2718, -2818],
    cancellations_since=datetime(2000, 1, 1, 0, 0, 0, 271828, tzinfo=UTC),
)


def pair_health_details(ids: list[int]) -> list[PairHealth]:
    """The rows of one page of pair health, in the order of `ids`, with their flags and counts.

    Read as plain values, not model instances: a page of 50 would otherwise build 350 objects (the
    pairing, its program, agreement, enrollments and people) to show a few columns of each."""
    if not ids:
        return []
    now = timezone.now()
    today = company_today(now)
    found = _pair_health_rows(ids=list(ids), cancellations_since=_cancellations_counted_since(now))
    rows = {row["pk"]: PairHealth(**row, today=today) for row in found}
    return [rows[pk] for pk in ids if pk in rows]


def _at_risk() -> QuerySet[Pairing]:
    refresh_stored_risk()
    return Pairing.objects.filter(status=Pairing.Status.ACTIVE, risk__gt=0)


def at_risk_pairing_ids() -> set[int]:
    """Active pairings at risk now, by the one definition pair health uses (_risk_flags)."""
    return set(_at_risk().values_list("pk", flat=True))


def digest_figures() -> dict[str, int]:
    """The HR weekly digest's counts: at-risk pairs, enrollments waiting, open concerns, conflicts."""
    return {
        "risk": _at_risk().count(),
        "pending": pending_enrollment_count(),
        "concerns": Concern.objects.filter(_OPEN_CONCERN_Q).count(),
        "conflicts": conflict_count(),
    }


def risk_reasons(pairing: PairHealth) -> list[str]:
    """Why a pairing is listed as at risk, in plain words (from pair_health's annotations)."""
    reasons = []
    if pairing.is_late:
        days = pairing.overdue_days
        reasons.append(
            ngettext(
                "check-in overdue by %(days)s day (more than half the cadence)",
                "check-in overdue by %(days)s days (more than half the cadence)",
                days,
            )
            % {"days": days}
        )
    if pairing.is_falling:
        reasons.append(_("ratings falling over the last four check-ins"))
    if pairing.is_cancelling:
        reasons.append(
            ngettext(
                "%(n)s cancellation or move in %(days)s days",
                "%(n)s cancellations or moves in %(days)s days",
                pairing.recent_cancellations,
            )
            % {"n": pairing.recent_cancellations, "days": RECENT_CANCELLATION_DAYS}
        )
    if pairing.has_concern:
        reasons.append(_("an open concern"))
    if pairing.has_leaver:
        reasons.append(_("one of the pair has left the directory: end the pairing or re-match"))
    if pairing.doubts_fit:
        reasons.append(_("someone in the pair said after the first check-in that it is not a good fit"))
    return reasons


def concern_queue(*, user: User, status: str = "") -> QuerySet[Concern]:
    if not user.is_hr_admin:
        raise PermissionDenied
    concerns = Concern.objects.select_related("pairing__program", "raised_by").order_by(
        "status", "-created_at"
    )
    return concerns.filter(status=status) if status else concerns


def shared_actions_for(
    *, program_ids: list[int] | None, department: str = "", location: str = "", limit: int = 20
) -> list[Action]:
    """The latest "you said, we did" lines seniors chose to share, for the dashboards: what changed, its
    program, theme and effect, never who (the senior's department and location only filter)."""
    actions = Action.objects.filter(shareable=True)
    if program_ids is not None:
        actions = actions.filter(pairing__program_id__in=program_ids)
    if department:
        actions = actions.filter(pairing__mentee__person__department=department)
    if location:
        actions = actions.filter(pairing__mentee__person__location=location)
    return list(
        actions.select_related("pairing__program", "theme")
        .only("title", "effect", "measured_effect", "created_at", "pairing__program__name", "theme__name")
        .order_by("-created_at", "-pk")[:limit]
    )


def shareable_actions() -> QuerySet[Action]:
    """ "You said, we did" lines the seniors chose to share: what changed, never who."""
    return (
        Action.objects.filter(shareable=True)
        .select_related("pairing__program")
        .only("title", "kind", "measured_effect", "created_at", "pairing__program__name")
        .order_by("-created_at")
    )
