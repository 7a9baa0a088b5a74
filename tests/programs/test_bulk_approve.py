"""HR approves every waiting enrollment the page's filter shows in one step: each as one decision would
(the person told), nobody already decided is touched, and a refused request changes nothing."""

import pytest
from django.urls import reverse

from profiles.models import Notification
from programs.models import Enrollment
from tests.factories import EnrollmentFactory, ProgramFactory

pytestmark = pytest.mark.django_db


def test_hr_approves_the_waiting_mentors_the_filter_shows(client, hr_admin, leader):
    program = ProgramFactory(actor=hr_admin)
    waiting_mentors = EnrollmentFactory.create_batch(3, program=program, role="mentor")
    waiting_mentee = EnrollmentFactory(program=program, role="mentee")
    declined = EnrollmentFactory(program=program, role="mentor", status="declined", decision_reason="Full")
    url = reverse("programs:approve_waiting", args=[program.pk])

    client.force_login(leader)
    assert client.post(url, {"role": "mentor"}).status_code == 403
    assert not Enrollment.objects.filter(status="approved").exists()

    client.force_login(hr_admin)
    page = client.get(reverse("programs:enrollments", args=[program.pk]), {"role": "mentor"})
    assert "Approve all 3 waiting" in page.content.decode()
    response = client.post(url, {"role": "mentor"})
    assert response.status_code == 302 and "role=mentor" in response["Location"]
    assert {e.pk for e in Enrollment.objects.filter(status="approved")} == {e.pk for e in waiting_mentors}
    waiting_mentee.refresh_from_db()
    declined.refresh_from_db()
    assert waiting_mentee.status == "pending" and declined.status == "declined"
    told = Notification.objects.filter(kind=Notification.Kind.ENROLLMENT_DECIDED)
    assert sorted(told.values_list("recipient_id", flat=True)) == sorted(e.person_id for e in waiting_mentors)
    # Nothing left waiting among the mentors: the button is gone.
    page = client.get(reverse("programs:enrollments", args=[program.pk]), {"role": "mentor"})
    assert "approve-waiting" not in page.content.decode()
