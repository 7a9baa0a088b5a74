"""What SCIM 2.0 provisioning (RFC 7643/7644) says about a directory Person, as scim2-models resources.

The published User schema holds exactly what Twoway keeps, so an identity provider (and scim2-tester)
is never told an attribute is stored when it is not:

    userName                      Person.email (an email address, unique, case-insensitive)
    externalId                    Person.scim_external_id (the identity provider's own id)
    displayName                   Person.full_name (required: Twoway keeps one full name; a request
                                  without it may send name.formatted, or name.givenName and familyName)
    title                         Person.job_title
    active                        Person.is_active (false = a leaver: profiles.services.people_leave)
    emails                        read-only: [the work address], which is the userName
    enterprise extension          employeeNumber = employee_id, department, manager.value = the manager's id
    Twoway extension              level (1-9, required to create someone), timeZone (IANA), location

There is no age or birth date attribute, and there never will be: seniority is the level.
"""

from typing import Annotated

from pydantic import Field
from scim2_models import (
    URN,
    AuthenticationScheme,
    Bulk,
    CaseExact,
    ChangePassword,
    ComplexAttribute,
    ETag,
    Extension,
    Filter,
    Meta,
    MultiValuedComplexAttribute,
    Mutability,
    Patch,
    Reference,
    Required,
    Resource,
    ResourceType,
    ScimPolicy,
    ScimProvider,
    ServiceProviderConfig,
    Sort,
    Uniqueness,
)

from .importing import DEFAULT_TIME_ZONE
from .models import Person

CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE_USER = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
TWOWAY_USER = "urn:twoway:params:scim:schemas:extension:twoway:2.0:User"
MAX_PAGE_SIZE = 200  # ServiceProviderConfig's filter.maxResults; a larger count is cut to it
DEFAULT_PAGE_SIZE = 100


class Email(MultiValuedComplexAttribute):
    value: Annotated[str | None, Mutability.read_only] = None
    type: Annotated[str | None, Mutability.read_only] = None
    primary: Annotated[bool | None, Mutability.read_only] = None


class User(Resource):
    """A directory Person as the core User schema, with only the attributes Twoway keeps."""

    __schema__ = URN(CORE_USER)

    user_name: Annotated[str | None, Required.true, Uniqueness.server] = None
    """The work email address, which people sign in with."""

    display_name: Annotated[str | None, Required.true] = None
    """The full name. (name.formatted, or name.givenName and familyName, stand in when it is missing.)"""
    title: str | None = None
    active: bool | None = None
    """False makes the person a leaver: no sign-in, no role, their pairs flagged for HR."""

    emails: Annotated[list[Email] | None, Mutability.read_only] = None


class Manager(ComplexAttribute):
    """The manager, by their SCIM id. ($ref is optional: Entra ID and Okta send the value alone.)"""

    value: Annotated[str | None, Required.true, CaseExact.true] = None
    ref: Reference["User"] | None = Field(None, serialization_alias="$ref", validation_alias="$ref")


class EnterpriseUser(Extension):
    __schema__ = URN(ENTERPRISE_USER)

    employee_number: str | None = None
    department: str | None = None
    manager: Manager | None = None


class TwowayUser(Extension):
    """What Twoway needs that no standard schema has."""

    __schema__ = URN(TWOWAY_USER)

    level: int | None = None
    """Seniority grade, 1 (entry) to 9 (executive). Required to create someone; kept when a replacement
    leaves it out (identity providers often do not know it)."""

    time_zone: str | None = None
    """An IANA time zone such as Europe/Paris; none means UTC. Kept when a replacement leaves it out."""

    location: str | None = None
    """The office or city; kept when left out."""


ScimUser = User[EnterpriseUser | TwowayUser]

# Identity providers send what they have (phone numbers, addresses, name parts...): what Twoway does not
# keep is accepted and dropped rather than refused, or provisioning would fail out of the box. Entra ID's
# known departures from RFC 7644 are accepted too: a PATCH "remove" that names its target by value, and a
# PATCH on a filtered path that matches nothing yet.
POLICY = ScimPolicy(
    unknown=ScimPolicy.Unknown.ignore,
    remove_value_as_filter=ScimPolicy.RemoveValue.apply,
    unmatched_path_filter=ScimPolicy.UnmatchedPathFilter.create,
)

_RESOURCE_TYPE = ResourceType.from_resource(ScimUser)
_RESOURCE_TYPE.description = "A person of the employee directory"

PROVIDER = ScimProvider(
    models=[User, EnterpriseUser, TwowayUser],
    resource_types=[_RESOURCE_TYPE],
    config=ServiceProviderConfig(
        documentation_uri=None,
        patch=Patch(supported=True),
        bulk=Bulk(supported=False, max_operations=0, max_payload_size=0),
        filter=Filter(supported=True, max_results=MAX_PAGE_SIZE),
        change_password=ChangePassword(supported=False),
        sort=Sort(supported=False),
        etag=ETag(supported=True),
        authentication_schemes=[
            AuthenticationScheme(
                type=AuthenticationScheme.Type.oauthbearertoken,
                name="API token",
                description="A Twoway API token with the directory:write scope, as a Bearer token",
                primary=True,
            )
        ],
    ),
    policy=POLICY,
)


def person_etag(person: Person) -> str:
    """The version of a person's SCIM representation: every write moves updated_at."""
    return f'W/"{int(person.updated_at.timestamp() * 1_000_000):x}"'


def user_from_person(person: Person, *, base_url: str) -> ScimUser:
    """The SCIM User of a directory entry. Reads only the row itself (the manager by id)."""
    location = f"{base_url}/Users/{person.pk}"
    manager = (
        Manager(value=str(person.manager_id), ref=f"{base_url}/Users/{person.manager_id}")
        if person.manager_id
        else None
    )
    user = ScimUser(
        id=str(person.pk),
        external_id=person.scim_external_id or None,
        user_name=person.email,
        display_name=person.full_name,
        title=person.job_title or None,
        active=person.is_active,
        emails=[Email(value=person.email, type="work", primary=True)],
        meta=Meta(
            resource_type="User",
            created=person.created_at,
            last_modified=person.updated_at,
            location=location,
            version=person_etag(person),
        ),
    )
    user[EnterpriseUser] = EnterpriseUser(
        employee_number=person.employee_id or None, department=person.department or None, manager=manager
    )
    user[TwowayUser] = TwowayUser(
        # UTC is what a person without a time zone gets: shown as none, as it is stored when none is sent.
        level=person.level,
        time_zone=None if person.time_zone == DEFAULT_TIME_ZONE else person.time_zone,
        location=person.location or None,
    )
    return user
