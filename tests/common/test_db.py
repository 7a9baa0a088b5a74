"""common.db's fast paths return what the plain ORM query returns."""

import pytest

from common.db import among_ids, distinct_values, of_ids
from profiles.models import Person

pytestmark = pytest.mark.django_db


def _people(departments):
    Person.objects.bulk_create(
        Person(email=f"p{n}@example.com", full_name=f"P {n}", department=d, level=3)
        for n, d in enumerate(departments)
    )


def test_the_distinct_departments_are_the_orms_in_its_order():
    _people(["Finance", "", "finance", "Ärzte", "Zoll", "Finance", "IT", "IT ", "Zoll", "Änderung", "a"])
    orm = list(Person.objects.order_by("department").values_list("department", flat=True).distinct())
    assert distinct_values(Person, "department") == orm
    assert len(orm) == 9


def test_no_people_no_departments():
    assert distinct_values(Person, "department") == []


def test_rows_among_ids_are_the_in_lists():
    _people(["A"] * 30)
    ids = list(Person.objects.order_by("pk").values_list("pk", flat=True))
    chosen = ids[::3] + [max(ids) + 1000]
    expected = set(Person.objects.filter(pk__in=chosen).values_list("pk", flat=True))
    assert set(of_ids(Person.objects.all(), "id", chosen).values_list("pk", flat=True)) == expected
    assert Person.objects.filter(among_ids(Person, "id", [])).count() == 0
