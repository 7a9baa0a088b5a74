"""SCIM 2.0 endpoints (/scim/v2/): an identity provider (Okta, Entra ID...) keeps the directory in sync.

Every request carries `Authorization: Bearer <API token>` with the directory:write scope (401 without
a working token, 403 with another scope); a session never counts. Payloads are parsed and produced by
scim2-models (profiles.scim_models), errors are SCIM Error messages, all as application/scim+json.
Filters become one database query (userName, externalId, emails.value, id, displayName, title, active,
employeeNumber, department; eq co sw ew pr, and/or/not), so a page costs the same few queries whatever
the size of the directory. Writes go through profiles.scim_services.
"""

import json
from functools import wraps

from django.db.models import Q
from django.http import HttpResponse
from django.utils.http import parse_etags
from django.views.decorators.csrf import csrf_exempt
from pydantic import ValidationError
from scim2_models import (
    Context,
    Error,
    InvalidFilterException,
    InvalidSyntaxException,
    InvalidValueException,
    ListResponse,
    Meta,
    MutabilityException,
    NotFoundException,
    PatchOp,
    PreconditionFailedException,
    ResourceType,
    ResponseParameters,
    Schema,
    SCIMException,
    SearchRequest,
)
from scim2_models.path import CompareOperator, FilterVisitor, LogicalOperator

from .api_tokens import api_token_authenticate, token_has_scope
from .importing import DEFAULT_TIME_ZONE
from .models import ApiToken, Person
from .scim_models import (
    CORE_USER,
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    POLICY,
    PROVIDER,
    EnterpriseUser,
    ScimUser,
    TwowayUser,
    person_etag,
    user_from_person,
)
from .scim_services import (
    ScimPersonInput,
    scim_person_create,
    scim_person_deactivate,
    scim_person_replace,
)

CONTENT_TYPE = "application/scim+json"


def _response(payload: dict | None, *, status: int = 200, etag: str = "") -> HttpResponse:
    response = HttpResponse(
        json.dumps(payload) if payload is not None else b"",
        status=status,
        content_type=CONTENT_TYPE if payload is not None else None,
    )
    if etag:
        response["ETag"] = etag
    return response


def _error(status: int, detail: str, scim_type: str | None = None) -> HttpResponse:
    error = Error(status=status, scim_type=scim_type, detail=detail)
    return _response(error.model_dump(), status=status)


def scim_endpoint(view):
    """Token check, the server's SCIM policy, and every failure as a SCIM Error."""

    @csrf_exempt
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        header = request.headers.get("Authorization", "")
        scheme, _space, raw = header.partition(" ")
        token = api_token_authenticate(raw=raw.strip()) if scheme.lower() == "bearer" else None
        if token is None:
            response = _error(401, "a valid API token is required (Authorization: Bearer ...)")
            response["WWW-Authenticate"] = 'Bearer realm="scim"'
            return response
        if not token_has_scope(token, ApiToken.Scope.WRITE_DIRECTORY):
            return _error(403, "this API token lacks the directory:write scope")
        request.api_token = token
        try:
            with POLICY:
                return view(request, *args, **kwargs)
        except ValidationError as exc:
            error = Error.from_validation_error(exc.errors()[0])
            return _response(error.model_dump(), status=error.status or 400)
        except SCIMException as exc:
            error = exc.to_error()
            return _response(error.model_dump(), status=error.status or 400)

    return wrapper


def _base_url(request) -> str:
    return request.build_absolute_uri("/scim/v2").rstrip("/")


def _json_body(request) -> dict:
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        raise InvalidSyntaxException(detail="the body is not JSON") from None
    if not isinstance(body, dict):
        raise InvalidSyntaxException(detail="the body must be a JSON object")
    return body


def _method_not_allowed() -> HttpResponse:
    return _error(405, "this endpoint does not answer that method")


# --- Discovery ---------------------------------------------------------------------------------------


