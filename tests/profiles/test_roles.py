"""Granting and removing the HR admin and leader roles; there is always an active HR admin."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from profiles.models import User
from profiles.services import user_set_roles
from tests.factories import UserFactory
from tests.helpers import PERSONAS

pytestmark = pytest.mark.django_db


def _roles(user):
    user.refresh_from_db()
    return user.is_hr_admin, user.is_leader


# --- The service ------------------------------------------------------------------------------------


def test_an_hr_admin_grants_and_removes_roles(hr_admin, mentor):
    user_set_roles(actor=hr_admin, user=mentor, is_hr_admin=True, is_leader=True)
    assert _roles(mentor) == (True, True)
    user_set_roles(actor=hr_admin, user=mentor, is_hr_admin=False, is_leader=False)
    assert _roles(mentor) == (False, False)


def test_the_last_hr_admin_cannot_remove_their_own_role(hr_admin):
    with pytest.raises(ValidationError, match="last active HR admin"):
        user_set_roles(actor=hr_admin, user=hr_admin, is_hr_admin=False, is_leader=True)
    assert _roles(hr_admin) == (True, False)  # nothing changed, not even the leader role


def test_the_last_active_hr_admin_cannot_be_demoted_by_anyone(hr_admin):
    # A disabled login with the role does not count as someone who can still run Twoway.
    disabled_admin = UserFactory(is_hr_admin=True, is_active=False)
    with pytest.raises(ValidationError, match="last active HR admin"):
        user_set_roles(actor=disabled_admin, user=hr_admin, is_hr_admin=False, is_leader=False)
    assert _roles(hr_admin) == (True, False)
    # Removing the role from the disabled login is fine.
    user_set_roles(actor=hr_admin, user=disabled_admin, is_hr_admin=False, is_leader=False)
    assert _roles(disabled_admin) == (False, False)


def test_with_two_hr_admins_one_may_step_down_but_not_the_second(hr_admin):
    second = UserFactory(is_hr_admin=True)
    user_set_roles(actor=hr_admin, user=hr_admin, is_hr_admin=False, is_leader=False)
    assert _roles(hr_admin) == (False, False)
    with pytest.raises(ValidationError):
        user_set_roles(actor=second, user=second, is_hr_admin=False, is_leader=False)
    assert User.objects.filter(is_hr_admin=True, is_active=True).count() == 1


def test_the_last_hr_admin_may_still_change_their_leader_role(hr_admin):
    user_set_roles(actor=hr_admin, user=hr_admin, is_hr_admin=True, is_leader=True)
    assert _roles(hr_admin) == (True, True)


def test_only_an_hr_admin_changes_roles(leader, mentor):
    with pytest.raises(PermissionDenied):
        user_set_roles(actor=leader, user=mentor, is_hr_admin=True, is_leader=False)
    assert _roles(mentor) == (False, False)


# --- The pages ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_roles_pages_are_for_hr_admins_only(client, request, persona, mentor):
    user = request.getfixturevalue(persona)
    client.force_login(user)
    page = client.get(reverse("profiles:roles"))
    post = client.post(reverse("profiles:roles_set", args=[mentor.pk]), {"is_leader": "on"})
    if persona == "hr_admin":
        assert page.status_code == 200 and post.status_code == 302
        assert _roles(mentor) == (False, True)
    else:
        assert page.status_code == post.status_code == 403
        assert _roles(mentor) == (False, False)


def test_anonymous_visitors_go_to_login(client, mentor):
    for response in (
        client.get(reverse("profiles:roles")),
        client.post(reverse("profiles:roles_set", args=[mentor.pk]), {"is_hr_admin": "on"}),
    ):
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert _roles(mentor) == (False, False)


def test_roles_for_an_unknown_login_is_404(client, hr_admin):
    client.force_login(hr_admin)
    assert client.post(reverse("profiles:roles_set", args=[987654]), {"is_leader": "on"}).status_code == 404


def test_roles_page_lists_role_holders_only(client, hr_admin, leader, mentor):
    client.force_login(hr_admin)
    holders = list(client.get(reverse("profiles:roles")).context["holders"])
    assert holders == sorted([hr_admin, leader], key=lambda u: u.full_name)


def test_roles_form_on_the_person_page_grants_a_role_and_returns_there(client, hr_admin, mentor):
    client.force_login(hr_admin)
    person_url = reverse("profiles:person", args=[mentor.person.pk])
    assert 'name="is_hr_admin"' in client.get(person_url).content.decode()
    response = client.post(
        reverse("profiles:roles_set", args=[mentor.pk]), {"is_hr_admin": "on", "next": person_url}
    )
    assert response["Location"] == person_url
    assert _roles(mentor) == (True, False)


def test_the_last_hr_admin_is_told_why_they_cannot_step_down(client, hr_admin):
    client.force_login(hr_admin)
    response = client.post(reverse("profiles:roles_set", args=[hr_admin.pk]), {}, follow=True)
    assert "is the last active HR admin" in response.content.decode()
    assert _roles(hr_admin) == (True, False)


def test_an_hr_admin_who_steps_down_goes_home(client, hr_admin):
    UserFactory(is_hr_admin=True)
    client.force_login(hr_admin)
    response = client.post(reverse("profiles:roles_set", args=[hr_admin.pk]), {})
    assert response["Location"] == reverse("home")
    assert client.get(reverse("profiles:roles")).status_code == 403


def test_an_offsite_next_is_ignored(client, hr_admin, mentor):
    client.force_login(hr_admin)
    response = client.post(
        reverse("profiles:roles_set", args=[mentor.pk]), {"is_leader": "on", "next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("profiles:roles")
