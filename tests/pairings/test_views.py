import pytest
from django.urls import reverse
from django.utils import timezone

from pairings import services
from pairings.models import Agreement, Goal, MatchingSettings, MatchRun, Pairing, Proposal
from profiles.models import Notification
from tests.helpers import PERSONAS

pytestmark = pytest.mark.django_db


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


def _matching_state(program):
    """Everything the HR matching actions can change, to compare before and after a refused request."""
    return {
        "settings": list(MatchingSettings.objects.filter(program=program).values()),
        "runs": list(MatchRun.objects.filter(program=program).values("pk", "status").order_by("pk")),
        "proposals": list(Proposal.objects.filter(run__program=program).values().order_by("pk")),
        "pairings": list(Pairing.objects.filter(program=program).values().order_by("pk")),
        "notifications": Notification.objects.count(),
    }


@pytest.mark.parametrize("persona", [p for p in PERSONAS if p != "hr_admin"])
def test_matching_pages_refuse_everyone_but_hr_and_change_nothing(
    client, request, persona, matching_program, run, published_pairing
):
    Pairing.objects.filter(pk=published_pairing.pk).update(conflict_flagged_at=timezone.now())
    before = _matching_state(matching_program)
    client.force_login(request.getfixturevalue(persona))
    for method, url in _hr_urls(matching_program, run, run.proposals.first(), published_pairing):
        response = getattr(client, method)(url, {"action": "pin", "weight_topics": "9"})
        assert response.status_code == 403, (persona, url, response.status_code)
    assert _matching_state(matching_program) == before


def test_hr_pins_and_publishes(client, hr_admin, matching_program, run):
    """The same requests, by HR: each does what it says."""
    client.force_login(hr_admin)
    program, proposal = matching_program, run.proposals.first()
    assert client.get(reverse("pairings:matching", args=[program.pk])).status_code == 200
    assert client.get(reverse("pairings:run", args=[program.pk, run.pk])).status_code == 200
    client.post(
        reverse("pairings:proposal_action", args=[program.pk, run.pk, proposal.pk]), {"action": "pin"}
    )
    proposal.refresh_from_db()
    assert proposal.pinned
    client.post(reverse("pairings:publish", args=[program.pk, run.pk]))
    run.refresh_from_db()
    assert run.status == MatchRun.Status.PUBLISHED
    assert Pairing.objects.filter(run=run).count() == run.proposals.count() > 0


def test_hr_keeps_a_flagged_pair(client, hr_admin, matching_program, published_pairing):
    Pairing.objects.filter(pk=published_pairing.pk).update(conflict_flagged_at=timezone.now())
    client.force_login(hr_admin)
    assert client.get(reverse("pairings:program_pairings", args=[matching_program.pk])).status_code == 200
    client.post(reverse("pairings:conflict_keep", args=[matching_program.pk, published_pairing.pk]))
    published_pairing.refresh_from_db()
    assert published_pairing.conflict_flagged_at is None and published_pairing.conflict_kept_at is not None


def test_hr_starts_a_run(client, hr_admin, matching_program):
    client.force_login(hr_admin)
    response = client.post(reverse("pairings:run_start", args=[matching_program.pk]))
    (started,) = MatchRun.objects.filter(program=matching_program)
    assert started.status == MatchRun.Status.QUEUED
    assert response["Location"] == reverse("pairings:run", args=[matching_program.pk, started.pk])


def test_matching_page_is_read_without_writing(client, hr_admin, matching_program):
    """A GET of the matching page shows the defaults; it saves nothing (a read never writes)."""
    client.force_login(hr_admin)
    assert client.get(reverse("pairings:matching", args=[matching_program.pk])).status_code == 200
    assert not MatchingSettings.objects.filter(program=matching_program).exists()


def test_anonymous_goes_to_login(client, matching_program, run, published_pairing):
    before = _matching_state(matching_program)
    urls = _hr_urls(matching_program, run, run.proposals.first(), published_pairing) + [
        ("get", reverse("pairings:detail", args=[published_pairing.pk])),
        ("post", reverse("pairings:answer", args=[published_pairing.pk])),
    ]
    for method, url in urls:
        response = getattr(client, method)(url, {"answer": "accept"})
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url
    assert _matching_state(matching_program) == before


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
    assert client.get(reverse("pairings:detail", args=[active_pairing.pk])).status_code == expected


def _pair_state(pairing):
    return {
        "pairing": Pairing.objects.filter(pk=pairing.pk).values().get(),
        "agreement": Agreement.objects.filter(pairing=pairing).values().get(),
        "goals": list(Goal.objects.filter(pairing=pairing).values().order_by("pk")),
    }


def _pair_writes(pairing):
    """What the pair's own pages write: the agreement, a goal, a confirmation, an answer."""
    agreement = {
        "cadence_days": 21,
        "meeting_format": "video",
        "confidentiality": "What we say stays between us",
        "off_limits": "Pay",
    }
    goal = {
        "owner_side": "mentee",
        "title": "Use the team's chat tool",
        "description": "",
        "target_date": "2031-01-01",
    }
    return [
        ("pairings:agreement", agreement),
        ("pairings:goal_add", goal),
        ("pairings:agreement_confirm", {}),
        ("pairings:answer", {"answer": "accept"}),
    ]


@pytest.mark.parametrize(
    ("persona", "expected"),
    [("hr_admin", 403), ("leader", 404), ("other_participant", 404), ("outsider", 404)],
)
def test_the_pairs_own_pages_refuse_everyone_else_and_change_nothing(
    client, request, persona, expected, active_pairing
):
    before = _pair_state(active_pairing)
    client.force_login(request.getfixturevalue(persona))
    for name, data in _pair_writes(active_pairing):
        response = client.post(reverse(name, args=[active_pairing.pk]), data)
        assert response.status_code == expected, (persona, name)
    assert _pair_state(active_pairing) == before


@pytest.mark.parametrize("persona", ["mentor", "mentee"])
def test_either_side_writes_the_agreement_and_goals(client, request, persona, active_pairing):
    client.force_login(request.getfixturevalue(persona))
    for name, data in _pair_writes(active_pairing)[:2]:
        response = client.post(reverse(name, args=[active_pairing.pk]), data)
        assert response.status_code == 302, (name, response.content.decode()[:500])
    agreement = Agreement.objects.get(pairing=active_pairing)
    assert (agreement.cadence_days, agreement.off_limits) == (21, "Pay")
    assert Goal.objects.filter(pairing=active_pairing, title="Use the team's chat tool").exists()


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