def _list(resources: list, model, request) -> HttpResponse:
    response = ListResponse[model](
        total_results=len(resources), start_index=1, items_per_page=len(resources), resources=resources
    )
    return _response(response.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE))


def _with_location(resource, request, endpoint: str):
    resource = resource.model_copy(deep=True)
    resource_type = "ResourceType" if endpoint == "ResourceTypes" else "Schema"
    resource.meta = Meta(
        resource_type=resource_type, location=f"{_base_url(request)}/{endpoint}/{resource.id}"
    )
    return resource


@scim_endpoint
def service_provider_config(request):
    if request.method != "GET":
        return _method_not_allowed()
    config = PROVIDER.config.model_copy(deep=True)
    config.meta = Meta(
        resource_type="ServiceProviderConfig", location=f"{_base_url(request)}/ServiceProviderConfig"
    )
    return _response(config.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE))


def _discovery(request, items: list, model, endpoint: str, pk: str | None):
    if request.method != "GET":
        return _method_not_allowed()
    items = [_with_location(item, request, endpoint) for item in items]
    if pk is None:
        return _list(items, model, request)
    for item in items:
        if item.id == pk:
            return _response(item.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE))
    raise NotFoundException(detail=f"no {endpoint} {pk!r}")


@scim_endpoint
def resource_types(request, pk: str | None = None):
    return _discovery(request, list(PROVIDER.resource_types), ResourceType, "ResourceTypes", pk)


@scim_endpoint
def schemas(request, pk: str | None = None):
    return _discovery(request, list(PROVIDER.schemas), Schema, "Schemas", pk)


# --- Filters -----------------------------------------------------------------------------------------

# SCIM attribute (as scim2-models resolves it: field, sub-field) -> Person field, and whether its
# comparisons ignore case.
_FILTER_FIELDS = {
    ("user_name", None): ("email", True),
    ("emails", "value"): ("email", True),
    ("external_id", None): ("scim_external_id", False),
    ("id", None): ("pk", False),
    ("display_name", None): ("full_name", True),
    ("title", None): ("job_title", True),
    ("active", None): ("is_active", False),
    ("employee_number", None): ("employee_id", False),
    ("department", None): ("department", True),
}
_LOOKUPS = {
    CompareOperator.eq: "exact",
    CompareOperator.co: "contains",
    CompareOperator.sw: "startswith",
    CompareOperator.ew: "endswith",
}


class _QueryVisitor(FilterVisitor):
    """A SCIM filter as a Django Q; what it cannot say exactly is refused (invalidFilter)."""

    def __init__(self, scim_filter):
        self.filter = scim_filter

    def _field(self, resolved) -> tuple[str, bool]:
        key = (resolved.field_name, resolved.sub_field_name)
        if key not in _FILTER_FIELDS:
            raise InvalidFilterException(detail=f"filtering on {key[0]} is not supported")
        return _FILTER_FIELDS[key]

    def visit_comparison(self, node):
        resolved = self.filter.resolve_comparison(node.attr_path)
        field, ignore_case = self._field(resolved)
        if node.op not in _LOOKUPS or (field in ("pk", "is_active") and node.op != CompareOperator.eq):
            raise InvalidFilterException(detail=f"the operator {node.op.value} is not supported here")
        value = node.value
        if field == "pk":
            if not str(value).isdigit():
                return Q(pk__in=[])
            value = int(value)
        elif field == "is_active":
            if not isinstance(value, bool):
                raise InvalidFilterException(detail="active compares to true or false")
        elif not isinstance(value, str):
            raise InvalidFilterException(detail=f"{node.attr_path} compares to a string")
        lookup = _LOOKUPS[node.op]
        if ignore_case:
            lookup = "i" + lookup
        return Q(**{f"{field}__{lookup}": value})

    def visit_present(self, node):
        field, _ignore_case = self._field(self.filter.resolve(node.attr_path))
        if field in ("pk", "is_active", "email", "full_name"):
            return Q()  # always set
        return ~Q(**{field: ""})

    def visit_not(self, node):
        return ~self.visit(node.expr)

    def visit_logical_expr(self, node):
        result = self.visit(node.terms[0])
        for term in node.terms[1:]:
            result = (
                result & self.visit(term) if node.op == LogicalOperator.and_ else result | self.visit(term)
            )
        return result

    def visit_value_path(self, node):
        raise InvalidFilterException(detail="value selections (attr[filter]) are not supported in filters")


