"""Every write to programs, themes, acknowledgements and enrollments goes through here."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from common.services import check_version
from profiles.models import Person, User

from .models import (
    DEFAULT_THEMES,
    Acknowledgement,
    Enrollment,
    Program,
    ProgramInvitation,
    Survey,
    SurveyAnswer,
    SurveyQuestion,
    SurveyResponse,
    Theme,
)

State = Program.State

# Which state may follow which. Going back from enrolling to draft (or from matching to enrolling) is
# allowed so that HR can fix a mistake; nothing leaves "closed".
TRANSITIONS: dict[str, set[str]] = {
    State.DRAFT: {State.ENROLLING},
    State.ENROLLING: {State.DRAFT, State.MATCHING},
    State.MATCHING: {State.ENROLLING, State.RUNNING},
    State.RUNNING: {State.CLOSED},
    State.CLOSED: set(),
}

# What each state allows, in the words the program page shows to HR.
STATE_ALLOWS = {
    State.DRAFT: gettext_lazy("Everything can be edited. Nobody can enroll yet."),
    State.ENROLLING: gettext_lazy(
        "People can enroll during the enrollment window; HR approves, declines or waitlists them. "
        "Everything can still be edited."
    ),
    State.MATCHING: gettext_lazy(
        "Enrollment is closed. HR decides the last enrollments and runs matching; people may still withdraw."
    ),
    State.RUNNING: gettext_lazy(
        "Pairs meet. Only the texts, the success targets and the end date can change; the rules are fixed."
    ),
    State.CLOSED: gettext_lazy(
        "The program is over and read-only. It can be archived or used as a template."
    ),
}

# Fields whose change cannot hurt pairs that already meet.
SAFE_WHILE_RUNNING = {
    "name",
    "family",
    "description",
    "objectives",
    "mentee_hopes",
    "mentor_offers",
    "target_checkin_adherence_pct",
    "target_goal_completion_pct",
    "target_satisfaction",
    "ends_on",
}
EDITABLE_FIELDS = {
    "name",
    "family",
    "description",
    "objectives",
    "mentee_hopes",
    "mentor_offers",
    "cadence_days",
    "goal_review_weeks",
    "reminder_days_before",
    "send_hour",
    "starts_on",
    "ends_on",
    "enrollment_opens_on",
    "enrollment_closes_on",
    "hours_per_month",
    "meeting_minutes",
    "confidentiality_norms",
    "target_checkin_adherence_pct",
    "target_goal_completion_pct",
    "target_satisfaction",
    "min_level_gap",
    "mentor_capacity",
    "mentee_capacity",
    "exclude_same_department",
    "exclude_same_manager",
}

DEFAULT_ACKNOWLEDGEMENTS = [
    (
        Acknowledgement.Kind.CODE_OF_CONDUCT,
        gettext_lazy("Code of conduct"),
        gettext_lazy(
            "I will treat my partner with respect, keep what they share confidential, and raise any concern "
            "with HR rather than let it pass."
        ),
    ),
    (
        Acknowledgement.Kind.TRAINING,
        gettext_lazy("Giving and receiving feedback"),
        gettext_lazy("I have completed the training on giving and receiving feedback."),
    ),
    (
        Acknowledgement.Kind.TRAINING,
        gettext_lazy("Diversity and inclusion"),
        gettext_lazy("I have completed the diversity and inclusion training."),
    ),
]


def editable_fields(program: Program) -> set[str]:
    if program.state == State.CLOSED or program.is_archived:
        return set()
    if program.state == State.RUNNING:
        return set(SAFE_WHILE_RUNNING)
    return set(EDITABLE_FIELDS)


@transaction.atomic
def program_create(*, actor: User, data: dict) -> Program:
    """Create a draft program with the default themes and acknowledgements, ready to edit."""
    unknown = set(data) - EDITABLE_FIELDS
    if unknown:
        raise ValueError(f"not program fields: {sorted(unknown)}")
    program = Program(**data, created_by=actor, state=State.DRAFT)
    program.full_clean()
    program.save()
    Theme.objects.bulk_create(
        Theme(program=program, name=str(name), discussion_guide=str(guide), position=i)
        for i, (name, guide) in enumerate(DEFAULT_THEMES)
    )
    Acknowledgement.objects.bulk_create(
        Acknowledgement(program=program, kind=kind, title=str(title), text=str(text), position=i)
        for i, (kind, title, text) in enumerate(DEFAULT_ACKNOWLEDGEMENTS)
    )
    return program


@transaction.atomic
def program_update(*, program: Program, data: dict, version: datetime | None = None) -> Program:
    """Change the fields the program's state allows; refuse the rest, and refuse a stale form.

    Guarantees: nothing is saved when any field is refused or another person saved in between.
    """
    program = Program.objects.select_for_update().get(pk=program.pk)
    check_version(program, version, what=_("program"))
    allowed = editable_fields(program)
    changed = {field: value for field, value in data.items() if getattr(program, field) != value}
    refused = sorted(set(changed) - allowed)
    if refused:
        raise ValidationError(
            {
                field: _("This can't change while the program is %(state)s.")
                % {"state": program.get_state_display().lower()}
                for field in refused
            }
        )
    for field, value in changed.items():
        setattr(program, field, value)
    program.full_clean()
    program.save()
    return program


def _missing_to_open_enrollment(program: Program) -> list[str]:
    missing = []
    for field in ("starts_on", "ends_on", "enrollment_opens_on", "enrollment_closes_on"):
        if getattr(program, field) is None:
            missing.append(str(Program._meta.get_field(field).verbose_name))
    if not program.themes.exists():
        missing.append(_("at least one theme"))
    return missing


@transaction.atomic
def program_transition(*, program: Program, to_state: str) -> Program:
    """Move a program along its lifecycle; an illegal move or a missing prerequisite is refused."""
    program = Program.objects.select_for_update().get(pk=program.pk)
    if program.is_archived:
        raise ValidationError(_("An archived program can't change."))
    if to_state not in TRANSITIONS[program.state]:
        raise ValidationError(
            _("A program can't go from %(from)s to %(to)s.")
            % {"from": program.get_state_display(), "to": State(to_state).label}
        )
    if to_state == State.ENROLLING:
        missing = _missing_to_open_enrollment(program)
        if missing:
            raise ValidationError(
                _("Before enrollment opens, set: %(missing)s.") % {"missing": ", ".join(missing)}
            )
    if to_state == State.RUNNING:
        if not program.enrollments.filter(status=Enrollment.Status.APPROVED).exists():
            raise ValidationError(_("A program needs approved participants before it runs."))
    program.state = to_state
    program.save(update_fields=["state", "updated_at"])
    if to_state == State.RUNNING:
        survey_ensure_for_program(program=program)  # mid-point and closing surveys, on the program's dates
    return program


@transaction.atomic
def program_duplicate(*, program: Program, actor: User) -> Program:
    """A new draft with the same texts, rules, themes and acknowledgements, and no dates or people."""
    copy = Program.objects.get(pk=program.pk)
    copy.pk = None
    copy.name = _("%(name)s (next cohort)") % {"name": program.name}
    copy.state = State.DRAFT
    copy.archived_at = None
    copy.created_by = actor
    copy.created_at = timezone.now()
    copy.starts_on = copy.ends_on = copy.enrollment_opens_on = copy.enrollment_closes_on = None
    copy.save()
    Theme.objects.bulk_create(
        Theme(program=copy, name=t.name, discussion_guide=t.discussion_guide, position=t.position)
        for t in program.themes.all()
    )
    Acknowledgement.objects.bulk_create(
        Acknowledgement(program=copy, kind=a.kind, title=a.title, text=a.text, position=a.position)
        for a in program.acknowledgements.all()
    )
    return copy


@transaction.atomic
def program_archive(*, program: Program) -> Program:
    """Archive a closed program: it leaves the default lists but stays readable."""
    program = Program.objects.select_for_update().get(pk=program.pk)
    if program.state != State.CLOSED:
        raise ValidationError(_("Only a closed program can be archived."))
    if program.archived_at is None:
        program.archived_at = timezone.now()
        program.save(update_fields=["archived_at", "updated_at"])
    return program


def _ensure_editable(program: Program) -> None:
    if not editable_fields(program):
        raise ValidationError(_("This program is read-only."))


@transaction.atomic
def theme_save(*, program: Program, theme: Theme | None, name: str, discussion_guide: str) -> Theme:
    """Add or rename a theme. Themes can change in any state but closed (names are labels, not rules)."""
    _ensure_editable(program)
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("A theme needs a name.")})
    clash = program.themes.filter(name__iexact=name).exclude(pk=getattr(theme, "pk", None))
    if clash.exists():
        raise ValidationError({"name": _("This program already has a theme with that name.")})
    if theme is None:
        position = program.themes.count()
        theme = Theme(program=program, position=position)
    theme.name, theme.discussion_guide = name, discussion_guide.strip()
    theme.save()
    return theme


@transaction.atomic
def theme_delete(*, theme: Theme) -> None:
    """Remove a theme nobody chose yet; a chosen theme stays, since enrollments refer to it."""
    _ensure_editable(theme.program)
    if theme.enrollments.exists():
        raise ValidationError(
            _("People chose this theme when they enrolled, so it stays. You can rename it.")
        )
    theme.delete()


@transaction.atomic
def acknowledgement_save(
    *, program: Program, acknowledgement: Acknowledgement | None, kind: str, title: str, text: str
) -> Acknowledgement:
    """Add or edit a required acknowledgement; only before anyone has enrolled, so all confirm the same."""
    if program.state not in {State.DRAFT, State.ENROLLING} or program.enrollments.exists():
        raise ValidationError(_("Acknowledgements are fixed once people have enrolled."))
    if acknowledgement is None:
        acknowledgement = Acknowledgement(program=program, position=program.acknowledgements.count())
    acknowledgement.kind, acknowledgement.title, acknowledgement.text = kind, title.strip(), text.strip()
    acknowledgement.full_clean()
    acknowledgement.save()
    return acknowledgement


@transaction.atomic
def acknowledgement_delete(*, acknowledgement: Acknowledgement) -> None:
    program = acknowledgement.program
    if program.state not in {State.DRAFT, State.ENROLLING} or program.enrollments.exists():
        raise ValidationError(_("Acknowledgements are fixed once people have enrolled."))
    acknowledgement.delete()


# --- Enrollment -----------------------------------------------------------------------------------


def enrollment_window_open(program: Program, today: date | None = None) -> bool:
    today = today or timezone.localdate()
    return (
        program.state == State.ENROLLING
        and not program.is_archived
        and program.enrollment_opens_on is not None
        and program.enrollment_closes_on is not None
        and program.enrollment_opens_on <= today <= program.enrollment_closes_on
    )


@dataclass(frozen=True)
class EnrollmentAnswers:
    role: str
    topics: list[Theme]
    extra_topics: str
    hopes: str
    preferred_format: str
    availability: list[str]
    languages: str
    acknowledged: list[Acknowledgement]


def _validate_answers(program: Program, answers: EnrollmentAnswers) -> None:
    errors: dict[str, str] = {}
    if any(theme.program_id != program.pk for theme in answers.topics):
        errors["topics"] = _("Choose topics of this program.")
    if not answers.topics and not answers.extra_topics.strip():
        errors["topics"] = _("Choose at least one topic, or name one under other topics.")
    required = set(program.acknowledgements.values_list("pk", flat=True))
    given = {a.pk for a in answers.acknowledged if a.program_id == program.pk}
    if required - given:
        errors["acknowledged"] = _("Please confirm each of these to join the program.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def enrollment_create(*, program: Program, person: Person, answers: EnrollmentAnswers) -> Enrollment:
    """Enroll a person by their own choice, inside the enrollment window, once per program."""
    program = Program.objects.select_for_update().get(pk=program.pk)
    if not enrollment_window_open(program):
        raise ValidationError(_("Enrollment for this program is not open."))
    if not person.is_active:
        raise ValidationError(_("Only current employees can enroll."))
    _validate_answers(program, answers)
    enrollment = Enrollment(
        program=program,
        person=person,
        role=answers.role,
        extra_topics=answers.extra_topics.strip(),
        hopes=answers.hopes.strip(),
        preferred_format=answers.preferred_format,
        availability=list(answers.availability),
        languages=answers.languages.strip(),
    )
    enrollment.full_clean(exclude=["program", "person"])
    try:
        with transaction.atomic():
            enrollment.save()
    except IntegrityError:
        raise ValidationError(_("You are already enrolled in this program.")) from None
    enrollment.topics.set(answers.topics)
    enrollment.acknowledged.set(answers.acknowledged)
    return enrollment


@transaction.atomic
def enrollment_update(*, enrollment: Enrollment, answers: EnrollmentAnswers) -> Enrollment:
    """A participant changes their answers while the program is still enrolling and they are not out."""
    enrollment = Enrollment.objects.select_for_update().select_related("program").get(pk=enrollment.pk)
    if enrollment.program.state != State.ENROLLING:
        raise ValidationError(_("Answers can change only while the program is enrolling."))
    if enrollment.status in {Enrollment.Status.DECLINED, Enrollment.Status.WITHDRAWN}:
        raise ValidationError(_("This enrollment is closed."))
    _validate_answers(enrollment.program, answers)
    for field in ("role", "extra_topics", "hopes", "preferred_format", "languages"):
        setattr(enrollment, field, getattr(answers, field).strip() if field != "role" else answers.role)
    enrollment.availability = list(answers.availability)
    enrollment.full_clean(exclude=["program", "person"])
    enrollment.save()
    enrollment.topics.set(answers.topics)
    enrollment.acknowledged.set(answers.acknowledged)
    return enrollment


DECISIONS = {Enrollment.Status.APPROVED, Enrollment.Status.DECLINED, Enrollment.Status.WAITLISTED}


@transaction.atomic
def enrollment_decide(*, enrollment: Enrollment, actor: User, status: str, reason: str = "") -> Enrollment:
    """HR approves, declines (with a reason the person sees) or waitlists, before the program runs."""
    enrollment = Enrollment.objects.select_for_update().select_related("program").get(pk=enrollment.pk)
    if status not in DECISIONS:
        raise ValidationError(_("Unknown decision."))
    if enrollment.program.state not in {State.ENROLLING, State.MATCHING}:
        raise ValidationError(_("Enrollments are decided while the program is enrolling or matching."))
    if enrollment.status == Enrollment.Status.WITHDRAWN:
        raise ValidationError(_("This person has withdrawn."))
    reason = reason.strip()
    if status == Enrollment.Status.DECLINED and not reason:
        raise ValidationError({"reason": _("Say why, in a sentence the person will read.")})
    enrollment.status = status
    enrollment.decision_reason = reason
    enrollment.decided_by = actor
    enrollment.decided_at = timezone.now()
    enrollment.save(update_fields=["status", "decision_reason", "decided_by", "decided_at", "updated_at"])
    return enrollment


@transaction.atomic
def enrollment_withdraw(*, enrollment: Enrollment) -> Enrollment:
    """The person leaves before matching is published; nothing is held against them."""
    enrollment = Enrollment.objects.select_for_update().select_related("program").get(pk=enrollment.pk)
    if enrollment.program.state not in {State.ENROLLING, State.MATCHING}:
        raise ValidationError(_("You can withdraw until matching is done. After that, talk to HR."))
    if enrollment.status != Enrollment.Status.WITHDRAWN:
        enrollment.status = Enrollment.Status.WITHDRAWN
        enrollment.save(update_fields=["status", "updated_at"])
    return enrollment


# --- Invitations to enroll ----------------------------------------------------------------------------


def invite_audience_text(
    *, department: str = "", min_level: int | None = None, max_level: int | None = None
) -> str:
    """Who an invitation went to, in words: "everyone", "Marketing, levels 1 to 3"..."""
    parts = [department] if department else []
    if min_level is not None and max_level is not None:
        parts.append(_("levels %(low)s to %(high)s") % {"low": min_level, "high": max_level})
    elif min_level is not None:
        parts.append(_("level %(low)s and up") % {"low": min_level})
    elif max_level is not None:
        parts.append(_("up to level %(high)s") % {"high": max_level})
    return ", ".join(parts) or _("everyone with a login")


@transaction.atomic
def program_invite(
    *,
    program: Program,
    actor: User,
    department: str = "",
    min_level: int | None = None,
    max_level: int | None = None,
) -> int:
    """Invite the people with a login (all, or of a department and a level range) to enroll.

    Guarantees: only while the enrollment window is open; nobody is invited twice to one program, and
    nobody already enrolled is invited; leavers are never invited. The email is a row of the notification
    outbox, planned on the next tick. Returns how many people were newly invited.
    """
    program = Program.objects.select_for_update().get(pk=program.pk)
    if not enrollment_window_open(program):
        raise ValidationError(_("People can be invited while the program's enrollment window is open."))
    if min_level is not None and max_level is not None and min_level > max_level:
        raise ValidationError({"max_level": _("The highest level must be at least the lowest.")})
    people = Person.objects.filter(is_active=True, user__isnull=False, user__is_active=True)
    if department:
        people = people.filter(department=department)
    if min_level is not None:
        people = people.filter(level__gte=min_level)
    if max_level is not None:
        people = people.filter(level__lte=max_level)
    people = people.exclude(enrollments__program=program).exclude(program_invitations__program=program)
    audience = invite_audience_text(department=department, min_level=min_level, max_level=max_level)
    created = ProgramInvitation.objects.bulk_create(
        [
            ProgramInvitation(program=program, person_id=pk, invited_by=actor, audience=audience)
            for pk in people.values_list("pk", flat=True)
        ],
        ignore_conflicts=True,
        batch_size=1000,
    )
    return len(created)


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
