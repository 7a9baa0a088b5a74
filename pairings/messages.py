"""What the pairings app tells people when something happens to their pairing, as outbox messages.

Each function only composes messages (no writes); the service of the event plans them with
profiles.outbox.notify inside its own transaction. A reason someone gave for saying no or ending is HR's
alone and never appears here.
"""

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from profiles.models import Notification
from profiles.outbox import Message, date_text, language_of, to_hr_admins

from .models import MentorRequest, Pairing, Side

Kind = Notification.Kind

# Reminders about a pairing that stop making sense once it is over.
PAIRING_REMINDERS = [
    Kind.ACCEPTANCE_PENDING,
    Kind.AGREEMENT_PENDING,
    Kind.CHECKIN_UPCOMING,
    Kind.CHECKIN_OVERDUE,
    Kind.GOAL_REVIEW,
    Kind.INACTIVITY,
    Kind.HR_OVERDUE,
]


def subject(pairing: Pairing) -> str:
    return f"pairing:{pairing.pk}"


def _detail(pairing: Pairing) -> str:
    return reverse("pairings:detail", args=[pairing.pk])


def introductions(pairing: Pairing) -> list[Message]:
    """Each of the two meets the other, with why the app paired them, in their own language."""
    messages = []
    for side, me, partner in pairing.sides():
        values = {"partner": partner.full_name, "title": partner.job_title, "program": pairing.program.name}
        with override(language_of(me)):
            if side == Side.MENTOR:
                body = (
                    _("In %(program)s, you will mentor %(partner)s (%(title)s), and learn from them too.")
                    % values
                )
            else:
                body = (
                    _("In %(program)s, %(partner)s (%(title)s) will mentor you, and learn from you too.")
                    % values
                )
            body += "\n\n" + _("Why you two: %(why)s") % {"why": pairing.explanation or _("HR paired you.")}
            body += "\n\n" + _(
                "Please say yes or no within a few days. If you say no, only HR sees your reason."
            )
            title = _("Meet your reverse-mentoring partner: %(name)s") % {"name": partner.full_name}
            why = _("You are enrolled in %(program)s and were paired with %(partner)s.") % values
        messages.append(
            Message(
                recipient=me,
                kind=Kind.PAIRING_PROPOSED,
                subject=subject(pairing),
                period="proposed",
                title=title,
                body=body,
                link=_detail(pairing),
                why=why,
            )
        )
    return messages


def accepted(pairing: Pairing, side: str) -> list[Message]:
    """`side` said yes: the partner hears it, and whether the pairing has now begun."""
    _side, me, partner = next(s for s in pairing.sides() if s[0] != side)
    with override(language_of(me)):
        if pairing.is_active:
            title = _("%(name)s said yes too: you are paired") % {"name": partner.full_name}
            body = _(
                "Agree together how you will work and what each of you wants to learn, then plan your first check-in."
            )
        else:
            title = _("%(name)s said yes") % {"name": partner.full_name}
            body = _("%(name)s would like to work with you. Your answer is all that is missing.") % {
                "name": partner.full_name
            }
        why = _("Your partner answered the introduction.")
    return [
        Message(
            recipient=me,
            kind=Kind.PAIRING_ACCEPTED,
            subject=subject(pairing),
            period=f"accepted:{side}",
            title=title,
            body=body,
            link=_detail(pairing),
            why=why,
        )
    ]


def ended(pairing: Pairing, *, by_side: str | None, declined: bool = False) -> list[Message]:
    """The pairing will not go on: whoever did not end it hears it (both, when HR did), without the reason."""
    messages = []
    for side, me, partner in pairing.sides():
        if side == by_side:
            continue
        with override(language_of(me)):
            if declined:
                title = _("Your pairing with %(name)s will not go ahead") % {"name": partner.full_name}
                body = _("That happens, and it says nothing about you. HR will suggest another partner.")
            elif by_side is None:
                title = _("HR ended your pairing with %(name)s") % {"name": partner.full_name}
                body = _("HR will be in touch about what comes next. Your notes stay yours.")
            else:
                title = _("%(name)s ended your pairing") % {"name": partner.full_name}
                body = _(
                    "Pairings end for many reasons and it says nothing about you. Your notes stay yours, and "
                    "HR can pair you with someone else."
                )
            why = _("You were one of the pair.")
        messages.append(
            Message(
                recipient=me,
                kind=Kind.PAIRING_ENDED,
                subject=subject(pairing),
                period="ended",
                title=title,
                body=body,
                link=reverse("checkins:home"),
                why=why,
            )
        )
    return messages


