from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from checkins import services
from checkins.models import CheckIn, Concern
from checkins.selectors import home_for_person
from pairings.models import Pairing
from tests.checkins.conftest import log_checkin, reflection
from tests.helpers import count_queries, form_token

pytestmark = pytest.mark.django_db


@pytest.fixture
def concern(active_pairing, mentor):
    return services.concern_raise(
        pairing=active_pairing, person=mentor.person, kind="concern", text="CONCERN-x"
    )


@pytest.fixture
def meeting(active_pairing, mentor):
    return services.meeting_plan(
        pairing=active_pairing,
        person=mentor.person,
        starts_at=timezone.now() + timedelta(days=2),
        duration_minutes=45,
        meeting_format="video",
    )


def _pair_urls(pairing, checkin, meeting):
    return [
        reverse("checkins:journal", args=[pairing.pk]),
        reverse("checkins:log", args=[pairing.pk]),
        reverse("checkins:plan", args=[pairing.pk]),
        reverse("checkins:meeting_ics", args=[meeting.pk]),
        reverse("checkins:checkin", args=[checkin.pk]),
        reverse("checkins:reflection", args=[checkin.pk]),
        reverse("checkins:shared_notes", args=[checkin.pk]),
        reverse("checkins:goal_review", args=[pairing.pk]),
        reverse("checkins:concern_new", args=[pairing.pk]),
    ]


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("mentor", 200),
        ("mentee", 200),
        # HR knows the pair exists (it manages it), so it is told "not allowed";
        # anyone else is not told the pair exists at all.
        ("hr_admin", 403),
        ("leader", 404),
        ("other_participant", 404),
        ("outsider", 403),
    ],
)
def test_pair_pages_are_for_the_pair_only(
    client, request, persona, expected, active_pairing, checkin, meeting
):
    client.force_login(request.getfixturevalue(persona))
    for url in _pair_urls(active_pairing, checkin, meeting):
        assert client.get(url).status_code == expected, (persona, url)
    # Writes are refused the same way, and nothing changes.
    response = client.post(reverse("checkins:shared_notes", args=[checkin.pk]), {"shared_notes": "hijack"})
    assert response.status_code == (302 if expected == 200 else expected)
    assert (CheckIn.objects.get().shared_notes == "hijack") == (expected == 200)


def test_anonymous_goes_to_login(client, active_pairing, checkin, meeting, concern):
    for url in _pair_urls(active_pairing, checkin, meeting) + [
        reverse("checkins:home"),
        reverse("checkins:concern", args=[concern.pk]),
    ]:
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url


def test_action_page_is_for_the_senior_only(client, mentor, mentee, active_pairing):
    url = reverse("checkins:action_new", args=[active_pairing.pk])
    client.force_login(mentor)
    assert client.get(url).status_code == 404
    client.force_login(mentee)
    assert client.get(url).status_code == 200


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("mentee", 200),
        ("mentor", 404),  # the junior sees the change, only its senior updates it
        ("hr_admin", 404),
        ("leader", 404),
        ("other_participant", 404),
        ("outsider", 403),
    ],
)
def test_a_change_is_updated_by_its_senior_only(client, request, persona, expected, active_pairing, mentee):
    action = services.action_record(
        pairing=active_pairing, person=mentee.person, kind="tool", title="Tried chat", effect="too_early"
    )
    url = reverse("checkins:action_edit", args=[action.pk])
    client.force_login(request.getfixturevalue(persona))
    assert client.get(url).status_code == expected
    response = client.post(
        url,
        {
            "kind": "tool",
            "title": "Tried chat",
            "effect": "helped",
            "measured_effect": "Half the email",
            "version": action.updated_at.isoformat(),
        },
    )
    assert response.status_code == (302 if expected == 200 else expected)
    action.refresh_from_db()
    assert (action.effect, action.measured_effect) == (
        ("helped", "Half the email") if expected == 200 else ("too_early", "")
    )


def test_a_change_cannot_take_a_theme_of_another_program(active_pairing, mentee):
    from django.core.exceptions import ValidationError

    from tests.factories import ProgramFactory

    elsewhere = ProgramFactory(name="Elsewhere").themes.first()
    with pytest.raises(ValidationError) as refused:
        services.action_record(
            pairing=active_pairing, person=mentee.person, kind="tool", title="x", theme=elsewhere
        )
    assert "theme" in refused.value.message_dict


def test_private_notes_and_rating_are_the_authors_alone(client, checkin, mentor, mentee):
    url = reverse("checkins:checkin", args=[checkin.pk])
    client.force_login(mentor)
    html = client.get(url).content.decode()
    assert "PRIVATE-mentor" in html and "you rated it 2 of 5" in html and "SHARED-x" in html
    client.force_login(mentee)
    html = client.get(url).content.decode()
    assert "PRIVATE-mentor" not in html and "rated it" not in html
    assert "SHARED-x" in html and "LEARNED-x" in html  # the pair shares notes and what each learned
    assert (
        client.get(reverse("checkins:reflection", args=[checkin.pk])).content.decode().count("PRIVATE-mentor")
        == 0
    )


def test_a_concern_is_seen_by_its_raiser_and_hr_never_the_partner(
    client, concern, mentor, mentee, hr_admin, other_participant
):
    url = reverse("checkins:concern", args=[concern.pk])
    client.force_login(mentor)
    assert "CONCERN-x" in client.get(url).content.decode()
    for user in (mentee, other_participant):
        client.force_login(user)
        assert client.get(url).status_code == 404
        assert "CONCERN-x" not in client.get(reverse("checkins:home")).content.decode()
    client.force_login(hr_admin)
    assert client.get(url).status_code == 302  # to the HR handling page


