"""The lists' totals the database keeps (common.counts) agree with a COUNT of the rows, by any write path."""

import threading

import psycopg
import pytest
from django.db import connection
from django.urls import reverse

from checkins.selectors import pair_health_count
from common.counts import counted, counts_compact
from common.models import CountDelta
from pairings.models import Pairing
from profiles.models import Person
from profiles.selectors import directory_count
from programs.models import Enrollment
from programs.selectors import enrollment_count
from tests.factories import EnrollmentFactory, PersonFactory, ProgramFactory

pytestmark = pytest.mark.django_db


def _active_people() -> int:
    return Person.objects.filter(is_active=True).count()


def test_the_active_people_total_follows_every_kind_of_write():
    assert directory_count() == _active_people()
    people = PersonFactory.create_batch(4)
    assert directory_count() == _active_people()
    Person.objects.filter(pk__in=[p.pk for p in people[:3]]).update(is_active=False)  # one bulk statement
    assert directory_count() == _active_people()
    people[0].is_active = True
    people[0].save()
    people[3].delete()
    with connection.cursor() as cursor:  # a path no Python code sees
        cursor.execute("UPDATE profiles_person SET is_active = true WHERE id = %s", [people[1].pk])
    assert directory_count() == _active_people()
    Person.objects.filter(pk=people[2].pk).update(full_name="Renamed")  # no change of the total
    assert directory_count() == _active_people() > 0


def test_a_search_or_filter_counts_its_rows():
    for filters in (
        {"query": "x"},
        {"department": "Sales"},
        {"level": 3},
        {"status": "all"},
        {"login": "no"},
    ):
        assert directory_count(**filters) is None


def test_the_pair_health_totals_in_all_and_per_program(active_pairing):
    program = active_pairing.program
    active = Pairing.objects.filter(status=Pairing.Status.ACTIVE)
    assert pair_health_count() == active.count() == 1
    assert pair_health_count(program_id=program.pk) == active.filter(program=program).count() == 1
    assert pair_health_count(program_id=program.pk + 1000) == 0
    Pairing.objects.filter(pk=active_pairing.pk).update(status=Pairing.Status.ENDED)
    assert pair_health_count() == pair_health_count(program_id=program.pk) == 0


def test_a_programs_enrollments_total():
    program = ProgramFactory()
    EnrollmentFactory.create_batch(3, program=program)
    total = enrollment_count(program=program)
    assert total == Enrollment.objects.filter(program=program).count() == 3
    assert enrollment_count(program=program, role="mentor") is None
    Enrollment.objects.filter(program=program).first().delete()
    assert enrollment_count(program=program) == 2


def test_compacting_folds_each_counter_into_one_row_and_keeps_the_totals():
    PersonFactory.create_batch(3)
    before = directory_count()
    assert CountDelta.objects.filter(counter="person.active").count() > 1
    counts_compact()
    assert directory_count() == before == _active_people()
    assert CountDelta.objects.filter(counter="person.active").count() == 1


@pytest.mark.django_db(transaction=True)  # committed rows: a TRUNCATE waits for no deferred check
def test_a_truncate_leaves_the_totals_at_nothing():
    program = ProgramFactory()
    EnrollmentFactory.create_batch(2, program=program)
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE programs_enrollment CASCADE")
    assert enrollment_count(program=program) == 0
    assert pair_health_count() == 0


def test_the_directory_page_shows_the_kept_total(client, hr_admin):
    PersonFactory.create_batch(2)
    PersonFactory(is_active=False)
    client.force_login(hr_admin)
    response = client.get(reverse("profiles:directory"))
    assert f"{_active_people()} people" in response.content.decode()
    assert counted("person.active") == _active_people()


@pytest.mark.django_db(transaction=True)
def test_a_write_committing_while_compacting_keeps_its_change():
    """A compaction removes only the rows its snapshot sees: a person added by another connection, not yet
    committed while it runs, still counts once committed. Neither waits for the other."""
    PersonFactory.create_batch(2)
    settings = connection.settings_dict
    other = psycopg.connect(
        dbname=settings["NAME"], host=settings["HOST"], port=settings["PORT"], user=settings["USER"]
    )
    try:
        other.execute(
            "INSERT INTO profiles_person (email, full_name, job_title, department, location, time_zone, level, "
            "is_active, employee_id, created_at, updated_at, scim_external_id) VALUES ('late@example.com', "
            "'Late Comer', '', '', '', 'UTC', 3, true, '', now(), now(), '')"
        )
        done = threading.Event()

        def compact():
            counts_compact()
            connection.close()
            done.set()

        threading.Thread(target=compact).start()
        assert done.wait(10), "compacting waited for another writer's commit"
        other.commit()
    finally:
        other.close()
    assert directory_count() == _active_people() == 3
    counts_compact()
    assert directory_count() == 3