def _users_page(request, search: SearchRequest, scim_ctx) -> HttpResponse:
    people = Person.objects.order_by("pk")
    if search.filter is not None:
        people = people.filter(_QueryVisitor(search.filter).visit(search.filter.ast))
    start = search.start_index_0 or 0
    count = DEFAULT_PAGE_SIZE if search.count is None else min(search.count, MAX_PAGE_SIZE)
    total = people.count()
    page = list(people[start : start + count]) if count else []
    base_url = _base_url(request)
    response = ListResponse[ScimUser](
        total_results=total,
        start_index=start + 1,
        items_per_page=len(page),
        resources=[user_from_person(person, base_url=base_url) for person in page],
    )
    return _response(response.model_dump(scim_ctx=scim_ctx, response_parameters=search))


# --- Users -------------------------------------------------------------------------------------------


def _name_stand_in(values: dict) -> None:
    """A payload without displayName takes the full name from name.formatted, else name.givenName and
    familyName (Twoway keeps one full name; the name parts themselves are not kept)."""
    name = values.get("name")
    if values.get("displayName") or not isinstance(name, dict):
        return
    parts = [name.get("givenName"), name.get("familyName")]
    stand_in = name.get("formatted") or " ".join(p for p in parts if isinstance(p, str) and p.strip())
    if isinstance(stand_in, str) and stand_in.strip():
        values["displayName"] = stand_in


def _patch_name_stand_in(body: dict) -> None:
    for operation in body.get("Operations") or []:
        if not isinstance(operation, dict):
            continue
        path = operation.get("path")
        if isinstance(path, str) and path.lower() in (
            "name.formatted",
            CORE_USER.lower() + ":name.formatted",
        ):
            operation["path"] = "displayName"
        elif isinstance(path, str) and path.lower() == "name" and isinstance(operation.get("value"), dict):
            operation["path"], operation["value"] = None, {"name": operation["value"]}
            _name_stand_in(operation["value"])
        elif path is None and isinstance(operation.get("value"), dict):
            _name_stand_in(operation["value"])


def _input_from_user(user: ScimUser, *, patching: bool = False) -> ScimPersonInput:
    """What a SCIM User says of a Person. Level, time zone and location left out of a creation get the
    defaults and of a replacement (PUT) are kept; removed by a PATCH (applied to the current
    representation) they are cleared, except the level, which cannot be."""
    enterprise = user[EnterpriseUser] or EnterpriseUser()
    twoway = user[TwowayUser] or TwowayUser()
    manager_value = enterprise.manager.value if enterprise.manager else None
    if manager_value is not None and not str(manager_value).isdigit():
        raise InvalidValueException(detail="manager.value names no person of the directory")
    time_zone, location = twoway.time_zone, twoway.location
    if patching:
        if twoway.level is None:
            raise MutabilityException(detail="level is required: it can be replaced, not removed")
        time_zone, location = time_zone or DEFAULT_TIME_ZONE, location or ""
    return ScimPersonInput(
        email=user.user_name or "",
        full_name=(user.display_name or "").strip(),
        job_title=user.title or "",
        department=enterprise.department or "",
        employee_id=enterprise.employee_number or "",
        scim_external_id=user.external_id or "",
        manager_id=int(manager_value) if manager_value else None,
        is_active=True if user.active is None else user.active,
        level=twoway.level,
        time_zone=time_zone,
        location=location,
    )


