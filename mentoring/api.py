"""The REST API under /api/v1/: django-ninja, its OpenAPI description and docs, problem details, audit.

Each app's endpoints live in its own `api.py` and read through its models and selectors; this module
only puts them together (README, "API"). Around every request under /api/:

- errors are RFC 9457 problem details (application/problem+json), whoever answered: ninja, Django's URL
  resolver (404), its method check (405) or its 500 handler;
- every call made with a working token is audited (AuditEvent.Action.API_CALLED on "api_token:<id>":
  method, path and status; never a parameter's value);
- the API never reads the session: it needs no CSRF token, and the second-factor check leaves it alone.
"""

import logging
import re
from functools import cached_property
from http import HTTPStatus

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_safe
from ninja import NinjaAPI, Swagger
from ninja.errors import AuthenticationError, HttpError, ValidationError

from checkins.dashboard.api import router as dashboard_router
from common.api import PROBLEM_CONTENT_TYPE, ApiProblem, Problem, problem_body
from pairings.api import router as pairings_router
from profiles import audit
from profiles.api import BEARER_CHALLENGE, audit_router, directory
from profiles.models import AuditEvent
from programs.api import router as programs_router

logger = logging.getLogger("twoway.api")

API_PREFIX = "/api/"
# Headers that say how to go on, kept when an error is rewritten as a problem.
KEPT_HEADERS = ("Allow", "Retry-After", "WWW-Authenticate")

DESCRIPTION = """Read Twoway's directory, programs, enrollments, pairings (dates and statuses only),
dashboard figures (under the fewer-than-5 rule) and audit trail.

Send `Authorization: Bearer <token>`; an HR admin makes tokens under People → API tokens. Each endpoint
names the scopes that may call it (`x-scopes`). Lists are paged by cursor: pass the `next_cursor` of a
page as `cursor` to get the next; it is null on the last page. Errors are RFC 9457 problem details.
No endpoint ever returns what anyone wrote in a check-in, a reflection, a rating or a concern."""


def problem_response(status: int, code: str, detail: str, *, errors=None, headers=None) -> JsonResponse:
    response = JsonResponse(
        problem_body(status, code, detail, errors=errors), status=status, content_type=PROBLEM_CONTENT_TYPE
    )
    for name, value in (headers or {}).items():
        response[name] = value
    return response


_CONVERTER = re.compile(r"<(?:\w+:)?(\w+)>")


class TwowayApi(NinjaAPI):
    @cached_property
    def _query_parameters(self) -> dict[tuple[str, str], frozenset[str]]:
        """(path as described, method) -> the query parameters its description names."""
        named = {}
        for path, operations in self.get_openapi_schema()["paths"].items():
            for method, operation in operations.items():
                names = {p["name"] for p in operation.get("parameters", []) if p.get("in") == "query"}
                named[path, method.upper()] = frozenset(names)
        return named

    def create_temporal_response(self, request: HttpRequest) -> HttpResponse:
        """Called by ninja for every request it answers, before the parameters are read: a query
        parameter the description does not name is refused (a misspelt filter would otherwise be ignored
        silently and the script would read every row as if filtered)."""
        route = "/" + _CONVERTER.sub(r"{\1}", request.resolver_match.route)
        method = "GET" if request.method == "HEAD" else request.method
        known = self._query_parameters.get((route, method))
        if known is not None:
            unknown = sorted(set(request.GET) - known)
            if unknown:
                raise ApiProblem(
                    400,
                    "invalid-parameter",
                    "Unknown query parameter: " + ", ".join(repr(name) for name in unknown),
                    errors=[
                        {"name": name, "location": "query", "detail": "this endpoint has no such parameter"}
                        for name in unknown
                    ],
                )
        return super().create_temporal_response(request)

    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        """ninja's description, with every error answer documented as a problem (its own media type)."""
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        schemas = schema.setdefault("components", {}).setdefault("schemas", {})
        schemas["Problem"] = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(schemas["Problem"].pop("$defs", {}))
        problem = {"content": {PROBLEM_CONTENT_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}}
        for operations in schema["paths"].values():
            for operation in operations.values():
                responses = operation.setdefault("responses", {})
                codes = ["400", "401", "403", "429"]
                # A missing object, or a dashboard table that does not exist.
                if any(p.get("in") == "path" for p in operation.get("parameters", [])) or operation.get(
                    "operationId", ""
                ).endswith("_dashboard"):
                    codes.append("404")
                for code in codes:
                    responses[code] = {"description": HTTPStatus(int(code)).phrase, **problem}
        return schema


