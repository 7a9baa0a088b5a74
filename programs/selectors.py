"""Reads of programs and enrollments, with their joins and counts already applied."""

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet, Sum
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _

from profiles.models import Person, User

from .models import Enrollment, Program, Survey, SurveyAnswer, SurveyQuestion, SurveyResponse

Status = Enrollment.Status


def program_list_for_hr(*, archived: bool = False) -> QuerySet[Program]:
    return Program.objects.filter(archived_at__isnull=not archived).annotate(
        enrolled_count=Count("enrollments", filter=~Q(enrollments__status=Status.WITHDRAWN)),
        pending_count=Count("enrollments", filter=Q(enrollments__status=Status.PENDING)),
        approved_mentor_count=Count(
            "enrollments", filter=Q(enrollments__status=Status.APPROVED, enrollments__role="mentor")
        ),
        approved_mentee_count=Count(
            "enrollments", filter=Q(enrollments__status=Status.APPROVED, enrollments__role="mentee")
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
        .select_related("person", "person__manager")
        .prefetch_related("topics")
        .order_by("person__full_name")
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


def enrollment_counts(*, program: Program) -> dict[str, dict[str, int]]:
    """{role: {status: n}} for the program page, in one query."""
    counts: dict[str, dict[str, int]] = {role: {} for role in Enrollment.Role.values}
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


# --- Surveys --------------------------------------------------------------------------------------

# The product's promise to participants: leaders never see a figure drawn from fewer than 5 people.
SURVEY_MIN_RESPONDENTS = 5
Side = SurveyResponse.Side
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


def _round_half_up(value: float, digits: int = 0) -> float:
    rounded = Decimal(str(value)).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    return int(rounded) if digits == 0 else float(rounded)


def _pct(part: int, whole: int) -> int:
    return _round_half_up(100 * part / whole) if whole else 0


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
            mean = _round_half_up(sum(v * n for v, n in by_value.items()) / answered, 1)
        results.append(QuestionResult(question, answered, buckets, mean, []))
    return SurveyResults(sum(side_counts.values()), side_counts, results)


@dataclass(frozen=True)
class Figure:
    """A figure for leaders: its value, or None and `fewer_than_minimum` when too few people are behind it."""

    value: float | int | None
    fewer_than_minimum: bool = False

    @classmethod
    def of(cls, n: int, compute) -> "Figure":
        if n < SURVEY_MIN_RESPONDENTS:
            return cls(None, True)
        return cls(compute())


SUPPRESSED = Figure(None, True)


@dataclass(frozen=True)
class AggregateFigures:
    respondents: Figure
    satisfaction_mean: Figure  # 1-5, one decimal
    learned_pct: Figure  # % answering yes to "I use something I learned"
    nps: Figure  # % promoters (9-10) minus % detractors (0-6), -100..100

    @classmethod
    def suppressed(cls) -> "AggregateFigures":
        return cls(SUPPRESSED, SUPPRESSED, SUPPRESSED, SUPPRESSED)


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
        respondents=Figure.of(row["respondents"], lambda: row["respondents"]),
        satisfaction_mean=Figure.of(row["sat_n"], lambda: _round_half_up(row["sat_sum"] / row["sat_n"], 1)),
        learned_pct=Figure.of(row["learned_n"], lambda: _pct(row["learned_yes"], row["learned_n"])),
        nps=Figure.of(
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

    def enough_or_none(side: str) -> bool:
        n = per_side[side]["respondents"]
        return n == 0 or n >= SURVEY_MIN_RESPONDENTS

    by_side = {}
    for side in Side.values:
        others_safe = all(enough_or_none(other) for other in Side.values if other != side)
        shown = per_side[side]["respondents"] >= SURVEY_MIN_RESPONDENTS and others_safe
        by_side[side] = _figures(per_side[side]) if shown else AggregateFigures.suppressed()
    return SurveyAggregates(overall=_figures(overall), by_side=by_side)
