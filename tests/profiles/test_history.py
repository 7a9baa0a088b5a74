"""Directory history: every import (and support edit) records level, department, location, manager and
active-state changes with their date, so that "promoted" and "left" are facts. Leavers keep theirs."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from profiles.models import Person, PersonHistory
from profiles.selectors import outcomes_by_stratum, person_history_changes
from profiles.services import directory_history_record, directory_import
from tests.factories import PersonFactory
from tests.profiles.test_import import COMPANY, csv_file

pytestmark = pytest.mark.django_db


def stretches(email):
    return list(
        PersonHistory.objects.filter(person__email=email)
        .order_by("valid_from")
        .values_list("valid_from", "valid_to", "level", "department", "is_active")
    )


def test_an_import_opens_everyones_history_from_that_day():
    directory_import(data=COMPANY)
    today = timezone.localdate()
    assert stretches("dev@acme.example") == [(today, None, 2, "Engineering", True)]
    assert PersonHistory.objects.count() == 4


def test_the_same_file_again_records_nothing_new():
    directory_import(data=COMPANY)
    directory_import(data=COMPANY)
    assert PersonHistory.objects.count() == 4


def test_a_promotion_and_a_move_are_dated_facts():
    start = timezone.localdate() - timedelta(days=100)
    with time_machine.travel(start):
        directory_import(data=COMPANY)
    promoted = COMPANY.replace(
        "dev@acme.example,Dee Coder,Engineer,Engineering,2,",
        "dev@acme.example,Dee Coder,Engineer II,Product,3,",
    )
    directory_import(data=promoted)
    today = timezone.localdate()
    assert stretches("dev@acme.example") == [
        (start, today, 2, "Engineering", True),
        (today, None, 3, "Product", True),
    ]
    changes = person_history_changes(person=Person.objects.get(email="dev@acme.example"))
    assert {(c.on, c.what, c.before, c.after) for c in changes} == {
        (today, "Level", "2", "3"),
        (today, "Department", "Engineering", "Product"),
    }


def test_a_leaver_keeps_their_history_and_it_says_when_they_left():
    start = timezone.localdate() - timedelta(days=30)
    with time_machine.travel(start):
        directory_import(data=COMPANY)
    without_dee = "\n".join(line for line in COMPANY.splitlines() if not line.startswith("dev@"))
    directory_import(data=without_dee, deactivate_missing=True)
    today = timezone.localdate()
    assert stretches("dev@acme.example") == [
        (start, today, 2, "Engineering", True),
        (today, None, 2, "Engineering", False),
    ]
    assert Person.objects.get(email="dev@acme.example").is_active is False


def test_two_changes_on_one_day_leave_one_stretch_for_that_day():
    directory_import(data=COMPANY)
    person = Person.objects.get(email="dev@acme.example")
    Person.objects.filter(pk=person.pk).update(level=3)
    directory_history_record(person_ids=[person.pk], source=PersonHistory.Source.SUPPORT)
    assert stretches("dev@acme.example") == [(timezone.localdate(), None, 3, "Engineering", True)]


def test_an_edit_in_the_support_admin_enters_the_history(client):
    from tests.factories import UserFactory

    staff = UserFactory(is_staff=True, is_superuser=True)
    person = PersonFactory(level=2, department="Sales")
    directory_history_record(
        person_ids=[person.pk], source=PersonHistory.Source.START, on=timezone.localdate() - timedelta(days=9)
    )
    client.force_login(staff)
    url = reverse("admin:profiles_person_change", args=[person.pk])
    data = {
        "email": person.email,
        "full_name": person.full_name,
        "job_title": person.job_title,
        "department": "Sales",
        "location": person.location,
        "time_zone": person.time_zone,
        "level": 4,
        "manager": "",
        "is_active": "on",
        "employee_id": person.employee_id,
        "user": "",
    }
    response = client.post(url, data)
    assert response.status_code == 302, response.content[:2000]
    assert [s[2] for s in stretches(person.email)] == [2, 4]
    assert PersonHistory.objects.filter(person=person, valid_to__isnull=True).get().source == "support"


def test_outcomes_count_who_stayed_and_who_was_promoted_between_two_days():
    start = timezone.localdate() - timedelta(days=200)
    with time_machine.travel(start):
        directory_import(
            data=csv_file(
                "boss@acme.example,Bo Boss,Head,Engineering,8,,,,",
                *(
                    f"j{i}@acme.example,Junior {i},Engineer,Engineering,2,boss@acme.example,,,"
                    for i in range(6)
                ),
            )
        )
    with time_machine.travel(start + timedelta(days=50)):
        Person.objects.filter(email__in=["j0@acme.example", "j1@acme.example"]).update(level=3)
        Person.objects.filter(email="j2@acme.example").update(is_active=False)
        directory_history_record(
            person_ids=list(Person.objects.values_list("pk", flat=True)), source=PersonHistory.Source.IMPORT
        )
    juniors = Person.objects.filter(email__startswith="j")
    # Someone who joined after the start is not counted: they were not there on the first day.
    newcomer = PersonFactory(email="j9@acme.example", level=2, department="Engineering", location="")
    directory_history_record(person_ids=[newcomer.pk], source=PersonHistory.Source.IMPORT)
    rows = outcomes_by_stratum(people=juniors, start=start, end=timezone.localdate())
    assert rows == [
        {"level": 2, "department": "Engineering", "location": "", "people": 6, "retained": 5, "promoted": 2}
    ]
