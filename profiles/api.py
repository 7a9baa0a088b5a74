"""The REST API's token check, and its directory and audit endpoints (wired in mentoring/api.py).

A call presents `Authorization: Bearer <token>`; profiles.api_tokens decides whether the key works (one
rule for the API and SCIM), then each endpoint names the scopes that may call it. Every call with a
working key counts against its per-minute budget (API_RATE_LIMIT_PER_MINUTE) and is audited by
mentoring.api's middleware.
"""

import math
import time
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from ninja import Field, Path, Query, Router, Schema
from ninja.security import HttpBearer

from common.api import (
    DEFAULT_LIMIT,
    MAX_ID,
    MAX_LIMIT,
    ApiProblem,
    IsoDate,
    IsoDateTime,
    PageMeta,
    choice,
    keyset_page,
    where_given,
)

from . import audit
from .api_tokens import api_token_authenticate, token_has_scope
from .models import LEVEL_MAX, LEVEL_MIN, ApiToken, AuditEvent, Person

Scope = ApiToken.Scope
BEARER_CHALLENGE = 'Bearer realm="twoway"'


def _rate_limited(token: ApiToken) -> int | None:
    """Counts this call in the token's fixed one-minute window; the seconds to wait when it is over."""
    limit = settings.API_RATE_LIMIT_PER_MINUTE
    if limit <= 0:
        return None
    now = time.time()
    window = int(now // 60)
    key = f"twoway:api:rate:{token.pk}:{window}"
    cache.add(key, 0, timeout=120)
    try:
        used = cache.incr(key)
    except ValueError:  # expired between add and incr: this call opens the window
        cache.set(key, 1, timeout=120)
        used = 1
    if used <= limit:
        return None
    return max(1, math.ceil(60 - now % 60))


class TokenAuth(HttpBearer):
    """A working API token that holds one of `scopes`: else 401 (no or bad token), 429, or 403."""

    def __init__(self, *scopes: str):
        super().__init__()
        self.scopes = scopes

    def __call__(self, request: HttpRequest):
        if not request.headers.get(self.header):
            return None  # ninja answers 401: no credentials
        return super().__call__(request)

    def authenticate(self, request: HttpRequest, token: str):
        found = api_token_authenticate(raw=token.strip())
        if found is None:
            raise ApiProblem(
                401,
                "invalid-token",
                "The token is unknown, revoked or expired, or its maker is no longer an HR admin.",
                headers={"WWW-Authenticate": f'{BEARER_CHALLENGE}, error="invalid_token"'},
            )
        request.api_token = found  # for the audit row (mentoring.api.ApiMiddleware)
        wait = _rate_limited(found)
        if wait is not None:
            raise ApiProblem(
                429,
                "rate-limited",
                f"This token may make {settings.API_RATE_LIMIT_PER_MINUTE} calls a minute; "
                f"try again in {wait} s.",
                headers={"Retry-After": str(wait)},
            )
        if not any(token_has_scope(found, scope) for scope in self.scopes):
            raise ApiProblem(
                403,
                "insufficient-scope",
                f"This token lacks the scope this endpoint needs: {' or '.join(self.scopes)}.",
                headers={
                    "WWW-Authenticate": f'{BEARER_CHALLENGE}, error="insufficient_scope", '
                    f'scope="{" ".join(self.scopes)}"'
                },
            )
        return found


def scoped(*scopes: str) -> dict:
    """The keyword arguments of an endpoint that needs one of `scopes`: its auth and what the docs say."""
    return {"auth": TokenAuth(*scopes), "openapi_extra": {"x-scopes": list(scopes)}}


Limit = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Rows per page.")
Cursor = Query(None, max_length=500, description="The `next_cursor` of the page before.")

# --- The directory ------------------------------------------------------------------------------------

directory = Router(tags=["directory"])

PERSON_FIELDS = (
    "id",
    "employee_id",
    "email",
    "full_name",
    "job_title",
    "department",
    "location",
    "level",
    "manager_id",
    "is_active",
    "time_zone",
    "updated_at",
)


class PersonOut(Schema):
    id: int
    employee_id: str = Field(description="The HR system's id; empty when it has none.")
    email: str
    full_name: str
    job_title: str
    department: str
    location: str
    level: int = Field(description=f"Seniority grade, {LEVEL_MIN} (entry) to {LEVEL_MAX} (executive).")
    manager_id: int | None = Field(description="The id of their manager's entry.")
    is_active: bool = Field(description="False for a leaver.")
    time_zone: str
    updated_at: datetime


class PeoplePage(PageMeta):
    items: list[PersonOut]


@directory.get("/people", response=PeoplePage, url_name="people", **scoped(Scope.READ_DIRECTORY))
def people(
    request,
    department: str | None = Query(None, max_length=120),
    active: bool | None = Query(None, description="true: current staff; false: leavers; absent: both."),
    level: int | None = Query(None, ge=LEVEL_MIN, le=LEVEL_MAX),
    email: str | None = Query(None, max_length=254, description="Exact, case-insensitive."),
    updated_since: IsoDateTime | None = Query(None, description="Entries changed at or after this time."),
    limit: int = Limit,
    cursor: str | None = Cursor,
):
    """The employee directory, by id. Leavers are inactive entries, never removed."""
    rows = where_given(
        Person.objects.only(*PERSON_FIELDS),
        department=department,
        is_active=active,
        level=level,
        email__iexact=email,
        updated_at__gte=updated_since,
    )
    return keyset_page(rows, endpoint="people", cursor=cursor, limit=limit)


@directory.get("/people/{person_id}", response=PersonOut, url_name="person", **scoped(Scope.READ_DIRECTORY))
def person(request, person_id: int = Path(..., ge=1, le=MAX_ID)):
    """One entry of the directory."""
    found = Person.objects.only(*PERSON_FIELDS).filter(pk=person_id).first()
    if found is None:
        raise ApiProblem(404, "not-found", f"There is no person {person_id}.")
    return found


# --- The audit trail --------------------------------------------------------------------------------------

audit_router = Router(tags=["audit"])


class AuditEventOut(Schema):
    id: int
    at: datetime
    actor_id: int | None = Field(
        description="The login that acted (for an API call, the token's maker); null for a job."
    )
    action: choice(AuditEvent.Action.values)
    target: str = Field(description='What it acted on, e.g. "pairing:12" or "api_token:3".')
    ip: str | None
    user_agent: str
    detail: dict = Field(description="Ids and counts only: never what anyone wrote.")


class AuditPage(PageMeta):
    items: list[AuditEventOut]


@audit_router.get("/audit-events", response=AuditPage, url_name="audit_events", **scoped(Scope.READ_AUDIT))
def audit_events(
    request,
    action: choice(AuditEvent.Action.values) | None = Query(None),
    actor_email: str | None = Query(None, max_length=254, description="The acting login's email."),
    since: IsoDate | None = Query(None, description="From this day (UTC)."),
    until: IsoDate | None = Query(None, description="Up to and including this day (UTC)."),
    limit: int = Limit,
    cursor: str | None = Cursor,
):
    """The audit trail, newest first: what the HR page shows."""
    rows = audit.audit_events(action=action or "", actor_email=actor_email or "", since=since, until=until)
    return keyset_page(
        rows,
        endpoint="audit-events",
        cursor=cursor,
        limit=limit,
        descending=True,
        key_fields=("at", "pk"),
        parse=(datetime.fromisoformat, int),
    )
