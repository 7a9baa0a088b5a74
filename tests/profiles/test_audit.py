"""The audit trail (issue 12): who, what, when, from where, never the text; append-only; HR reads it."""

import pytest
from django.db import DatabaseError, transaction
from django.test import Client
from django.urls import reverse

from checkins import services as checkin_services
from profiles.models import AuditEvent
from profiles.services import user_set_roles

PASSWORD = "a long enough passphrase"


def _actions():
    """What was recorded, leaving out the sign-ins of force_login (a test's own way in)."""
    return list(AuditEvent.objects.exclude(action="sign_in").order_by("pk").values_list("action", flat=True))


def test_sign_ins_and_failures_are_recorded_with_the_address(client, mentor):
    mentor.set_password(PASSWORD)
    mentor.save()
    client.post(
        reverse("account_login"), {"login": mentor.email, "password": "wrong one"}, REMOTE_ADDR="10.1.2.3"
    )
    client.post(reverse("account_login"), {"login": "nobody@else.example", "password": "x"})
    client.post(
        reverse("account_login"), {"login": mentor.email, "password": PASSWORD}, REMOTE_ADDR="10.1.2.3"
    )
    client.post(reverse("account_logout"))
    events = list(AuditEvent.objects.order_by("pk"))
    assert [e.action for e in events] == ["sign_in_failed", "sign_in_failed", "sign_in", "sign_out"]
    assert events[0].actor_id == mentor.pk and events[0].ip == "10.1.2.3"
    assert events[1].actor_id is None and "nobody" not in str(
        events[1].detail
    )  # a stranger's guess is not kept
    assert events[2].actor_id == mentor.pk


def test_role_changes_and_concern_handling_are_recorded_without_the_text(
    client, hr_admin, leader, mentor, active_pairing
):
    user_set_roles(actor=hr_admin, user=leader, is_hr_admin=False, is_leader=False)
    concern = checkin_services.concern_raise(
        pairing=active_pairing, person=mentor.person, kind="concern", text="SECRET-concern-text"
    )
    client.force_login(hr_admin)
    client.get(reverse("checkins:concern_handle", args=[concern.pk]))
    checkin_services.concern_update(
        concern=concern, user=hr_admin, status="in_progress", hr_notes="SECRET-hr-notes"
    )
    assert _actions() == ["role_changed", "concern_viewed", "concern_handled"]
    role = AuditEvent.objects.get(action="role_changed")
    assert role.actor_id == hr_admin.pk and role.target == f"user:{leader.pk}"
    assert role.detail == {
        "before": {"hr_admin": False, "leader": True},
        "after": {"hr_admin": False, "leader": False},
    }
    assert "SECRET" not in str(list(AuditEvent.objects.values()))


def test_exports_are_recorded(client, hr_admin):
    client.force_login(hr_admin)
    assert client.get(reverse("checkins:pair_health_csv")).status_code == 200
    assert _actions() == ["exported"]


def test_the_trail_is_append_only(hr_admin, leader):
    user_set_roles(actor=hr_admin, user=leader, is_hr_admin=True, is_leader=True)
    event = AuditEvent.objects.get()
    for change in (
        lambda: AuditEvent.objects.filter(pk=event.pk).update(target="forged"),
        lambda: AuditEvent.objects.filter(pk=event.pk).delete(),
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            change()
    assert AuditEvent.objects.get().target == f"user:{leader.pk}"


@pytest.mark.parametrize("persona", ["leader", "mentor", "mentee", "outsider"])
def test_only_hr_reads_the_trail(client, request, persona, hr_admin, leader):
    user_set_roles(actor=hr_admin, user=leader, is_hr_admin=False, is_leader=True)
    client.force_login(request.getfixturevalue(persona))
    before = AuditEvent.objects.count()
    assert client.get(reverse("profiles:audit")).status_code == 403
    assert AuditEvent.objects.count() == before
    assert Client().get(reverse("profiles:audit")).status_code == 302


def test_hr_filters_the_trail(client, hr_admin, leader, mentor):
    user_set_roles(actor=hr_admin, user=leader, is_hr_admin=False, is_leader=False)
    client.force_login(hr_admin)  # a sign-in row
    page = client.get(reverse("profiles:audit"), {"action": "role_changed"})
    assert page.status_code == 200
    assert [event.action for event, _who in page.context["rows"]] == ["role_changed"]
    assert page.context["rows"][0][1] == hr_admin.person.full_name
    assert client.get(reverse("profiles:audit"), {"who": mentor.email}).context["rows"] == []
    # Unusable filters are ignored, not an error page.
    assert client.get(reverse("profiles:audit"), {"since": "not-a-date", "action": "nope"}).status_code == 200


def test_personal_data_downloads_are_recorded(client, mentor):
    client.force_login(mentor)
    assert client.get(reverse("profiles:my_data")).status_code == 200
    event = AuditEvent.objects.get(action="data_exported")
    assert event.actor_id == mentor.pk and event.target == f"person:{mentor.person.pk}"
