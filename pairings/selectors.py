"""Reads for matching and pairings, and the fetch-and-authorise helpers every view uses."""

from dataclasses import dataclass
from datetime import date

from django.core.exceptions import PermissionDenied
from django.db.models import BooleanField, Case, Count, F, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce, TruncDate
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from common.db import among_ids
from profiles.models import Person, User
from programs.models import Enrollment, Program, Theme
from programs.selectors import person_enrollments

from . import matching
from .models import (
    Goal,
    MatchingSettings,
    MatchRun,
    MentorRequest,
    Pairing,
    PairRule,
    Side,
    cadence_expression,
    late_from_expression,
    next_due_expression,
    on_cadence_q,
)


def matching_settings_for(*, program: Program) -> MatchingSettings:
    """The program's matching settings; the defaults (unsaved) until HR first saves them. Reads never write."""
    return MatchingSettings.objects.filter(program=program).first() or MatchingSettings(program=program)


def weights_of(settings: MatchingSettings) -> matching.Weights:
    return matching.Weights(
        topics=float(settings.weight_topics),
        format=float(settings.weight_format),
        time_zone=float(settings.weight_time_zone),
        availability=float(settings.weight_availability),
        language=float(settings.weight_language),
    )


def candidate_of(enrollment: Enrollment, *, capacity: int) -> matching.Candidate:
    person = enrollment.person
    return matching.candidate_from_answers(
        enrollment_id=enrollment.pk,
        person_id=person.pk,
        name=person.full_name,
        level=person.level,
        department=person.department,
        manager_id=person.manager_id,
        time_zone=person.time_zone,
        theme_names=[theme.name for theme in enrollment.topics.all()],
        extra_topics=enrollment.extra_topics,
        preferred_format=enrollment.preferred_format,
        availability=enrollment.availability or [],
        languages=enrollment.languages,
        capacity=capacity,
    )


def manager_map() -> dict[int, int | None]:
    """The whole directory's reporting lines, in one query (10,000 people is ~100 kB)."""
    return dict(Person.objects.values_list("pk", "manager_id"))


def live_pairing_counts(*, program: Program) -> dict[int, int]:
    counts: dict[int, int] = {}
    for mentor_id, mentee_id in Pairing.objects.filter(program=program, status__in=Pairing.LIVE).values_list(
        "mentor_id", "mentee_id"
    ):
        counts[mentor_id] = counts.get(mentor_id, 0) + 1
        counts[mentee_id] = counts.get(mentee_id, 0) + 1
    return counts


def places_left(*, program: Program, enrollment: Enrollment, taken: dict[int, int]) -> int:
    """How many more partners an enrollment can take: the program's capacity for its side, less its
    live pairings (`taken`, from live_pairing_counts)."""
    capacity = program.mentor_capacity if enrollment.role == Side.MENTOR else program.mentee_capacity
    return capacity - taken.get(enrollment.pk, 0)


