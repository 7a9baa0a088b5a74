"""The programs app's part of a person's data: enrollments and their answers, invitations to enroll,
survey answers; and the one definition of when a closed program's notes are due for purging."""

from datetime import datetime

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy

from common.personal_data import exclude, register
from profiles.models import Person, User

from .models import Enrollment, Program, ProgramInvitation, SurveyAnswer, SurveyResponse


def programs_notes_expired(*, cutoff: datetime) -> QuerySet[Program]:
    """Closed programs whose notes are past their retention: ended before `cutoff`.

    A program records no "closed on" day, so it counts as ended at the later of its end date and its
    last change: a closed program is read-only, so its last change is its closing (or its archiving,
    later still). Either way the notes are never purged before the retention has run out.
    """
    return Program.objects.filter(state=Program.State.CLOSED, updated_at__lt=cutoff).filter(
        Q(ends_on__isnull=True) | Q(ends_on__lt=timezone.localdate(cutoff))
    )


# --- Enrollments and invitations to enroll ---------------------------------------------------------------


def _export_enrollments(person: Person) -> dict:
    enrollments = (
        Enrollment.objects.filter(person=person)
        .select_related("program")
        .prefetch_related("topics", "acknowledged")
        .order_by("created_at")
    )
    invitations = (
        ProgramInvitation.objects.filter(person=person).select_related("program").order_by("created_at")
    )
    return {
        "enrollments": [
            {
                "program": e.program.name,
                "role": e.get_role_display(),
                "status": e.get_status_display(),
                "topics": [t.name for t in e.topics.all()],
                "other_topics": e.extra_topics,
                "hopes": e.hopes,
                "preferred_format": e.get_preferred_format_display(),
                "availability": e.availability,
                "languages": e.languages,
                "acknowledged": [a.title for a in e.acknowledged.all()],
                # HR's reason is written for the person: it is shown to them when they are declined.
                "decision_reason": e.decision_reason,
                "decided_at": e.decided_at,
                "opted_in_at": e.opted_in_at,
                "created_at": e.created_at,
                "updated_at": e.updated_at,
            }
            for e in enrollments
        ],
        "invitations_to_enroll": [
            {"program": i.program.name, "created_at": i.created_at} for i in invitations
        ],
    }


def _erase_enrollments(person: Person, actor: User) -> int:
    # Still in play where HR decides enrollments and runs matching: withdrawn, so no run pairs them.
    # Elsewhere the status stays (the funnel counts it; matching never takes an inactive person).
    changed = (
        Enrollment.objects.filter(
            person=person, program__state__in=[Program.State.ENROLLING, Program.State.MATCHING]
        )
        .exclude(status__in=[Enrollment.Status.DECLINED, Enrollment.Status.WITHDRAWN])
        .update(status=Enrollment.Status.WITHDRAWN, updated_at=timezone.now())
    )
    # Their own words go; role, status, topics chosen and dates stay for the counts.
    changed += (
        Enrollment.objects.filter(person=person)
        .exclude(hopes="", extra_topics="", languages="", decision_reason="", availability=[])
        .update(hopes="", extra_topics="", languages="", decision_reason="", availability=[])
    )
    return changed


register(
    name="enrollments",
    covers={"programs.Enrollment": ("person",), "programs.ProgramInvitation": ("person",)},
    export=_export_enrollments,
    erase=_erase_enrollments,
)


# --- Surveys ---------------------------------------------------------------------------------------------


def _export_surveys(person: Person) -> list[dict]:
    responses = (
        SurveyResponse.objects.filter(person=person)
        .select_related("survey__program")
        .prefetch_related("answers__question")
        .order_by("submitted_at")
    )
    return [
        {
            "program": r.survey.program.name,
            "survey": r.survey.get_kind_display(),
            "side": r.get_side_display(),
            "submitted_at": r.submitted_at,
            "answers": [
                {
                    "question": a.question.text,
                    "number": a.value_int,
                    "yes": a.value_bool,
                    "text": a.value_text,
                }
                for a in sorted(r.answers.all(), key=lambda a: (a.question.position, a.question_id))
            ],
        }
        for r in responses
    ]


def _erase_surveys(person: Person, actor: User) -> int:
    # Numbers and yes/no answers stay: the survey's aggregates count them, and alone they name nobody.
    return SurveyAnswer.objects.filter(response__person=person).exclude(value_text="").update(value_text="")


register(
    name="surveys",
    covers={"programs.SurveyResponse": ("person",), "programs.SurveyAnswer": ()},
    export=_export_surveys,
    erase=_erase_surveys,
)

exclude(
    "programs.Program",
    reason=gettext_lazy("A program names only the HR admin who created it: HR's record of their own work."),
)
exclude(
    "programs.Enrollment.decided_by",
    reason=gettext_lazy(
        "Which HR admin decided an enrollment is HR's record; the decision itself is included."
    ),
)
exclude(
    "programs.ProgramInvitation.invited_by",
    reason=gettext_lazy("Which HR admin sent an invitation to enroll is HR's record of their own work."),
)
