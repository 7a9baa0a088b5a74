"""Who may call the REST API: a working token with the endpoint's scope, nothing else; every call with a
token is audited; the rate limit; the API takes no session and no CSRF token, and MFA does not block it.

A refused call changes nothing but what the refusal itself records: an API_CALLED audit row (when the
caller had a working token) and the token's last-used time.
"""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from profiles.api_tokens import api_token_create, api_token_revoke
from profiles.models import ApiToken, AuditEvent
from tests.api.conftest import assert_problem
from tests.test_authorization_matrix import fingerprint, fingerprinted_models

pytestmark = pytest.mark.django_db

Scope = ApiToken.Scope

# Every data endpoint, with the scopes that may read it: the URL names the authorization matrix lists
# as token-only (tests/test_authorization_matrix.py, TOKEN_ONLY).
API_BY_TOKEN = {
    "api:people": ("people", {Scope.READ_DIRECTORY}),
    "api:person": ("people/{person}", {Scope.READ_DIRECTORY}),
    "api:programs": ("programs", {Scope.READ_DIRECTORY, Scope.READ_REPORTS}),
    "api:enrollments": ("enrollments", {Scope.READ_DIRECTORY}),
    "api:pairings": ("pairings", {Scope.READ_DIRECTORY}),
    "api:dashboard": ("dashboard", {Scope.READ_REPORTS}),
    "api:audit_events": ("audit-events", {Scope.READ_AUDIT}),
}
EVERY_SCOPE = list(Scope.values)


def _path(template, hr_admin):
    return template.format(person=hr_admin.person.pk)


def test_every_token_only_url_of_the_matrix_is_tested_here():
    from tests.test_authorization_matrix import EXPECTED, TOKEN_ONLY

    token_only = {key for key, row in EXPECTED.items() if row["GET"] is TOKEN_ONLY and key.startswith("api:")}
    assert token_only == set(API_BY_TOKEN)


def _without_audit_and_last_used(models):
    """The database's fingerprint, less what a refused call with a token records by design."""
    return [m for m in models if m not in (AuditEvent, ApiToken)]


@pytest.mark.parametrize("name", sorted(API_BY_TOKEN))
@pytest.mark.parametrize("scope", EVERY_SCOPE)
def test_each_scope_is_allowed_or_refused_by_each_endpoint(api, make_token, hr_admin, name, scope):
    template, allowed = API_BY_TOKEN[name]
    raw = make_token(scope)
    models = _without_audit_and_last_used(fingerprinted_models())
    before = fingerprint(models)
    response = api(_path(template, hr_admin), raw)
    if scope in allowed:
        assert response.status_code == 200, response.content[:300]
        assert response["Content-Type"] == "application/json; charset=utf-8"
    else:
        body = assert_problem(response, 403, "insufficient-scope")
        assert "insufficient_scope" in response["WWW-Authenticate"]
        assert all(s in body["detail"] for s in allowed)
    assert fingerprint(models) == before
    # Allowed or refused, the call is audited under the token, with no parameter's value.
    token = ApiToken.objects.get(key_hash__isnull=False, name="test script")
    event = AuditEvent.objects.filter(action=AuditEvent.Action.API_CALLED).get()
    assert event.target == f"api_token:{token.pk}"
    assert event.actor_id == hr_admin.pk
    assert event.detail == {
        "method": "GET",
        "path": response.wsgi_request.path,
        "status": response.status_code,
    }


@pytest.mark.parametrize("name", sorted(API_BY_TOKEN))
def test_no_token_is_401_with_a_challenge_and_changes_nothing(api, hr_admin, name):
    models = fingerprinted_models()
    before = fingerprint(models)
    response = api(_path(API_BY_TOKEN[name][0], hr_admin))
    assert_problem(response, 401, "no-token")
    assert response["WWW-Authenticate"] == 'Bearer realm="twoway"'
    assert fingerprint(models) == before  # nothing to attribute: not even an audit row


@pytest.mark.parametrize(
    "header",
    [
        "Bearer tw_00000000_not-a-real-secret",
        "Bearer not-even-a-token",
        "Bearer ",
        "Basic dXNlcjpwYXNz",
        "tw_00000000_no-scheme",
    ],
)
def test_a_bad_token_is_401_and_changes_nothing(client, make_token, header):
    make_token(Scope.READ_DIRECTORY)
    models = fingerprinted_models()
    before = fingerprint(models)
    response = client.get("/api/v1/people", headers={"Authorization": header})
    assert_problem(response, 401)
    assert response["WWW-Authenticate"].startswith('Bearer realm="twoway"')
    assert fingerprint(models) == before


def test_a_revoked_token_stops_working_at_once(api, hr_admin):
    token, raw = api_token_create(created_by=hr_admin, name="bi", scopes=[Scope.READ_DIRECTORY])
    assert api("people", raw).status_code == 200
    api_token_revoke(token=token, by=hr_admin)
    response = api("people", raw)
    assert_problem(response, 401, "invalid-token")
    assert 'error="invalid_token"' in response["WWW-Authenticate"]