def agreement_changed(pairing: Pairing, side: str) -> list[Message]:
    """One side changed the agreement: the other is asked to look and confirm it again (once a day)."""
    _side, me, partner = next(s for s in pairing.sides() if s[0] != side)
    with override(language_of(me)):
        title = _("%(name)s changed your agreement") % {"name": partner.full_name}
        body = _("Have a look at what changed, and confirm it again when you both agree.")
        why = _("A change to the agreement asks both of you to confirm it again.")
    return [
        Message(
            recipient=me,
            kind=Kind.AGREEMENT_CHANGED,
            subject=subject(pairing),
            period=f"agreement:{timezone.localdate().isoformat()}",
            title=title,
            body=body,
            link=_detail(pairing),
            why=why,
        )
    ]


def conflicts_flagged(pairings: list[Pairing]) -> list[Message]:
    """HR hears at once when a directory change puts a pair into one reporting line."""
    messages = []
    for pairing in pairings:
        messages += to_hr_admins(
            kind=Kind.CONFLICT_FLAGGED,
            subject=subject(pairing),
            period=f"flagged:{pairing.conflict_flagged_at:%Y-%m-%dT%H:%M}",
            words=lambda pairing=pairing: {
                "title": _("A pair now shares a reporting line (%(program)s)")
                % {"program": pairing.program.name},
                "body": pairing.conflict_reason
                + "\n\n"
                + _("The pair is flagged until you end it, re-match it, or decide to keep it."),
                "why": _("A directory change put a mentor and their mentee into one reporting line."),
            },
            link=reverse("pairings:program_pairings", args=[pairing.program_id]),
        )
    return messages


def mentor_requested(request: MentorRequest) -> list[Message]:
    mentee = request.mentee.person
    with override(language_of(request.mentor.person)):
        title = _("%(name)s asks you to be their mentor") % {"name": mentee.full_name}
        body = _("In %(program)s, %(name)s (%(title)s) chose you. Please answer by %(date)s.") % {
            "program": request.program.name,
            "name": mentee.full_name,
            "title": mentee.job_title,
            "date": date_text(timezone.localdate(request.expires_at)),
        }
        why = _("Mentees in this program choose their mentor from suggestions; you were suggested.")
    return [
        Message(
            recipient=request.mentor.person,
            kind=Kind.MENTOR_REQUESTED,
            subject=f"request:{request.pk}",
            period="asked",
            title=title,
            body=body,
            link=reverse("pairings:requests"),
            why=why,
        )
    ]


def request_answered(request: MentorRequest, pairing: Pairing | None = None) -> list[Message]:
    """The mentee hears the mentor's answer, or that the request expired, and where to go next."""
    mentor = request.mentor.person
    Status = MentorRequest.Status
    with override(language_of(request.mentee.person)):
        if request.status == Status.ACCEPTED:
            title = _("%(name)s said yes: you are paired") % {"name": mentor.full_name}
            body = _("Agree together how you will work and what each of you wants to learn.")
            link = _detail(pairing) if pairing else reverse("checkins:home")
        elif request.status == Status.EXPIRED:
            title = _("Your request to %(name)s expired") % {"name": mentor.full_name}
            body = _("There was no answer in time. Please choose another mentor.")
            link = reverse("pairings:choose", args=[request.mentee_id])
        else:
            title = _("%(name)s can't be your mentor this time") % {"name": mentor.full_name}
            body = _("That happens, and it says nothing about you. Please choose another mentor.")
            link = reverse("pairings:choose", args=[request.mentee_id])
        why = _("You asked %(name)s to be your mentor.") % {"name": mentor.full_name}
    return [
        Message(
            recipient=request.mentee.person,
            kind=Kind.REQUEST_ANSWERED,
            subject=f"request:{request.pk}",
            period=str(request.status),
            title=title,
            body=body,
            link=link,
            why=why,
        )
    ]
