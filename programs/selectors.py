"""Reads of programs and enrollments, with their joins and counts already applied."""

from dataclasses import dataclass
from datetime import date

from django.core.exceptions import PermissionDenied
from django.db.models import Count, F, Max, OuterRef, Q, QuerySet, Subquery, Sum
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _

from common.counts import counted
from common.db import CompiledValues
from common.privacy import MIN_PEOPLE, Figure, breakdown, figure, mean, percent, round_half_up
from profiles.models import Person, User

from .models import (
    Enrollment,
    Program,
    ProgramInvitation,
    Side,
    Survey,
    SurveyAnswer,
    SurveyQuestion,
    SurveyResponse,
)

Status = Enrollment.Status


def person_enrollments(*, person_id: int) -> QuerySet:
    """The ids of a person's enrollments, in every program and status, as values ({"pk": ...})."""
    return Enrollment.objects.filter(person_id=person_id).values("pk").order_by()


def pending_enrollment_count() -> int:
    """Enrollments waiting for HR's decision, in every program."""
    return Enrollment.objects.filter(status=Status.PENDING).count()


# Compiled once per process (common.db.CompiledValues): HR's filters show it on every page of pair health.
_program_choices = CompiledValues(
    lambda: Program.objects.filter(archived_at__isnull=True).values("pk", "name").order_by("name", "pk")
)


def program_choices() -> list[dict]:
    """The programs HR filters by (not archived): each one's pk and name, by name."""
    return _program_choices()


def program_list_for_hr(*, archived: bool = False) -> QuerySet[Program]:
    return Program.objects.filter(archived_at__isnull=not archived).annotate(
        enrolled_count=Count("enrollments", filter=~Q(enrollments__status=Status.WITHDRAWN)),
        pending_count=Count("enrollments", filter=Q(enrollments__status=Status.PENDING)),
        approved_mentor_count=Count(
            "enrollments", filter=Q(enrollments__status=Status.APPROVED, enrollments__role=Side.MENTOR)
        ),
        approved_mentee_count=Count(
            "enrollments", filter=Q(enrollments__status=Status.APPROVED, enrollments__role=Side.MENTEE)
        ),
    )


def program_get_for_hr(*, user: User, pk: int) -> Program:
    if not user.is_hr_admin:
        raise PermissionDenied
    return get_object_or_404(Program, pk=pk)


def programs_enrolling() -> QuerySet[Program]:
    return Program.objects.filter(state=Program.State.ENROLLING, archived_at__isnull=True).order_by(
        "enrollment_closes_on", "name"
    )


def programs_open_to(*, person: Person, enrolled_program_ids: set[int]) -> list[Program]:
    """Programs whose enrollment window is open today and that the person has not enrolled in."""
    from .services import enrollment_window_open

    return [p for p in programs_enrolling() if p.pk not in enrolled_program_ids and enrollment_window_open(p)]


def enrollments_of_person(*, person: Person) -> QuerySet[Enrollment]:
    return Enrollment.objects.filter(person=person).select_related("program").order_by("-created_at")


def enrollment_list_for_program(
    *, program: Program, role: str = "", status: str = "", query: str = ""
) -> QuerySet[Enrollment]:
    enrollments = (
        Enrollment.objects.filter(program=program)
        # Not the program: it is `program`, which the page gives each row it shows (can_be_decided).
        # Nor the topics: topic_names() reads a page's names as values.
        .select_related("person")
        # By name, then the person (one enrollment each): a total order for the pages, read off the
        # directory's index (profiles' person_by_name) rather than sorting the whole program.
        .order_by("person__full_name", "person_id")
    )
    if role:
        enrollments = enrollments.filter(role=role)
    if status:
        enrollments = enrollments.filter(status=status)
    if query:
        enrollments = enrollments.filter(
            Q(person__full_name__icontains=query)
            | Q(person__email__icontains=query)
            | Q(person__department__icontains=query)
        )
    return enrollments