def _user_response(request, person: Person, scim_ctx, *, status: int = 200) -> HttpResponse:
    parameters = ResponseParameters.model_validate(request.GET.dict())
    user = user_from_person(person, base_url=_base_url(request))
    return _response(
        user.model_dump(scim_ctx=scim_ctx, response_parameters=parameters),
        status=status,
        etag=user.meta.version,
    )


@scim_endpoint
def users(request):
    """GET: a page of the directory (filter, startIndex, count). POST: add someone."""
    if request.method == "GET":
        search = SearchRequest[ScimUser].model_validate(request.GET.dict())
        return _users_page(request, search, Context.RESOURCE_QUERY_RESPONSE)
    if request.method == "POST":
        body = _json_body(request)
        _name_stand_in(body)
        user = ScimUser.model_validate(body, scim_ctx=Context.RESOURCE_CREATION_REQUEST)
        person = scim_person_create(values=_input_from_user(user), token=request.api_token)
        response = _user_response(request, person, Context.RESOURCE_CREATION_RESPONSE, status=201)
        response["Location"] = f"{_base_url(request)}/Users/{person.pk}"
        return response
    return _method_not_allowed()


@scim_endpoint
def users_search(request):
    """POST /Users/.search: the same query as GET /Users, in the body."""
    if request.method != "POST":
        return _method_not_allowed()
    search = SearchRequest[ScimUser].model_validate(_json_body(request), scim_ctx=Context.SEARCH_REQUEST)
    return _users_page(request, search, Context.SEARCH_RESPONSE)


def _person_or_404(pk: str) -> Person:
    person = Person.objects.filter(pk=int(pk)).first() if pk.isdigit() else None
    if person is None:
        raise NotFoundException(detail=f"no user {pk!r}")
    return person


def _version_check(request):
    """If-Match: the write goes ahead only on the version the client last saw (412 otherwise)."""
    header = request.headers.get("If-Match", "").strip()

    def check(person: Person) -> None:
        if header and header != "*" and person_etag(person) not in parse_etags(header):
            raise PreconditionFailedException(detail="the user changed since this version (If-Match)")

    return check


@scim_endpoint
def user(request, pk: str):
    """GET, PUT (replace), PATCH (add/replace/remove) and DELETE (deactivate: a leaver) one person."""
    person = _person_or_404(pk)
    token = request.api_token
    if request.method == "GET":
        etag = person_etag(person)
        if etag in parse_etags(request.headers.get("If-None-Match", "")):
            return _response(None, status=304, etag=etag)
        return _user_response(request, person, Context.RESOURCE_QUERY_RESPONSE)
    if request.method == "PUT":
        body = _json_body(request)
        _name_stand_in(body)
        replacement = ScimUser.model_validate(body, scim_ctx=Context.RESOURCE_REPLACEMENT_REQUEST)
        replacement.replace(user_from_person(person, base_url=_base_url(request)))
        person = scim_person_replace(
            person_id=person.pk,
            values=_input_from_user(replacement),
            token=token,
            version_check=_version_check(request),
        )
        return _user_response(request, person, Context.RESOURCE_REPLACEMENT_RESPONSE)
    if request.method == "PATCH":
        body = _json_body(request)
        _patch_name_stand_in(body)
        patch = PatchOp[ScimUser].model_validate(body, scim_ctx=Context.RESOURCE_PATCH_REQUEST)
        current = user_from_person(person, base_url=_base_url(request))
        patch.patch(current)
        person = scim_person_replace(
            person_id=person.pk,
            values=_input_from_user(current, patching=True),
            token=token,
            version_check=_version_check(request),
        )
        return _user_response(request, person, Context.RESOURCE_PATCH_RESPONSE)
    if request.method == "DELETE":
        scim_person_deactivate(person_id=person.pk, token=token, version_check=_version_check(request))
        return _response(None, status=204)
    return _method_not_allowed()


@scim_endpoint
def not_found(request, rest: str):
    """Any other path under /scim/v2/: a SCIM 404, not an HTML page."""
    raise NotFoundException(detail="no such SCIM endpoint")
