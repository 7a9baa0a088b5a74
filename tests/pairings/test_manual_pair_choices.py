"""Re-matching by hand offers only the pairs the hard rules allow: someone in the mentee's reporting
line, or too close in level, is not in the list, and a forged choice is refused with nothing made."""

import pytest
from django.urls import reverse

from pairings.models import Pairing
from tests.factories import EnrollmentFactory, PersonFactory

pytestmark = pytest.mark.django_db


def test_only_pairs_the_hard_rules_allow_are_offered_and_made(client, hr_admin, matching_program, mentee):
    program = matching_program
    program.min_level_gap = 2
    program.save()
    reports_to_mentee = PersonFactory(
        full_name="Rea Report", level=2, department="Legal", manager=mentee.person
    )
    too_senior = PersonFactory(full_name="Lev Close", level=7, department="Legal")
    for person in (reports_to_mentee, too_senior):
        EnrollmentFactory(program=program, person=person, role="mentor", status="approved")
    mentee_e = program.enrollments.get(person=mentee.person)
    url = reverse("pairings:program_pairings", args=[program.pk])
    client.force_login(hr_admin)
    form = client.get(url).context["form"]
    offered = {(c.mentor_id, c.mentee_id) for c in form.by_value.values()}
    rea = program.enrollments.get(person=reports_to_mentee)
    lev = program.enrollments.get(person=too_senior)
    assert (rea.pk, mentee_e.pk) not in offered  # same reporting line
    assert not any(m == lev.pk for m, _e in offered)  # level 7 mentors nobody at a gap of 2
    assert offered

    # A value the page did not offer (forged): a message at the field, no pairing.
    response = client.post(url, {"pair": f"{rea.pk}:{mentee_e.pk}"})
    assert response.status_code == 200 and response.context["form"].errors["pair"]
    assert not Pairing.objects.exists()

    value = next(iter(form.by_value))
    response = client.post(url, {"pair": value})
    assert response.status_code == 302
    pairing = Pairing.objects.get()
    assert f"{pairing.mentor_id}:{pairing.mentee_id}" == value