api = TwowayApi(
    title="Twoway API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api",
    # No validator badge: Swagger UI would fetch it from a third-party site.
    docs=Swagger(settings={"validatorUrl": None, "persistAuthorization": False}),
    docs_decorator=require_safe,  # the description and its docs only read: anything but GET/HEAD is a 405
)
api.add_router("", directory)
api.add_router("", programs_router)
api.add_router("", pairings_router)
api.add_router("", dashboard_router)
api.add_router("", audit_router)


@api.exception_handler(ApiProblem)
def _problem(request, exc: ApiProblem):
    return problem_response(exc.status, exc.code, exc.detail, errors=exc.errors, headers=exc.headers)


@api.exception_handler(ValidationError)
def _invalid(request, exc: ValidationError):
    errors = []
    for error in exc.errors:
        location, *path = error.get("loc", ("query",))
        name = ".".join(str(part) for part in path) or str(location)
        errors.append({"name": name, "location": str(location), "detail": error.get("msg", "invalid")})
    detail = "; ".join(f"{e['name']}: {e['detail']}" for e in errors) or "The request is not valid."
    return problem_response(400, "invalid-parameter", detail, errors=errors)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request, exc):
    return problem_response(
        401,
        "no-token",
        "Send an API token: Authorization: Bearer <token>.",
        headers={"WWW-Authenticate": BEARER_CHALLENGE},
    )


@api.exception_handler(Http404)
def _not_found(request, exc):
    return problem_response(404, "not-found", "There is nothing at this address.")


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    return problem_response(exc.status_code, "error", str(exc))


@api.exception_handler(Exception)
def _server_error(request, exc):
    logger.exception("API error on %s %s", request.method, request.path)
    return problem_response(500, "server-error", "Something went wrong on our side; it has been logged.")


_GENERIC = {
    400: ("bad-request", "The request could not be read."),
    401: ("no-token", "Send an API token: Authorization: Bearer <token>."),
    403: ("forbidden", "This request is not allowed."),
    404: ("not-found", "There is nothing at this address."),
    405: ("method-not-allowed", "The API only reads: use GET."),
    429: ("rate-limited", "Too many requests."),
}


def _as_problem(response: HttpResponse) -> HttpResponse:
    status = response.status_code
    code, detail = _GENERIC.get(
        status, ("server-error" if status >= 500 else "error", HTTPStatus(status).phrase)
    )
    problem = problem_response(status, code, detail)
    for name in KEPT_HEADERS:
        if name in response:
            problem[name] = response[name]
    return problem


class ApiMiddleware:
    """Problem details for every error under /api/, and an audit row for every call with a token.

    Placed after profiles.audit.AuditContextMiddleware, so the row has the caller's address."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        if not request.path.startswith(API_PREFIX):
            return self.get_response(request)
        response = self.get_response(request)
        if response.status_code >= 400 and not response.get("Content-Type", "").startswith(
            PROBLEM_CONTENT_TYPE
        ):
            response = _as_problem(response)
        token = getattr(request, "api_token", None)
        if token is not None:
            # The actor is the token's maker, the HR admin who answers for it (not a session's user).
            audit.record(
                AuditEvent.Action.API_CALLED,
                actor=token.created_by,
                target=f"api_token:{token.pk}",
                method=request.method,
                path=request.path[:200],
                status=response.status_code,
            )
        return response
