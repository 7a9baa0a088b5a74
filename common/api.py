"""What every app's REST API endpoints share: problem details (RFC 9457) and keyset pagination.

The API itself is wired in mentoring/api.py; each app's `api.py` holds its own endpoints. Nothing here
knows an app of ours.

Pagination is by keyset, never OFFSET: a page is "the next `limit` rows after this key", so page 100 costs
what page 1 costs, and a row added or removed meanwhile neither repeats nor skips another. The cursor is
the last row's key, signed (so it cannot be forged into a different query) and bound to its endpoint.
"""

from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime
from http import HTTPStatus
from typing import Annotated, Any, Literal

from django.core import signing
from django.db.models import Q, QuerySet
from ninja import Field, Schema
from pydantic import BeforeValidator

PROBLEM_CONTENT_TYPE = "application/problem+json"

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
MAX_ID = 2**63 - 1  # ids are PostgreSQL bigints: anything larger can name no row


def choice(values: Iterable[str]) -> Any:
    """A parameter or field that takes one of `values` (a TextChoices' .values), inlined in the
    description: two apps' `Status` enums would otherwise share one name there."""
    return Literal[tuple(values)]


def _iso_datetime(value):
    # pydantic would also read a bare number as a Unix time ("0.5"): the API takes ISO 8601 only.
    # Stated as UTC: PostgreSQL refuses an offset beyond ±15:59, which ISO 8601 (and Python) allow.
    if isinstance(value, str):
        parsed = datetime.fromisoformat(value)
        if not parsed.tzinfo:
            return parsed.replace(tzinfo=UTC)
        try:
            return parsed.astimezone(UTC)
        except OverflowError:
            raise ValueError("the time is outside the years 1 to 9999 once converted to UTC") from None
    return value


def _iso_date(value):
    return date.fromisoformat(value) if isinstance(value, str) else value


IsoDateTime = Annotated[datetime, BeforeValidator(_iso_datetime)]  # naive means UTC
IsoDate = Annotated[date, BeforeValidator(_iso_date)]


class ProblemParameter(Schema):
    name: str = Field(description="The request parameter that was refused.")
    location: str = Field(description="Where it was: query, path or header.")
    detail: str


class Problem(Schema):
    """RFC 9457 problem details: every error the API answers, whatever its status."""

    type: str = Field(description='"about:blank": the status says what kind of problem it is.')
    title: str = Field(description="The status's phrase, e.g. Forbidden.")
    status: int
    detail: str = Field(description="What went wrong with this request, for a person to read.")
    code: str = Field(description="The problem as a stable word for a script, e.g. insufficient-scope.")
    errors: list[ProblemParameter] | None = Field(
        default=None, description="For a 400: each parameter that was refused, and why."
    )


class ApiProblem(Exception):
    """Raised anywhere under /api/ to answer with a problem; mentoring.api turns it into the response."""

    def __init__(
        self,
        status: int,
        code: str,
        detail: str,
        *,
        errors: list[dict] | None = None,
        headers: dict[str, str] | None = None,
    ):
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.errors = errors
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        return problem_body(self.status, self.code, self.detail, errors=self.errors)


def problem_body(status: int, code: str, detail: str, *, errors: list[dict] | None = None) -> dict:
    title = HTTPStatus(status).phrase
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
    }
    if errors:
        body["errors"] = errors
    return body


def bad_parameter(name: str, detail: str, *, location: str = "query") -> ApiProblem:
    return ApiProblem(
        400,
        "invalid-parameter",
        f"{name}: {detail}",
        errors=[{"name": name, "location": location, "detail": detail}],
    )


# --- Keyset pagination -----------------------------------------------------------------------------------


class PageMeta(Schema):
    next_cursor: str | None = Field(
        description="Pass as `cursor` to get the next page; null on the last page."
    )
    limit: int


def _cursor_salt(endpoint: str) -> str:
    return f"twoway.api.cursor:{endpoint}"


def encode_cursor(endpoint: str, key: Sequence) -> str:
    return signing.dumps([str(part) for part in key], salt=_cursor_salt(endpoint), compress=False)


def decode_cursor(endpoint: str, cursor: str, width: int) -> list[str]:
    try:
        key = signing.loads(cursor, salt=_cursor_salt(endpoint))
    except signing.BadSignature:
        raise bad_parameter(
            "cursor", "not a cursor this endpoint gave out; use next_cursor from the page before"
        ) from None
    if not isinstance(key, list) or len(key) != width or not all(isinstance(k, str) for k in key):
        raise bad_parameter("cursor", "not a cursor this endpoint gave out")
    return key


def keyset_page(
    rows: QuerySet,
    *,
    endpoint: str,
    cursor: str | None,
    limit: int,
    descending: bool = False,
    key_fields: tuple[str, ...] = ("pk",),
    parse: Sequence[Callable[[str], Any]] = (int,),
) -> dict:
    """One page of `rows`, ordered by `key_fields` (unique together), after the cursor's key: the
    response of a list endpoint (its items, the next page's cursor or None on the last, the limit). One
    query."""
    if cursor:
        raw = decode_cursor(endpoint, cursor, len(key_fields))
        try:
            key = [convert(part) for convert, part in zip(parse, raw, strict=True)]
        except (TypeError, ValueError):
            raise bad_parameter("cursor", "not a cursor this endpoint gave out") from None
        rows = rows.filter(_after(key_fields, key, descending=descending))
    order = [f"-{f}" if descending else f for f in key_fields]
    page = list(rows.order_by(*order)[: limit + 1])
    next_cursor = None
    if len(page) > limit:
        page = page[:limit]
        next_cursor = encode_cursor(endpoint, [getattr(page[-1], f) for f in key_fields])
    return {"items": page, "next_cursor": next_cursor, "limit": limit}


def where_given(rows: QuerySet, **lookups) -> QuerySet:
    """`rows` narrowed by each lookup whose value the request gave (not None): a list's optional filters."""
    return rows.filter(**{lookup: value for lookup, value in lookups.items() if value is not None})


def _after(fields: tuple[str, ...], key: list, *, descending: bool) -> Q:
    """Rows strictly after `key` in the order of `fields` (a lexicographic comparison)."""
    op = "lt" if descending else "gt"
    condition = Q()
    for i, field in enumerate(fields):
        term = Q(**{f"{field}__{op}": key[i]})
        for earlier, value in zip(fields[:i], key[:i], strict=True):
            term &= Q(**{earlier: value})
        condition |= term
    return condition
