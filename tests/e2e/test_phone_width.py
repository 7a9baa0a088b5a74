"""Every role on a phone (issue 13): at 390 px wide every HR page with a table fits the screen, its key column in
view (a table either stacks into cards, each cell labelled, or scrolls sideways in a region of its own),
and axe finds no serious or critical violation there or at 1280 px. The visual bugs reported with the
issue stay fixed: the matching page's "Preview the effect" button is readable, the swap drop-downs of a
run and the decline-reason placeholder show their whole text.

One login and one page for every visit, to keep the test quick. The demo company is seeded; a matching
run of the Winter pilot (left to review) and an invitation are added as setup, so each page has data."""

from collections.abc import Callable
from dataclasses import dataclass

from axe_playwright_python.sync_playwright import Axe
from django.db.models import Q
from django.urls import reverse
from playwright.sync_api import Page, expect

from checkins.models import CheckIn, Concern, Meeting
from pairings import services as pairing_services
from pairings.models import Pairing
from profiles import services as profile_services
from profiles.models import Person, User
from programs.demo import AUTUMN, PAST, SPRING, WINTER
from programs.models import Enrollment, Program, Survey
from tests.e2e.conftest import DESKTOP, PHONE, login, logout, overflow


@dataclass(frozen=True)
class HrPage:
    name: str
    path: str
    key: str | None  # the column header (for cards, the cells' label) that must be in view at 390 px
    cards: bool = False
    check: Callable[[Page], None] | None = None  # a reported bug that must stay fixed, at both widths


# A contrast ratio as WCAG defines it, between an element's text colour and the first opaque background
# behind it.
CONTRAST = """el => {
  const rgb = s => s.match(/[\\d.]+/g).map(Number);
  const lum = ([r, g, b]) => [r, g, b].map(c => { c /= 255; return c <= .03928 ? c / 12.92 : ((c + .055) / 1.055) ** 2.4; })
    .reduce((sum, c, i) => sum + c * [.2126, .7152, .0722][i], 0);
  let bg = null;
  for (let node = el; node && !bg; node = node.parentElement) {
    const colour = rgb(getComputedStyle(node).backgroundColor);
    if (colour.length === 3 || colour[3] === 1) bg = colour.slice(0, 3);
  }
  const [a, b] = [lum(rgb(getComputedStyle(el).color).slice(0, 3)), lum(bg || [255, 255, 255])];
  return (Math.max(a, b) + .05) / (Math.min(a, b) + .05);
}"""

# How many pixels of `text` a form control cannot show: the text measured in the control's font, less
# the room inside its padding (a select's padding leaves room for its arrow).
CUT_OFF = """(el, text) => {
  const style = getComputedStyle(el);
  const context = document.createElement('canvas').getContext('2d');
  context.font = style.font;
  const room = el.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  return Math.max(0, Math.ceil(context.measureText(text).width - room));
}"""


def _preview_button_is_readable(page):
    # It was blue on blue: the button had both btn-primary and btn-outline-primary.
    assert page.get_by_role("button", name="Preview the effect").evaluate(CONTRAST) >= 4.5


def _swap_choices_show_whole_names(page):
    swaps = page.locator(".swap-form select")
    assert swaps.count() > 1
    for select in swaps.all():
        longest = max(select.locator("option").all_inner_texts(), key=len)
        assert select.evaluate(CUT_OFF, longest) == 0, f"{longest!r} is cut off"


def _decline_reason_placeholder_shows_whole(page):
    reason = page.locator("input[name=reason]").first
    placeholder = reason.get_attribute("placeholder")
    assert reason.evaluate(CUT_OFF, placeholder) == 0, f"{placeholder!r} is cut off"


def _hr_pages():
    programs = {p.name: p.pk for p in Program.objects.filter(name__in=[SPRING, WINTER, AUTUMN, PAST])}
    hr = User.objects.get(email="hr@example.com")
    # Setup, not the UI under test: a run of the Winter pilot left to review (its task runs inline), and
    # an invitation (the invitations page has a row, and the outbox a sent message).
    run = pairing_services.match_run_start(program=Program.objects.get(pk=programs[WINTER]), actor=hr)
    invitee = Person.objects.filter(user__isnull=True, is_active=True).order_by("employee_id").first()
    profile_services.invitation_send(person=invitee, actor=hr)
    concern = Concern.objects.order_by("pk").first()
    survey = Survey.objects.filter(program_id=programs[PAST]).order_by("pk").first()
    person = Person.objects.get(email="mentor@example.com")
    matching = f"/pairings/programs/{programs[WINTER]}/matching/"
    return [
        HrPage("pair health", "/mentoring/hr/pair-health/", "At risk", cards=True),
        HrPage(
            "enrollments",
            f"/programs/manage/{programs[SPRING]}/enrollments/",
            "Decision",
            cards=True,
            check=_decline_reason_placeholder_shows_whole,
        ),
        HrPage("directory", "/people/", "Name"),
        HrPage("a person", f"/people/{person.pk}/", None),
        HrPage("invitations", "/people/invitations/", "Person"),
        HrPage("roles", "/people/roles/", "Roles"),
        HrPage("audit trail", "/people/audit/", "What"),
        HrPage("concerns", "/mentoring/hr/concerns/", "Pair"),
        HrPage("a pair's concerns", f"/mentoring/hr/concerns/?pairing={concern.pairing_id}", "Pair"),
        HrPage("outbox", "/mentoring/hr/operations/", "To"),
        HrPage("matching", matching, None, check=_preview_button_is_readable),
        HrPage("a run", f"{matching}runs/{run.pk}/", "Mentor", check=_swap_choices_show_whole_names),
        HrPage("a program's pairs", f"/pairings/programs/{programs[AUTUMN]}/pairs/", "Status"),
        HrPage("programs", "/programs/manage/", "Program"),
        HrPage("a program", f"/programs/manage/{programs[SPRING]}/", None),
        HrPage("surveys", f"/programs/manage/{programs[PAST]}/surveys/", "Survey"),
        HrPage("a survey's summary", f"/programs/surveys/{survey.pk}/summary/", "Figure"),
        HrPage("dashboards", "/dashboards/", "Step"),
    ]


