"""HR runs matching on the demo's Winter pilot, reviews the proposals (pin, swap, remove) and publishes;
then one published pair accepts, fills the agreement, sets a goal on each side and both confirm.

The matching run is a Celery task enqueued on commit. The test holds it back, sees the run page show
its progress, then runs the task as a worker would and sees the page's htmx polling reload it with the
proposals. Other tasks (the introduction emails) run inline in the live server with `celery_eager`.
The Winter pilot's people have no logins in the demo; the test gives two of them one (setup, not the UI
under test) to walk the pair's side.
"""

import re
from datetime import timedelta
from urllib.parse import urlsplit

from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from pairings.models import Pairing
from pairings.tasks import run_matching
from profiles.models import Person
from profiles.services import user_link_person
from tests.delivery import deliver
from tests.e2e.conftest import assert_accessible, hr_menu, login, logout
from tests.factories import PASSWORD, EnrollmentFactory, ProgramFactory, UserFactory

PROGRAM = "Tech immersion for leaders · Winter pilot"


def _proposal_rows(page):
    return page.get_by_role("region", name="Proposals").locator("tbody tr")


def _names(row):
    """(mentor, mentee) of a proposal row: each cell starts with the person's name."""
    mentor, mentee = (row.locator("td").nth(i).inner_text().split("\n")[0].strip() for i in (0, 1))
    return mentor, mentee


def _give_login(full_name):
    person = Person.objects.get(full_name=full_name, enrollments__program__name=PROGRAM)
    user = UserFactory(email=person.email, full_name="")
    assert user_link_person(user=user) == person
    return person.email


def _introduction(email):
    """The pairing introduction emailed to this person, and the path of its link."""
    (message,) = [m for m in mail.outbox if m.to == [email] and "reverse-mentoring partner" in m.subject]
    return message, urlsplit(re.search(r"https?://\S+/pairings/\d+/", message.body).group(0)).path