def topic_names(*, enrollment_ids: list[int]) -> dict[int, list[str]]:
    """The names of each enrollment's topics, in the program's order of its themes, in one query of
    values: a page of 50 enrollments would otherwise build a Theme object per topic (prefetch_related)."""
    names: dict[int, list[str]] = {pk: [] for pk in enrollment_ids}
    rows = (
        Enrollment.topics.through.objects.filter(enrollment_id__in=enrollment_ids)
        .order_by("theme__position", "theme_id")
        .values_list("enrollment_id", "theme__name")
    )
    for enrollment_id, name in rows:
        names[enrollment_id].append(name)
    return names


def enrollment_count(*, program: Program, role: str = "", status: str = "", query: str = "") -> int | None:
    """How many enrollments enrollment_list_for_program(**the same filters) lists, when the database
    keeps that total (a program's enrollments unfiltered, programs migration 0008); None when the list is
    to count its rows."""
    if role or status or query:
        return None
    return counted(f"enrollment.program.{program.pk}")


def enrollment_counts(*, program: Program) -> dict[str, dict[str, int]]:
    """{role: {status: n}} for the program page, in one query."""
    counts: dict[str, dict[str, int]] = {role: {} for role in Side.values}
    rows = Enrollment.objects.filter(program=program).values_list("role", "status").annotate(n=Count("pk"))
    for role, status, n in rows:
        counts[role][status] = n
    return counts


def enrollment_get_for_hr(*, user: User, program: Program, pk: int) -> Enrollment:
    if not user.is_hr_admin:
        raise PermissionDenied
    return get_object_or_404(Enrollment.objects.select_related("person", "program"), pk=pk, program=program)


def enrollment_get_for_person(*, person: Person, pk: int) -> Enrollment:
    """A person's own enrollment; anyone else's is "not found", so ids reveal nothing."""
    enrollment = (
        Enrollment.objects.select_related("program", "person")
        .prefetch_related("topics", "acknowledged")
        .filter(pk=pk, person=person)
        .first()
    )
    if enrollment is None:
        raise Http404
    return enrollment


def program_invitation_count(*, program: Program) -> int:
    return ProgramInvitation.objects.filter(program=program).count()


# --- Surveys --------------------------------------------------------------------------------------

# The product's promise to participants: leaders never see a figure drawn from fewer than 5 people
# (common.privacy decides it, here as for every other aggregate).
SURVEY_MIN_RESPONDENTS = MIN_PEOPLE
QuestionKind = SurveyQuestion.Kind


def survey_list_for_program(*, program: Program) -> QuerySet[Survey]:
    return Survey.objects.filter(program=program).annotate(response_count=Count("responses"))


def survey_get_for_hr(*, user: User, program: Program, pk: int) -> Survey:
    if not user.is_hr_admin:
        raise PermissionDenied
    return get_object_or_404(Survey.objects.select_related("program"), pk=pk, program=program)


def survey_get_for_respondent(*, person: Person, pk: int) -> tuple[Survey, Enrollment]:
    """A survey and the person's approved enrollment in its program. Anyone else gets "not found"
    (like someone else's enrollment), so survey ids reveal nothing about who takes part."""
    survey = Survey.objects.select_related("program").filter(pk=pk).first()
    enrollment = (
        Enrollment.objects.filter(program_id=survey.program_id, person=person, status=Status.APPROVED).first()
        if survey is not None and person.is_active
        else None
    )
    if enrollment is None:
        raise Http404
    return survey, enrollment


def survey_get_for_leader(*, user: User, pk: int) -> Survey:
    """Leaders and HR read a survey's aggregates; everyone else is refused."""
    if not (user.is_leader or user.is_hr_admin):
        raise PermissionDenied
    return get_object_or_404(Survey.objects.select_related("program"), pk=pk)


def survey_figures_shown_to(*, user: User, survey: Survey, today: date | None = None) -> bool:
    """Leaders see a survey's figures once it has closed; HR (who reads the answers anyway) at any time.

    While a survey is open its figures move with each answer, so a leader who looked before and after
    one person answered could tell that person's answer from the change."""
    return user.is_hr_admin or survey.closes_on < (today or timezone.localdate())


