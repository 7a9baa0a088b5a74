"""common.db's fast paths return what the plain ORM query returns."""

import pytest

from common.db import among_ids, distinct_values, of_ids
from profiles.models import Person
from tests.factories import PersonFactory

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


def test_a_compiled_query_runs_with_each_calls_values_and_refuses_a_sample_it_cannot_place():
    """common.db.CompiledValues: the statement built once with sample values runs with each call's, as
    the ORM's own query would; a sample that reaches the SQL changed (here: a day later) is refused."""
    from datetime import UTC, datetime, timedelta

    from common.db import CompiledValues

    people = PersonFactory.create_batch(3)
    since = datetime(2000, 1, 1, tzinfo=UTC)

    def names(*, ids, since):
        return of_ids(Person.objects.all(), "id", ids).filter(created_at__gte=since).values("pk", "full_name")

    compiled = CompiledValues(names, ids=[-1, -2], since=since)
    for chosen in (people[:1], people[1:]):
        ids = [p.pk for p in chosen]
        assert sorted(compiled(ids=ids, since=since), key=str) == sorted(names(ids=ids, since=since), key=str)
    assert compiled(ids=[people[0].pk], since=datetime.now(UTC) + timedelta(days=1)) == []

    def shifted(*, ids, since):
        return names(ids=ids, since=since + timedelta(days=1))

    with pytest.raises(ValueError, match="since"):
        CompiledValues(shifted, ids=[-1, -2], since=since)(ids=[1], since=since)
