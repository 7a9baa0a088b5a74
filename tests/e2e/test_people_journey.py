"""HR opens a program, brings a new hire into the directory by CSV, invites them; the new hire signs up
from the emailed link, enrolls, and HR approves. All through the real UI; the email is read from Django's
test outbox (the invitation task runs inline in the live server with `celery_eager`)."""

import re
from datetime import timedelta
from urllib.parse import urlsplit

from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from tests.e2e.conftest import assert_accessible, fresh_page, hr_menu, login, logout

PROGRAM = "Data skills exchange 2027"
NEW_HIRE = "new.hire@example.com"
NEW_HIRE_NAME = "Nia Okoye"

CSV_WITH_ERRORS = (
    "email,full_name,job_title,department,level,manager_email\n"
    f"{NEW_HIRE},{NEW_HIRE_NAME},Junior Data Analyst,Finance,12,hr@example.com\n"
    "not-an-email,,Analyst,Finance,2,nobody@example.com\n"
)
# The new hire reports to Hana Ruiz (hr@example.com), who is promoted in the same file: one to add, one
# to update. Her row repeats what the demo directory has for her, but for the job title.
CSV_CORRECT = (
    "email,full_name,job_title,department,level,manager_email,location,timezone\n"
    f"{NEW_HIRE},{NEW_HIRE_NAME},Junior Data Analyst,Finance,2,hr@example.com,Lisbon,Europe/Lisbon\n"
    "hr@example.com,Hana Ruiz,Head of People Programs,People & Culture,5,viktor.okafor@example.com,"
    "Bangalore,Asia/Kolkata\n"
)


def _create_enrolling_program(page, name):
    today = timezone.localdate()
    hr_menu(page, "Programs")
    page.get_by_role("link", name="New program").click()
    page.get_by_label("Name").fill(name)
    page.get_by_label("Description").fill(
        "Analysts show leaders how they work with data, and learn how plans are made."
    )
    page.get_by_label("Starts on").fill((today + timedelta(days=30)).isoformat())
    page.get_by_label("Ends on").fill((today + timedelta(days=200)).isoformat())
    page.get_by_label("Enrollment opens on").fill(today.isoformat())
    page.get_by_label("Enrollment closes on").fill((today + timedelta(days=14)).isoformat())
    page.get_by_role("button", name="Save program").click()
    expect(page.get_by_text("Program created as a draft")).to_be_visible()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Move to Enrolling").click()
    expect(page.get_by_text("The program is now Enrolling.")).to_be_visible()


def _upload(page, path):
    page.get_by_label("Employee CSV file").set_input_files(path)
    page.get_by_role("button", name="Check the file").click()


