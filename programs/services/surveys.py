"""Surveys of a program: their windows, questions, and each person's answers."""

from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from profiles.models import Person

from ..models import (
    Enrollment,
    Program,
    Survey,
    SurveyAnswer,
    SurveyQuestion,
    SurveyResponse,
)

# --- Surveys --------------------------------------------------------------------------------------
# Who may answer: people with an approved enrollment in the program. Pairings are not consulted on
# purpose: programs must not import pairings (profiles <- programs <- pairings <- checkins), and an
# approved enrollment is what puts a person in a pair. Someone approved but never paired may answer too.

SURVEY_WINDOW_DAYS = 14
SURVEY_TEXT_MAX_LENGTH = 2000

STANDARD_SURVEY_QUESTIONS = [
    (SurveyQuestion.Kind.RATING_1_5, gettext_lazy("Overall, how satisfied are you with the program?")),
    (SurveyQuestion.Kind.YES_NO, gettext_lazy("I use something I learned in the program.")),
    (
        SurveyQuestion.Kind.SCALE_0_10,
        gettext_lazy("How likely are you to recommend the program to a colleague?"),
    ),
    (SurveyQuestion.Kind.TEXT, gettext_lazy("Anything else you would like to tell HR?")),
]


def survey_answer_field(question: SurveyQuestion) -> str:
    """The form field (and error key) of a question's answer."""
    return f"question_{question.pk}"


