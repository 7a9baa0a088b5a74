"""Finding 5 (issue 12): a form posted twice (a retry, a replayed request) saves once (common.once)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from checkins.models import Action, CheckIn, Concern, Meeting, Reflection
from common.models import FormSubmission
from tests.helpers import form_token


def _forms(pairing):
    tomorrow = (timezone.localtime() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    return {
        "log": (
            reverse("checkins:log", args=[pairing.pk]),
            {
                "happened_on": timezone.localdate().isoformat(),
                "duration_minutes": 45,
                "meeting_format": "video",
                "learned": "How short video search works",
                "rating": 4,
            },
            CheckIn,
            "mentor",
        ),
        "plan": (
            reverse("checkins:plan", args=[pairing.pk]),
            {"starts_at": tomorrow, "duration_minutes": 45, "meeting_format": "video"},
            Meeting,
            "mentor",
        ),
        "concern": (
            reverse("checkins:concern_new", args=[pairing.pk]),
            {"kind": "concern", "text": "Our meetings keep slipping."},
            Concern,
            "mentor",
        ),
        "action": (
            reverse("checkins:action_new", args=[pairing.pk]),
            {
                "kind": "decision",
                "title": "Town halls get captions",
                "description": "",
                "effect": "too_early",
            },
            Action,
            "mentee",
        ),
    }


@pytest.mark.parametrize("name", ["log", "plan", "concern", "action"])
def test_the_same_form_sent_twice_saves_once_and_shows_the_first(client, request, active_pairing, name):
    url, data, model, persona = _forms(active_pairing)[name]
    client.force_login(request.getfixturevalue(persona))
    data = {**data, "form_token": form_token(client, url)}
    first = client.post(url, data)
    assert first.status_code == 302, first.context["form"].errors if first.context else first
    assert model.objects.count() == 1
    again = client.post(url, data, follow=True)  # the replay
    assert model.objects.count() == 1
    assert again.redirect_chain[0][0] == first["Location"]
    assert "already saved" in again.content.decode()
    # A fresh page gets a fresh token: a second, deliberate one is saved.
    if name in {"plan", "concern", "action"}:
        client.post(url, {**data, "form_token": form_token(client, url)})
        assert model.objects.count() == 2


def test_a_post_without_its_token_saves_nothing_and_keeps_the_text(client, mentor, active_pairing):
    url, data, _model, _persona = _forms(active_pairing)["log"]
    client.force_login(mentor)
    response = client.post(url, data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "This form was out of date, so nothing was saved" in html
    assert "How short video search works" in html and 'name="form_token" value="' in html
    assert not CheckIn.objects.exists() and not Reflection.objects.exists()


def test_a_refused_submit_can_be_corrected_and_sent_with_the_same_token(client, mentor, active_pairing):
    url, data, _model, _persona = _forms(active_pairing)["log"]
    client.force_login(mentor)
    token = form_token(client, url)
    future = (timezone.localdate() + timedelta(days=2)).isoformat()
    refused = client.post(url, {**data, "form_token": token, "happened_on": future})
    assert refused.status_code == 200 and not FormSubmission.objects.exists()
    assert f'value="{token}"' in refused.content.decode()
    assert client.post(url, {**data, "form_token": token}).status_code == 302
    assert CheckIn.objects.count() == 1