def test_hr_imports_and_invites_a_new_hire_who_signs_up_enrolls_and_is_approved(
    page, browser, live_server, demo_company, celery_eager, tmp_path
):
    login(page, "hr@example.com")
    _create_enrolling_program(page, PROGRAM)

    # --- The directory import: a file with errors first, then the corrected one ----------------------
    hr_menu(page, "People")
    expect(page.get_by_role("heading", name="Employee directory")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Import a CSV file").click()
    assert_accessible(page)
    with_errors = tmp_path / "hr-export-draft.csv"
    with_errors.write_text(CSV_WITH_ERRORS, encoding="utf-8")
    _upload(page, with_errors)
    expect(page.get_by_role("heading", name="What importing hr-export-draft.csv would do")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("Nothing will be imported.")
    errors = page.get_by_role("table", name="Every error in the file, by line")
    expect(
        errors.get_by_role("row", name=re.compile(r"^2 level must be a whole number from 1 to 9"))
    ).to_be_visible()
    expect(
        errors.get_by_role("row", name=re.compile(r"^3 email is not a valid email address"))
    ).to_be_visible()
    expect(errors.get_by_role("row", name=re.compile(r"^3 full_name a value is required"))).to_be_visible()
    expect(
        errors.get_by_role("row", name=re.compile(r"^3 manager_email no one with this email"))
    ).to_be_visible()
    expect(page.get_by_role("button", name="Import now")).to_have_count(0)
    assert_accessible(page)

    page.get_by_role("link", name="Upload a corrected file").click()
    correct = tmp_path / "hr-export.csv"
    correct.write_text(CSV_CORRECT, encoding="utf-8")
    _upload(page, correct)
    expect(page.get_by_role("heading", name="What importing hr-export.csv would do")).to_be_visible()
    counts = page.get_by_role("table", name="People in the directory after the import")
    expect(counts.get_by_role("row", name="To add")).to_contain_text("1")
    expect(counts.get_by_role("row", name="To update")).to_contain_text("1")
    expect(counts.get_by_role("row", name="Unchanged")).to_contain_text("0")
    expect(counts.get_by_role("row", name="To mark inactive")).to_contain_text("0")
    expect(
        page.get_by_role("table", name="People to add").get_by_role("row", name=re.compile(NEW_HIRE_NAME))
    ).to_be_visible()
    expect(page.get_by_role("table", name="People to update, with what changes")).to_contain_text(
        "job_title: People Programs Manager → Head of People Programs"
    )
    assert_accessible(page)
    page.get_by_role("button", name="Import now").click()
    expect(
        page.get_by_text("Directory imported: 1 added, 1 updated, 0 unchanged, 0 marked inactive.")
    ).to_be_visible()

    # --- The invitation, from the new hire's page ------------------------------------------------------
    page.get_by_role("searchbox", name="Name, email, job title or employee id").fill(NEW_HIRE)
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page.get_by_role("status")).to_have_text("1 person")
    page.get_by_role("link", name=NEW_HIRE_NAME).click()
    expect(page.get_by_role("heading", name=NEW_HIRE_NAME, level=1)).to_be_visible()
    expect(page.get_by_role("region", name="Reporting line")).to_contain_text(
        "Hana Ruiz, Head of People Programs"
    )
    assert_accessible(page)
    mail.outbox.clear()
    page.get_by_role("button", name=f"Invite {NEW_HIRE}").click()
    expect(page.get_by_text(f"Invitation sent to {NEW_HIRE}.")).to_be_visible()
    expect(page.get_by_role("region", name="Login and invitation")).to_contain_text("Invited:")

    invitations = [message for message in mail.outbox if message.to == [NEW_HIRE]]
    assert len(invitations) == 1, [(m.to, m.subject) for m in mail.outbox]
    invitation = invitations[0]
    assert invitation.subject == "Hana Ruiz invites you to Twoway, our reverse-mentoring program"
    assert f"Hello {NEW_HIRE_NAME}," in invitation.body
    link = re.search(r"https?://\S+/people/invitation/[\w-]+/", invitation.body).group(0)
    html, _mimetype = invitation.alternatives[0]
    assert link in html
    logout(page)

    # --- The new hire, on their own computer -----------------------------------------------------------
    with fresh_page(browser, live_server.url) as new_hire:
        new_hire.goto(urlsplit(link).path)  # the email's link names the configured SITE_URL, not this server
        expect(new_hire).to_have_url(re.compile(r"/accounts/signup/"))
        expect(new_hire.get_by_label("Email")).to_have_value(NEW_HIRE)
        expect(new_hire.get_by_label("Email")).not_to_be_editable()
        assert_accessible(new_hire)
        new_hire.get_by_label(re.compile(r"^\s*Password\W*$")).fill("pairs-learn-both-ways-27")
        new_hire.get_by_label("Password (again)").fill("pairs-learn-both-ways-27")
        new_hire.get_by_role("button", name="Sign Up").click()
        expect(new_hire.get_by_role("heading", level=1)).to_have_text("Welcome, Nia")
        expect(
            new_hire.get_by_text("You are in the directory as Junior Data Analyst, Finance.")
        ).to_be_visible()

        new_hire.get_by_role("link", name=f"Enroll in {PROGRAM}").click()
        new_hire.get_by_label("Mentor (shares what they know, usually the more junior)").check()
        new_hire.get_by_label("New technology").check()
        new_hire.get_by_label("Other topics").fill("dashboards, SQL")
        new_hire.get_by_label("What you hope to get out of it").fill(
            "Show how analysts use data day to day; learn how leaders set priorities."
        )
        new_hire.get_by_label("Preferred format").select_option("video")
        new_hire.get_by_label("Tuesday morning").check()
        new_hire.get_by_label("Languages").fill("English, Portuguese")
        for checkbox in new_hire.get_by_role("group", name="Before you join").get_by_role("checkbox").all():
            checkbox.check()
        new_hire.get_by_label("I take part by my own choice", exact=False).check()
        new_hire.get_by_role("button", name="Send my enrollment").click()
        expect(new_hire.get_by_text("Waiting for approval").first).to_be_visible()
        enrollment_url = new_hire.url

        # --- HR approves, in their own browser -------------------------------------------------------
        login(page, "hr@example.com")
        hr_menu(page, "Programs")
        page.get_by_role("link", name=PROGRAM).click()
        page.get_by_role("link", name="Enrollments").click()
        row = page.locator("tr", has_text=NEW_HIRE_NAME)
        expect(row).to_contain_text("Junior Data Analyst, Finance")
        row.get_by_label(f"Decision for {NEW_HIRE_NAME}").select_option("approved")
        row.get_by_role("button", name="Save decision").click()
        expect(page.locator("tr", has_text=NEW_HIRE_NAME).locator(".badge")).to_have_text("Approved")

        new_hire.goto(enrollment_url)
        expect(new_hire.get_by_role("heading", name=re.compile("Status"))).to_contain_text("Approved")
        expect(new_hire.get_by_text("You're in.")).to_be_visible()
        assert_accessible(new_hire)
