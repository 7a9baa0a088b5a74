"""SCIM provisioning's writes to the directory: create, replace (PUT and PATCH) and deactivate a Person.

A deactivation is a leaver exactly as the CSV import makes one (services.people_leave), recorded in the
directory history the same way, and it takes effect with the request's commit: the person's next
request is anonymous and they cannot sign in. Every write is audited as PERSON_PROVISIONED, with ids
and field names only. Errors are SCIM's (scim2_models exceptions, turned into responses by the views).
"""

from dataclasses import dataclass, fields
from zoneinfo import available_timezones

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from scim2_models import InvalidValueException, MutabilityException, UniquenessException

from . import audit
from .api_tokens import ApiToken
from .importing import _unsafe_character
from .models import LEVEL_MAX, LEVEL_MIN, AuditEvent, Person, PersonHistory
from .services import directory_history_record, people_leave

# The directory history's source for SCIM: it is a directory sync like the import.
HISTORY_SOURCE = PersonHistory.Source.PROVISIONING


@dataclass(frozen=True)
class ScimPersonInput:
    """A Person's fields as a SCIM request states them. None: not stated (keep, or the default)."""

    email: str
    full_name: str
    job_title: str
    department: str
    employee_id: str
    scim_external_id: str
    manager_id: int | None
    is_active: bool
    level: int | None
    time_zone: str | None
    location: str | None


_STORED = ("email", "full_name", "job_title", "department", "employee_id", "scim_external_id", "manager_id")
_KEPT_WHEN_ABSENT = ("level", "time_zone", "location")


def _check(values: ScimPersonInput, *, creating: bool) -> ScimPersonInput:
    email = values.email.strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise InvalidValueException(detail="userName must be the person's email address") from None
    if not values.full_name.strip():
        raise InvalidValueException(detail="a name is required: displayName, name.formatted or name parts")
    for field in fields(values):
        value = getattr(values, field.name)
        if isinstance(value, str):
            if _unsafe_character(value):
                raise InvalidValueException(detail=f"{field.name} contains a hidden or control character")
            model_field = Person._meta.get_field(field.name)
            if model_field.max_length and len(value) > model_field.max_length:
                raise InvalidValueException(
                    detail=f"{field.name} must be at most {model_field.max_length} characters"
                )
    if values.level is None and creating:
        raise InvalidValueException(
            detail=f"the Twoway extension's level ({LEVEL_MIN}-{LEVEL_MAX}) is required to create a person"
        )
    if values.level is not None and not LEVEL_MIN <= values.level <= LEVEL_MAX:
        raise InvalidValueException(detail=f"level must be a whole number from {LEVEL_MIN} to {LEVEL_MAX}")
    if values.time_zone is not None and values.time_zone not in available_timezones():
        raise InvalidValueException(detail="timeZone must be an IANA time zone, such as Europe/Paris")
    return ScimPersonInput(**{**values.__dict__, "email": email, "full_name": values.full_name.strip()})


def _check_unique(values: ScimPersonInput, *, pk: int | None) -> None:
    others = Person.objects.exclude(pk=pk) if pk else Person.objects.all()
    if others.filter(email__iexact=values.email).exists():
        raise UniquenessException(detail="another person of the directory has this userName")
    if values.employee_id and others.filter(employee_id=values.employee_id).exists():
        raise UniquenessException(detail="another person of the directory has this employeeNumber")


def _check_manager(values: ScimPersonInput, *, pk: int | None) -> None:
    """The manager exists and the reporting line still ends at the top (one query per level above)."""
    manager_id, seen = values.manager_id, set()
    if manager_id is None:
        return
    if not Person.objects.filter(pk=manager_id).exists():
        raise InvalidValueException(detail="manager.value names no person of the directory")
    while manager_id is not None:
        if manager_id == pk or manager_id in seen:
            raise InvalidValueException(detail="this manager would make the reporting line loop")
        seen.add(manager_id)
        manager_id = Person.objects.filter(pk=manager_id).values_list("manager_id", flat=True).first()


