"""What a tester found trying Twoway as an attacker would (issue 12), each reproduced as they did it."""

import subprocess
import sys
from pathlib import Path

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.test import Client
from django.urls import reverse

from checkins.models import CheckIn, Meeting
from pairings.models import MentorRequest
from profiles.demo.company import build_company
from profiles.importing import parse_employee_csv, plan_import
from profiles.models import Notification, User
from tests.helpers import form_token
from tests.profiles.test_invitations import (  # noqa: F401 - fixtures
    _invited_token,
    _signup,
    eager_tasks,
    invitee,
)

ROOT = Path(__file__).resolve().parents[2]


# --- 2. Nobody can block a colleague's sign-up, or add a personal address ----------------------------


def test_a_login_cannot_gain_a_second_address(client, mentor):
    client.force_login(mentor)
    for address in ("robin.invited@partner.test", "me@personal.example"):
        response = client.post(reverse("account_email"), {"action_add": "", "email": address})
        assert response.status_code == 302 and response["Location"] == reverse("profiles:account")
    assert list(EmailAddress.objects.filter(user=mentor).values_list("email", flat=True)) == [mentor.email]
    page = client.get(reverse("profiles:account")).content.decode()
    assert mentor.email in page and "cannot be changed here" in page


def test_an_invitation_is_not_blocked_by_someone_elses_unverified_claims(
    client,
    settings,
    hr_admin,
    mentor,
    invitee,  # noqa: F811 - the fixture imported above
    eager_tasks,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    settings.ALLOWED_SIGNUP_DOMAINS = ["partner.test"]
    # An extra, unverified address on a colleague's login (as before this fix), and a login someone made
    # with the invited address without ever being able to verify it.
    EmailAddress.objects.create(
        user=mentor, email="robin.invited@partner.test", verified=False, primary=False
    )
    squatter = User.objects.create_user(email="Robin.Invited@partner.test", password="x" * 16)
    EmailAddress.objects.create(user=squatter, email=squatter.email, verified=False, primary=True)

    token = _invited_token(client, hr_admin, invitee, django_capture_on_commit_callbacks)
    mail.outbox.clear()
    client.get(reverse("profiles:invitation_accept", args=[token]))
    response = _signup(client, "robin.invited@partner.test")
    assert response.status_code == 302 and response["Location"] == reverse("home")
    user = User.objects.get(email__iexact="robin.invited@partner.test")
    assert user.pk != squatter.pk and client.session["_auth_user_id"] == str(user.pk)
    invitee.refresh_from_db()
    assert invitee.user == user
    assert not EmailAddress.objects.filter(user=mentor, email__iexact=invitee.email).exists()
    assert mentor.emailaddress_set.filter(email=mentor.email).exists()  # the colleague keeps their own


# --- 3. Malformed parameters are a 400 with a message, never a 500 ------------------------------------


@pytest.fixture
def planned_meeting(active_pairing):
    from datetime import timedelta

    from django.utils import timezone

    return Meeting.objects.create(
        pairing=active_pairing, starts_at=timezone.now() + timedelta(days=1), duration_minutes=30
    )


def test_malformed_ids_are_a_clear_400_and_change_nothing(client, mentor, mentee, hr_admin, active_pairing):
    log = reverse("checkins:log", args=[active_pairing.pk])
    before = (CheckIn.objects.count(), MentorRequest.objects.count(), Notification.objects.count())
    cases = [
        (mentor, "get", f"{log}?meeting=abc", {}),
        (mentor, "post", f"{log}?meeting=abc", {"meeting": "abc"}),
        (mentor, "post", reverse("pairings:requests"), {"request": "abc", "answer": "accept"}),
        (mentee, "post", reverse("pairings:choose", args=[1]), {"mentor": "abc"}),
        (
            hr_admin,
            "post",
            reverse("checkins:operations"),
            {"row": "99999999999999999999999", "action": "retry"},
        ),
    ]
    for user, method, url, data in cases:
        client.force_login(user)
        response = getattr(client, method)(url, data)
        if url.startswith("/pairings/choose/") and response.status_code == 404:
            continue  # the mentee has no enrollment 1: refused before the parameter is read
        assert response.status_code == 400, (url, response.status_code)
        assert "which is not a valid id" in response.content.decode(), url
    assert (CheckIn.objects.count(), MentorRequest.objects.count(), Notification.objects.count()) == before


def test_choosing_a_mentor_with_a_malformed_id_is_a_400(client, mentee, matching_program):
    from programs.models import Enrollment

    enrollment = Enrollment.objects.get(person=mentee.person, program=matching_program)
    client.force_login(mentee)
    response = client.post(reverse("pairings:choose", args=[enrollment.pk]), {"mentor": "abc"})
    assert response.status_code == 400 and "which is not a valid id" in response.content.decode()
    assert not MentorRequest.objects.exists()


# --- 6. The smaller ones ------------------------------------------------------------------------------


def test_a_checkin_before_the_pair_was_matched_is_refused_next_to_the_date(client, mentor, active_pairing):
    client.force_login(mentor)
    data = {
        "form_token": form_token(client, reverse("checkins:log", args=[active_pairing.pk])),
        "happened_on": "1900-01-01",
        "duration_minutes": 30,
        "meeting_format": "video",
        "learned": "How TikTok search works",
        "rating": 4,
    }
    response = client.post(reverse("checkins:log", args=[active_pairing.pk]), data)
    assert response.status_code == 200
    assert "cannot be before that" in str(response.context["form"].errors["happened_on"])
    assert "How TikTok search works" in response.content.decode()  # the text typed is still there
    assert not CheckIn.objects.exists()


def test_a_too_large_post_gets_a_page_that_says_so(client, mentor, active_pairing):
    client.force_login(mentor)
    response = client.post(
        reverse("checkins:log", args=[active_pairing.pk]), {"shared_notes": "x" * (3 * 1024 * 1024)}
    )
    assert response.status_code == 413
    html = response.content.decode()
    assert "larger than 2.5 MB" in html and 'id="main"' in html


def test_every_page_carries_a_permissions_policy(client, db):
    policy = client.get(reverse("account_login"))["Permissions-Policy"]
    assert "camera=()" in policy and "microphone=()" in policy and "geolocation=()" in policy
    assert "publickey-credentials-get=(self)" in policy  # passkeys still work


def test_the_importer_refuses_hidden_characters_and_explains_accented_addresses(db):
    header = "email,full_name,job_title,department,level,manager_email\n"
    rows = [
        "a@acme.example,Ada\u202eFake,Chief,Exec,9,",
        "b@acme.example,Ben\x00,CTO,Eng,8,",
        "jos\u00e9@acme.example,Jos\u00e9,Dev,Eng,2,",
    ]
    plan = plan_import(rows=parse_employee_csv(header + "\n".join(rows) + "\n"), deactivate_missing=False)
    messages = {(e.line, e.field): e.message for e in plan.errors}
    assert "U+202E" in messages[(2, "full_name")] and "U+0000" in messages[(3, "full_name")]
    assert "before the @" in messages[(4, "email")]


def test_the_demo_directory_is_one_the_importer_accepts():
    from django.core.validators import validate_email

    for person in build_company():
        validate_email(person.email)


def test_passwords_need_twelve_characters_and_no_composition(client, settings):
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        validate_password("elevenchars")
    with pytest.raises(ValidationError):
        validate_password("password1234")  # on the common-password list
    validate_password("correct horse battery")  # lower case, spaces, no digit: fine


def _manage(*args, **env):
    import os

    environment = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY"}}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=environment, capture_output=True, text=True
    )


