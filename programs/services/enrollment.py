"""Enrollments: a person joins as mentor or mentee, HR decides, the person may withdraw."""

from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from profiles.models import Person, User
from profiles.outbox import notify

from .. import messages
from ..models import (
    Acknowledgement,
    Enrollment,
    Program,
    Theme,
)

State = Program.State

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
    voluntary: bool  # the explicit opt-in: by their own choice, not tied to advancement


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
    if not answers.voluntary:
        errors["voluntary"] = _("Tick this to say you take part by your own choice: nobody can enroll you.")
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
        opted_in_at=timezone.now(),
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
    if enrollment.is_out:
        raise ValidationError(_("This enrollment is closed."))
    _validate_answers(enrollment.program, answers)
    for field in ("role", "extra_topics", "hopes", "preferred_format", "languages"):
        setattr(enrollment, field, getattr(answers, field).strip() if field != "role" else answers.role)
    enrollment.availability = list(answers.availability)
    enrollment.opted_in_at = enrollment.opted_in_at or timezone.now()
    enrollment.full_clean(exclude=["program", "person"])
    enrollment.save()
    enrollment.topics.set(answers.topics)
    enrollment.acknowledged.set(answers.acknowledged)
    return enrollment


DECISIONS = {Enrollment.Status.APPROVED, Enrollment.Status.DECLINED, Enrollment.Status.WAITLISTED}


@transaction.atomic
def enrollment_decide(*, enrollment: Enrollment, actor: User, status: str, reason: str = "") -> Enrollment:
    """HR approves, declines (with a reason the person sees) or waitlists, before the program runs."""
    enrollment = (
        Enrollment.objects.select_for_update(of=("self",))
        .select_related("program", "person")
        .get(pk=enrollment.pk)
    )
    if status not in DECISIONS:
        raise ValidationError(_("Unknown decision."))
    if not enrollment.program.decides_enrollments:
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
    notify(*messages.enrollment_decided(enrollment))
    return enrollment


@transaction.atomic
def enrollment_approve_waiting(*, program: Program, actor: User, enrollments: QuerySet[Enrollment]) -> int:
    """Approve, in one go, every enrollment of `enrollments` (HR's filtered list) still waiting for a
    decision: each exactly as enrollment_decide approves one (with its message). All or nothing."""
    waiting = enrollments.filter(program=program, status=Enrollment.Status.PENDING).order_by("pk")
    count = 0
    for enrollment in waiting:
        enrollment_decide(enrollment=enrollment, actor=actor, status=Enrollment.Status.APPROVED)
        count += 1
    return count


@transaction.atomic
def enrollment_withdraw(*, enrollment: Enrollment) -> Enrollment:
    """The person leaves before matching is published; nothing is held against them."""
    enrollment = Enrollment.objects.select_for_update().select_related("program").get(pk=enrollment.pk)
    if not enrollment.program.decides_enrollments:
        raise ValidationError(_("You can withdraw until matching is done. After that, talk to HR."))
    if enrollment.status != Enrollment.Status.WITHDRAWN:
        enrollment.status = Enrollment.Status.WITHDRAWN
        enrollment.save(update_fields=["status", "updated_at"])
    return enrollment


__all__ = [
    "DECISIONS",
    "EnrollmentAnswers",
    "enrollment_approve_waiting",
    "enrollment_create",
    "enrollment_decide",
    "enrollment_update",
    "enrollment_window_open",
    "enrollment_withdraw",
]
