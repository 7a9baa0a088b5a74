from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from pairings import services
from pairings.models import MatchingSettings, MentorRequest, Pairing
from pairings.selectors import matching_settings_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def choice_program(matching_program):
    settings = matching_settings_for(program=matching_program)
    settings.mode = MatchingSettings.Mode.MENTEE_CHOICE
    settings.request_expiry_days = 3
    settings.save()
    return matching_program


def _enrollment(program, user):
    return program.enrollments.get(person=user.person)


def test_a_mentee_sees_eligible_mentors_best_first_with_reasons(choice_program, mentee):
    suggestions = services.mentor_suggestions(mentee=_enrollment(choice_program, mentee))
    assert 1 <= len(suggestions) <= 5
    assert [s["score"] for s in suggestions] == sorted((s["score"] for s in suggestions), reverse=True)
    assert all(s["explanation"] for s in suggestions)


def test_request_then_accept_makes_an_active_pairing(choice_program, mentee, mentor):
    mentor_e = _enrollment(choice_program, mentor)
    request = services.mentor_request_create(mentee=_enrollment(choice_program, mentee), mentor=mentor_e)
    with pytest.raises(ValidationError, match="already have a request"):
        services.mentor_request_create(mentee=_enrollment(choice_program, mentee), mentor=mentor_e)
    services.mentor_request_answer(request=request, person=mentor.person, accept=True)
    pairing = Pairing.objects.get()
    assert pairing.status == Pairing.Status.ACTIVE and pairing.agreement


def test_only_the_asked_mentor_answers_and_a_decline_frees_the_mentee(
    choice_program, mentee, mentor, other_participant
):
    request = services.mentor_request_create(
        mentee=_enrollment(choice_program, mentee), mentor=_enrollment(choice_program, mentor)
    )
    with pytest.raises(ValidationError, match="not for you"):
        services.mentor_request_answer(request=request, person=other_participant.person, accept=True)
    services.mentor_request_answer(request=request, person=mentor.person, accept=False)
    assert MentorRequest.objects.get().status == MentorRequest.Status.DECLINED
    services.mentor_request_create(
        mentee=_enrollment(choice_program, mentee), mentor=_enrollment(choice_program, other_participant)
    )


def test_requests_expire_after_the_programs_days(choice_program, mentee, mentor):
    request = services.mentor_request_create(
        mentee=_enrollment(choice_program, mentee), mentor=_enrollment(choice_program, mentor)
    )
    assert services.mentor_requests_expire() == 0
    with time_machine.travel(timezone.now() + timedelta(days=3, minutes=1)):
        assert services.mentor_requests_expire() == 1
        with pytest.raises(ValidationError, match="no longer open"):
            services.mentor_request_answer(request=request, person=mentor.person, accept=True)


def test_choice_is_refused_when_the_program_does_not_allow_it(matching_program, mentee, mentor):
    with pytest.raises(ValidationError, match="Mentees choose only"):
        services.mentor_request_create(
            mentee=_enrollment(matching_program, mentee), mentor=_enrollment(matching_program, mentor)
        )


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("mentee", 200),
        ("mentor", 404),
        ("other_participant", 404),
        ("hr_admin", 404),
        ("leader", 404),
        ("outsider", 403),
    ],
)
def test_choose_page_is_the_mentees_own(client, request, persona, expected, choice_program, mentee):
    client.force_login(request.getfixturevalue(persona))
    url = reverse("pairings:choose", args=[_enrollment(choice_program, mentee).pk])
    assert client.get(url).status_code == expected


def test_mentor_answers_from_the_requests_page_and_home_prompts_both(client, choice_program, mentee, mentor):
    client.force_login(mentee)
    assert "Choose your mentor in" in client.get(reverse("home")).content.decode()
    client.post(
        reverse("pairings:choose", args=[_enrollment(choice_program, mentee).pk]),
        {"mentor": _enrollment(choice_program, mentor).pk},
    )
    client.force_login(mentor)
    assert "asks you to mentor them" in client.get(reverse("home")).content.decode()
    request = MentorRequest.objects.get()
    client.post(reverse("pairings:requests"), {"request": request.pk, "answer": "accept"})
    assert Pairing.objects.get().status == Pairing.Status.ACTIVE