def test_a_short_secret_key_stops_the_app_from_starting():
    result = _manage("check", SECRET_KEY="short")
    assert result.returncode != 0 and "SECRET_KEY is too short" in result.stderr


def test_the_account_page_is_linked_from_the_navigation(client, mentor):
    client.force_login(mentor)
    html = client.get(reverse("home")).content.decode()
    assert f'href="{reverse("profiles:account")}"' in html


def test_pair_health_says_which_pairs_a_leaver_leaves_behind(client, hr_admin, mentee, active_pairing):
    from profiles.models import Person

    client.force_login(hr_admin)
    assert "has left the directory" not in client.get(reverse("checkins:pair_health")).content.decode()
    Person.objects.filter(user=mentee).update(is_active=False)
    html = client.get(reverse("checkins:pair_health")).content.decode()
    assert "one of the pair has left the directory: end the pairing or re-match" in html


@pytest.mark.parametrize(("proxies", "blocked"), [(0, True), (1, False)])
def test_behind_the_proxy_one_clients_failed_logins_do_not_block_everyone(
    client, settings, mentor, proxies, blocked
):
    """Finding 6: every client reached gunicorn from the proxy's address, so ten failed logins a minute
    from anyone blocked all logins. With TRUSTED_PROXY_COUNT=1 the limit counts the client's address."""
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = proxies
    mentor.set_password("a long enough passphrase")
    mentor.save()
    attacker = Client(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.9")
    for n in range(11):
        attacker.post(reverse("account_login"), {"login": f"guess{n}@example.com", "password": "wrong"})
    colleague = Client(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.7")
    colleague.post(reverse("account_login"), {"login": mentor.email, "password": "a long enough passphrase"})
    assert ("_auth_user_id" not in colleague.session) == blocked