def test_ics_invite_is_a_calendar_event(client, mentee, meeting):
    client.force_login(mentee)
    response = client.get(reverse("checkins:meeting_ics", args=[meeting.pk]))
    body = response.content.decode()
    assert response["Content-Type"].startswith("text/calendar")
    assert "BEGIN:VEVENT" in body and f"twoway-meeting-{meeting.pk}@" in body
    assert meeting.starts_at.astimezone(timezone.UTC).strftime("%Y%m%dT%H%M%S") in body


def test_logging_from_the_form_keeps_text_on_error(client, mentor, active_pairing):
    client.force_login(mentor)
    url = reverse("checkins:log", args=[active_pairing.pk])
    response = client.post(
        url,
        {
            "form_token": form_token(client, url),
            "happened_on": (timezone.localdate() + timedelta(days=3)).isoformat(),
            "duration_minutes": 45,
            "meeting_format": "video",
            "learned": "How TikTok search works",
            "rating": 4,
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "A check-in is logged once it has happened." in html and "How TikTok search works" in html
    assert not CheckIn.objects.exists()


def test_home_shows_each_pairing_and_what_to_do(client, mentee, checkin):
    client.force_login(mentee)
    html = client.get(reverse("checkins:home")).content.decode()
    assert "mentors you" in html
    assert "Add your side to the check-in" in html
    assert "PRIVATE-mentor" not in html


def test_home_shows_the_three_latest_check_ins_of_each_pairing_however_old(mentor, active_pairing):
    today = timezone.localdate()
    Pairing.objects.filter(pk=active_pairing.pk).update(created_at=timezone.now() - timedelta(days=1000))
    active_pairing.refresh_from_db()
    for days_ago in (900, 400):  # a pair that last met more than a year ago still sees those check-ins
        log_checkin(active_pairing, mentor.person, happened_on=today - timedelta(days=days_ago))
    (view,) = home_for_person(person=mentor.person)
    assert [c["happened_on"] for c in view.checkins] == [
        today - timedelta(days=400),
        today - timedelta(days=900),
    ]

    for days_ago in (30, 2, 9):
        log_checkin(active_pairing, mentor.person, happened_on=today - timedelta(days=days_ago))
    (view,) = home_for_person(person=mentor.person)
    assert [c["happened_on"] for c in view.checkins] == [today - timedelta(days=d) for d in (2, 9, 30)]


def test_a_kept_home_section_changes_with_what_it_shows(client, mentor, active_pairing):
    """ "My mentoring" keeps each pairing's section by what it shows, the language and the time zone (the
    "fragments" cache): an unchanged section is not rendered again; a new check-in, a planned meeting
    (shown in the reader's own time zone) and another language show at once."""
    import re

    from django.core.cache import caches

    from profiles.models import Person

    caches["fragments"].clear()
    client.force_login(mentor)
    url = reverse("checkins:home")

    def section():
        html = client.get(url).content.decode()
        return " ".join(re.sub(r"<[^>]+>", " ", html.split("<section", 1)[1].split("</section>")[0]).split())

    first = section()
    assert section() == first and len(caches["fragments"]._cache) == 1
    today = timezone.localdate()
    log_checkin(active_pairing, mentor.person, happened_on=today - timedelta(days=1))
    assert "Check-in of" in section() and section() != first
    day = today + timedelta(days=2)
    services.meeting_plan(
        pairing=active_pairing,
        person=mentor.person,
        starts_at=datetime.combine(day, time(9), tzinfo=ZoneInfo("UTC")),
        duration_minutes=45,
        meeting_format="video",
    )
    Person.objects.filter(pk=mentor.person.pk).update(time_zone="UTC")
    assert "09:00 (45 min), your time." in section()
    Person.objects.filter(pk=mentor.person.pk).update(time_zone="Asia/Tokyo")
    assert "18:00 (45 min), your time." in section()
    client.post(reverse("language_set"), {"language": "de", "next": url})
    assert "your time." not in section()


def test_a_planned_meeting_can_be_logged_from_its_own_day_not_before(client, mentor, active_pairing):
    client.force_login(mentor)
    url = reverse("checkins:home")
    day = timezone.localdate() + timedelta(days=3)
    meeting = services.meeting_plan(
        pairing=active_pairing,
        person=mentor.person,
        starts_at=datetime.combine(day, time(9), tzinfo=ZoneInfo(mentor.person.time_zone)),  # their 9:00
        duration_minutes=45,
        meeting_format="video",
    )
    log_link = f"?meeting={meeting.pk}"
    page = client.get(url).content.decode()
    assert f'id="meeting-{meeting.pk}"' in page and log_link not in page  # it hasn't happened yet

    with time_machine.travel(meeting.starts_at + timedelta(hours=1)):  # held an hour ago, same day
        client.force_login(mentor)  # three days on, the first session has ended (idle timeout)
        page = client.get(url).content.decode()
    assert f'id="meeting-{meeting.pk}"' in page and log_link in page


def _count(client, url):
    with count_queries() as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_home_query_count_does_not_grow_with_history(client, mentor, mentee, active_pairing):
    client.force_login(mentor)
    url = reverse("checkins:home")
    log_checkin(active_pairing, mentor.person)
    small = _count(client, url)
    for days_ago in range(1, 25):
        checkin = log_checkin(
            active_pairing, mentor.person, happened_on=timezone.localdate() - timedelta(days=days_ago)
        )
        services.reflection_add(checkin=checkin, person=mentee.person, reflection=reflection())
    services.concern_raise(pairing=active_pairing, person=mentor.person, kind="concern", text="x")
    assert _count(client, url) == small
    assert Concern.objects.count() == 1