def matching_input(*, program: Program) -> dict:
    """Everything the engine needs about a program, in a fixed number of queries.

    Approved enrollments of active people, each with the capacity left after their live pairings.
    """
    enrollments = (
        Enrollment.objects.filter(program=program, status=Enrollment.Status.APPROVED, person__is_active=True)
        .select_related("person")
        .prefetch_related("topics")
        .order_by("pk")
    )
    live_pairs = list(
        Pairing.objects.filter(program=program, status__in=Pairing.LIVE).values_list("mentor_id", "mentee_id")
    )
    taken = live_pairing_counts(program=program)
    mentors, mentees = [], []
    for enrollment in enrollments:
        capacity = places_left(program=program, enrollment=enrollment, taken=taken)
        if capacity > 0:
            side = mentors if enrollment.role == Side.MENTOR else mentees
            side.append(candidate_of(enrollment, capacity=capacity))
    settings = matching_settings_for(program=program)
    rules_rows = PairRule.objects.filter(program=program).values_list("kind", "mentor_id", "mentee_id")
    previous = frozenset(
        Pairing.objects.exclude(program=program)
        .filter(status__in=[*Pairing.LIVE, Pairing.Status.COMPLETED, Pairing.Status.ENDED])
        .values_list("mentor__person_id", "mentee__person_id")
    )
    rules = matching.Rules(
        min_level_gap=program.min_level_gap,
        exclude_same_department=program.exclude_same_department,
        exclude_same_manager=program.exclude_same_manager,
        # A pair already together in this program is not proposed a second time.
        forbidden=frozenset((m, e) for kind, m, e in rules_rows if kind == PairRule.Kind.FORBIDDEN)
        | frozenset(live_pairs),
        previous=previous,
        avoid_previous=settings.avoid_previous,
    )
    mentor_ids = {c.enrollment_id for c in mentors}
    mentee_ids = {c.enrollment_id for c in mentees}
    pinned = [
        (m, e)
        for kind, m, e in rules_rows
        if kind == PairRule.Kind.PINNED and m in mentor_ids and e in mentee_ids
    ]
    return {
        "mentors": mentors,
        "mentees": mentees,
        "rules": rules,
        "weights": weights_of(settings),
        "managers": manager_map(),
        "pinned": pinned,
    }


def match_run_latest(*, program: Program) -> MatchRun | None:
    return program.match_runs.exclude(status=MatchRun.Status.SUPERSEDED).first()


def match_run_get_for_hr(*, user: User, program: Program, pk: int) -> MatchRun:
    if not user.is_hr_admin:
        raise PermissionDenied
    return get_object_or_404(MatchRun, pk=pk, program=program)


def proposals_of(*, run: MatchRun) -> QuerySet:
    return run.proposals.select_related("mentor__person", "mentee__person").order_by("-score", "pk")


def unmatched_of(*, run: MatchRun) -> QuerySet:
    return run.unmatched.select_related("enrollment__person").order_by(
        "enrollment__role", "enrollment__person__full_name"
    )


def pairings_for_program(*, program: Program) -> QuerySet[Pairing]:
    return (
        Pairing.objects.filter(program=program)
        .select_related("mentor__person", "mentee__person")
        .order_by("-conflict_flagged_at", "status", "-created_at")
    )


def pairing_counts(*, program: Program) -> dict[str, int]:
    return dict(Pairing.objects.filter(program=program).values_list("status").annotate(n=Count("pk")))


def pairings_of_person(*, person: Person) -> QuerySet[Pairing]:
    return (
        Pairing.objects.filter(Q(mentor__person=person) | Q(mentee__person=person))
        .select_related("program", "mentor__person", "mentee__person", "agreement")
        .order_by("-created_at")
    )


def side_of(pairing: Pairing, person: Person) -> str | None:
    return side_of_person(
        mentor_person_id=pairing.mentor.person_id,
        mentee_person_id=pairing.mentee.person_id,
        person_id=person.pk,
    )


def side_of_person(*, mentor_person_id: int, mentee_person_id: int, person_id: int) -> str | None:
    """The side of a pairing a person is on, from the ids of its two people (side_of, for plain values)."""
    if mentor_person_id == person_id:
        return Side.MENTOR
    if mentee_person_id == person_id:
        return Side.MENTEE
    return None


@dataclass(frozen=True)
class PairingAccess:
    """A pairing as one user may see it: their Person and side, or no side for HR looking at it."""

    pairing: Pairing
    person: Person | None
    side: str | None

    @property
    def is_hr(self) -> bool:
        return self.side is None


def not_yours(user: User) -> Exception:
    """The refusal for a pair's page asked for by someone outside the pair.

    HR manages every pair, so it is told "not allowed" (403); anyone else is not told the object exists (404).
    """
    return PermissionDenied() if user.is_hr_admin else Http404()


