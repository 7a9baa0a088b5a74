"""The API tested by a tool we did not write: schemathesis reads /api/v1/openapi.json, generates requests
for every operation (valid and invalid parameters, missing and wrong auth, unsupported methods) and
checks every answer: no server error, status codes, media types, headers and bodies as documented.

Each operation is called with a token holding the scope it names (x-scopes): a token per scope. The run
is kept short (a few dozen examples per operation) so that `make test` stays within its budget.
"""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import positive_data_acceptance

from profiles.api_tokens import api_token_create
from profiles.models import ApiToken
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())


@pytest.fixture
def in_process():
    """Calls through the WSGI app within the test's transaction: as Django's test client does, the
    end of a request must not close the test's database connection."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def tokens(in_process, hr_admin, settings, published_pairing):
    """A token per scope, and some data for them to read (people with a manager, a pairing)."""
    settings.API_RATE_LIMIT_PER_MINUTE = 0  # hypothesis calls faster than any script; the limit is tested
    boss = PersonFactory(department="Sales")
    PersonFactory.create_batch(3, department="Sales", manager=boss)
    return {
        scope: api_token_create(created_by=hr_admin, name=f"schemathesis {scope}", scopes=[scope])[1]
        for scope in ApiToken.Scope.values
    }


@schema.parametrize()
@settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)
def test_the_api_keeps_to_its_openapi_description(case, tokens):
    scope = case.operation.definition.raw["x-scopes"][0]
    # A cursor is opaque: one made up is well-formed by the schema and still rightly refused (400), so
    # "schema-valid data is accepted" cannot hold for it. Every other check runs on every request.
    excluded = [positive_data_acceptance] if "cursor" in (case.query or {}) else []
    # A case made to break the headers is one without the token the description requires: it is sent
    # as it is, and must be refused (401), not rescued by our token.
    negative_headers = case.meta is not None and case.meta.is_negative_at(ParameterLocation.HEADER)
    headers = {} if negative_headers else {"Authorization": f"Bearer {tokens[scope]}"}
    case.call_and_validate(headers=headers, excluded_checks=excluded)


def test_the_description_is_openapi_3_1_with_every_endpoint():
    assert schema.raw_schema["openapi"].startswith("3.1")
    paths = set(schema.raw_schema["paths"])
    assert paths == {
        "/api/v1/people",
        "/api/v1/people/{person_id}",
        "/api/v1/programs",
        "/api/v1/enrollments",
        "/api/v1/pairings",
        "/api/v1/dashboard",
        "/api/v1/audit-events",
    }
    for operations in schema.raw_schema["paths"].values():
        for operation in operations.values():
            assert operation["x-scopes"] and operation["security"] == [{"TokenAuth": []}]
            assert "application/problem+json" in operation["responses"]["401"]["content"]
