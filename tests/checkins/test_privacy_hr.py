"""HR sees dates, counts and statuses, never what a pair said; a concern's text is for HR alone."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from checkins import services
from checkins.models import Concern
from checkins.services import ReflectionInput
from pairings import services as pairing_services

pytestmark = pytest.mark.django_db

# Everything the pair wrote for themselves; none of it may reach an HR list.
PAIR_ONLY = ["PRIVATE-xyz", "SHARED-xyz", "LEARNED-xyz", "CHANGE-xyz", "AGREEMENT-xyz", "GOAL-xyz"]
CONCERN_TEXT = "CONCERN-xyz"


@pytest.fixture
def lived_pairing(active_pairing, mentor, mentee):
    """Four check-ins with both sides' reflections, ratings falling from 5 to 1, a planned meeting, a goal,
    an agreement with off-limits topics, and a concern raised by the senior."""
    pairing = active_pairing
    pairing_services.agreement_save(
        pairing=pairing, person=mentor.person, data={"off_limits": "AGREEMENT-xyz"}
    )
    pairing_services.goal_save(
        pairing=pairing,
        person=mentee.person,
        goal=None,
        owner_side="mentee",
        title="GOAL-xyz",
        description="GOAL-xyz in detail",
        target_date=timezone.localdate() + timedelta(days=60),
    )
    today = timezone.localdate()
    for weeks_ago, rating in [(6, 5), (4, 5), (2, 1), (0, 1)]:
        checkin = services.checkin_log(
            pairing=pairing,
            person=mentor.person,
            happened_on=today - timedelta(weeks=weeks_ago),
            duration_minutes=45,
            meeting_format="video",
            themes=[],
            shared_notes="SHARED-xyz",
            reflection=ReflectionInput(
                learned="LEARNED-xyz",
                change_next_time="CHANGE-xyz",
                rating=rating,
                private_notes="PRIVATE-xyz",
            ),
        )
        services.reflection_add(
            checkin=checkin,
            person=mentee.person,
            reflection=ReflectionInput(
                learned="LEARNED-xyz",
                change_next_time="CHANGE-xyz",
                rating=rating,
                private_notes="PRIVATE-xyz",
            ),
        )
    services.meeting_plan(
        pairing=pairing,
        person=mentee.person,
        starts_at=timezone.now() + timedelta(days=5),
        duration_minutes=45,
        meeting_format="video",
    )
    services.concern_raise(
        pairing=pairing, person=mentee.person, kind=Concern.Kind.CONCERN, text=CONCERN_TEXT
    )
    pairing.refresh_from_db()
    return pairing


def _assert_nothing_the_pair_wrote(html):
    for marker in [*PAIR_ONLY, CONCERN_TEXT]:
        assert marker not in html, marker


def test_pair_health_shows_no_text_and_no_ratings(client, hr_admin, lived_pairing):
    assert lived_pairing.rating_trend == -1
    client.force_login(hr_admin)
    response = client.get(reverse("checkins:pair_health"))
    html = response.content.decode()
    _assert_nothing_the_pair_wrote(html)

    row = re.search(rf'<tr id="pairing-{lived_pairing.pk}"(.*?)</tr>', html, re.DOTALL).group(1)
    trend = re.search(r'<td class="pair-trend"[^>]*>(.*?)</td>', row, re.DOTALL).group(1).strip()
    assert trend == "falling"  # a direction in a word, never a number
    text = " ".join(re.sub(r"<[^>]+>", " ", html).split())
    assert "ratings falling over the last four check-ins" in text
    assert not re.search(r"\b[1-5]\s*/\s*5\b", text)
    assert not re.search(r"rating\w*\W{0,3}-?\d", text, re.IGNORECASE)
    assert "★" not in html
    # The page is given counts and dates only: no reflection, note or concern object reaches it.
    for row in response.context["rows"]:
        assert not hasattr(row.pairing, "_prefetched_objects_cache")


def test_the_concern_queue_shows_no_text(client, hr_admin, lived_pairing, mentee):
    client.force_login(hr_admin)
    html = client.get(reverse("checkins:concerns"), {"status": "all"}).content.decode()
    _assert_nothing_the_pair_wrote(html)
    assert mentee.person.full_name in html  # who raised it is shown, what they said is not


def test_the_concern_text_is_for_hr_on_the_handle_page_only(client, request, hr_admin, lived_pairing):
    concern = Concern.objects.get(pairing=lived_pairing)
    url = reverse("checkins:concern_handle", args=[concern.pk])
    client.force_login(hr_admin)
    html = client.get(url).content.decode()
    assert CONCERN_TEXT in html
    for marker in PAIR_ONLY:
        assert marker not in html, marker

    for persona in ["mentor", "mentee", "leader", "other_participant", "outsider"]:
        client.force_login(request.getfixturevalue(persona))
        response = client.get(url)
        assert response.status_code == 403, persona
        assert CONCERN_TEXT not in response.content.decode(), persona
