import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import assert_accessible, login

ROLES = [
    ("hr@example.com", "As an HR admin"),
    ("leader@example.com", "As a leader"),
    ("mentor@example.com", "You are in the directory as Social Media Associate"),
    ("mentee@example.com", "You are in the directory as Chief Financial Officer"),
]


def test_login_page_is_accessible(page, demo_company):
    page.goto("/accounts/login/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert_accessible(page)


@pytest.mark.parametrize(("email", "sees"), ROLES)
def test_each_demo_role_logs_in_and_sees_its_home(page, demo_company, email, sees):
    login(page, email)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome")
    expect(page.get_by_text(sees)).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))


def test_wrong_password_is_explained_and_the_email_is_kept(page, demo_company):
    login(page, "mentor@example.com", password="not-the-password")
    expect(
        page.get_by_text("The email address and/or password you specified are not correct.")
    ).to_be_visible()
    expect(page.get_by_label("Email")).to_have_value("mentor@example.com")