def survey_response_of(*, survey: Survey, person: Person) -> SurveyResponse | None:
    return SurveyResponse.objects.filter(survey=survey, person=person).first()


def surveys_due_for(*, person: Person, today: date | None = None) -> QuerySet[Survey]:
    """Open surveys the person may answer and hasn't: what the notification outbox invites them to."""
    if not person.is_active:
        return Survey.objects.none()
    today = today or timezone.localdate()
    return (
        Survey.objects.filter(
            opens_on__lte=today,
            closes_on__gte=today,
            program__archived_at__isnull=True,
            program__enrollments__person=person,
            program__enrollments__status=Status.APPROVED,
        )
        .exclude(responses__person=person)
        .select_related("program")
        .order_by("closes_on", "pk")
    )


def surveys_open(*, today: date | None = None) -> QuerySet[Survey]:
    today = today or timezone.localdate()
    return Survey.objects.filter(
        opens_on__lte=today, closes_on__gte=today, program__archived_at__isnull=True
    ).select_related("program")


def surveys_for_leaders() -> QuerySet[Survey]:
    """Surveys that have opened, newest first: leaders see their aggregates (never answers)."""
    return (
        Survey.objects.filter(opens_on__lte=timezone.localdate(), program__archived_at__isnull=True)
        .select_related("program")
        .order_by("-opens_on", "pk")
    )


def survey_respondents_due(*, survey: Survey) -> QuerySet[Person]:
    """Everyone who may answer the survey and hasn't yet (for a sweep over one survey at a time)."""
    return Person.objects.filter(
        is_active=True,
        enrollments__program_id=survey.program_id,
        enrollments__status=Status.APPROVED,
    ).exclude(survey_responses__survey=survey)


@dataclass(frozen=True)
class AnswerBucket:
    value: object
    label: str
    count: int
    pct: int


@dataclass(frozen=True)
class QuestionResult:
    question: SurveyQuestion
    answered: int
    buckets: list[AnswerBucket]
    mean: float | None
    texts: list[tuple[str, str]]  # (side label, text), oldest first


@dataclass(frozen=True)
class SurveyResults:
    response_count: int
    side_counts: dict[str, int]
    questions: list[QuestionResult]


def _pct(part: int, whole: int) -> int:
    return percent(part, whole) or 0


def _buckets(question: SurveyQuestion) -> list[tuple[object, str]]:
    if question.kind == QuestionKind.YES_NO:
        return [(True, str(_("Yes"))), (False, str(_("No")))]
    low, high = (1, 5) if question.kind == QuestionKind.RATING_1_5 else (0, 10)
    return [(n, str(n)) for n in range(low, high + 1)]


