"""What a participant trips over on the pairing page and at the door: one way out at a time, the
theme's discussion guide for the pair with its lines kept, and a sign-in page that tells the truth."""

import pytest
from django.test import override_settings
from django.urls import reverse

from pairings import services as pairing_services

pytestmark = pytest.mark.django_db


def test_before_answering_the_only_way_out_is_say_no(client, published_pairing, mentor):
    client.force_login(mentor)
    page = client.get(reverse("pairings:detail", args=[published_pairing.pk])).content.decode()
    assert "Say no" in page and "End the pairing" not in page
    pairing_services.pairing_accept(pairing=published_pairing, person=mentor.person)
    page = client.get(reverse("pairings:detail", args=[published_pairing.pk])).content.decode()
    # Said yes and waiting: no "Say no" any more, so ending is how they step back.
    assert "Say no" not in page and "End the pairing" in page


def test_the_pair_reads_the_discussion_guide_with_its_line_breaks(client, active_pairing, mentor, mentee):
    theme = active_pairing.program.themes.first()
    theme.discussion_guide = "Which tool saves you an hour a week?\nWhat would you stop doing?"
    theme.save()
    for user in (mentor, mentee):
        client.force_login(user)
        page = client.get(reverse("pairings:detail", args=[active_pairing.pk])).content.decode()
        assert "Discussion guides" in page
        assert "Which tool saves you an hour a week?<br>What would you stop doing?" in page


@pytest.mark.parametrize(
    ("domains", "expected", "absent"),
    [
        ([], "Your HR team sends you an invitation", "sign up"),
        (["example.com"], "Create your login", "sends you an invitation"),
    ],
)
def test_the_sign_in_page_says_how_someone_new_gets_a_login(client, domains, expected, absent):
    with override_settings(ALLOWED_SIGNUP_DOMAINS=domains):
        page = client.get(reverse("account_login")).content.decode()
    assert expected in page and absent not in page
