"""MFA for the roles that see the most, session lifetimes and the sessions list (issue 12, accounts)."""

import time

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
    yield_hotp_counters_from_time,
)
from django.urls import reverse

PASSWORD = "a long enough passphrase"


@pytest.fixture
def mfa_required(settings):
    settings.MFA_REQUIRED_ROLES = ["hr_admin", "leader"]  # the production default


def _code(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, next(yield_hotp_counters_from_time())))


@pytest.mark.parametrize("persona", ["hr_admin", "leader"])
def test_hr_admins_and_leaders_set_up_a_second_factor_before_anything_else(
    client, request, persona, mfa_required
):
    user = request.getfixturevalue(persona)
    client.force_login(user)
    for url in (reverse("home"), reverse("dashboards:index"), reverse("profiles:account")):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"] == reverse("mfa_index"), url
    page = client.get(reverse("mfa_index"), follow=True)
    assert page.status_code == 200 and "second sign-in step" in page.content.decode()
    TOTP.activate(user, generate_totp_secret())
    assert client.get(reverse("dashboards:index")).status_code == 200


def test_participants_are_not_asked(client, mentor, mfa_required):
    client.force_login(mentor)
    assert client.get(reverse("home")).status_code == 200
    assert not Authenticator.objects.exists()


def test_with_totp_the_sign_in_asks_for_the_code(client, hr_admin, mfa_required):
    hr_admin.set_password(PASSWORD)
    hr_admin.save()
    secret = generate_totp_secret()
    TOTP.activate(hr_admin, secret)
    response = client.post(reverse("account_login"), {"login": hr_admin.email, "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session  # not signed in on the password alone
    assert client.post(reverse("mfa_authenticate"), {"code": "000000"}).status_code == 200
    assert "_auth_user_id" not in client.session
    response = client.post(reverse("mfa_authenticate"), {"code": _code(secret)})
    assert response.status_code == 302 and client.session["_auth_user_id"] == str(hr_admin.pk)
    assert client.get(reverse("checkins:concerns")).status_code == 200


def test_an_idle_session_ends(client, settings, mentor):
    settings.SESSION_IDLE_MINUTES = 30
    client.force_login(mentor)
    assert client.get(reverse("home")).status_code == 200
    session = client.session
    session["twoway_seen"] = int(time.time()) - 31 * 60
    session.save()
    response = client.get(reverse("checkins:home"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("account_login"))
    assert "_auth_user_id" not in client.session


def test_a_session_ends_at_its_absolute_lifetime_even_when_active(client, settings, mentor):
    settings.SESSION_ABSOLUTE_HOURS = 8
    client.force_login(mentor)
    session = client.session
    session["twoway_started"] = int(time.time()) - 8 * 3600 - 1
    session.save()
    response = client.get(reverse("home"))
    assert response.status_code == 302 and "_auth_user_id" not in client.session


def test_people_see_their_sessions_and_end_the_others(client, mentor):
    from allauth.usersessions.models import UserSession

    mentor.set_password(PASSWORD)
    mentor.save()
    other = client.__class__()
    for browser in (client, other):
        browser.post(reverse("account_login"), {"login": mentor.email, "password": PASSWORD})
    assert UserSession.objects.filter(user=mentor).count() == 2
    page = client.get(reverse("usersessions_list"))
    assert page.status_code == 200
    client.post(reverse("usersessions_list"), {"action": "logout"})  # "sign out everywhere else"
    assert UserSession.objects.filter(user=mentor).count() == 1
    assert other.get(reverse("checkins:home")).status_code == 302
    assert client.get(reverse("checkins:home")).status_code == 200
