import pytest
from django.urls import reverse

from pairings import services
from pairings.models import Pairing

pytestmark = pytest.mark.django_db

PERSONAS = ["hr_admin", "leader", "mentor", "mentee", "other_participant", "outsider"]


def _hr_urls(program, run, proposal, pairing):
    return [
        ("get", reverse("pairings:matching", args=[program.pk])),
        ("post", reverse("pairings:run_start", args=[program.pk])),
        ("get", reverse("pairings:run", args=[program.pk, run.pk])),
        ("post", reverse("pairings:proposal_action", args=[program.pk, run.pk, proposal.pk])),
        ("post", reverse("pairings:proposal_add", args=[program.pk, run.pk])),
        ("post", reverse("pairings:publish", args=[program.pk, run.pk])),
        ("get", reverse("pairings:program_pairings", args=[program.pk])),
        ("post", reverse("pairings:conflict_keep", args=[program.pk, pairing.pk])),
    ]


@pytest.fixture
def run(matching_program, hr_admin):
    run = services.match_run_start(program=matching_program, actor=hr_admin)
    return services.match_run_execute(run_id=run.pk)


@pytest.mark.parametrize("persona", PERSONAS)
def test_matching_pages_are_for_hr_admins_only(
    client, request, persona, matching_program, run, published_pairing
):
    client.force_login(request.getfixturevalue(persona))
    for method, url in _hr_urls(matching_program, run, run.proposals.first(), published_pairing):
        response = getattr(client, method)(url, {"action": "pin"})
        expected = {200, 302} if persona == "hr_admin" else {403}
        assert response.status_code in expected, (persona, url, response.status_code)


def test_anonymous_goes_to_login(client, matching_program, run, published_pairing):
    urls = _hr_urls(matching_program, run, run.proposals.first(), published_pairing) + [
        ("get", reverse("pairings:detail", args=[published_pairing.pk])),
        ("post", reverse("pairings:answer", args=[published_pairing.pk])),
    ]
    for method, url in urls:
        response = getattr(client, method)(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("mentor", 200),
        ("mentee", 200),
        ("hr_admin", 200),
        ("leader", 404),
        ("other_participant", 404),
        ("outsider", 404),
    ],
)
def test_a_pairing_page_shows_to_its_pair_and_hr_only(client, request, persona, expected, active_pairing):
    client.force_login(request.getfixturevalue(persona))
    response = client.get(reverse("pairings:detail", args=[active_pairing.pk]))
    assert response.status_code == expected
    for url in ("pairings:agreement", "pairings:agreement_confirm", "pairings:goal_add", "pairings:answer"):
        response = client.post(reverse(url, args=[active_pairing.pk]), {"off_limits": "x"})
        assert response.status_code in ({302, 200} if persona in {"mentor", "mentee"} else {403, 404}), (
            persona,
            url,
        )


def test_hr_sees_dates_and_statuses_not_the_agreement(client, hr_admin, active_pairing, mentor):
    services.agreement_save(pairing=active_pairing, person=mentor.person, data={"off_limits": "My divorce"})
    client.force_login(hr_admin)
    html = client.get(reverse("pairings:detail", args=[active_pairing.pk])).content.decode()
    assert "My divorce" not in html
    assert "dates and statuses" in html


def test_the_partner_never_sees_a_decline_reason(client, published_pairing, mentee, mentor, hr_admin):
    client.force_login(mentee)
    client.post(
        reverse("pairings:answer", args=[published_pairing.pk]),
        {"answer": "decline", "decline-reason": "Too senior a clash"},
    )
    published_pairing.refresh_from_db()
    assert published_pairing.status == Pairing.Status.DECLINED
    client.force_login(mentor)
    assert (
        "Too senior a clash"
        not in client.get(reverse("pairings:detail", args=[published_pairing.pk])).content.decode()
    )
    client.force_login(hr_admin)
    html = client.get(
        reverse("pairings:program_pairings", args=[published_pairing.program_id])
    ).content.decode()
    assert "Too senior a clash" in html


def test_run_page_progress_partial_for_htmx(client, hr_admin, matching_program):
    client.force_login(hr_admin)
    response = client.post(reverse("pairings:run_start", args=[matching_program.pk]))
    run = matching_program.match_runs.get()
    assert response["Location"] == reverse("pairings:run", args=[matching_program.pk, run.pk])
    partial = client.get(response["Location"] + "?status=1", headers={"HX-Request": "true"})
    assert 'id="run-progress"' in partial.content.decode() and "every 1s" in partial.content.decode()
    services.match_run_execute(run_id=run.pk)
    partial = client.get(response["Location"] + "?status=1", headers={"HX-Request": "true"})
    assert partial["HX-Refresh"] == "true"
    page = client.get(response["Location"]).content.decode()
    assert "Publish these pairs" in page and "both prefer video" in page
