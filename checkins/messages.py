"""What the check-ins app tells people when something happens, as outbox messages: a meeting planned,
moved or cancelled reaches the partner; a new concern reaches HR at once.

Each function only composes messages; the service of the event plans them inside its own transaction.
A concern's words never travel by email: HR reads them on the concern's page.
"""

from datetime import datetime

from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import override, pgettext

from common.text import in_sentence
from pairings.models import Pairing
from profiles.models import Notification, Person
from profiles.outbox import Message, language_of, to_hr_admins
from profiles.outbox.planning import zone

from .models import Concern, Meeting

Kind = Notification.Kind

# Reminders that a logged check-in answers: the next ones are planned from the new due date.
CHECKIN_REMINDERS = [Kind.CHECKIN_UPCOMING, Kind.CHECKIN_OVERDUE, Kind.INACTIVITY]


def _when(moment: datetime, person: Person) -> str:
    """A moment as the person reads it: in their own time zone (and the language active, theirs)."""
    local = timezone.localtime(moment, zone(person.time_zone))
    moment = date_format(local, pgettext("a moment in a message (Django date format)", "l j F Y, H:i"))
    return f"{moment} ({person.time_zone})"


def meeting_changed(
    meeting: Meeting, *, by_side: str, kind: str, previous: datetime | None = None, reason: str = ""
) -> list[Message]:
    """The partner of whoever planned, moved or cancelled a check-in hears it, in their own time, with
    the reason if one was given; the email carries the calendar invitation (checkins.calendar)."""
    pairing: Pairing = meeting.pairing
    partner_side, me, author = next(s for s in pairing.sides() if s[0] != by_side)
    with override(language_of(me)):
        values = {"name": author.full_name, "when": _when(meeting.starts_at, me)}
        if kind == Kind.MEETING_PLANNED:
            title = _("%(name)s planned your next check-in") % values
            body = (
                _("%(when)s. Accept the calendar invitation that comes by email, or download it in Twoway.")
                % values
            )
        elif kind == Kind.MEETING_MOVED:
            title = _("%(name)s moved your check-in") % values
            body = _("It is now %(when)s (it was %(before)s).") % (values | {"before": _when(previous, me)})
        else:
            title = _("%(name)s cancelled your check-in") % values
            body = _("The check-in of %(when)s will not take place. Plan another one together.") % values
        if reason:
            body += " " + _("%(name)s says: “%(reason)s”") % (values | {"reason": reason})
        why = _("You are the other half of this pair.")
    return [
        Message(
            recipient=me,
            kind=kind,
            subject=f"meeting:{meeting.pk}",
            period=f"{kind}:{meeting.sequence}",  # each move is news, even back to an earlier time
            title=title,
            body=body,
            link=reverse("checkins:journal", args=[pairing.pk]),
            why=why,
        )
    ]


def concern_raised(concern: Concern) -> list[Message]:
    """Every HR admin hears at once that a concern is waiting; what it says stays on its page."""
    return to_hr_admins(
        kind=Kind.CONCERN_RAISED,
        subject=f"concern:{concern.pk}",
        period="raised",
        words=lambda: {
            "title": _("A new concern is waiting for you (%(kind)s)")
            % {"kind": in_sentence(concern.get_kind_display())},
            "body": _("Someone in %(program)s raised it in confidence. Read it and answer on its page.")
            % {"program": concern.pairing.program.name},
            "why": _("HR admins are told of every new concern at once."),
        },
        link=reverse("checkins:concern_handle", args=[concern.pk]),
    )
