"""A participant's own profile page, and who may read a profile."""

import pytest
from django.urls import reverse

from profiles.models import Profile
from tests.helpers import PERSONAS

pytestmark = pytest.mark.django_db

PROFILE = {
    "about": "I run the finance team and want to understand how new joiners use AI tools.",
    "pronouns": "she/her",
    "languages": "English, French",
    "preferred_format": "video",
}


@pytest.mark.parametrize(("persona", "expected"), [(p, 403 if p == "outsider" else 200) for p in PERSONAS])
def test_my_profile_needs_a_directory_entry(client, request, persona, expected):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(reverse("profiles:my_profile")).status_code == expected
    response = client.post(reverse("profiles:my_profile"), PROFILE)
    assert response.status_code == (302 if expected == 200 else expected)
    assert Profile.objects.exists() == (expected == 200)


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("hr_admin", 200),
        ("mentee", 200),  # their own
        ("leader", 404),
        ("mentor", 404),
        ("other_participant", 404),
        ("outsider", 404),
    ],
)
def test_a_profile_shows_to_hr_admins_and_its_owner_only(client, request, persona, expected, mentee):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(reverse("profiles:profile", args=[mentee.person.pk])).status_code == expected


def test_anonymous_visitors_go_to_login(client, mentee):
    for url in (reverse("profiles:my_profile"), reverse("profiles:profile", args=[mentee.person.pk])):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_an_unknown_profile_is_404_even_for_hr(client, hr_admin):
    client.force_login(hr_admin)
    assert client.get(reverse("profiles:profile", args=[987654])).status_code == 404


def test_saving_my_profile_creates_it_then_updates_it(client, mentee):
    client.force_login(mentee)
    url = reverse("profiles:my_profile")
    response = client.post(url, PROFILE)
    assert response["Location"] == url
    profile = Profile.objects.get(person=mentee.person)
    assert (profile.about, profile.pronouns, profile.languages, profile.preferred_format) == (
        PROFILE["about"],
        "she/her",
        "English, French",
        "video",
    )
    client.post(url, PROFILE | {"pronouns": "they/them", "preferred_format": ""})
    profile.refresh_from_db()
    assert profile.pronouns == "they/them" and profile.preferred_format == ""
    assert Profile.objects.count() == 1


def test_bad_input_shows_errors_at_the_field_and_keeps_the_text(client, mentee):
    client.force_login(mentee)
    response = client.post(
        reverse("profiles:my_profile"), PROFILE | {"pronouns": "x" * 41, "preferred_format": "carrier-pigeon"}
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert set(form.errors) == {"pronouns", "preferred_format"}
    html = response.content.decode()
    assert PROFILE["about"] in html and "English, French" in html
    assert 'aria-invalid="true"' in html or "is-invalid" in html
    assert not Profile.objects.exists()


def test_my_profile_shows_directory_data_read_only(client, mentee):
    client.force_login(mentee)
    response = client.get(reverse("profiles:my_profile"))
    html = response.content.decode()
    person = mentee.person
    for value in (person.full_name, person.job_title, person.department, person.time_zone):
        assert value in html
    assert "ask HR to correct it" in html
    # Only the profile's own fields can be sent; directory fields in the post are ignored.
    client.post(reverse("profiles:my_profile"), PROFILE | {"job_title": "CEO", "level": 9})
    person.refresh_from_db()
    assert person.job_title != "CEO" and person.level == 8
    for word in ("birth", "generation"):
        assert word not in html


def test_hr_sees_what_the_person_wrote(client, hr_admin, mentee):
    client.force_login(mentee)
    client.post(reverse("profiles:my_profile"), PROFILE)
    client.force_login(hr_admin)
    html = client.get(reverse("profiles:profile", args=[mentee.person.pk])).content.decode()
    assert PROFILE["about"] in html and "Video call" in html