def test_an_expired_token_stops_working(api, hr_admin):
    _token, raw = api_token_create(
        created_by=hr_admin,
        name="bi",
        scopes=[Scope.READ_DIRECTORY],
        expires_at=timezone.now() + timedelta(days=1),
    )
    assert api("people", raw).status_code == 200
    with time_machine.travel(timezone.now() + timedelta(days=1, seconds=1)):
        assert_problem(api("people", raw), 401, "invalid-token")


def test_a_token_stops_working_when_its_maker_is_no_longer_hr(api, make_token, hr_admin):
    raw = make_token(Scope.READ_DIRECTORY)
    hr_admin.is_hr_admin = False
    hr_admin.save()
    assert_problem(api("people", raw), 401, "invalid-token")


def test_a_signed_in_hr_admin_s_session_is_not_a_token(client, api, hr_admin):
    """The API never reads the session: HR signed in is as unknown to it as a stranger."""
    client.force_login(hr_admin)
    assert_problem(api("people"), 401, "no-token")


def test_the_second_factor_check_does_not_stand_in_the_api_s_way(client, settings, api, make_token, hr_admin):
    settings.MFA_REQUIRED_ROLES = ["hr_admin"]
    raw = make_token(Scope.READ_DIRECTORY)
    client.force_login(hr_admin)  # no second factor set up: every page sends them to set one up
    assert client.get(reverse("profiles:directory")).status_code == 302
    assert api("people", raw).status_code == 200
    assert client.get("/api/v1/docs").status_code == 200


def test_the_api_needs_no_csrf_token(make_token):
    """With CSRF checks on, a call is judged by its token alone: a read is let in, a write is a 405."""
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    raw = make_token(Scope.READ_DIRECTORY)
    headers = {"Authorization": f"Bearer {raw}"}
    assert strict.get("/api/v1/people", headers=headers).status_code == 200
    response = strict.post("/api/v1/people", headers=headers)
    assert_problem(response, 405, "method-not-allowed")
    assert response["Allow"] == "GET"


def test_the_rate_limit_answers_429_with_retry_after(settings, api, make_token):
    settings.API_RATE_LIMIT_PER_MINUTE = 3
    raw, other = make_token(Scope.READ_DIRECTORY), make_token(Scope.READ_DIRECTORY)
    with time_machine.travel(timezone.now().replace(second=10), tick=False):
        for _ in range(3):
            assert api("people", raw).status_code == 200
        response = api("people", raw)
        body = assert_problem(response, 429, "rate-limited")
        assert response["Retry-After"] == "50"
        assert "3 calls a minute" in body["detail"]
        assert api("people", other).status_code == 200  # per token: the other one has its own budget
    with time_machine.travel(timezone.now().replace(second=10) + timedelta(minutes=1), tick=False):
        assert api("people", raw).status_code == 200  # the next minute
    statuses = list(
        AuditEvent.objects.filter(action=AuditEvent.Action.API_CALLED)
        .order_by("pk")
        .values_list("detail__status", flat=True)
    )
    assert statuses == [200, 200, 200, 429, 200, 200]


def test_errors_everywhere_under_the_api_are_problem_details(api, make_token):
    raw = make_token(Scope.READ_DIRECTORY)
    assert_problem(api("no-such-thing", raw), 404, "not-found")
    assert_problem(api("", raw), 404, "not-found")  # ninja's root is no page
    assert_problem(api("people/999999", raw), 404, "not-found")
    response = api("people", raw, method="delete")
    assert_problem(response, 405)
    assert response["Allow"] == "GET"
    assert_problem(api("openapi.json", method="post"), 405)


@pytest.mark.parametrize(
    ("path", "params", "name"),
    [
        ("people", {"limit": "0"}, "limit"),
        ("people", {"limit": "1001"}, "limit"),
        ("people", {"limit": "many"}, "limit"),
        ("people", {"level": "10"}, "level"),
        ("people", {"updated_since": "yesterday"}, "updated_since"),
        ("people", {"active": "perhaps"}, "active"),
        ("people", {"cursor": "forged"}, "cursor"),
        ("people", {"departmnet": "Sales"}, "departmnet"),  # misspelt: not silently every row
        ("people/3", {"limit": "5"}, "limit"),
        ("people/0", {}, "person_id"),
        ("people/abc", {}, "person_id"),
        ("enrollments", {"status": "maybe"}, "status"),
        ("enrollments", {"side": "both"}, "side"),
        ("pairings", {"program": "-1"}, "program"),
        ("pairings", {"program": str(2**63)}, "program"),
    ],
)
def test_a_bad_parameter_is_a_400_naming_it(api, make_token, path, params, name):
    raw = make_token(Scope.READ_DIRECTORY)
    body = assert_problem(api(path, raw, **params), 400, "invalid-parameter")
    assert [error["name"] for error in body["errors"]] == [name]
    assert name in body["detail"]


def test_a_cursor_of_another_endpoint_is_refused(api, make_token, hr_admin, mentor, mentee):
    raw = make_token(Scope.READ_DIRECTORY, Scope.READ_AUDIT)
    cursor = api("people", raw, limit=1).json()["next_cursor"]
    assert cursor
    body = assert_problem(api("enrollments", raw, cursor=cursor), 400, "invalid-parameter")
    assert body["errors"][0]["name"] == "cursor"
