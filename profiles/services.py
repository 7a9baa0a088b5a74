from dataclasses import dataclass, field
from itertools import batched

from django.db import transaction
from django.utils import timezone

from .importing import (
    DirectoryPerson,
    ImportFileError,
    ImportPlan,
    PlannedPerson,
    RowError,
    load_directory,
    parse_employee_csv,
    plan_import,
)
from .models import Person, User


@transaction.atomic
def user_link_person(*, user: User) -> Person | None:
    """Tie a new login to the directory entry with the same email, if there is one without a login.

    Guarantees: never re-links a Person who already has another login; returns the linked Person.
    """
    person = Person.objects.select_for_update().filter(email__iexact=user.email, user__isnull=True).first()
    if person is None:
        return None
    person.user = user
    person.save(update_fields=["user", "updated_at"])
    if not user.full_name:
        user.full_name = person.full_name
        user.save(update_fields=["full_name"])
    return person


# --- Employee-directory import ------------------------------------------------------------------------

IMPORT_BATCH_SIZE = 1000


@dataclass(frozen=True)
class ImportResult:
    """Counts of what an import did (or, for a dry run, would do), or the errors that stopped it."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deactivated: int = 0
    errors: list[RowError] = field(default_factory=list)
    dry_run: bool = False
    plan: ImportPlan | None = None  # None when the file could not be read at all

    @property
    def ok(self) -> bool:
        return not self.errors


@transaction.atomic
def directory_import(
    *, data: bytes | str, deactivate_missing: bool = False, dry_run: bool = False
) -> ImportResult:
    """Bring the directory in line with an employee CSV file (see profiles.importing for the format).

    Guarantees: all or nothing: with any error in the file nothing is written and every error is
    returned, each with its line and field; the write is one transaction. Importing the same file again
    changes nothing (0 created, 0 updated). Nobody is ever deleted: with deactivate_missing, active people
    the file does not mention become inactive; people in the file are made active again. A dry run checks
    and counts exactly as a real run and writes nothing. The number of queries does not grow with the
    number of rows.
    """
    try:
        rows = parse_employee_csv(data)
    except ImportFileError as exc:
        return ImportResult(errors=exc.errors, dry_run=dry_run)
    # Locking everyone read makes a second import (or an edit) wait for this one instead of working
    # from a snapshot that is about to change.
    directory = load_directory(for_update=not dry_run)
    plan = plan_import(rows=rows, deactivate_missing=deactivate_missing, directory=directory)
    result = ImportResult(
        created=len(plan.to_create),
        updated=len(plan.to_update),
        unchanged=len(plan.unchanged),
        deactivated=len(plan.to_deactivate),
        errors=plan.errors,
        dry_run=dry_run,
        plan=plan,
    )
    if plan.ok and not dry_run:
        _directory_apply(plan=plan, directory=directory)
    return result


def _directory_apply(*, plan: ImportPlan, directory: list[DirectoryPerson]) -> None:
    """Write a checked plan in a fixed number of bulk queries per batch."""
    now = timezone.now()  # bulk_update does not touch auto_now fields: updated_at is set here
    holder_of_email = {person.email.lower(): person.pk for person in directory}

    # Someone taking over an address that another person in the file gives up (two people swapping)
    # could break the unique email index halfway through one UPDATE: park the movers' addresses on
    # placeholders first. (New people are inserted after the updates, so their addresses are free.)
    moving = [p for p in plan.to_update if any(change.field == "email" for change in p.changes)]
    if any(holder_of_email.get(p.email, p.person_id) != p.person_id for p in moving):
        parked = [Person(pk=p.person_id, email=f"import-{p.person_id}@parked.invalid") for p in moving]
        Person.objects.bulk_update(parked, ["email"], batch_size=IMPORT_BATCH_SIZE)

    changed_fields = sorted(
        {change.field for p in plan.to_update for change in p.changes if change.field != "manager"}
    )
    if changed_fields:
        Person.objects.bulk_update(
            [
                Person(pk=p.person_id, **_person_values(p), is_active=True, updated_at=now)
                for p in plan.to_update
                if any(change.field != "manager" for change in p.changes)
            ],
            [*changed_fields, "updated_at"],
            batch_size=IMPORT_BATCH_SIZE,
        )

    created = Person.objects.bulk_create(
        [Person(**_person_values(p), is_active=True) for p in plan.to_create], batch_size=IMPORT_BATCH_SIZE
    )

    # Managers last, once everyone they can point to has a primary key.
    pk_by_email = {person.email.lower(): person.pk for person in directory}
    pk_by_email.update({p.email: p.person_id for p in plan.to_update + plan.unchanged})
    pk_by_email.update({p.email: person.pk for p, person in zip(plan.to_create, created, strict=True)})
    # (People just created keep the updated_at of their insert: one CASE fewer per batch.)
    new_people_managers = [
        Person(pk=person.pk, manager_id=pk_by_email[p.manager_email])
        for p, person in zip(plan.to_create, created, strict=True)
        if p.manager_email
    ]
    Person.objects.bulk_update(new_people_managers, ["manager"], batch_size=IMPORT_BATCH_SIZE)
    changed_managers = [
        Person(pk=p.person_id, manager_id=pk_by_email.get(p.manager_email), updated_at=now)
        for p in plan.to_update
        if any(change.field == "manager" for change in p.changes)
    ]
    Person.objects.bulk_update(changed_managers, ["manager", "updated_at"], batch_size=IMPORT_BATCH_SIZE)

    for pks in batched((person.pk for person in plan.to_deactivate), IMPORT_BATCH_SIZE, strict=False):
        Person.objects.filter(pk__in=pks).update(is_active=False, updated_at=now)


def _person_values(planned: PlannedPerson) -> dict:
    return {
        "email": planned.email,
        "full_name": planned.full_name,
        "job_title": planned.job_title,
        "department": planned.department,
        "location": planned.location,
        "time_zone": planned.time_zone,
        "level": planned.level,
        "employee_id": planned.employee_id,
    }
