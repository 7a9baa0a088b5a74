"""HR's API token pages: make a token (its secret shown once), list them by prefix, revoke one; nobody
but an HR admin gets in, and a refused request changes nothing."""

import re

import pytest
from django.urls import reverse

from profiles.api_tokens import api_token_authenticate, api_token_create
from profiles.models import ApiToken, AuditEvent
from tests.helpers import PERSONAS, queries_of
from tests.test_authorization_matrix import fingerprint, fingerprinted_models

pytestmark = pytest.mark.django_db

LIST = reverse("profiles:api_tokens")


def _secret_on(page: str) -> str:
    match = re.search(r'id="api-token-secret" type="text" value="(tw_[^"]+)"', page)
    assert match, "no secret shown"
    return match.group(1)


def test_hr_makes_a_token_and_sees_its_secret_once(client, hr_admin):
    client.force_login(hr_admin)
    response = client.post(
        LIST, {"name": "BI export", "scopes": ["reports:read", "directory:read"], "expires_on": "2099-01-31"}
    )
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    page = response.content.decode()
    secret = _secret_on(page)
    assert 'data-copy-target="api-token-secret"' in page
    token = ApiToken.objects.get()
    assert token.name == "BI export" and token.scopes == ["directory:read", "reports:read"]
    assert token.key_hash != secret and secret not in token.key_hash
    assert token.expires_at.date().isoformat() == "2099-02-01"  # the end of the day chosen
    assert api_token_authenticate(raw=secret) == token
    # Listed afterwards by its prefix, never its secret.
    listed = client.get(LIST).content.decode()
    assert f"tw_{token.prefix}_…" in listed and secret not in listed
    assert "BI export" in listed and "Read the dashboard figures" in listed and hr_admin.email in listed
    assert AuditEvent.objects.filter(action=AuditEvent.Action.API_TOKEN_CREATED).count() == 1


def test_a_token_needs_a_name_and_a_scope(client, hr_admin):
    client.force_login(hr_admin)
    response = client.post(LIST, {"name": " ", "scopes": []})
    assert response.status_code == 400
    assert not ApiToken.objects.exists()
    assert "api-token-secret" not in response.content.decode()
    response = client.post(LIST, {"name": "x", "scopes": ["directory:read"], "expires_on": "2000-01-01"})
    assert response.status_code == 400 and not ApiToken.objects.exists()


def test_hr_revokes_a_token_and_it_stops_working(client, hr_admin):
    token, secret = api_token_create(created_by=hr_admin, name="Okta", scopes=["directory:write"])
    client.force_login(hr_admin)
    response = client.post(reverse("profiles:api_token_revoke", args=[token.pk]))
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert api_token_authenticate(raw=secret) is None
    page = client.get(LIST).content.decode()
    assert "Revoked" in page and f"profiles/api-tokens/{token.pk}/revoke/" not in page


def test_the_list_costs_the_same_queries_for_one_token_or_many(client, hr_admin):
    client.force_login(hr_admin)
    api_token_create(created_by=hr_admin, name="one", scopes=["audit:read"])
    one = queries_of(client, LIST)
    for n in range(10):
        api_token_create(created_by=hr_admin, name=f"token {n}", scopes=["audit:read"])
    assert queries_of(client, LIST) == one


def test_the_hr_navigation_links_to_the_tokens(client, hr_admin):
    client.force_login(hr_admin)
    assert LIST in client.get(reverse("profiles:audit")).content.decode()


@pytest.mark.parametrize("persona", [p for p in PERSONAS if p != "hr_admin"])
def test_nobody_else_may_see_make_or_revoke_tokens(client, request, hr_admin, persona):
    token, secret = api_token_create(created_by=hr_admin, name="Okta", scopes=["directory:write"])
    client.force_login(request.getfixturevalue(persona))
    models = fingerprinted_models()
    before = fingerprint(models)
    assert client.get(LIST).status_code == 403
    assert client.post(LIST, {"name": "mine", "scopes": ["audit:read"]}).status_code == 403
    assert client.post(reverse("profiles:api_token_revoke", args=[token.pk])).status_code == 403
    assert fingerprint(models) == before
    assert api_token_authenticate(raw=secret) is not None


def test_signed_out_visitors_go_to_the_login_page(client, hr_admin):
    token, _secret = api_token_create(created_by=hr_admin, name="Okta", scopes=["directory:write"])
    assert client.get(LIST).status_code == 302
    assert client.post(reverse("profiles:api_token_revoke", args=[token.pk])).status_code == 302
    assert ApiToken.objects.get().revoked_at is None