def pairing_get_for_user(
    *, user: User, pk: int, allow_hr: bool = False, require_active: bool = False
) -> PairingAccess:
    """The one way every view fetches a pairing for a user, and what they may do with it.

    Its two people get their own pairing with their side. HR admins get any pairing (side None: dates and
    statuses, never what was said) where `allow_hr`, and 403 on pages that are the pair's alone. Anyone
    else gets 404, so ids reveal nothing. With `require_active`, a pairing that is not active is 404 too.
    """
    pairing = (
        Pairing.objects.select_related(
            "program", "agreement", "mentor__person__profile", "mentee__person__profile"
        )
        .filter(pk=pk)
        .first()
    )
    if pairing is None:
        raise Http404
    person = Person.objects.filter(user=user).first()
    side = side_of(pairing, person) if person else None
    if side is None and not (allow_hr and user.is_hr_admin):
        raise not_yours(user)
    if require_active and not pairing.is_active:
        raise Http404
    return PairingAccess(pairing=pairing, person=person, side=side)


def mentor_requests_of_mentor(*, person: Person) -> QuerySet[MentorRequest]:
    return MentorRequest.objects.filter(mentor__person=person).select_related("program", "mentee__person")


def mentor_requests_of_mentee(*, person: Person) -> QuerySet[MentorRequest]:
    return MentorRequest.objects.filter(mentee__person=person).select_related("program", "mentor__person")


def mentee_choice_prompts(*, person: Person) -> dict:
    """What mentee-choice mode asks of a person now: mentees who may choose, mentors with requests."""
    live = Pairing.objects.filter(status__in=Pairing.LIVE)
    choosing = list(
        Enrollment.objects.filter(
            person=person,
            role=Side.MENTEE,
            status=Enrollment.Status.APPROVED,
            program__state=Program.State.MATCHING,
            program__matching_settings__mode=MatchingSettings.Mode.MENTEE_CHOICE,
        )
        .exclude(pk__in=live.values("mentee_id"))
        .select_related("program")
    )
    requests = MentorRequest.objects.filter(
        mentor__person=person, status=MentorRequest.Status.PENDING
    ).count()
    return {"choose_for": choosing, "requests_waiting": requests}


def live_pairings_of(*, person: Person) -> QuerySet[Pairing]:
    """The person's pairings that are awaiting answers or active, on either side.

    Asks for the person's enrollments first (one small query): "mentor or mentee is one of these ids"
    is read from the pairings' two indexes, where "either enrollment's person is this one" made
    PostgreSQL join every pairing to its enrollments (a third of a second for 50,000 pairs)."""
    enrollments = [row["pk"] for row in person_enrollments(person_id=person.pk)]
    return live_pairings_among(as_mentor=enrollments, as_mentee=enrollments)


def live_pairings_among(*, as_mentor: list[int], as_mentee: list[int]) -> QuerySet[Pairing]:
    """The live pairings (awaiting answers or active) whose mentor is one of the enrollments `as_mentor`
    or whose mentee is one of `as_mentee`: one person's enrollments are given as both (live_pairings_of),
    each its own parameter so that a statement compiled once (common.db.CompiledValues) takes them."""
    return Pairing.objects.filter(
        among_ids(Pairing, "mentor_id", as_mentor) | among_ids(Pairing, "mentee_id", as_mentee),
        status__in=Pairing.LIVE,
    )


def conflict_count() -> int:
    return Pairing.objects.filter(status__in=Pairing.LIVE, conflict_flagged_at__isnull=False).count()


# --- For the dashboards' rollups: what each pair did, as plain values (never a name) ---------------------


def participations() -> list[dict]:
    """Every pairing that was published, with both people's ids and the department and location of each
    (today's), its status and the days it began and ended. One query."""
    return list(
        Pairing.objects.annotate(
            activated_on=TruncDate("activated_at"),
            ended_on=TruncDate("ended_at"),
        ).values(
            "pk",
            "program_id",
            "status",
            "mentor_id",
            "mentee_id",
            "activated_on",
            "ended_on",
            mentor_person=F("mentor__person_id"),
            mentee_person=F("mentee__person_id"),
            mentor_department=F("mentor__person__department"),
            mentor_location=F("mentor__person__location"),
            mentee_department=F("mentee__person__department"),
            mentee_location=F("mentee__person__location"),
        )
    )


