"""After the pair's first check-in each side is asked "is this pairing a good fit?". The answer is the
author's own; a "no" puts the pair on HR's at-risk list saying only that someone doubts the fit."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from checkins import selectors
from checkins.models import Reflection
from tests.checkins.conftest import log_checkin, reflection

pytestmark = pytest.mark.django_db


def test_the_first_check_in_asks_both_sides_and_later_ones_do_not(client, active_pairing, mentor, mentee):
    client.force_login(mentor)
    assert "fit" in client.get(reverse("checkins:log", args=[active_pairing.pk])).context["form"].fields
    first = log_checkin(active_pairing, mentor.person, happened_on=timezone.localdate() - timedelta(days=8))
    assert "fit" not in client.get(reverse("checkins:log", args=[active_pairing.pk])).context["form"].fields
    second = log_checkin(active_pairing, mentor.person)
    client.force_login(mentee)
    assert "fit" in client.get(reverse("checkins:reflection", args=[first.pk])).context["form"].fields
    assert "fit" not in client.get(reverse("checkins:reflection", args=[second.pk])).context["form"].fields


def test_a_no_flags_the_pair_for_hr_without_saying_who(client, active_pairing, mentor, mentee, hr_admin):
    first = log_checkin(active_pairing, mentor.person, reflection=reflection(fit=Reflection.Fit.UNSURE))
    assert active_pairing.pk not in selectors.at_risk_pairing_ids()
    client.force_login(mentee)
    response = client.post(
        reverse("checkins:reflection", args=[first.pk]),
        {"learned": "How short videos are cut", "rating": "3", "fit": Reflection.Fit.POOR},
    )
    assert response.status_code == 302
    assert Reflection.objects.get(checkin=first, author=mentee.person).fit == Reflection.Fit.POOR
    assert active_pairing.pk in selectors.at_risk_pairing_ids()
    (row,) = selectors.pair_health_details([active_pairing.pk])
    (reason,) = selectors.risk_reasons(row)
    assert "not a good fit" in reason and "mentee" not in reason.lower() and "mentor" not in reason.lower()
    # The partner does not see the answer on the check-in page.
    client.force_login(mentor)
    assert "does not fit" not in client.get(reverse("checkins:checkin", args=[first.pk])).content.decode()
