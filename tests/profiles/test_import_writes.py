"""Issue 15: the directory import writes in bulk (COPY on PostgreSQL, the ORM's bulk methods on other
databases) and reports its progress as it goes. Both ways of writing leave the same directory and
history, and keep every rule of the import: managers, history stretches, leavers, reactivation."""

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from profiles.importing_writes import PROGRESS_ROWS, fast_writes
from profiles.models import AuditEvent, Person, PersonHistory
from profiles.services import directory_import
from tests.factories import PersonFactory, UserFactory

pytestmark = pytest.mark.django_db

HEADER = "email,full_name,job_title,department,level,manager_email,location,timezone,employee_id"
MANAGERS = 12  # more rows than a bulk batch of the ORM (1000) report to them in all


def company(size: int) -> dict[str, list[str]]:
    """employee id -> [email, full name, title, department, level, manager email, location, zone]."""
    people = {"E0": ["ceo@acme.example", "Ada Chief", "CEO", "Executive", "9", "", "London", "Europe/London"]}
    for n in range(1, MANAGERS + 1):
        people[f"E{n}"] = [f"m{n}@acme.example", f"Manager {n}", "Manager", f"Dept {n % 4}", "6"]
        people[f"E{n}"] += ["ceo@acme.example", "Berlin", "Europe/Berlin"]
    for n in range(MANAGERS + 1, size):
        manager = f"m{n % MANAGERS + 1}@acme.example"
        people[f"E{n}"] = [f"p{n}@acme.example", f"Person {n}", "Engineer", f"Dept {n % 4}", str(n % 4 + 1)]
        people[f"E{n}"] += [manager, "Paris", "Europe/Paris"]
    return people


def as_csv(people: dict[str, list[str]]) -> str:
    # Reports before their managers, as exports come: the import must not depend on the order.
    rows = [",".join([*values, employee_id]) for employee_id, values in reversed(people.items())]
    return "\n".join([HEADER, *rows]) + "\n"


def next_month(people: dict[str, list[str]]) -> dict[str, list[str]]:
    people = {employee_id: list(values) for employee_id, values in people.items()}
    for n in range(20, 220):
        people[f"E{n}"][2] = "Senior Engineer"  # a new title: an update, no new history stretch
    for n in range(220, 260):
        people[f"E{n}"][5] = (
            "m1@acme.example" if people[f"E{n}"][5] != "m1@acme.example" else "m2@acme.example"
        )
    for n in range(260, 280):
        people[f"E{n}"][4] = "5"  # promoted
    people["E300"][0], people["E301"][0] = people["E301"][0], people["E300"][0]  # two people swap addresses
    for n in range(400, 425):
        del people[f"E{n}"]  # leavers
    people["H0"] = ["lead@acme.example", "New Lead", "Lead", "Dept 1", "6", "ceo@acme.example", "Rome", ""]
    for n in range(1, 31):
        # New hires, some reporting to a new hire who comes later in the file.
        people[f"H{n}"] = [f"h{n}@acme.example", f"Hire {n}", "Associate", "Dept 1", "1", "lead@acme.example"]
        people[f"H{n}"] += ["", "UTC"]
    return people


def directory_by_email() -> list[tuple]:
    managers = dict(Person.objects.values_list("pk", "email"))
    return sorted(
        (*values[:-1], managers.get(values[-1]))
        for values in Person.objects.values_list(
            "email",
            "full_name",
            "job_title",
            "department",
            "level",
            "location",
            "time_zone",
            "is_active",
            "employee_id",
            "manager_id",
        )
    )


def history_by_email() -> list[tuple]:
    emails = dict(Person.objects.values_list("pk", "email"))
    return sorted(
        (emails[person_id], *values, emails.get(manager_id))
        for person_id, *values, manager_id in PersonHistory.objects.values_list(
            "person_id",
            "valid_from",
            "valid_to",
            "level",
            "department",
            "location",
            "is_active",
            "source",
            "manager_id",
        )
    )


def import_two_months(size: int):
    """A company imported a month ago (with a leader among the later leavers, and someone who had left
    and comes back), then next month's file with every kind of change, leavers marked inactive."""
    people = company(size)
    leader = UserFactory(email="p410@acme.example", is_leader=True)
    with time_machine.travel(timezone.now() - timedelta(days=30)):
        PersonFactory(email="p500@acme.example", employee_id="E500", is_active=False)
        first = directory_import(data=as_csv(people))
        assert first.ok, first.errors
        Person.objects.filter(email="p410@acme.example").update(user=leader)
    second = directory_import(data=as_csv(next_month(people)), deactivate_missing=True)
    assert second.ok, second.errors
    leader.refresh_from_db()
    return first, second, leader


def test_two_months_of_imports_keep_every_rule():
    assert fast_writes()  # the suite runs on PostgreSQL: this is the COPY path
    first, second, leader = import_two_months(1500)
    assert (first.created, first.updated) == (1499, 1)  # E500 came back
    assert (second.created, second.updated, second.deactivated) == (31, 200 + 40 + 20 + 2, 25)

    person = Person.objects.select_related("manager").get
    assert person(email="h7@acme.example").manager.email == "lead@acme.example"
    assert person(email="lead@acme.example").time_zone == "UTC"  # empty zone: the default
    assert person(employee_id="E300").email == "p301@acme.example"
    assert person(employee_id="E301").email == "p300@acme.example"
    assert person(employee_id="E230").manager.email in {"m1@acme.example", "m2@acme.example"}
    assert person(email="p500@acme.example").is_active
    assert not person(email="p410@acme.example").is_active
    assert not leader.is_leader  # a leaver keeps no role

    today, month_ago = timezone.localdate(), timezone.localdate() - timedelta(days=30)
    stretches = history_by_email()

    def of(email):
        return [stretch[1:3] for stretch in stretches if stretch[0] == email]

    assert of("p20@acme.example") == [(month_ago, None)]  # a new title is not history
    assert of("p230@acme.example") == [(month_ago, today), (today, None)]  # a new manager is
    assert of("p270@acme.example") == [(month_ago, today), (today, None)]  # so is a promotion
    assert of("p410@acme.example") == [(month_ago, today), (today, None)]  # and leaving
    assert [s[6] for s in stretches if s[0] == "p410@acme.example"] == [True, False]
    assert of("h1@acme.example") == [(today, None)]
    assert AuditEvent.objects.filter(action=AuditEvent.Action.DIRECTORY_IMPORTED).count() == 2


def test_the_bulk_methods_of_other_databases_write_the_same_directory_and_history(monkeypatch):
    *_, leader = import_two_months(1500)
    by_copy = directory_by_email(), history_by_email()
    Person.objects.all().delete()
    leader.delete()

    # What runs on the embedded SQLite: profiles.importing_writes asks the connection which it is.
    monkeypatch.setattr(connection, "vendor", "other")
    assert not fast_writes()
    import_two_months(1500)
    assert (directory_by_email(), history_by_email()) == by_copy


def test_progress_is_reported_as_the_import_goes_and_only_grows():
    seen = []
    result = directory_import(data=as_csv(company(PROGRESS_ROWS + 1)), progress=seen.append)
    assert result.created == PROGRESS_ROWS + 1
    assert seen == sorted(seen) and seen[0] == 10 and seen[-1] == 99
    assert any(45 < percent < 65 for percent in seen)  # while the people are written
    assert any(75 < percent < 99 for percent in seen)  # while their history is
    assert len(seen) < 30  # not once a row
