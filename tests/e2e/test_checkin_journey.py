"""A pair runs its relationship in Twoway: check-in on both sides, a goal, an action, a concern."""

import re

from playwright.sync_api import expect

from tests.e2e.conftest import assert_accessible, hr_menu, login, logout


def test_mentor_logs_mentee_adds_side_and_action_mentor_raises_a_concern_hr_sees_it(page, demo_company):
    login(page, "mentor@example.com")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="My mentoring").click()
    expect(page.get_by_role("heading", name=re.compile("You mentor Martin Keller"))).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Log a check-in").first.click()
    page.get_by_label("How long (minutes)").fill("50")
    page.get_by_label("New technology").check()
    page.get_by_label("Shared notes").fill("We tried three AI note-takers on a real meeting.")
    page.get_by_label("What I learned").fill("How the leadership team decides which pilots get budget.")
    page.get_by_label("What I would change next time").fill("Bring a real example from my team.")
    page.get_by_label("Private notes").fill("PRIVATE: I was nervous at first.")
    assert_accessible(page)
    page.get_by_role("button", name="Log the check-in").click()
    # The rating was forgotten: the browser stops the form (the field is required) and keeps every word.
    expect(page).to_have_url(re.compile(r"/log/$"))
    expect(page.get_by_label("What I learned")).to_have_value(
        "How the leadership team decides which pilots get budget."
    )
    page.get_by_label("4", exact=True).check()
    page.get_by_role("button", name="Log the check-in").click()
    expect(page.get_by_text("Check-in logged. Your partner is asked to add their side.")).to_be_visible()
    expect(page.get_by_text("PRIVATE: I was nervous at first.")).to_be_visible()  # the author sees their own
    assert_accessible(page)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="My mentoring").click()
    page.get_by_role("link", name="Raise a concern with HR in confidence").click()
    page.get_by_label("What happened (only HR reads this)").fill(
        "CONFIDENTIAL: he checks his phone all the time."
    )
    page.get_by_role("button", name="Send to HR in confidence").click()
    expect(page.get_by_text("Sent to HR in confidence. Your partner is not told.")).to_be_visible()
    logout(page)

    login(page, "mentee@example.com")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="My mentoring").click()
    page.get_by_role("link", name=re.compile("Add your side to the check-in")).first.click()
    page.get_by_label("What I learned").fill("Where my teams already use AI without telling me.")
    page.get_by_label("5", exact=True).check()
    page.get_by_label(re.compile("Progress of “Use an AI assistant")).fill("90")
    page.get_by_role("button", name="Save my side").click()
    expect(page.get_by_text("Your side is saved.")).to_be_visible()
    expect(page.get_by_text("How the leadership team decides which pilots get budget.")).to_be_visible()
    expect(page.get_by_text("PRIVATE: I was nervous at first.")).to_have_count(0)
    expect(page.get_by_text("CONFIDENTIAL")).to_have_count(0)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="My mentoring").click()
    page.get_by_role("link", name="Record what you changed").click()
    page.get_by_label("What changed").select_option("policy")
    page.get_by_label("In a line").fill("Reverse-mentoring insights are now on every leadership agenda")
    page.get_by_label("Measured effect (optional)").fill("3 pilots started")
    page.get_by_label("Share on the leaders' dashboard").check()
    page.get_by_role("button", name="Record it").click()
    expect(page.get_by_text("Reverse-mentoring insights are now on every leadership agenda")).to_be_visible()
    expect(page.get_by_text("CONFIDENTIAL")).to_have_count(0)
    logout(page)

    login(page, "hr@example.com")
    hr_menu(page, "Concerns")
    expect(page.get_by_text("CONFIDENTIAL")).to_have_count(0)  # the queue lists, it doesn't quote
    page.get_by_role("link", name=re.compile("Maya Chen|Open|Handle|View")).first.click()
    expect(page.get_by_text("CONFIDENTIAL: he checks his phone all the time.")).to_be_visible()
    assert_accessible(page)
    hr_menu(page, "Pair health")
    expect(page.get_by_text("PRIVATE")).to_have_count(0)
    expect(page.get_by_text("We tried three AI note-takers")).to_have_count(0)