def live_and_on_cadence_on(*, day: date, last_checkin_on) -> tuple[set[int], set[int]]:
    """The pairings live at the end of `day` (begun on or before it, not ended by then), and those of
    them on cadence that day: their rhythm as it stood then, by the one definition of next due, late and
    on cadence (models.next_due_expression, late_from_expression, on_cadence_q). `last_checkin_on` is
    an expression for each pairing's last check-in up to `day` (the check-ins app's own subquery)."""
    cadence = cadence_expression()
    live = (
        Pairing.objects.filter(activated_at__isnull=False)
        .annotate(activated_on=TruncDate("activated_at"), ended_on=TruncDate("ended_at"))
        # (An annotation's NULL is not excluded the way a column's is: say "not ended" in full.)
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gt=day), activated_on__lte=day)
        .annotate(base=Coalesce(last_checkin_on, "activated_on"))
        .annotate(late_then=late_from_expression(next_due_expression("base", cadence), cadence))
        .annotate(
            on=Case(
                When(on_cadence_q(day, "late_then"), then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            )
        )
        .values_list("pk", "on")
    )
    pairs, on_cadence = set(), set()
    for pk, on in live:
        pairs.add(pk)
        if on:
            on_cadence.add(pk)
    return pairs, on_cadence


def goal_counts() -> list[dict]:
    """Goals per pairing and owner side: set, done and dropped. One query."""
    return list(
        Goal.objects.values("pairing_id", "owner_side")
        .annotate(
            goals_set=Count("pk"),
            goals_done=Count("pk", filter=Q(status=Goal.Status.DONE)),
            goals_dropped=Count("pk", filter=Q(status=Goal.Status.DROPPED)),
        )
        .order_by()
    )


def discussion_guides(*, pairing: Pairing) -> list[Theme]:
    """The program's themes that have a discussion guide, for the pair: the ones either of them chose
    when enrolling first."""
    chosen = set(
        Theme.objects.filter(enrollments__in=[pairing.mentor_id, pairing.mentee_id]).values_list(
            "pk", flat=True
        )
    )
    themes = list(pairing.program.themes.exclude(discussion_guide=""))
    return sorted(themes, key=lambda theme: (theme.pk not in chosen, theme.position, theme.pk))


@dataclass(frozen=True)
class ManualPairChoice:
    mentor_id: int  # enrollment ids
    mentee_id: int
    mentor_label: str
    mentee_label: str


def manual_pair_choices(*, program: Program, among: set[int] | None = None) -> list[ManualPairChoice]:
    """The pairs HR may make by hand now: both approved with a place left (and among these enrollment
    ids, when given: a run's unmatched people), breaking no hard rule. The engine's own rule matrices
    decide, so the list offers nobody the service would then refuse."""
    data = matching_input(program=program)
    mentors, mentees = data["mentors"], data["mentees"]
    if among is not None:
        mentors = [c for c in mentors if c.enrollment_id in among]
        mentees = [c for c in mentees if c.enrollment_id in among]
    pairs = matching.eligible_pairs(mentors, mentees, data["rules"], managers=data["managers"])

    def label(candidate) -> str:
        return _("%(name)s (level %(level)s, %(department)s)") % {
            "name": candidate.name,
            "level": candidate.level,
            "department": candidate.department,
        }

    choices = [
        ManualPairChoice(
            mentors[i].enrollment_id, mentees[j].enrollment_id, label(mentors[i]), label(mentees[j])
        )
        for i, j in pairs
    ]
    return sorted(choices, key=lambda c: (c.mentor_label.casefold(), c.mentee_label.casefold()))
