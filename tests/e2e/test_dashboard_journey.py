"""A leader opens the success dashboard of the demo company: charts beside their tables, filters and the
weekly trend, a CSV of a table, and a board report printed to PDF, all accessible."""

import csv
import io
import re

from playwright.sync_api import expect

from tests.e2e.conftest import DESKTOP, PHONE, assert_accessible, login, overflow


def test_a_leader_reads_the_dashboard_exports_a_table_and_prints_a_board_report(page, demo_company, tmp_path):
    login(page, "leader@example.com")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Dashboards").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Success dashboard")
    expect(page.get_by_text("A figure drawn from fewer than 5 people shows")).to_be_visible()

    # Every section of the four levels, and charts drawn from the tables beside them.
    for section in (
        "Reach and activity",
        "Reaction",
        "Behaviour: you said, we did",
        "Results",
        "Executive reliability",
    ):
        expect(page.get_by_role("heading", name=section, level=2)).to_be_visible()
    funnel = page.locator("#table-funnel")
    expect(funnel.get_by_role("rowheader", name="Completed the program")).to_be_visible()
    expect(page.locator("#chart-funnel")).to_have_attribute("role", "img")
    drawn = page.evaluate(
        "Array.from(document.querySelectorAll('canvas[data-chart-for]')).filter(c => c.width > 0).length"
    )
    assert drawn >= 8
    results = page.locator("#table-results")
    expect(results.get_by_role("rowheader", name="Junior mentors")).to_be_visible()
    expect(results.locator("td").first).to_have_text(re.compile(r"^\d+$"))  # the mentors' count is shown
    assert_accessible(page)

    # A filter, and the trends by week.
    page.get_by_label("Program", exact=True).select_option("Reverse mentoring")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"family=Reverse"))
    page.get_by_role("link", name="week", exact=True).click()
    expect(page.locator("#table-trend-activity").get_by_role("columnheader", name="Week of")).to_be_visible()

    # A narrow choice says so instead of showing figures.
    page.goto("/dashboards/?department=Legal")  # not a department of the demo: refused at its field
    expect(page.get_by_text("Select a valid choice")).to_be_visible()

    # CSV of a table, formulas neutralised by the same writer as every export.
    page.goto("/dashboards/")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV of Enrollment funnel").click()
    rows = list(csv.reader(io.StringIO(open(download.value.path(), encoding="utf-8-sig").read())))  # noqa: SIM115
    assert rows[0] == ["Step", "Both sides", "Junior mentors", "Senior mentees"]
    assert rows[1][0] == "Invited, or enrolled on their own" and rows[1][1].isdigit()

    # The board report: the print layout hides the navigation and the controls, stays accessible, and
    # Chromium prints it to a PDF.
    expect(page.get_by_role("button", name="Print a board report")).to_be_visible()
    page.emulate_media(media="print")
    expect(page.get_by_role("navigation", name="Main")).to_be_hidden()
    expect(page.get_by_role("button", name="Print a board report")).to_be_hidden()
    expect(page.get_by_text("Board report: All programs")).to_be_visible()
    assert_accessible(page)
    pdf = page.pdf(path=str(tmp_path / "board-report.pdf"), format="A4", print_background=True)
    assert pdf.startswith(b"%PDF") and len(pdf) > 20_000
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) >= 3

    # A phone turned sideways and back, or a window made narrow: until Chart.js has redrawn a chart at the
    # new width (its ResizeObserver fires a frame or more later; here it never does), the chart's canvas
    # still has the old width in pixels, and it must not make the page wider than the screen. A tester's
    # run once saw the dashboard 721 px wider than a 390 px phone in that frame.
    page.emulate_media(media="screen")
    page.add_init_script("window.ResizeObserver = class { observe() {} unobserve() {} disconnect() {} };")
    page.set_viewport_size(DESKTOP)
    page.goto("/dashboards/")
    expect(page.locator("#chart-funnel")).to_have_attribute("role", "img")
    page.set_viewport_size(PHONE)
    wider = overflow(page)
    assert wider <= 1, f"the dashboard is {wider} px wider than a phone before its charts redraw"