def _survey_windows(program: Program) -> dict[str, tuple[date, date]]:
    window = timedelta(days=SURVEY_WINDOW_DAYS)
    midpoint = program.starts_on + timedelta(days=(program.ends_on - program.starts_on).days // 2)
    return {
        Survey.Kind.MID_POINT: (midpoint, midpoint + window),
        Survey.Kind.CLOSING: (program.ends_on - window, program.ends_on + window),
    }


@transaction.atomic
def survey_ensure_for_program(*, program: Program) -> list[Survey]:
    """The program's mid-point and closing surveys exist, each with the four standard questions.

    Idempotent: a second call creates nothing. A survey nobody has answered yet follows the program's
    dates (they can move while it runs); once answered, its window stays as it was.
    """
    program = Program.objects.select_for_update().get(pk=program.pk)
    if program.starts_on is None or program.ends_on is None:
        raise ValidationError(_("Set the program's start and end dates before creating its surveys."))
    surveys = []
    for kind, (opens_on, closes_on) in _survey_windows(program).items():
        survey, created = Survey.objects.get_or_create(
            program=program, kind=kind, defaults={"opens_on": opens_on, "closes_on": closes_on}
        )
        if created:
            SurveyQuestion.objects.bulk_create(
                SurveyQuestion(
                    survey=survey, text=str(text), kind=question_kind, position=i, is_standard=True
                )
                for i, (question_kind, text) in enumerate(STANDARD_SURVEY_QUESTIONS)
            )
        elif (survey.opens_on, survey.closes_on) != (opens_on, closes_on) and not survey.responses.exists():
            survey.opens_on, survey.closes_on = opens_on, closes_on
            survey.save(update_fields=["opens_on", "closes_on"])
        surveys.append(survey)
    return surveys


def _ensure_questions_editable(survey: Survey) -> None:
    if survey.responses.exists():
        raise ValidationError(_("People have answered this survey, so its questions are fixed."))


@transaction.atomic
def survey_question_save(
    *, survey: Survey, question: SurveyQuestion | None, text: str, kind: str
) -> SurveyQuestion:
    """Add or edit one of HR's extra questions, until the first response. Standard ones don't change."""
    survey = Survey.objects.select_for_update().get(pk=survey.pk)
    _ensure_questions_editable(survey)
    if question is not None and (question.is_standard or question.survey_id != survey.pk):
        raise ValidationError(_("The standard questions can't be changed."))
    text = text.strip()
    if not text:
        raise ValidationError({"text": _("Write the question.")})
    if kind not in SurveyQuestion.Kind.values:
        raise ValidationError({"kind": _("Choose the kind of answer.")})
    if question is None:
        last = survey.questions.order_by("-position").values_list("position", flat=True).first()
        question = SurveyQuestion(survey=survey, position=(last or 0) + 1, is_standard=False)
    question.text, question.kind = text, kind
    question.full_clean(exclude=["survey"])
    question.save()
    return question


@transaction.atomic
def survey_question_delete(*, question: SurveyQuestion) -> None:
    """Remove an extra question, until the first response. The four standard ones always stay."""
    survey = Survey.objects.select_for_update().get(pk=question.survey_id)
    if question.is_standard:
        raise ValidationError(_("The standard questions can't be removed."))
    _ensure_questions_editable(survey)
    question.delete()


def _clean_survey_value(question: SurveyQuestion, value):
    """The value to store, or None when not answered; ValidationError when it doesn't fit the question."""
    Kind = SurveyQuestion.Kind
    if value is None or (isinstance(value, str) and not value.strip()):
        if question.is_required:
            raise ValidationError(_("Please answer this question."))
        return None
    if question.kind == Kind.TEXT:
        if not isinstance(value, str):
            raise ValidationError(_("Write your answer as text."))
        if len(value.strip()) > SURVEY_TEXT_MAX_LENGTH:
            raise ValidationError(
                _("Keep it under %(n)s characters, please.") % {"n": SURVEY_TEXT_MAX_LENGTH}
            )
        return value.strip()
    if question.kind == Kind.YES_NO:
        if not isinstance(value, bool):
            raise ValidationError(_("Answer yes or no."))
        return value
    low, high = (1, 5) if question.kind == Kind.RATING_1_5 else (0, 10)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValidationError(_("Choose a number from %(low)s to %(high)s.") % {"low": low, "high": high})
    return value


@transaction.atomic
def survey_respond(*, survey: Survey, person: Person, answers: dict[int, object]) -> SurveyResponse:
    """Record a participant's answers: once, while the survey is open, every required question answered.

    `answers` maps question ids to values: int for ratings and scales, bool for yes/no, str for text.
    Guarantees: nothing is saved unless every answer is valid; errors name each question's form field.
    """
    # The lock serialises responses with HR's question edits, so nobody answers a question being removed.
    survey = Survey.objects.select_for_update().select_related("program").get(pk=survey.pk)
    enrollment = Enrollment.objects.filter(
        program=survey.program, person=person, status=Enrollment.Status.APPROVED
    ).first()
    if enrollment is None or not person.is_active:
        raise ValidationError(_("Only the program's participants can answer its surveys."))
    if not survey.is_open_on(timezone.localdate()):
        raise ValidationError(
            _("This survey is open from %(opens)s to %(closes)s.")
            % {"opens": survey.opens_on.isoformat(), "closes": survey.closes_on.isoformat()}
        )
    if survey.responses.filter(person=person).exists():
        raise ValidationError(_("You have already answered this survey. Thank you!"), code="answered")
    questions = list(survey.questions.all())
    unknown = set(answers) - {q.pk for q in questions}
    if unknown:
        raise ValidationError(_("Some answers are not for this survey's questions."))
    errors: dict[str, list] = {}
    values = {}
    for question in questions:
        try:
            values[question] = _clean_survey_value(question, answers.get(question.pk))
        except ValidationError as error:
            errors[survey_answer_field(question)] = error.messages
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            response = SurveyResponse.objects.create(survey=survey, person=person, side=enrollment.role)
    except IntegrityError:
        raise ValidationError(
            _("You have already answered this survey. Thank you!"), code="answered"
        ) from None
    SurveyAnswer.objects.bulk_create(
        SurveyAnswer(
            response=response,
            question=question,
            value_int=value
            if question.kind in {SurveyQuestion.Kind.RATING_1_5, SurveyQuestion.Kind.SCALE_0_10}
            else None,
            value_bool=value if question.kind == SurveyQuestion.Kind.YES_NO else None,
            value_text=value if question.kind == SurveyQuestion.Kind.TEXT else "",
        )
        for question, value in values.items()
        if value is not None
    )
    return response


__all__ = [
    "STANDARD_SURVEY_QUESTIONS",
    "SURVEY_TEXT_MAX_LENGTH",
    "SURVEY_WINDOW_DAYS",
    "survey_answer_field",
    "survey_ensure_for_program",
    "survey_question_delete",
    "survey_question_save",
    "survey_respond",
]