def _check_not_own_token(person: Person, token: ApiToken) -> None:
    # As the import refuses to make the importing HR admin a leaver: deactivating the token's maker
    # would end the provisioning's own access (and could leave nobody in charge).
    if person.user_id is not None and person.user_id == token.created_by_id:
        raise MutabilityException(
            detail="this person made the API token in use: deactivating them would end its access; "
            "use a token made by another HR admin"
        )


def _record(token: ApiToken, person: Person, operation: str, changed: list[str]) -> None:
    audit.record(
        AuditEvent.Action.PERSON_PROVISIONED,
        actor=token.created_by,
        target=f"person:{person.pk}",
        operation=operation,
        api_token=token.pk,
        fields=sorted(changed),
    )


def _save(person: Person, changed: list[str]) -> None:
    try:
        with transaction.atomic():
            person.save(update_fields=[*changed, "updated_at"] if person.pk else None)
    except IntegrityError as exc:  # a concurrent write took the address or the employee number
        raise UniquenessException(detail="another person of the directory has this userName") from exc


@transaction.atomic
def scim_person_create(*, values: ScimPersonInput, token: ApiToken) -> Person:
    """Add someone to the directory. Refuses a userName (email) or employeeNumber already in it (409),
    a missing level or any invalid value (400); an inactive newcomer is created as a leaver."""
    values = _check(values, creating=True)
    _check_unique(values, pk=None)
    _check_manager(values, pk=None)
    person = Person(
        **{name: getattr(values, name) for name in _STORED},
        level=values.level,
        time_zone=values.time_zone or "UTC",
        location=values.location or "",
        is_active=values.is_active,
    )
    _save(person, [])
    directory_history_record(person_ids=[person.pk], source=HISTORY_SOURCE)
    _record(token, person, "create", [f.name for f in fields(values) if getattr(values, f.name)])
    return person


@transaction.atomic
def scim_person_replace(*, person_id: int, values: ScimPersonInput, token: ApiToken, version_check) -> Person:
    """Bring a person in line with what the identity provider says (a PUT, or a PATCH applied to the
    current representation). `version_check(person)` runs on the locked row (If-Match). Level, time zone
    and location are kept when not stated. Active false makes the person a leaver (people_leave); active
    true brings them back without any role. Changing nothing writes nothing."""
    person = Person.objects.select_for_update().get(pk=person_id)
    version_check(person)
    values = _check(values, creating=False)
    _check_unique(values, pk=person.pk)
    _check_manager(values, pk=person.pk)
    changed = [name for name in _STORED if getattr(person, name) != getattr(values, name)]
    changed += [
        name
        for name in _KEPT_WHEN_ABSENT
        if getattr(values, name) is not None and getattr(person, name) != getattr(values, name)
    ]
    leaving = person.is_active and not values.is_active
    if leaving:
        _check_not_own_token(person, token)
    elif values.is_active and not person.is_active:
        changed.append("is_active")
    for name in changed:
        setattr(person, name, True if name == "is_active" else getattr(values, name))
    if changed:
        _save(person, changed)
    if leaving:
        people_leave(person_ids=[person.pk])
        changed.append("is_active")
    if changed:
        directory_history_record(person_ids=[person.pk], source=HISTORY_SOURCE)
        _record(token, person, "deactivate" if leaving else "update", changed)
    person.refresh_from_db()
    return person


@transaction.atomic
def scim_person_deactivate(*, person_id: int, token: ApiToken, version_check) -> Person:
    """DELETE: the person becomes a leaver. Their directory entry and history stay (nobody is deleted);
    deactivating a leaver again changes nothing."""
    person = Person.objects.select_for_update().get(pk=person_id)
    version_check(person)
    if person.is_active:
        _check_not_own_token(person, token)
        people_leave(person_ids=[person.pk])
        directory_history_record(person_ids=[person.pk], source=HISTORY_SOURCE)
        _record(token, person, "deactivate", ["is_active"])
    person.refresh_from_db()
    return person
