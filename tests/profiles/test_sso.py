"""Single sign-on through OpenID Connect (issue 12), against a real OIDC provider started by the test.

oidc-provider-mock is a small, real OpenID provider (discovery, authorization code, signed ID tokens,
JWKS, userinfo) that runs in a thread; allauth talks to it over HTTP exactly as to Keycloak or Entra ID.
Its sign-in page is a form where the person says who they are (`sub`): the test posts it as a browser
would.
"""

from urllib.parse import urlsplit

import pytest
import requests
from django.urls import reverse
from oidc_provider_mock import User as OidcUser
from oidc_provider_mock import run_server_in_thread

from profiles.models import AuditEvent, Person, User


@pytest.fixture
def oidc(settings, mentor):
    users = [
        OidcUser(sub="mentor-sub", claims={"email": mentor.email.upper(), "name": "From the IdP"}),
        OidcUser(sub="newcomer-sub", claims={"email": "new.hire@example.com", "name": "New Hire"}),
        OidcUser(sub="stranger-sub", claims={"email": "stranger@elsewhere.example"}),
    ]
    with run_server_in_thread(user_claims=users) as server:
        issuer = f"http://localhost:{server.server_port}"
        settings.SOCIALACCOUNT_PROVIDERS = {
            "openid_connect": {
                "OAUTH_PKCE_ENABLED": True,
                "APPS": [
                    {
                        "provider_id": "sso",
                        "name": "Acme SSO",
                        "client_id": "twoway",
                        "secret": "twoway-secret",
                        "settings": {"server_url": issuer, "token_auth_method": "client_secret_post"},
                    }
                ],
            }
        }
        yield issuer


def _sign_in_through_the_idp(client, sub: str):
    start = client.post(reverse("openid_connect_login", args=["sso"]))
    assert start.status_code == 302, start
    authorize = start["Location"]
    # The person signs in at the IdP, which sends the browser back with a code.
    back = requests.post(authorize, data={"sub": sub}, allow_redirects=False, timeout=10)
    assert back.status_code == 302, back.text
    callback = urlsplit(back.headers["Location"])
    return client.get(f"{callback.path}?{callback.query}")


def test_a_directory_member_with_a_login_signs_in_through_sso(client, oidc, mentor):
    logins = User.objects.count()
    response = _sign_in_through_the_idp(client, "mentor-sub")
    assert response.status_code == 302, response.content[:500]
    assert client.session["_auth_user_id"] == str(mentor.pk)
    assert User.objects.count() == logins  # their own login, not a second one
    assert mentor.socialaccount_set.get().provider == "sso"
    assert AuditEvent.objects.filter(action="sign_in", actor_id=mentor.pk).exists()


def test_a_directory_member_without_a_login_gets_one_tied_to_their_entry(client, oidc):
    from tests.factories import PersonFactory

    entry = PersonFactory(email="new.hire@example.com", full_name="New Hire")
    response = _sign_in_through_the_idp(client, "newcomer-sub")
    assert response.status_code == 302, response.content[:500]
    user = User.objects.get(email__iexact="new.hire@example.com")
    assert client.session["_auth_user_id"] == str(user.pk)
    entry.refresh_from_db()
    assert entry.user == user
    assert client.get(reverse("checkins:home")).status_code == 200


def test_anyone_not_in_the_directory_is_refused(client, oidc):
    before = (User.objects.count(), Person.objects.count())
    response = _sign_in_through_the_idp(client, "stranger-sub")
    assert response.status_code == 403
    assert "not an active entry" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert (User.objects.count(), Person.objects.count()) == before


def test_a_leaver_is_refused_through_sso_too(client, oidc, mentor):
    Person.objects.filter(user=mentor).update(is_active=False)
    response = _sign_in_through_the_idp(client, "mentor-sub")
    assert response.status_code == 403 and "_auth_user_id" not in client.session


def test_the_sign_in_page_offers_sso_only_when_configured(client, oidc, settings):
    assert "Acme SSO" in client.get(reverse("account_login")).content.decode()
    settings.SOCIALACCOUNT_PROVIDERS = {"openid_connect": {"APPS": []}}
    assert "Acme SSO" not in client.get(reverse("account_login")).content.decode()


@pytest.mark.parametrize(("idp_does_mfa", "asked"), [(True, False), (False, True)])
def test_hr_signing_in_through_sso_relies_on_the_idps_second_factor_unless_told_not_to(
    client, settings, oidc, mentor, idp_does_mfa, asked
):
    settings.MFA_REQUIRED_ROLES = ["hr_admin", "leader"]
    settings.SSO_SATISFIES_MFA = idp_does_mfa
    User.objects.filter(pk=mentor.pk).update(is_hr_admin=True)
    _sign_in_through_the_idp(client, "mentor-sub")
    response = client.get(reverse("checkins:concerns"))
    assert (response.status_code == 302 and response["Location"] == reverse("mfa_index")) == asked
