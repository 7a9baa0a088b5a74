"""Invitations: HR sends them, the link lets one person sign up with the invited address."""

import re
from datetime import timedelta

import pytest
import time_machine
from allauth.account.models import EmailAddress
from django.conf import settings
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from profiles import outbox
from profiles.models import Invitation, Notification, Person, User
from profiles.selectors import INVITATION_SESSION_KEY, invitation_token_hash
from profiles.services import (
    invitation_accept,
    invitation_revoke,
    invitation_send,
    invitation_send_bulk,
)
from tests.factories import PersonFactory, UserFactory
from tests.helpers import PERSONAS, count_queries

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-unusual-passphrase"
LINK = re.compile(r"/people/invitation/([A-Za-z0-9_-]+)/")


@pytest.fixture
def eager_tasks():
    """Run .delay() inline, so the email lands in mail.outbox (restored afterwards)."""
    from mentoring.celery import app

    saved = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager = app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = saved


@pytest.fixture
def invitee(db):
    # Not of an allowed sign-up domain: only the invitation lets this address in.
    return PersonFactory(email="Robin.Invited@partner.test", full_name="Robin Invited", department="Sales")


def _send(person, actor, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return invitation_send(person=person, actor=actor)


def _token_of(message) -> str:
    return LINK.search(message.body).group(1)


# --- Pages: who may use them --------------------------------------------------------------------------


def _hr_requests(invitation, person):
    return [
        ("get", reverse("profiles:invitations"), {}),
        ("post", reverse("profiles:invite", args=[person.pk]), {}),
        ("post", reverse("profiles:invite_bulk"), {"q": person.email, "confirm": "yes"}),
        ("post", reverse("profiles:invitation_resend", args=[invitation.pk]), {}),
        ("post", reverse("profiles:invitation_revoke", args=[invitation.pk]), {}),
    ]


@pytest.mark.parametrize("persona", PERSONAS)
def test_invitation_pages_are_for_hr_admins_only(client, request, persona, hr_admin, invitee, eager_tasks):
    invitation = invitation_send(person=invitee, actor=hr_admin)
    other = PersonFactory()
    client.force_login(request.getfixturevalue(persona))
    for method, url, data in _hr_requests(invitation, other):
        response = getattr(client, method)(url, data)
        if persona == "hr_admin":
            assert response.status_code in {200, 302}, url
        else:
            assert response.status_code == 403, url
    invitation.refresh_from_db()
    if persona != "hr_admin":
        assert invitation.revoked_at is None and invitation.send_count == 1
        assert not Invitation.objects.filter(person=other).exists()
        assert mail.outbox == []


def test_anonymous_visitors_go_to_login(client, hr_admin, invitee):
    invitation = invitation_send(person=invitee, actor=hr_admin)
    for method, url, data in _hr_requests(invitation, invitee):
        response = getattr(client, method)(url, data)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url


def test_unknown_ids_are_404(client, hr_admin):
    client.force_login(hr_admin)
    assert client.post(reverse("profiles:invite", args=[987654])).status_code == 404
    assert client.post(reverse("profiles:invitation_resend", args=[987654])).status_code == 404
    assert client.post(reverse("profiles:invitation_revoke", args=[987654])).status_code == 404


@pytest.mark.parametrize("persona", PERSONAS)
def test_an_invitation_link_opened_while_logged_in_says_to_log_out(
    client, request, persona, hr_admin, invitee, eager_tasks, django_capture_on_commit_callbacks
):
    token = _invited_token(client, hr_admin, invitee, django_capture_on_commit_callbacks)
    client.force_login(request.getfixturevalue(persona))
    response = client.get(reverse("profiles:invitation_accept", args=[token]))
    assert response.status_code == 200 and "You are already logged in" in response.content.decode()
    assert INVITATION_SESSION_KEY not in client.session


def test_the_invitation_link_needs_no_login(
    client, hr_admin, invitee, eager_tasks, django_capture_on_commit_callbacks
):
    token = _invited_token(client, hr_admin, invitee, django_capture_on_commit_callbacks)
    response = client.get(reverse("profiles:invitation_accept", args=[token]))
    assert response.status_code == 302 and response["Location"] == reverse("account_signup")
    assert client.session[INVITATION_SESSION_KEY] == Invitation.objects.get(person=invitee).pk
    response = client.get(reverse("profiles:invitation_accept", args=["not-a-known-token"]))
    assert response.status_code == 404 and "Ask your HR team" in response.content.decode()


def test_the_email_goes_out_only_once_the_transaction_commits(
    hr_admin, invitee, eager_tasks, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        invitation_send(person=invitee, actor=hr_admin)
    assert len(callbacks) == 1 and mail.outbox == []
    callbacks[0]()
    assert len(mail.outbox) == 1


# --- Sending ----------------------------------------------------------------------------------------------


def test_send_stores_only_the_token_hash_and_emails_the_link(
    hr_admin, invitee, eager_tasks, django_capture_on_commit_callbacks
):
    invitation = _send(invitee, hr_admin, django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    token = _token_of(message)
    assert len(token) >= 43 and invitation.token_hash == invitation_token_hash(token)
    assert token not in invitation.token_hash
    assert message.to == ["robin.invited@partner.test"]
    link = settings.SITE_URL + reverse("profiles:invitation_accept", args=[token])
    assert link in message.body
    # Plain words: what Twoway is, who invited them, when the link expires.
    assert hr_admin.full_name in message.subject and hr_admin.full_name in message.body
    assert "reverse-mentoring" in message.body
    days = getattr(settings, "INVITATION_DAYS", 14)
    assert invitation.expires_at - invitation.created_at == timedelta(days=days)
    assert "until" in message.body and str(invitation.expires_at.astimezone().year) in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html" and f'href="{link}"' in html
    invitation.refresh_from_db()
    assert invitation.status == "open" and invitation.send_count == 1 and invitation.sent_at is not None


def test_resending_rotates_the_token_and_the_old_link_stops_working(
    client, hr_admin, invitee, eager_tasks, django_capture_on_commit_callbacks
):
    first = _send(invitee, hr_admin, django_capture_on_commit_callbacks)
    old_token = _token_of(mail.outbox[0])
    second = _send(invitee, hr_admin, django_capture_on_commit_callbacks)
    new_token = _token_of(mail.outbox[1])
    assert second.pk == first.pk and second.send_count == 2 and old_token != new_token
    assert Invitation.objects.filter(person=invitee).count() == 1
    response = client.get(reverse("profiles:invitation_accept", args=[old_token]))
    assert response.status_code == 404
    assert "Ask your HR team to send you a new invitation." in response.content.decode()
    assert client.get(reverse("profiles:invitation_accept", args=[new_token])).status_code == 302


def test_a_replaced_email_still_waiting_is_not_sent(hr_admin, invitee):
    """Two sends before the sender ran (the broker was down): only the newest link goes out; the older
    row is withdrawn and its link, which no longer works, is wiped."""
    invitation_send(person=invitee, actor=hr_admin)
    invitation_send(person=invitee, actor=hr_admin)  # replaces the token of the first send
    first, second = Notification.objects.filter(kind=Notification.Kind.INVITATION).order_by("pk")
    assert first.state == Notification.State.SKIPPED and first.link == "" and first.body == ""
    assert outbox.notifications_send_due() == 1
    assert len(mail.outbox) == 1 and second.link in mail.outbox[0].body


def test_people_with_a_login_or_who_left_cannot_be_invited(hr_admin, mentor):
    with pytest.raises(ValidationError, match="already has a login"):
        invitation_send(person=mentor.person, actor=hr_admin)
    leaver = PersonFactory(is_active=False)
    with pytest.raises(ValidationError, match="inactive"):
        invitation_send(person=leaver, actor=hr_admin)
    assert not Invitation.objects.exists()


def test_revoking_stops_the_link(client, hr_admin, invitee, eager_tasks, django_capture_on_commit_callbacks):
    invitation = _send(invitee, hr_admin, django_capture_on_commit_callbacks)
    token = _token_of(mail.outbox[0])
    invitation_revoke(invitation=invitation)
    invitation_revoke(invitation=invitation)  # twice is harmless
    invitation.refresh_from_db()
    assert invitation.status == "revoked"
    response = client.get(reverse("profiles:invitation_accept", args=[token]))
    assert response.status_code == 404 and "withdrawn" in response.content.decode()
    # Inviting again makes a new open invitation.
    again = invitation_send(person=invitee, actor=hr_admin)
    assert again.pk != invitation.pk and again.status == "open"


def test_an_invitation_expires(client, hr_admin, invitee, eager_tasks, django_capture_on_commit_callbacks):
    invitation = _send(invitee, hr_admin, django_capture_on_commit_callbacks)
    token = _token_of(mail.outbox[0])
    days = getattr(settings, "INVITATION_DAYS", 14)
    with time_machine.travel(timezone.now() + timedelta(days=days, minutes=1)):
        invitation.refresh_from_db()
        assert invitation.status == "expired"
        response = client.get(reverse("profiles:invitation_accept", args=[token]))
        assert response.status_code == 404 and "expired" in response.content.decode()
        with pytest.raises(ValidationError):
            invitation_accept(invitation=invitation, user=UserFactory(email=invitation.email))
        # Sending again renews the same invitation with a new expiry.
        renewed = _send(invitee, hr_admin, django_capture_on_commit_callbacks)
        assert renewed.pk == invitation.pk and renewed.status == "open"
    with time_machine.travel(timezone.now() + timedelta(days=days - 1)):
        invitation.refresh_from_db()
        assert invitation.status == "open"


def test_bulk_send_invites_the_eligible_and_says_why_others_were_skipped(
    hr_admin, mentor, eager_tasks, django_capture_on_commit_callbacks
):
    fresh = [PersonFactory(department="Ops") for _ in range(3)]
    already_invited = fresh[0]
    invitation_send(person=already_invited, actor=hr_admin)
    leaver = PersonFactory(department="Ops", is_active=False)
    mentor.person.department = "Ops"
    mentor.person.save()
    with django_capture_on_commit_callbacks(execute=True):
        result = invitation_send_bulk(people_queryset=Person.objects.filter(department="Ops"), actor=hr_admin)
    assert result.sent == 3
    assert {(p.pk, reason) for p, reason in result.skipped} == {
        (mentor.person.pk, "already has a login"),
        (leaver.pk, "is inactive (has left)"),
    }
    assert sorted(m.to[0] for m in mail.outbox) == sorted(p.email.lower() for p in fresh)
    assert Invitation.objects.filter(accepted_at__isnull=True, revoked_at__isnull=True).count() == 3
    assert Invitation.objects.get(person=already_invited).send_count == 2
    for message in mail.outbox:
        invitation = Invitation.objects.get(email=message.to[0])
        assert invitation.token_hash == invitation_token_hash(_token_of(message))


def test_invite_everyone_in_the_filter_confirms_counts_then_sends(
    client, hr_admin, mentor, eager_tasks, django_capture_on_commit_callbacks
):
    for _ in range(2):
        PersonFactory(department="Marketing")
    PersonFactory(department="Marketing", is_active=False)
    PersonFactory(department="Finance")
    client.force_login(hr_admin)
    filters = {"department": "Marketing", "status": "all", "q": "", "level": "", "login": ""}
    response = client.post(reverse("profiles:invite_bulk"), filters)
    html = response.content.decode()
    assert response.status_code == 200 and not mail.outbox
    assert "Invitation emails will go to 2 people." in html
    assert "1 person already has a login" in html and "1 person is inactive" in html
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("profiles:invite_bulk"), filters | {"confirm": "yes"}, follow=True)
    html = response.content.decode()
    assert response.redirect_chain[-1][0] == reverse("profiles:invitations")
    assert "Invitations sent to 2 people." in html and "2 people skipped" in html
    assert len(mail.outbox) == 2


def test_person_page_invite_resend_and_revoke_buttons(
    client, hr_admin, invitee, eager_tasks, django_capture_on_commit_callbacks
):
    client.force_login(hr_admin)
    person_url = reverse("profiles:person", args=[invitee.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("profiles:invite", args=[invitee.pk]))
    assert response["Location"] == person_url and len(mail.outbox) == 1
    invitation = Invitation.objects.get(person=invitee)
    html = client.get(person_url).content.decode()
    assert reverse("profiles:invitation_resend", args=[invitation.pk]) in html
    assert reverse("profiles:invitation_revoke", args=[invitation.pk]) in html
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("profiles:invitation_resend", args=[invitation.pk]))
    assert len(mail.outbox) == 2 and _token_of(mail.outbox[0]) != _token_of(mail.outbox[1])
    client.post(reverse("profiles:invitation_revoke", args=[invitation.pk]))
    invitation.refresh_from_db()
    assert invitation.status == "revoked"
    response = client.post(reverse("profiles:invitation_resend", args=[invitation.pk]), follow=True)
    assert "is revoked" in response.content.decode() and len(mail.outbox) == 2


def test_invitations_list_filters_by_status_with_constant_queries(client, hr_admin):
    client.force_login(hr_admin)
    now = timezone.now()

    def make(n, start):
        people = Person.objects.bulk_create(
            Person(email=f"i{i}@example.com", full_name=f"I {i}", job_title="A", department="D", level=2)
            for i in range(start, start + n)
        )
        Invitation.objects.bulk_create(
            Invitation(
                person=p,
                email=p.email,
                token_hash=f"{p.pk:064d}",
                invited_by=hr_admin,
                expires_at=now + timedelta(days=-1 if i % 2 else 3),
                revoked_at=now if i % 5 == 0 else None,
            )
            for i, p in enumerate(people)
        )

    def count(params):
        with count_queries() as queries:
            response = client.get(reverse("profiles:invitations"), params)
            assert response.status_code == 200
        return len(queries), response

    make(10, 0)
    small, _ = count({})
    make(200, 10)
    big, response = count({})
    assert small == big and len(response.context["page"].object_list) == 50
    for status in ("open", "expired", "revoked"):
        _, response = count({"status": status})
        assert {i.status for i in response.context["page"]} == {status}


# --- Accepting: the sign-up -------------------------------------------------------------------------------


def _invited_token(client, hr_admin, person, django_capture_on_commit_callbacks) -> str:
    with django_capture_on_commit_callbacks(execute=True):
        invitation_send(person=person, actor=hr_admin)
    return _token_of(mail.outbox[-1])


def _signup(client, email, password=PASSWORD):
    return client.post(
        reverse("account_signup"), {"email": email, "password1": password, "password2": password}
    )


def test_invited_person_signs_up_is_verified_logged_in_and_tied_to_their_entry(
    client, settings, hr_admin, invitee, eager_tasks, django_capture_on_commit_callbacks
):
    settings.ALLOWED_SIGNUP_DOMAINS = ["example.com"]  # the invitee's domain is not one of them
    token = _invited_token(client, hr_admin, invitee, django_capture_on_commit_callbacks)
    mail.outbox.clear()
    response = client.get(reverse("profiles:invitation_accept", args=[token]), follow=True)
    html = response.content.decode()
    assert response.redirect_chain[-1][0] == reverse("account_signup")
    form = response.context["form"]
    assert form.invitation is not None
    assert 'value="robin.invited@partner.test"' in html and "readonly" in html

    response = _signup(client, "robin.invited@partner.test")
    assert response.status_code == 302 and response["Location"] == reverse("home")
    user = User.objects.get(email="robin.invited@partner.test")
    assert client.session["_auth_user_id"] == str(user.pk)  # logged in at once
    assert mail.outbox == []  # no verification email: the invitation link proved the mailbox
    assert EmailAddress.objects.get(user=user).verified
    invitee.refresh_from_db()
    assert invitee.user == user and user.full_name == "Robin Invited"
    invitation = Invitation.objects.get(person=invitee)
    assert invitation.status == "accepted"
    # The link is used up.
    client.logout()
    response = client.get(reverse("profiles:invitation_accept", args=[token]))
    assert response.status_code == 404 and "already been used" in response.content.decode()

    # And they can log in again with their password.
    response = client.post(
        reverse("account_login"), {"login": "robin.invited@partner.test", "password": PASSWORD}
    )
    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert client.session["_auth_user_id"] == str(user.pk)


def test_signing_up_with_another_email_than_the_invited_one_is_refused(
    client, settings, hr_admin, invitee, eager_tasks, django_capture_on_commit_callbacks
):
    settings.ALLOWED_SIGNUP_DOMAINS = ["example.com"]
    token = _invited_token(client, hr_admin, invitee, django_capture_on_commit_callbacks)
    client.get(reverse("profiles:invitation_accept", args=[token]))
    # Even an address of an allowed domain: the invitation is for one address.
    response = _signup(client, "someone.else@example.com")
    assert response.status_code == 200
    assert "Your invitation is for robin.invited@partner.test" in str(
        response.context["form"].errors["email"]
    )
    assert not User.objects.filter(email="someone.else@example.com").exists()
    assert Invitation.objects.get(person=invitee).status == "open"


def test_an_invitation_revoked_before_sign_up_no_longer_lets_the_address_in(
    client, settings, hr_admin, invitee, eager_tasks, django_capture_on_commit_callbacks
):
    settings.ALLOWED_SIGNUP_DOMAINS = ["example.com"]
    token = _invited_token(client, hr_admin, invitee, django_capture_on_commit_callbacks)
    client.get(reverse("profiles:invitation_accept", args=[token]))
    invitation_revoke(invitation=Invitation.objects.get(person=invitee))
    response = _signup(client, "robin.invited@partner.test")
    assert response.status_code == 200
    assert "expired or was withdrawn" in str(response.context["form"].errors["email"])
    assert not User.objects.filter(email="robin.invited@partner.test").exists()


def test_sign_up_by_domain_without_invitation_still_needs_verification(client, settings):
    settings.ALLOWED_SIGNUP_DOMAINS = ["example.com"]
    person = PersonFactory(email="new.joiner@example.com")
    response = _signup(client, "new.joiner@example.com")
    assert response["Location"] == reverse("account_email_verification_sent")
    user = User.objects.get(email="new.joiner@example.com")
    assert not EmailAddress.objects.get(user=user).verified
    assert "_auth_user_id" not in client.session
    person.refresh_from_db()
    assert person.user == user


def test_accept_refuses_another_address_and_a_person_who_has_a_login(hr_admin, invitee, mentor):
    invitation = invitation_send(person=invitee, actor=hr_admin)
    with pytest.raises(ValidationError, match="another email address"):
        invitation_accept(invitation=invitation, user=UserFactory(email="other@partner.test"))
    user = UserFactory(email=invitation.email)
    person = invitation_accept(invitation=invitation, user=user)
    assert person == invitee and Person.objects.get(pk=invitee.pk).user == user
    with pytest.raises(ValidationError, match="accepted"):
        invitation_accept(invitation=invitation, user=user)
