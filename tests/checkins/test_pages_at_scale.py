"""The queries rewritten for the enterprise company (issue 15) answer as before: a person's live pairings
on either side, pair health's leaver flag from either side, and the enrollment list in name order."""

import pytest
from django.urls import reverse

from pairings.selectors import live_pairings_of
from profiles.models import Person
from programs.models import Enrollment
from programs.selectors import enrollment_list_for_program
from tests.checkins.test_hr_views import _bulk_pairings, _plain, _rows
from tests.factories import ProgramFactory

pytestmark = pytest.mark.django_db


def test_live_pairings_of_finds_a_person_on_either_side(hr_admin):
    program = ProgramFactory(actor=hr_admin)
    first, second, _other = _bulk_pairings(program, 3)
    # The mentee of the first pair is also the mentor of the second (another program's enrollment).
    person = first.mentee.person
    other = ProgramFactory(actor=hr_admin, name="Other")
    enrollment = Enrollment.objects.create(
        program=other, person=person, role="mentor", status="approved", hopes="x", languages="en"
    )
    second.program, second.mentor = other, enrollment
    second.save()
    assert set(live_pairings_of(person=person)) == {first, second}
    assert set(live_pairings_of(person=first.mentor.person)) == {first}


@pytest.mark.parametrize("side", ["mentor", "mentee"])
def test_a_leaver_on_either_side_puts_the_pair_at_risk_first(client, hr_admin, side):
    program = ProgramFactory(actor=hr_admin)
    healthy, left = _bulk_pairings(program, 2, due_in_days=1)
    Person.objects.filter(pk=getattr(left, side).person_id).update(is_active=False)
    client.force_login(hr_admin)
    rows = _rows(client.get(reverse("checkins:pair_health")).content.decode())
    assert [pk for pk, _row in rows] == [left.pk, healthy.pk]
    assert "has left the directory" in _plain(dict(rows)[left.pk])


def test_the_enrollment_list_is_in_name_order(hr_admin):
    program = ProgramFactory(actor=hr_admin)
    _bulk_pairings(program, 3)
    names = [e.person.full_name for e in enrollment_list_for_program(program=program)]
    assert names == sorted(names)