def _assert_key_in_view(page, hr_page):
    """The key column's name is wholly on screen once the page is scrolled down to it. Only the page
    scrolls, never a table's region: a column reached only by scrolling its region sideways fails."""
    if hr_page.cards:
        key = page.locator(f'tbody td[data-label="{hr_page.key}"]').first
        label = key.evaluate("el => getComputedStyle(el, '::before').content")
        assert label == f'"{hr_page.key}"', f"the cells of {hr_page.name} show {label}, not their column"
    else:
        key = page.get_by_role("columnheader", name=hr_page.key, exact=True).first
    key.evaluate("el => window.scrollTo(0, el.getBoundingClientRect().top + window.scrollY - 80)")
    expect(key, f"{hr_page.key} on {hr_page.name}").to_be_in_viewport(ratio=1)


def _serious_violations(axe, page, where):
    """axe's serious and critical violations on the page as it stands, as lines of a report."""
    if not page.evaluate("() => 'axe' in window"):  # once per page load, not again for the second width
        page.evaluate(axe.axe_script)
    response = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{where}: {v['id']} ({v['impact']}) at {[node['target'] for node in v['nodes']][:3]}"
        for v in response["violations"]
        if v["impact"] in {"serious", "critical"}
    ]


def _participant_pages(email: str) -> list[str]:
    """Every page a participant of the demo uses, with their own pairing, check-in and enrollment."""
    person = Person.objects.get(email=email)
    pairing = (
        Pairing.objects.filter(
            Q(mentor__person=person) | Q(mentee__person=person), status=Pairing.Status.ACTIVE
        )
        .order_by("pk")
        .first()
    )
    checkin = CheckIn.objects.filter(pairing=pairing).order_by("-happened_on").first()
    enrollment = Enrollment.objects.filter(person=person).order_by("pk").first()
    paths = [
        reverse("checkins:home"),
        reverse("pairings:detail", args=[pairing.pk]),
        reverse("checkins:journal", args=[pairing.pk]),
        reverse("checkins:log", args=[pairing.pk]),
        reverse("checkins:plan", args=[pairing.pk]),
        reverse("checkins:checkin", args=[checkin.pk]),
        reverse("checkins:reflection", args=[checkin.pk]),
        reverse("checkins:goal_review", args=[pairing.pk]),
        reverse("checkins:concern_new", args=[pairing.pk]),
        reverse("pairings:goal_add", args=[pairing.pk]),
        reverse("checkins:notifications"),
        reverse("checkins:preferences"),
        reverse("programs:open"),
        reverse("programs:my_enrollment", args=[enrollment.pk]),
        reverse("profiles:my_profile"),
        reverse("profiles:account"),
        reverse("pairings:requests"),
    ]
    meeting = Meeting.objects.filter(pairing=pairing, status=Meeting.Status.PLANNED).first()
    if meeting:
        paths.append(reverse("checkins:meeting_cancel", args=[meeting.pk]))
    if pairing.mentee.person_id == person.pk:
        paths.append(reverse("checkins:action_new", args=[pairing.pk]))
    return paths


def _check_widths(page, axe, where: str, check=None) -> list[str]:
    """Fits a phone and a desktop, with no serious accessibility violation at either width."""
    violations = []
    for size, label in ((PHONE, "390 px"), (DESKTOP, "1280 px")):
        page.set_viewport_size(size)
        assert overflow(page) <= 1, f"{where} is {overflow(page)} px wider than {label}"
        if check:
            check(page)
        violations += _serious_violations(axe, page, f"{where} at {label}")
    return violations


def test_every_page_of_every_role_fits_a_phone_and_stays_accessible(page, demo_company, celery_eager):
    hr_pages = _hr_pages()
    page.set_viewport_size(PHONE)
    login(page, "hr@example.com")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    axe = Axe()
    violations = []
    for hr_page in hr_pages:
        page.set_viewport_size(PHONE)
        response = page.goto(hr_page.path)
        assert response.ok, f"{hr_page.name}: {response.status}"
        assert overflow(page) <= 1, f"{hr_page.name} is {overflow(page)} px wider than a phone"
        if hr_page.key:
            _assert_key_in_view(page, hr_page)
        if hr_page.check:
            hr_page.check(page)
        violations += _serious_violations(axe, page, f"{hr_page.name} at 390 px")

        page.set_viewport_size(DESKTOP)
        assert overflow(page) <= 1, f"{hr_page.name} is {overflow(page)} px wider than 1280 px"
        if hr_page.check:
            hr_page.check(page)
        violations += _serious_violations(axe, page, f"{hr_page.name} at 1280 px")

    # The participants (a junior mentor and a senior mentee) and a leader, each on every page of theirs.
    others = {
        "mentor@example.com": _participant_pages("mentor@example.com"),
        "mentee@example.com": _participant_pages("mentee@example.com"),
        "leader@example.com": [reverse("dashboards:index")],
    }
    for email, paths in others.items():
        logout(page)
        page.set_viewport_size(DESKTOP)
        login(page, email)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        for path in paths:
            response = page.goto(path)
            assert response.ok, f"{email} {path}: {response.status}"
            violations += _check_widths(page, axe, f"{email} {path}")
    assert violations == [], "\n".join(violations)
