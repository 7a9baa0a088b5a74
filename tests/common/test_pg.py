"""PostgreSQL keeps the plans of a page's small statements, and plans a batch or an array each time."""

import pytest
from django.db import connection

from common.db import of_ids
from common.pg import PREPARE_MAX_PARAMETERS
from profiles.models import Person
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db


def _prepared() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


def _people(n: int) -> list[int]:
    return [person.pk for person in PersonFactory.create_batch(n)]


def test_a_lookup_run_again_keeps_its_plan():
    ids = _people(3)
    for pk in ids:
        assert Person.objects.filter(pk=pk).values_list("full_name", flat=True).get() != ""
    lookups = [s for s in _prepared() if 'FROM "profiles_person" WHERE "profiles_person"."id" = $1' in s]
    assert len(lookups) == 1


def test_an_array_of_ids_is_planned_with_its_values_each_time():
    ids = _people(5)
    for n in range(1, 6):
        assert of_ids(Person.objects.all(), "id", ids[:n]).count() == n
    assert not [s for s in _prepared() if "::bigint[]" in s]


def test_a_long_in_list_is_planned_with_its_values_each_time():
    ids = _people(PREPARE_MAX_PARAMETERS + 1)
    for _ in range(4):
        assert Person.objects.filter(pk__in=ids).count() == len(ids)
    assert not [s for s in _prepared() if 'FROM "profiles_person" WHERE "profiles_person"."id" IN (' in s]


def test_more_ids_than_a_statement_has_parameters_go_as_one_array():
    ids = _people(2)
    many = ids + list(range(max(ids) + 1, max(ids) + 70_000))  # PostgreSQL's limit: 65,535
    assert of_ids(Person.objects.all(), "id", many).count() == 2
