"""A planned check-in reaches the partner as a calendar invitation they can accept: METHOD:REQUEST with
both people as attendees and the planner as organiser; a move is the same event (UID) with a higher
SEQUENCE, a cancellation METHOD:CANCEL. The move-or-cancel page confirms first and asks why."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from checkins import services as checkin_services
from checkins.models import Cancellation, Meeting
from pairings.models import Agreement, Pairing
from profiles.models import MeetingFormat, Notification
from tests.delivery import as_received, deliver

pytestmark = pytest.mark.django_db


def _pairing(pk):
    return Pairing.objects.select_related("program", "mentor__person", "mentee__person").get(pk=pk)


def _plan(pairing, person, *, days=3):
    starts = (timezone.now() + timedelta(days=days)).replace(hour=14, minute=0, second=0, microsecond=0)
    return checkin_services.meeting_plan(
        pairing=pairing, person=person, starts_at=starts, duration_minutes=30, meeting_format="video"
    )


def _invitation(email):
    """The text/calendar part of a sent email: its Content-Type method and the parsed event."""
    message = as_received(email)
    (part,) = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    calendar = Calendar.from_ical(part.get_content())
    (event,) = calendar.walk("VEVENT")
    attachments = [a for a in email.attachments if getattr(a, "filename", None) == "invite.ics"]
    return part.get_param("method"), calendar, event, attachments


def _emails_to(address):
    return [m for m in mail.outbox if m.to == [address]]


def test_the_partner_gets_an_invitation_to_accept_and_each_change_updates_the_same_event(
    active_pairing, mentor, mentee
):
    deliver()  # what the pairing itself sent
    mail.outbox.clear()
    pairing = _pairing(active_pairing.pk)
    meeting = _plan(pairing, mentor.person)
    deliver()
    (planned,) = _emails_to(mentee.person.email)
    method, calendar, event, attachments = _invitation(planned)
    assert method == "REQUEST" and str(calendar["method"]) == "REQUEST" and attachments
    attendees = sorted(str(a).removeprefix("mailto:") for a in event.get("attendee"))
    assert attendees == sorted([mentor.person.email, mentee.person.email])
    assert str(event["organizer"]) == f"mailto:{mentor.person.email}"
    assert all(a.params["rsvp"] == "TRUE" for a in event.get("attendee"))
    uid, first_start = str(event["uid"]), event.decoded("dtstart")
    assert event["sequence"] == 0 and first_start == meeting.starts_at

    mail.outbox.clear()
    checkin_services.meeting_cancel(
        meeting=meeting, person=mentee.person, new_starts_at=meeting.starts_at + timedelta(days=1)
    )
    deliver()
    (moved,) = _emails_to(mentor.person.email)
    method, _calendar, event, _attachments = _invitation(moved)
    assert method == "REQUEST" and str(event["uid"]) == uid and event["sequence"] == 1
    assert event.decoded("dtstart") == first_start + timedelta(days=1)

    mail.outbox.clear()
    checkin_services.meeting_cancel(meeting=meeting, person=mentor.person, reason="I am ill, sorry.")
    deliver()
    (cancelled,) = _emails_to(mentee.person.email)
    method, calendar, event, _attachments = _invitation(cancelled)
    assert method == "CANCEL" and str(calendar["method"]) == "CANCEL"
    assert str(event["uid"]) == uid and event["sequence"] == 2 and str(event["status"]) == "CANCELLED"
    assert "I am ill, sorry." in cancelled.body


def test_other_emails_carry_no_invitation(active_pairing, mentor, mentee):
    checkin_services.concern_raise(pairing=active_pairing, person=mentor.person, kind="concern", text="x")
    deliver()
    assert mail.outbox
    for email in mail.outbox:
        assert not [p for p in as_received(email).walk() if p.get_content_type() == "text/calendar"]


def test_the_download_is_the_same_event(client, active_pairing, mentor, mentee):
    meeting = _plan(_pairing(active_pairing.pk), mentor.person)
    client.force_login(mentee)
    response = client.get(reverse("checkins:meeting_ics", args=[meeting.pk]))
    assert response["Content-Type"].startswith("text/calendar; method=REQUEST")
    (event,) = Calendar.from_ical(response.content).walk("VEVENT")
    assert str(event["uid"]).startswith(f"twoway-meeting-{meeting.pk}@") and event["sequence"] == 0


def test_the_change_page_confirms_before_anything_changes_and_keeps_the_words(
    client, active_pairing, mentor, mentee
):
    meeting = _plan(_pairing(active_pairing.pk), mentor.person)
    url = reverse("checkins:meeting_cancel", args=[meeting.pk])
    client.force_login(mentee)
    page = client.get(url)
    assert page.status_code == 200 and mentor.person.full_name in page.content.decode()
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.PLANNED and not Cancellation.objects.exists()

    # Moving without a new time: a message at the field, nothing changed, the reason kept.
    response = client.post(url, {"change": "move", "new_starts_at": "", "reason": "Clash with a trip"})
    assert response.status_code == 200
    assert (
        "Choose the new time" in response.content.decode()
        and "Clash with a trip" in response.content.decode()
    )
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.PLANNED and meeting.sequence == 0
    assert not Notification.objects.filter(kind=Notification.Kind.MEETING_MOVED).exists()

    response = client.post(url, {"change": "cancel", "reason": "Clash with a trip"})
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.CANCELLED and meeting.sequence == 1
    assert Cancellation.objects.get(meeting=meeting).reason == "Clash with a trip"
    told = Notification.objects.get(kind=Notification.Kind.MEETING_CANCELLED)
    assert told.recipient == mentor.person and "Clash with a trip" in told.body
    # A cancelled meeting has nothing left to change.
    assert client.get(url).status_code == 302


@pytest.mark.parametrize("agreed", [MeetingFormat.VIDEO, MeetingFormat.CHAT])
def test_a_check_in_starts_from_the_agreed_format(client, active_pairing, mentor, agreed):
    Agreement.objects.update_or_create(pairing=active_pairing, defaults={"meeting_format": agreed})
    client.force_login(mentor)
    for name in ("checkins:log", "checkins:plan"):
        form = client.get(reverse(name, args=[active_pairing.pk])).context["form"]
        assert form["meeting_format"].value() == agreed
