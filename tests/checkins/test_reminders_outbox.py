from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from checkins import services
from pairings.models import Pairing
from profiles import outbox
from profiles.models import Notification, NotificationPreference

pytestmark = pytest.mark.django_db

Kind = Notification.Kind


def _overdue(pairing, days=3):
    """Make the pair's check-in overdue by `days` as of now (test setup of the rhythm columns)."""
    today = datetime.now(UTC).date()
    Pairing.objects.filter(pk=pairing.pk).update(
        next_checkin_due=today - timedelta(days=days), last_checkin_on=today - timedelta(days=days + 14)
    )


def _working_afternoon(days=3):
    """Five minutes after the send hour (9:00 in London, where the personas live) a few working days ahead."""
    day = datetime.now(UTC).date() + timedelta(days=days)
    return outbox.local_send_time(day=day, zone_name="Europe/London", hour=9) + timedelta(minutes=5)


def test_local_send_time_keeps_the_local_hour_across_daylight_saving():
    berlin = ZoneInfo("Europe/Berlin")
    for day in (date(2027, 3, 26), date(2027, 3, 29), date(2027, 10, 29), date(2027, 11, 1)):
        at = outbox.local_send_time(day=day, zone_name="Europe/Berlin", hour=9)
        assert at.astimezone(berlin).hour == 9 and at.astimezone(berlin).weekday() < 5
    # Winter in Berlin is UTC+1, summer UTC+2.
    assert outbox.local_send_time(day=date(2027, 3, 26), zone_name="Europe/Berlin", hour=9).hour == 8
    assert outbox.local_send_time(day=date(2027, 3, 29), zone_name="Europe/Berlin", hour=9).hour == 7


def test_weekend_reminders_wait_for_monday():
    saturday = date(2027, 3, 6)
    at = outbox.local_send_time(day=saturday, zone_name="America/New_York", hour=9)
    assert at.astimezone(ZoneInfo("America/New_York")).date() == date(2027, 3, 8)


def test_planning_twice_creates_nothing_the_second_time(active_pairing, hr_admin):
    _overdue(active_pairing)
    first = services.notifications_plan()
    assert first > 0
    assert services.notifications_plan() == 0
    kinds = set(Notification.objects.values_list("kind", flat=True))
    assert Kind.CHECKIN_OVERDUE in kinds and Kind.HR_DIGEST in kinds
    assert Notification.objects.filter(kind=Kind.CHECKIN_OVERDUE).count() == 2  # to both sides


def test_each_notification_says_why(active_pairing):
    _overdue(active_pairing)
    services.notifications_plan()
    overdue = Notification.objects.filter(kind=Kind.CHECKIN_OVERDUE).first()
    assert "cadence" in overdue.why and overdue.link == reverse("checkins:home")


def test_sending_twice_sends_once_with_text_html_and_unsubscribe_header(active_pairing, mentor):
    _overdue(active_pairing)
    with time_machine.travel(_working_afternoon()):
        services.notifications_plan()
        due = Notification.objects.filter(due_at__lte=datetime.now(UTC)).count()
        sent = outbox.notifications_send_due()
        assert outbox.notifications_send_due() == 0
    assert sent == due == len(mail.outbox)
    message = next(m for m in mail.outbox if m.to == [mentor.person.email] and "overdue" in m.subject)
    assert message.alternatives and "text/html" in message.alternatives[0][1]
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "/mentoring/notifications/unsubscribe/" in message.extra_headers["List-Unsubscribe"]
    assert "http" in message.body and "/mentoring/" in message.body  # a deep link to act on


def test_email_off_is_skipped_but_still_shows_in_the_app(client, active_pairing, mentor):
    _overdue(active_pairing)
    outbox.notification_preference_set(person=mentor.person, kind=Kind.CHECKIN_OVERDUE, email=False)
    with time_machine.travel(_working_afternoon()):
        services.notifications_plan()
        outbox.notifications_send_due()
        row = Notification.objects.get(kind=Kind.CHECKIN_OVERDUE, recipient=mentor.person)
        assert row.state == Notification.State.SKIPPED and "email is off" in row.skip_reason
        client.force_login(mentor)
        html = client.get(reverse("checkins:notifications")).content.decode()
    assert row.title in html


def test_essential_kinds_cannot_be_turned_off(mentor):
    preference = outbox.notification_preference_set(
        person=mentor.person, kind=Kind.ACCEPTANCE_PENDING, email=False
    )
    assert preference.email is True


