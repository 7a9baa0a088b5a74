"""What the programs app tells people when something happens to their enrollment, as outbox messages.

Each function only composes messages; the service of the event plans them inside its own transaction.
"""

from collections.abc import Callable
from datetime import datetime

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import override

from profiles.models import Notification, Person
from profiles.outbox import Message, date_text, language_of, next_send_time

from .models import Enrollment, Program


def enrollment_decided(enrollment: Enrollment) -> list[Message]:
    """The person hears HR's decision, with the reason HR gave when it is a no, in their own language."""
    Status = Enrollment.Status
    program = enrollment.program.name
    with override(language_of(enrollment.person)):
        if enrollment.status == Status.APPROVED:
            title = _("You are in: %(program)s") % {"program": program}
            body = _("HR approved your enrollment. You will hear when you are paired.")
        elif enrollment.status == Status.WAITLISTED:
            title = _("You are on the waiting list for %(program)s") % {"program": program}
            body = _("The program is full for now. If a place opens, HR will approve you and you will hear.")
        else:
            title = _("Your enrollment in %(program)s was not approved") % {"program": program}
            body = _("HR's reason: %(reason)s") % {"reason": enrollment.decision_reason}
        why = _("You asked to join %(program)s, and HR decided.") % {"program": program}
    return [
        Message(
            recipient=enrollment.person,
            kind=Notification.Kind.ENROLLMENT_DECIDED,
            subject=f"enrollment:{enrollment.pk}",
            period=str(enrollment.status),
            title=title,
            body=body,
            link=reverse("programs:my_enrollment", args=[enrollment.pk]),
            why=why,
        )
    ]


def program_invitations(
    program: Program, people: list[Person], *, audience: Callable[[], str], now: datetime
) -> list[Message]:
    """One invitation to enroll for each person, at the program's send hour in their own time zone, in
    their own language (`audience()` names who was invited, in the language it is called in)."""
    words: dict[str, tuple[str, str, str]] = {}  # composed once per language
    link = reverse("programs:enroll", args=[program.pk])
    messages = []
    for person in people:
        language = language_of(person)
        if language not in words:
            with override(language):
                words[language] = (
                    _("You are invited to join %(program)s") % {"program": program.name},
                    _(
                        "Enrollment is open until %(date)s. Juniors mentor seniors, and both sides learn. "
                        "Taking part is voluntary and not tied to performance reviews, pay or promotion."
                    )
                    % {"date": date_text(program.enrollment_closes_on)},
                    _("HR invited %(audience)s to this program.") % {"audience": audience() or _("you")},
                )
        title, body, why = words[language]
        messages.append(
            Message(
                recipient=person,
                kind=Notification.Kind.PROGRAM_INVITATION,
                subject=f"program:{program.pk}",
                period="invite",
                title=title,
                body=body,
                link=link,
                why=why,
                due_at=next_send_time(person=person, hour=program.send_hour, now=now),
            )
        )
    return messages
