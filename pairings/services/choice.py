"""Mentee-choice mode: suggestions, a mentee's request, the mentor's answer, expiry."""

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from profiles.models import Person
from profiles.outbox import notify
from programs.models import Enrollment, Program

from .. import matching, messages, selectors
from ..models import (
    MatchingSettings,
    MentorRequest,
    Pairing,
)
from .lifecycle import _activate, pairing_set_rhythm

# --- Mentee-choice mode -------------------------------------------------------------------------------------


def mentor_suggestions(*, mentee: Enrollment, limit: int = 5) -> list[dict]:
    """The mentee's best-suited eligible mentors with places left, best first, each with its explanation."""
    data = selectors.matching_input(program=mentee.program)
    mentee_c = next((c for c in data["mentees"] if c.enrollment_id == mentee.pk), None)
    if mentee_c is None:
        return []
    now = timezone.now()
    pending = set(
        MentorRequest.objects.filter(program=mentee.program, status=MentorRequest.Status.PENDING).values_list(
            "mentor_id", flat=True
        )
    )
    suggestions = []
    for mentor_c in data["mentors"]:
        if mentor_c.enrollment_id in pending:
            continue
        if matching.eligibility_reasons(mentor_c, mentee_c, data["rules"], managers=data["managers"]):
            continue
        score, _components = matching.score_pair(mentor_c, mentee_c, data["weights"], at=now)
        suggestions.append(
            {
                "mentor_id": mentor_c.enrollment_id,
                "name": mentor_c.name,
                "score": score,
                "explanation": matching.explain(mentor_c, mentee_c, at=now),
            }
        )
    suggestions.sort(key=lambda s: (-s["score"], s["mentor_id"]))
    return suggestions[:limit]


@transaction.atomic
def mentor_request_create(*, mentee: Enrollment, mentor: Enrollment) -> MentorRequest:
    """A mentee asks one of their suggested mentors. One open request at a time; it expires if unanswered."""
    program = mentee.program
    settings = selectors.matching_settings_for(program=program)
    if settings.mode != MatchingSettings.Mode.MENTEE_CHOICE or program.state != Program.State.MATCHING:
        raise ValidationError(_("Mentees choose only in a program that lets them, while it is matching."))
    if MentorRequest.objects.filter(mentee=mentee, status=MentorRequest.Status.PENDING).exists():
        raise ValidationError(_("You already have a request waiting for an answer."))
    suggestion = next((s for s in mentor_suggestions(mentee=mentee) if s["mentor_id"] == mentor.pk), None)
    if suggestion is None:
        raise ValidationError(_("This mentor is not among your suggestions any more. Please choose again."))
    request = MentorRequest.objects.create(
        program=program,
        mentee=mentee,
        mentor=mentor,
        explanation=suggestion["explanation"],
        expires_at=timezone.now() + timedelta(days=settings.request_expiry_days),
    )
    notify(*messages.mentor_requested(request))
    return request


@transaction.atomic
def mentor_request_answer(*, request: MentorRequest, person: Person, accept: bool) -> MentorRequest:
    """The mentor answers. Accepting makes an active pairing: both chose each other."""
    request = (
        MentorRequest.objects.select_for_update()
        .select_related("mentor__person", "mentee__person", "program")
        .get(pk=request.pk)
    )
    if request.mentor.person_id != person.pk:
        raise ValidationError(_("This request is not for you."))
    if request.status != MentorRequest.Status.PENDING or request.expires_at <= timezone.now():
        raise ValidationError(_("This request is no longer open."))
    request.status = MentorRequest.Status.ACCEPTED if accept else MentorRequest.Status.DECLINED
    request.decided_at = timezone.now()
    request.save()
    if accept:
        now = timezone.now()
        pairing = Pairing.objects.create(
            program=request.program,
            mentor=request.mentor,
            mentee=request.mentee,
            explanation=request.explanation,
            mentor_accepted_at=now,
            mentee_accepted_at=now,
        )
        _activate(pairing)
        pairing.save()
        pairing_set_rhythm(pairing=pairing, last_checkin_on=None, rating_trend=0)
    notify(*messages.request_answered(request, pairing if accept else None))
    return request


@transaction.atomic
def mentor_requests_expire() -> int:
    """Close requests nobody answered in time, and tell each mentee to choose again. Run on every tick;
    idempotent: a request is expired by one conditional update, and its message has a unique key."""
    due = MentorRequest.objects.filter(status=MentorRequest.Status.PENDING, expires_at__lte=timezone.now())
    expiring = list(
        due.select_for_update(of=("self",), skip_locked=True).select_related(
            "mentor__person", "mentee__person", "program"
        )
    )
    MentorRequest.objects.filter(pk__in=[r.pk for r in expiring], status=MentorRequest.Status.PENDING).update(
        status=MentorRequest.Status.EXPIRED
    )
    for request in expiring:
        request.status = MentorRequest.Status.EXPIRED
    notify(*(message for request in expiring for message in messages.request_answered(request)))
    return len(expiring)
