import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.urls import reverse

from profiles.models import User
from tests.delivery import deliver
from tests.factories import PASSWORD, PersonFactory, UserFactory

LOGIN = "/accounts/login/"
SIGNUP = "/accounts/signup/"


def _signup(client, email, password="a-long-unusual-passphrase"):
    return client.post(SIGNUP, {"email": email, "password1": password, "password2": password})


@pytest.mark.django_db
def test_login_with_email_and_logout(client):
    user = UserFactory(email="ada@example.com")
    response = client.post(LOGIN, {"login": "ADA@example.com", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert client.get(reverse("home")).context["user"] == user
    response = client.post(reverse("account_logout"))
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 302  # back to the login page


@pytest.mark.django_db
def test_wrong_password_is_refused_without_saying_whether_the_account_exists(client):
    UserFactory(email="ada@example.com")
    known = client.post(LOGIN, {"login": "ada@example.com", "password": "wrong-password"})
    unknown = client.post(LOGIN, {"login": "nobody@example.com", "password": "wrong-password"})
    assert known.status_code == unknown.status_code == 200
    assert known.context["form"].errors == unknown.context["form"].errors


@pytest.mark.django_db
def test_login_is_rate_limited_after_repeated_bad_passwords(client):
    UserFactory(email="ada@example.com")
    for _ in range(5):
        response = client.post(LOGIN, {"login": "ada@example.com", "password": "wrong-password"})
        assert "Too many failed login attempts" not in response.content.decode()
    response = client.post(LOGIN, {"login": "ada@example.com", "password": PASSWORD})
    assert "Too many failed login attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session  # even the right password is refused for now


@pytest.mark.django_db
def test_signup_is_refused_for_a_foreign_domain(client, settings):
    settings.ALLOWED_SIGNUP_DOMAINS = ["example.com"]
    response = _signup(client, "someone@foreign.test")
    assert response.status_code == 200
    assert "Sign-up is open only to invited people" in str(response.context["form"].errors["email"])
    assert not User.objects.filter(email="someone@foreign.test").exists()
    assert mail.outbox == []


@pytest.mark.django_db
def test_signup_for_the_company_domain_requires_verification_before_login(client, settings):
    settings.ALLOWED_SIGNUP_DOMAINS = ["example.com"]
    person = PersonFactory(email="new.joiner@example.com", full_name="New Joiner")
    response = _signup(client, "New.Joiner@example.com")
    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    user = User.objects.get(email="new.joiner@example.com")
    person.refresh_from_db()
    assert person.user == user and user.full_name == "New Joiner"  # tied to the directory entry
    deliver()
    assert len(mail.outbox) == 1 and "new.joiner@example.com" in mail.outbox[0].to

    # Not verified yet: logging in sends the person to the verification page, not into the app.
    client.logout()
    response = client.post(
        LOGIN, {"login": "new.joiner@example.com", "password": "a-long-unusual-passphrase"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    assert "_auth_user_id" not in client.session
    assert not EmailAddress.objects.get(user=user).verified


@pytest.mark.django_db
def test_password_reset_link_goes_only_to_a_known_account_but_the_page_answers_the_same(client):
    UserFactory(email="ada@example.com")
    known = client.post("/accounts/password/reset/", {"email": "ada@example.com"})
    unknown = client.post("/accounts/password/reset/", {"email": "nobody@example.com"})
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]
    reset_links = [m for m in deliver() if "/accounts/password/reset/key/" in m.body]
    assert [m.to for m in reset_links] == [["ada@example.com"]]
