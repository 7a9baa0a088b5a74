"""HR creates a program and opens it; an employee enrolls; HR approves. All through the real UI."""

import re
from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from tests.e2e.conftest import assert_accessible, hr_menu, login, logout


def test_hr_creates_a_program_an_employee_enrolls_and_hr_approves(page, demo_company):
    today = timezone.localdate()
    login(page, "hr@example.com")
    hr_menu(page, "Programs")
    page.get_by_role("link", name="New program").click()
    page.get_by_label("Name").fill("Culture exchange 2027")
    page.get_by_label("Description").fill("Juniors show leaders the tools and habits of their teams.")
    page.get_by_label("Starts on").fill((today + timedelta(days=30)).isoformat())
    page.get_by_label("Ends on").fill((today + timedelta(days=200)).isoformat())
    page.get_by_label("Enrollment opens on").fill(today.isoformat())
    # A mistake first: enrollment closing before it opens is explained at the field, and nothing is lost.
    page.get_by_label("Enrollment closes on").fill((today - timedelta(days=1)).isoformat())
    page.get_by_role("button", name="Save program").click()
    expect(page.get_by_text("Enrollment must close on or after it opens.")).to_be_visible()
    expect(page.get_by_label("Name")).to_have_value("Culture exchange 2027")
    page.get_by_label("Enrollment closes on").fill((today + timedelta(days=14)).isoformat())
    page.get_by_role("button", name="Save program").click()
    expect(page.get_by_text("Program created as a draft")).to_be_visible()
    assert_accessible(page)

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Move to Enrolling").click()
    expect(page.get_by_text("The program is now Enrolling.")).to_be_visible()
    logout(page)

    login(page, "mentor2@example.com")
    page.get_by_role("link", name="Join a program").click()
    page.get_by_role("link", name="Enroll in Culture exchange 2027").click()
    page.get_by_label("Mentor (shares what they know, usually the more junior)").check()
    page.get_by_label("New technology").check()
    page.get_by_label("Other topics").fill("AI tools, short video")
    page.get_by_label("What you hope to get out of it").fill(
        "Show how my team uses AI; learn how budgets are decided."
    )
    page.get_by_label("Preferred format").select_option("video")
    page.get_by_label("Tuesday morning").check()
    page.get_by_label("Languages").fill("English, Spanish")
    assert_accessible(page)
    page.get_by_role("button", name="Send my enrollment").click()
    expect(page.get_by_text("Please confirm each of these to join the program.")).to_be_visible()
    expect(page.get_by_label("Other topics")).to_have_value("AI tools, short video")
    for checkbox in page.get_by_role("group", name="Before you join").get_by_role("checkbox").all():
        checkbox.check()
    page.get_by_label("I take part by my own choice.").check()
    page.get_by_role("button", name="Send my enrollment").click()
    expect(page.get_by_text("Waiting for approval").first).to_be_visible()
    logout(page)

    login(page, "hr@example.com")
    hr_menu(page, "Programs")
    page.get_by_role("link", name="Culture exchange 2027").click()
    page.get_by_role("link", name="Enrollments").click()
    row = page.locator("tr", has_text="Tomás Reyes")
    row.get_by_label("Decision for Tomás Reyes").select_option("approved")
    row.get_by_role("button", name="Save decision").click()
    expect(page.locator("tr", has_text="Tomás Reyes").locator(".badge")).to_have_text("Approved")
    assert_accessible(page)
    logout(page)

    login(page, "mentor2@example.com")
    page.get_by_role("link", name="Culture exchange 2027").click()
    expect(page.get_by_text("You're in.")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/programs/enrollments/\d+/"))
