"""The REST API's tests share: tokens made through the service, and calls made as a script would."""

import pytest

from profiles.api_tokens import api_token_create
from profiles.models import ApiToken

Scope = ApiToken.Scope
ALL_SCOPES = [Scope.READ_DIRECTORY, Scope.READ_REPORTS, Scope.READ_AUDIT, Scope.WRITE_DIRECTORY]


@pytest.fixture
def make_token(hr_admin):
    """make_token(*scopes) -> the raw secret of a new token of the HR admin's."""

    def make(*scopes, **kwargs):
        _token, raw = api_token_create(created_by=hr_admin, name="test script", scopes=list(scopes), **kwargs)
        return raw

    return make


@pytest.fixture
def api(client):
    """api(path, token=None, **params) -> the response of a GET under /api/v1/, with a bearer token."""

    def get(path, token=None, method="get", **params):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return getattr(client, method)(f"/api/v1/{path.lstrip('/')}", params, headers=headers)

    return get


def assert_problem(response, status: int, code: str | None = None) -> dict:
    """The response is an RFC 9457 problem of this status (and code), and returns its body."""
    assert response.status_code == status, (response.status_code, response.content[:500])
    assert response["Content-Type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status
    assert body["type"] == "about:blank"
    assert body["title"] and body["detail"]
    if code is not None:
        assert body["code"] == code, body
    return body
