"""A check-in as a calendar invitation (RFC 5545 with the iTIP methods of RFC 5546).

One event per meeting, the same UID for its whole life: planning it sends METHOD:REQUEST, each move sends
a REQUEST with a higher SEQUENCE (calendars replace the event they hold), a cancellation sends
METHOD:CANCEL. Both people are attendees and the one who planned it is the organiser, so Outlook and
Google Calendar show the partner an invitation with Accept and Decline, and the answer goes to the
planner. The same file is the .ics download on the check-ins page and the invitation in the partner's
email (profiles.outbox.invitations asks `meeting_invitation` for it when the email is sent, so the email
always carries the meeting as it is then, with its current SEQUENCE).
"""

from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Calendar, Event, vCalAddress, vText

from pairings.models import Side

from .models import Meeting

REQUEST = "REQUEST"
CANCEL = "CANCEL"


def meeting_uid(meeting: Meeting) -> str:
    return f"twoway-meeting-{meeting.pk}@{urlsplit(settings.SITE_URL).hostname or 'twoway.invalid'}"


def _address(person, *, role: str | None = None) -> vCalAddress:
    address = vCalAddress(f"mailto:{person.email}")
    address.params["cn"] = vText(person.full_name)
    if role:
        address.params["role"] = vText(role)
        address.params["partstat"] = vText("NEEDS-ACTION")
        address.params["rsvp"] = vText("TRUE")
    return address


def meeting_calendar(meeting: Meeting) -> tuple[bytes, str]:
    """The meeting as an iCalendar file and its method (REQUEST, or CANCEL once it is cancelled)."""
    pairing = meeting.pairing
    mentor, mentee = pairing.mentor.person, pairing.mentee.person
    planner = mentor if meeting.planned_by_side == Side.MENTOR else mentee
    cancelled = meeting.status == Meeting.Status.CANCELLED
    method = CANCEL if cancelled else REQUEST
    calendar = Calendar()
    calendar.add("prodid", "-//Twoway//reverse mentoring//EN")
    calendar.add("version", "2.0")
    calendar.add("method", method)
    event = Event()
    event.add("uid", meeting_uid(meeting))
    event.add("sequence", meeting.sequence)
    event.add("dtstamp", timezone.now())
    event.add("dtstart", meeting.starts_at)
    event.add("dtend", meeting.starts_at + timedelta(minutes=meeting.duration_minutes))
    event.add(
        "summary",
        _("Reverse-mentoring check-in: %(a)s and %(b)s") % {"a": mentor.full_name, "b": mentee.full_name},
    )
    event.add("description", settings.SITE_URL + reverse("checkins:journal", args=[pairing.pk]))
    event.add("organizer", _address(planner))
    for person in (mentor, mentee):
        event.add("attendee", _address(person, role="REQ-PARTICIPANT"), encode=0)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    calendar.add_component(event)
    return calendar.to_ical(), method


def meeting_invitation(subject_id: int) -> tuple[bytes, str] | None:
    """The invitation an email about meeting `subject_id` carries, or None if the meeting is gone."""
    meeting = (
        Meeting.objects.select_related("pairing__mentor__person", "pairing__mentee__person")
        .filter(pk=subject_id)
        .first()
    )
    return meeting_calendar(meeting) if meeting is not None else None