def survey_results(*, survey: Survey) -> SurveyResults:
    """Everything HR sees: counts and the distribution of every question, free text included.

    Free text is listed with the writer's side, not their name. Four queries, whatever the number of
    responses.
    """
    questions = list(survey.questions.all())
    side_counts = dict.fromkeys(Side.values, 0) | dict(
        SurveyResponse.objects.filter(survey=survey).values_list("side").annotate(n=Count("pk")).order_by()
    )
    counts: dict[int, dict[object, int]] = {q.pk: {} for q in questions}
    rows = (
        SurveyAnswer.objects.filter(response__survey=survey)
        .exclude(question__kind=QuestionKind.TEXT)
        .values_list("question_id", "value_int", "value_bool")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for question_id, value_int, value_bool, n in rows:
        value = value_bool if value_bool is not None else value_int
        counts[question_id][value] = counts[question_id].get(value, 0) + n
    texts: dict[int, list[tuple[str, str]]] = {q.pk: [] for q in questions}
    text_rows = (
        SurveyAnswer.objects.filter(response__survey=survey, question__kind=QuestionKind.TEXT)
        .exclude(value_text="")
        .order_by("response__submitted_at", "pk")
        .values_list("question_id", "response__side", "value_text")
    )
    for question_id, side, text in text_rows:
        texts[question_id].append((str(Side(side).label), text))

    results = []
    for question in questions:
        if question.kind == QuestionKind.TEXT:
            answered = len(texts[question.pk])
            results.append(QuestionResult(question, answered, [], None, texts[question.pk]))
            continue
        by_value = counts[question.pk]
        answered = sum(by_value.values())
        buckets = [
            AnswerBucket(value, label, by_value.get(value, 0), _pct(by_value.get(value, 0), answered))
            for value, label in _buckets(question)
        ]
        mean = None
        if question.kind != QuestionKind.YES_NO and answered:
            mean = round_half_up(sum(v * n for v, n in by_value.items()) / answered, 1)
        results.append(QuestionResult(question, answered, buckets, mean, []))
    return SurveyResults(sum(side_counts.values()), side_counts, results)


@dataclass(frozen=True)
class AggregateFigures:
    respondents: Figure
    satisfaction_mean: Figure  # 1-5, one decimal
    learned_pct: Figure  # % answering yes to "I use something I learned"
    nps: Figure  # % promoters (9-10) minus % detractors (0-6), -100..100


@dataclass(frozen=True)
class SurveyAggregates:
    overall: AggregateFigures
    by_side: dict[str, AggregateFigures]
    min_respondents: int = SURVEY_MIN_RESPONDENTS


_AGGREGATE_FIELDS = (
    "respondents",
    "sat_n",
    "sat_sum",
    "learned_n",
    "learned_yes",
    "rec_n",
    "promoters",
    "detractors",
)


def _figures(row: dict) -> AggregateFigures:
    return AggregateFigures(
        respondents=figure(row["respondents"], row["respondents"]),
        satisfaction_mean=figure(row["sat_n"], lambda: mean(row["sat_sum"], row["sat_n"])),
        learned_pct=figure(row["learned_n"], lambda: _pct(row["learned_yes"], row["learned_n"])),
        nps=figure(
            row["rec_n"], lambda: _pct(row["promoters"], row["rec_n"]) - _pct(row["detractors"], row["rec_n"])
        ),
    )


def survey_aggregates(*, survey: Survey) -> SurveyAggregates:
    """What leaders see: the standard questions' aggregates, never free text nor HR's extra questions.

    Any figure drawn from fewer than SURVEY_MIN_RESPONDENTS answers comes back as a marker with no value.
    A side's figures show only when that side has enough responses and the other side has either none or
    enough too: otherwise the overall figure minus the shown side would give the small side away.
    One query.
    """
    standard = Q(answers__question__is_standard=True)
    rating = standard & Q(answers__question__kind=QuestionKind.RATING_1_5, answers__value_int__isnull=False)
    yes_no = standard & Q(answers__question__kind=QuestionKind.YES_NO, answers__value_bool__isnull=False)
    scale = standard & Q(answers__question__kind=QuestionKind.SCALE_0_10, answers__value_int__isnull=False)
    rows = (
        SurveyResponse.objects.filter(survey=survey)
        .values("side")
        .annotate(
            respondents=Count("pk", distinct=True),
            sat_n=Count("answers", filter=rating),
            sat_sum=Sum("answers__value_int", filter=rating, default=0),
            learned_n=Count("answers", filter=yes_no),
            learned_yes=Count("answers", filter=yes_no & Q(answers__value_bool=True)),
            rec_n=Count("answers", filter=scale),
            promoters=Count("answers", filter=scale & Q(answers__value_int__gte=9)),
            detractors=Count("answers", filter=scale & Q(answers__value_int__lte=6)),
        )
        .order_by()
    )
    per_side = {side: dict.fromkeys(_AGGREGATE_FIELDS, 0) for side in Side.values}
    for row in rows:
        per_side[row["side"]] = {field: row[field] for field in _AGGREGATE_FIELDS}
    overall = {field: sum(side[field] for side in per_side.values()) for field in _AGGREGATE_FIELDS}

    totals = _figures(overall)
    sides = {side: _figures(per_side[side]) for side in Side.values}
    # Each figure through the small-group rule: a side hidden for few answers never comes back as the
    # overall figure minus the other side.
    by_side: dict[str, dict] = {side: {} for side in Side.values}
    for name in AggregateFigures.__dataclass_fields__:
        parts = breakdown(getattr(totals, name), {side: getattr(sides[side], name) for side in Side.values})
        for side, shown in parts.items():
            by_side[side][name] = shown
    return SurveyAggregates(
        overall=totals, by_side={side: AggregateFigures(**f) for side, f in by_side.items()}
    )


# --- For the dashboards' rollups: plain values, never a name -----------------------------------------------


def enrollments_for_funnel() -> list[dict]:
    """Every enrollment: its program, person (with today's department and location), role and status."""
    return list(
        Enrollment.objects.values(
            "pk",
            "program_id",
            "person_id",
            "role",
            "status",
            department=F("person__department"),
            location=F("person__location"),
        ).order_by()
    )


def invitations_for_funnel() -> list[dict]:
    return list(
        ProgramInvitation.objects.values(
            "program_id", "person_id", department=F("person__department"), location=F("person__location")
        ).order_by()
    )


def participant_person_ids() -> QuerySet:
    """People approved in any program, ever: the comparison group of the dashboards' results is everyone
    else."""
    return Enrollment.objects.filter(status=Status.APPROVED).values("person_id")


def latest_closed_survey_answers(*, today: date | None = None) -> list[dict]:
    """For each program, the answers to the standard questions of its latest survey that has closed, one
    row per response: its side and its person's department and location. One query."""
    today = today or timezone.localdate()
    latest = (
        Survey.objects.filter(program=OuterRef("survey__program"), closes_on__lt=today)
        .order_by("-closes_on", "-pk")
        .values("pk")[:1]
    )
    standard = Q(answers__question__is_standard=True)
    kind = "answers__question__kind"
    return list(
        SurveyResponse.objects.filter(survey__closes_on__lt=today, survey=Subquery(latest))
        .values(
            "person_id",
            "side",
            program_id=F("survey__program_id"),
            department=F("person__department"),
            location=F("person__location"),
        )
        .annotate(
            satisfaction=Max("answers__value_int", filter=standard & Q(**{kind: QuestionKind.RATING_1_5})),
            learned=Count(
                "answers", filter=standard & Q(**{kind: QuestionKind.YES_NO}, answers__value_bool=True)
            ),
            learned_answered=Count(
                "answers",
                filter=standard & Q(**{kind: QuestionKind.YES_NO}, answers__value_bool__isnull=False),
            ),
            recommend=Max("answers__value_int", filter=standard & Q(**{kind: QuestionKind.SCALE_0_10})),
        )
        .order_by()
    )


def participant_counts(*, selections: list[tuple[list[int] | None, str, str]]) -> list[int]:
    """How many people took part (an approved enrollment) in each selection of (programs, department,
    location); None programs means all, "" means any. One query for all of them."""
    counts = {}
    for index, (program_ids, department, location) in enumerate(selections):
        condition = Q(status=Status.APPROVED)
        if program_ids is not None:
            condition &= Q(program_id__in=program_ids)
        if department:
            condition &= Q(person__department=department)
        if location:
            condition &= Q(person__location=location)
        counts[f"n{index}"] = Count("person", distinct=True, filter=condition)
    row = Enrollment.objects.aggregate(**counts) if counts else {}
    return [row[f"n{index}"] for index in range(len(selections))]


def programs_for_dashboards() -> list[Program]:
    """Programs past their draft, newest first: what the dashboards can show."""
    return list(
        Program.objects.exclude(state=Program.State.DRAFT)
        .only(
            "pk",
            "name",
            "family",
            "state",
            "starts_on",
            "ends_on",
            "target_checkin_adherence_pct",
            "target_goal_completion_pct",
            "target_satisfaction",
        )
        .order_by("-starts_on", "name", "pk")
    )