def _open_my_pairing(page, email):
    """Log in and follow the link of the introduction email (the email names SITE_URL, not this server)."""
    login(page, email, password=PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome")
    page.goto(_introduction(email)[1])


def test_hr_matches_reviews_and_publishes_and_a_pair_agrees(page, demo_company, celery_eager, monkeypatch):
    login(page, "hr@example.com")
    hr_menu(page, "Programs")
    page.get_by_role("link", name=PROGRAM).click()
    page.get_by_role("link", name="Matching", exact=True).click()
    expect(page.get_by_role("heading", name="Matching", level=1)).to_be_visible()
    assert_accessible(page)

    # Weights: preview the effect first (nothing saved), then save.
    page.get_by_label("Weight: shared topics").fill("5")
    page.get_by_role("button", name="Preview the effect").click()
    preview = page.get_by_role("status").filter(has_text="With these weights")
    expect(preview).to_contain_text(re.compile(r"\d+ pairs, \d+ people left unmatched, total score [\d.]+\."))
    expect(preview).to_contain_text("Nothing is saved until you save the settings.")
    expect(page.get_by_label("Weight: shared topics")).to_have_value(re.compile(r"^5(\.0)?$"))
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_text("Matching settings saved.")).to_be_visible()
    expect(page.get_by_label("Weight: shared topics")).to_have_value(re.compile(r"^5(\.0)?$"))

    # The run is queued for a worker: the page shows its progress and polls (htmx) until it is done.
    queued = []
    monkeypatch.setattr(run_matching, "delay", queued.append)
    page.get_by_role("button", name="Run matching now").click()
    expect(page).to_have_url(re.compile(r"/matching/runs/\d+/$"))
    expect(page.get_by_role("status")).to_contain_text(
        "Queued: the engine is looking for the best total score."
    )
    expect(page.get_by_role("progressbar", name="Matching progress")).to_be_visible()
    assert_accessible(page)
    run_matching(*queued)  # the worker picks the task up
    expect(page.get_by_role("heading", name="Proposals")).to_be_visible()
    expect(page.get_by_role("progressbar")).to_have_count(0)
    expect(page.get_by_text(re.compile(r"Ready to review: \d+ proposals, total score"))).to_be_visible()
    rows = _proposal_rows(page)
    expect(rows.first.locator("td").nth(3)).to_contain_text(re.compile(r"^Shares \d topics?: "))
    unmatched = page.get_by_role("region", name="Left unmatched, and why")
    expect(unmatched.get_by_role("listitem").first).to_contain_text("were paired with others")
    assert_accessible(page)
    count = rows.count()
    assert count >= 3

    # Pin the best pair: it is the one whose two people get logins below.
    pinned_mentor, pinned_mentee = _names(rows.nth(0))
    rows.nth(0).get_by_role("button", name="Pin", exact=True).click()
    expect(page.get_by_text("Pinned: this pair stays in every later run.")).to_be_visible()
    pinned = _proposal_rows(page).filter(has_text=pinned_mentor)
    expect(pinned).to_contain_text("pinned")
    expect(pinned.get_by_role("button", name="Unpin")).to_be_visible()

    # Swap the mentees of the second and third pairs.
    second_mentor, second_mentee = _names(rows.nth(1))
    third_mentor, third_mentee = _names(rows.nth(2))
    rows.nth(1).get_by_label(f"Swap mentee of {second_mentor} with").select_option(label=third_mentee)
    rows.nth(1).get_by_role("button", name="Swap", exact=True).click()
    expect(page.get_by_text("Mentees swapped; scores and explanations updated.")).to_be_visible()
    expect(_proposal_rows(page).filter(has_text=second_mentor)).to_contain_text(third_mentee)
    expect(_proposal_rows(page).filter(has_text=third_mentor)).to_contain_text(second_mentee)

    # Remove the last pair: both people join the unmatched list.
    last_mentor, last_mentee = _names(rows.nth(count - 1))
    rows.nth(count - 1).get_by_role("button", name="Remove", exact=True).click()
    expect(page.get_by_text("Proposal removed; both people are now listed as unmatched.")).to_be_visible()
    expect(_proposal_rows(page)).to_have_count(count - 1)
    expect(unmatched).to_contain_text(last_mentor)
    expect(unmatched).to_contain_text(last_mentee)

    deliver()  # what the demo had waiting goes first: the mailbox then holds only what publishing says
    mail.outbox.clear()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Publish these pairs").click()
    expect(page.get_by_text(f"Published {count - 1} pairs.")).to_be_visible()
    deliver()  # the next tick's sweep
    assert len(mail.outbox) == 2 * (count - 1)
    assert all(
        m.subject.startswith("Meet your reverse-mentoring partner") for m in mail.outbox
    )  # each person of each pair is introduced to the other
    expect(page.get_by_role("heading", name="Pairs", level=1)).to_be_visible()
    pairs = page.get_by_role("table", name="The program's pairs with their status")
    expect(pairs.locator("tbody tr")).to_have_count(count - 1)
    expect(pairs.locator("tbody tr").filter(has_text="Awaiting acceptance")).to_have_count(count - 1)
    expect(pairs.locator("tr", has_text=pinned_mentor)).to_contain_text("mentor to answer; mentee to answer")
    assert_accessible(page)
    logout(page)

    # --- The pinned pair: each gets a login (test setup), then both walk their side in the UI --------
    mentor_email, mentee_email = _give_login(pinned_mentor), _give_login(pinned_mentee)

    message, pairing_path = _introduction(mentor_email)
    assert message.subject == f"Meet your reverse-mentoring partner: {pinned_mentee}"
    assert f"In {PROGRAM}, you will mentor {pinned_mentee}" in message.body
    # The mentor finds the pairing on their home page too.
    login(page, mentor_email, password=PASSWORD)
    expect(page.get_by_text(f"You mentor {pinned_mentee} in {PROGRAM}.")).to_be_visible()
    page.get_by_role("link", name="Answer now").click()
    expect(page).to_have_url(re.compile(re.escape(pairing_path) + "$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Your pairing with {pinned_mentee}")
    expect(page.get_by_role("region", name="Your mentee")).to_contain_text("Why you two")
    assert_accessible(page)
    page.get_by_role("button", name="Yes, let's work together").click()
    expect(page.get_by_text("Thank you. We're waiting for your partner's answer.")).to_be_visible()
    logout(page)

    _open_my_pairing(page, mentee_email)
    page.get_by_role("button", name="Yes, let's work together").click()
    expect(page.get_by_text("You're paired! Now agree together how you'll work.")).to_be_visible()
    agreement = page.get_by_role("region", name="Your agreement")
    agreement.get_by_label("Meet every (days)").fill("21")
    agreement.get_by_label("How we meet").select_option("video")
    agreement.get_by_label("Topics that are off-limits").fill("Salaries and anyone's performance review.")
    agreement.get_by_role("button", name="Save agreement").click()
    expect(page.get_by_text("Agreement saved. Both of you confirm it again.")).to_be_visible()
    expect(agreement.get_by_label("Meet every (days)")).to_have_value("21")
    target = (timezone.localdate() + timedelta(days=90)).isoformat()
    goals = page.get_by_role("region", name="Goals on both sides")
    goals.get_by_label("Whose goal").select_option("mentee")
    goals.get_by_label(re.compile(r"^\s*Goal\W*$")).fill("Run a team retro with an online whiteboard")
    goals.get_by_label("What success looks like").fill("I run one retro myself, no help needed.")
    goals.get_by_label("Target date").fill(target)
    goals.get_by_role("button", name="Add goal").click()
    expect(page.get_by_text("Goal saved.")).to_be_visible()
    assert_accessible(page)
    # Both sides learn: confirming waits for a goal of the mentor's too.
    agreement.get_by_role("button", name="I confirm this agreement").click()
    expect(
        page.get_by_text("Before confirming, add at least one goal for each side (missing: mentor).")
    ).to_be_visible()
    logout(page)

    _open_my_pairing(page, mentor_email)
    expect(agreement.get_by_label("Topics that are off-limits")).to_have_value(
        "Salaries and anyone's performance review."
    )
    expect(goals).to_contain_text("Run a team retro with an online whiteboard")
    goals.get_by_label("Whose goal").select_option("mentor")
    goals.get_by_label(re.compile(r"^\s*Goal\W*$")).fill("Pitch a project to a leadership audience")
    goals.get_by_label("What success looks like").fill("I present once at a leadership meeting.")
    goals.get_by_label("Target date").fill(target)
    goals.get_by_role("button", name="Add goal").click()
    expect(page.get_by_text("Goal saved.")).to_be_visible()
    agreement.get_by_role("button", name="I confirm this agreement").click()
    expect(page.get_by_text("Confirmed. Your partner confirms next.")).to_be_visible()
    expect(agreement).to_contain_text("You confirmed; your partner confirms next.")
    logout(page)

    _open_my_pairing(page, mentee_email)
    agreement.get_by_role("button", name="I confirm this agreement").click()
    expect(page.get_by_text("Agreement confirmed by both of you.", exact=True)).to_be_visible()
    expect(agreement).to_contain_text("Confirmed by both of you.")
    expect(agreement.get_by_role("button", name="I confirm this agreement")).to_have_count(0)
    expect(goals.get_by_role("listitem")).to_have_count(2)


def test_a_pairing_awaiting_an_answer_offers_one_way_out_with_a_labelled_reason(page, mentor, mentee):
    program = ProgramFactory(state="matching")
    pairing = Pairing.objects.create(
        program=program,
        mentor=EnrollmentFactory(program=program, person=mentor.person, role="mentor", status="approved"),
        mentee=EnrollmentFactory(program=program, person=mentee.person, role="mentee", status="approved"),
        score=1,
    )
    login(page, mentor.email, password=PASSWORD)
    page.goto(f"/pairings/{pairing.pk}/")
    # Before answering, the one way out is "Say no" (not also "End the pairing").
    expect(page.get_by_role("button", name="End the pairing")).to_have_count(0)
    reason_boxes = page.locator("textarea[name$=reason]")
    expect(reason_boxes).to_have_count(1)
    # It is named by its own label; axe misses this (it matches labels by their `for` text).
    assert reason_boxes.evaluate_all("boxes => boxes.map(box => box.labels.length)") == [1]
    # Once they said yes and wait for their partner, ending is how they step back, with its own label.
    page.get_by_role("button", name="Yes, let's work together").click()
    expect(page.get_by_role("button", name="End the pairing")).to_be_visible()
    reason_boxes = page.locator("textarea[name$=reason]")
    expect(reason_boxes).to_have_count(1)
    assert reason_boxes.evaluate_all("boxes => boxes.map(box => box.labels.length)") == [1]
