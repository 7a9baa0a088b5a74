"""Browser journeys: Playwright drives Debian's Chromium against pytest-django's live server."""

import shutil
from contextlib import contextmanager

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core.management import call_command
from playwright.sync_api import sync_playwright

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    console_errors = []
    page.on("console", lambda message: message.type == "error" and console_errors.append(message.text))
    yield page
    context.close()
    # A Content-Security-Policy violation or a script error shows up here.
    assert console_errors == [], console_errors


@pytest.fixture
def demo_company(transactional_db, settings):
    settings.DEBUG = True  # seed_demo refuses to run otherwise; the live server still serves as in production
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    settings.DEBUG = False


PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def overflow(page) -> int:
    """How far the document is wider than the window, in pixels."""
    return page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")


def login(page, email, password="twoway-demo-login"):
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign In", exact=True).click()  # not "Sign in with a passkey"


def hr_menu(page, item):
    """Open the HR menu of the navigation and follow one of its links."""
    nav = page.get_by_role("navigation", name="Main")
    nav.get_by_role("button", name="HR").or_(nav.get_by_role("link", name="HR", exact=True)).click()
    nav.get_by_role("link", name=item, exact=True).click()


def logout(page):
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/accounts/login/**")


def assert_accessible(page):
    """axe-core finds no serious or critical violation on the page as it stands."""
    results = Axe().run(page)
    bad = [v for v in results.response["violations"] if v["impact"] in {"serious", "critical"}]
    assert bad == [], results.generate_report()


@contextmanager
def fresh_page(browser, base_url):
    """A page in a browser context of its own (no cookies shared with `page`), as a second person on
    another computer. Like the `page` fixture, it fails on any console error."""
    context = browser.new_context(base_url=base_url)
    other = context.new_page()
    console_errors = []
    other.on("console", lambda message: message.type == "error" and console_errors.append(message.text))
    try:
        yield other
    finally:
        context.close()
    assert console_errors == [], console_errors