def test_a_pairing_that_ended_is_not_reminded(active_pairing, hr_admin):
    from pairings import services as pairing_services

    _overdue(active_pairing)
    with time_machine.travel(_working_afternoon()):
        services.notifications_plan()
        pairing_services.pairing_end(pairing=active_pairing, user=hr_admin, reason="")
        outbox.notifications_send_due()
    skipped = Notification.objects.filter(kind=Kind.CHECKIN_OVERDUE)
    assert {n.state for n in skipped} == {Notification.State.SKIPPED}


def test_one_click_unsubscribe_works_without_logging_in(client, mentor):
    token = outbox.unsubscribe_token(person_id=mentor.person.pk, kind=Kind.INACTIVITY)
    url = reverse("checkins:unsubscribe", args=[token])
    assert client.get(url).status_code == 200  # a page that asks, for people who click
    response = client.post(url, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert NotificationPreference.objects.get(person=mentor.person, kind=Kind.INACTIVITY).email is False
    assert client.post(reverse("checkins:unsubscribe", args=[token + "x"])).status_code == 400


def test_unread_count_in_the_navigation_and_reading_clears_it(client, active_pairing, mentor):
    _overdue(active_pairing)
    services.notifications_plan()
    Notification.objects.update(due_at=datetime.now(UTC) - timedelta(minutes=1))
    client.force_login(mentor)
    html = client.get(reverse("home")).content.decode()
    assert "unread" in html
    client.get(reverse("checkins:notifications"))
    assert Notification.objects.filter(recipient=mentor.person, read_at__isnull=True).count() == 0


def _failed_row(active_pairing) -> Notification:
    _overdue(active_pairing)
    services.notifications_plan()
    row = Notification.objects.first()
    Notification.objects.filter(pk=row.pk).update(state=Notification.State.FAILED, last_error="SMTP 550")
    return row


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("hr_admin", 200),
        ("leader", 403),
        ("mentor", 403),
        ("mentee", 403),
        ("other_participant", 403),
        ("outsider", 403),
    ],
)
def test_operations_page_is_for_hr(client, request, active_pairing, persona, expected):
    row = _failed_row(active_pairing)
    client.force_login(request.getfixturevalue(persona))
    assert client.get(reverse("checkins:operations")).status_code == expected
    response = client.post(reverse("checkins:operations"), {"row": [str(row.pk)], "action": "retry"})
    row.refresh_from_db()
    if expected == 200:
        assert response.status_code == 302 and row.state == Notification.State.PENDING
    else:
        # Refused, and the row is exactly as it was: still failed, its error kept.
        assert response.status_code == 403
        assert (row.state, row.last_error, row.attempts) == (Notification.State.FAILED, "SMTP 550", 0)


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("hr_admin", 200),
        ("leader", 200),
        ("mentor", 200),
        ("mentee", 200),
        ("other_participant", 200),
        ("outsider", 403),
    ],
)
def test_notification_pages_need_a_directory_entry(client, request, persona, expected):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(reverse("checkins:notifications")).status_code == expected
    assert client.get(reverse("checkins:preferences")).status_code == expected


def test_operations_retry_puts_a_failed_row_back(client, hr_admin, active_pairing):
    row = _failed_row(active_pairing)
    client.force_login(hr_admin)
    assert "SMTP 550" in client.get(reverse("checkins:operations")).content.decode()
    client.post(reverse("checkins:operations"), {"row": [str(row.pk)], "action": "retry"})
    row.refresh_from_db()
    assert row.state == Notification.State.PENDING and row.attempts == 0


def test_operations_confirms_a_row_that_may_have_been_sent(client, hr_admin, active_pairing):
    """HR asked the person: it arrived. It becomes sent, and is never sent again; a failed row is not
    "confirmed" by the same button (it never reached the server)."""
    row = _failed_row(active_pairing)
    other = Notification.objects.exclude(pk=row.pk).first()
    Notification.objects.filter(pk=other.pk).update(
        state=Notification.State.UNCERTAIN, last_error="timed out"
    )
    client.force_login(hr_admin)
    html = client.get(reverse("checkins:operations")).content.decode()
    assert "May have been sent" in html and "timed out" in html
    client.post(reverse("checkins:operations"), {"row": [str(row.pk), str(other.pk)], "action": "confirm"})
    row.refresh_from_db()
    other.refresh_from_db()
    assert other.state == Notification.State.SENT and row.state == Notification.State.FAILED
    with time_machine.travel(_working_afternoon()):
        outbox.notifications_send_due()
    assert outbox.delivery.message_id(other) not in {m.extra_headers.get("Message-ID") for m in mail.outbox}


def test_anonymous_visitors_go_to_login(client):
    for name in ("checkins:notifications", "checkins:preferences", "checkins:operations"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
