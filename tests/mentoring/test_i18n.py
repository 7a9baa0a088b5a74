"""German, the second language (issue 13): every string translated, pages in the reader's language, the
switch, and every message in its recipient's language, whoever caused it."""

import gettext
import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import timezone, translation

from checkins import services as checkin_services
from pairings import services as pairing_services
from profiles.models import Notification, User
from programs import services as program_services
from tests.delivery import deliver
from tests.factories import ProgramFactory

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "locale" / "de" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")
# What makemessages reads: the project without what it is told to ignore.
NOT_SCANNED = (
    ".git",
    ".venv",
    "bench",
    "tests",
    "staticfiles",
    "var",
    "node_modules",
    "__pycache__",
    ".*cache",
)

MONTHS = "Januar Februar März April Mai Juni Juli August September Oktober November Dezember".split()
WEEKDAYS = "Montag Dienstag Mittwoch Donnerstag Freitag Samstag Sonntag".split()


def _german_day(day) -> str:
    return f"{day.day}. {MONTHS[day.month - 1]} {day.year}"


def _set_language(user, language):
    User.objects.filter(pk=user.pk).update(language=language)
    user.refresh_from_db()


@pytest.fixture(autouse=True)
def _english_afterwards():
    # A request in German leaves German active in this thread; the next test starts from the site's.
    yield
    translation.activate(settings.LANGUAGE_CODE)


def _gettext_tools() -> None:
    missing = [
        tool for tool in ("xgettext", "msgmerge", "msguniq", "msgattrib", "msgfmt") if not shutil.which(tool)
    ]
    if missing:
        pytest.fail(
            f"GNU gettext is not installed ({', '.join(missing)} missing): `apt-get install gettext` "
            "(make test installs it)."
        )


def _msgids(po_text: str) -> list[str]:
    """The msgids of a .po text (msgattrib's output), without the header."""
    ids, current = [], None
    for line in po_text.splitlines():
        if line.startswith("msgid "):
            current = [line[len("msgid ") :].strip().strip('"')]
        elif current is not None and line.startswith('"'):
            current.append(line.strip('"'))
        elif current is not None:
            ids.append("".join(current))
            current = None
    return [msgid for msgid in ids if msgid]


def test_every_string_of_the_project_has_a_german_translation(tmp_path):
    """makemessages over a copy of the project: a string added to a template or module and left
    untranslated (or only fuzzily) fails here, with the strings to translate."""
    _gettext_tools()
    copy = tmp_path / "twoway"
    shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns(*NOT_SCANNED), symlinks=True)
    environment = os.environ | {
        "SECRET_KEY": settings.SECRET_KEY,
        "DJANGO_SETTINGS_MODULE": "mentoring.settings",
    }
    made = subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "de", "--no-obsolete", "--verbosity", "0"]
        + [f"--ignore={pattern}" for pattern in (".venv", "bench", "tests", "staticfiles")],
        cwd=copy,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert made.returncode == 0, made.stderr
    po = copy / "locale" / "de" / "LC_MESSAGES" / "django.po"

    def attrib(*options) -> list[str]:
        result = subprocess.run(
            ["msgattrib", "--no-obsolete", *options, str(po)], capture_output=True, text=True, timeout=60
        )
        assert result.returncode == 0, result.stderr
        return _msgids(result.stdout)

    untranslated, fuzzy = attrib("--untranslated"), attrib("--only-fuzzy")
    assert not untranslated, f"{len(untranslated)} strings without German (locale/de):\n" + "\n".join(
        untranslated
    )
    assert not fuzzy, f"{len(fuzzy)} fuzzy German strings (Django ignores them):\n" + "\n".join(fuzzy)
    # Placeholders, plural forms and the header are what msgfmt checks.
    checked = subprocess.run(
        ["msgfmt", "--check", "-o", os.devnull, str(po)], capture_output=True, text=True, timeout=60
    )
    assert checked.returncode == 0, checked.stderr


def test_the_compiled_catalog_holds_every_translation_of_the_po(tmp_path):
    """The .mo in the repository (for a machine without gettext) is compiled from the .po as it is."""
    _gettext_tools()
    fresh = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "-o", str(fresh), str(PO)], check=True, timeout=60)
    with MO.open("rb") as committed, fresh.open("rb") as compiled:
        assert gettext.GNUTranslations(committed)._catalog == gettext.GNUTranslations(compiled)._catalog, (
            "locale/de/LC_MESSAGES/django.mo is out of date: run manage.py compilemessages"
        )


# --- Pages ------------------------------------------------------------------------------------------------


def test_a_user_who_chose_german_reads_their_pages_in_german(client, mentor):
    _set_language(mentor, "de")
    client.force_login(mentor)
    response = client.get(reverse("home"), follow=True)
    html = response.content.decode()
    assert '<html lang="de">' in html
    assert "Abmelden" in html and "Log out" not in html  # the navigation
    assert response["Content-Language"] == "de"


def test_the_browsers_language_is_used_until_the_user_chooses(client, mentor):
    client.force_login(mentor)
    html = client.get(reverse("profiles:account"), headers={"accept-language": "de"}).content.decode()
    assert '<html lang="de">' in html and "Sprache" in html
    _set_language(mentor, "en")
    html = client.get(reverse("profiles:account"), headers={"accept-language": "de"}).content.decode()
    assert '<html lang="en">' in html  # the user's choice wins over the browser's


def test_switching_to_german_records_the_choice_and_the_next_page_is_german(client, mentor):
    client.force_login(mentor)
    account = reverse("profiles:account")
    response = client.post(reverse("language_set"), {"language": "de", "next": account})
    assert response.status_code == 302 and response["Location"] == account
    mentor.refresh_from_db()
    assert mentor.language == "de"
    html = client.get(account).content.decode()
    assert '<html lang="de">' in html and "Konto und Sicherheit" in html

    # Another device (no language cookie) follows the login's choice.
    client.cookies.pop(settings.LANGUAGE_COOKIE_NAME, None)
    assert '<html lang="de">' in client.get(account).content.decode()

    # Back to the browser's language: the choice and the cookie go.
    response = client.post(reverse("language_set"), {"language": "", "next": account})
    mentor.refresh_from_db()
    assert mentor.language == "" and response.cookies[settings.LANGUAGE_COOKIE_NAME].value == ""
    assert '<html lang="en">' in client.get(account).content.decode()


def test_a_language_the_site_does_not_offer_changes_nothing(client, mentor):
    client.force_login(mentor)
    client.post(reverse("language_set"), {"language": "xx", "next": "/"})
    mentor.refresh_from_db()
    assert mentor.language == ""


def test_signed_out_the_switch_sets_the_cookie_only(client, db):
    login = reverse("account_login")
    response = client.post(reverse("language_set"), {"language": "de", "next": login})
    assert response.status_code == 302 and response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "de"
    assert '<html lang="de">' in client.get(login).content.decode()


def test_the_switch_is_in_every_pages_footer_without_inline_script(client, mentor):
    client.force_login(mentor)
    html = client.get(reverse("profiles:account")).content.decode()
    footer = html.split("<footer")[1].split("</footer>")[0]
    assert f'action="{reverse("language_set")}"' in footer
    assert '<label for="footer-language">' in footer and 'lang="de"' in footer and "Deutsch" in footer
    assert "<script" not in footer and "style=" not in footer and "onchange" not in footer


# --- Messages ---------------------------------------------------------------------------------------------


def test_an_introduction_reaches_each_side_in_their_own_language(matching_program, hr_admin, mentor, mentee):
    """HR (in English) pairs an English mentor with a German mentee: each reads the introduction, its
    greeting and its footer in their own language, in the app and by email."""
    _set_language(mentee, "de")
    _set_language(hr_admin, "en")
    program = matching_program
    with translation.override("en"):
        pairing_services.pairing_create_manual(
            program=program,
            mentor=program.enrollments.get(person=mentor.person),
            mentee=program.enrollments.get(person=mentee.person),
            actor=hr_admin,
        )
    in_app = Notification.objects.get(kind=Notification.Kind.PAIRING_PROPOSED, recipient=mentee.person)
    assert in_app.title.startswith("Lernen Sie")
    assert translation.get_language() == "en"  # composing in German left the actor's language alone

    sent = {message.to[0]: message for message in deliver()}
    german, english = sent[mentee.person.email], sent[mentor.person.email]
    assert german.subject.startswith("Lernen Sie") and mentor.person.full_name in german.subject
    assert f"Hallo {mentee.person.full_name}," in german.body
    assert "Warum Sie diese Nachricht erhalten:" in german.body
    assert '<html lang="de">' in german.alternatives[0][0]
    assert "Meet your reverse-mentoring partner" not in german.body + german.subject
    assert english.subject.startswith("Meet your reverse-mentoring partner")
    assert f"Hello {mentor.person.full_name}," in english.body and "Why you get this:" in english.body


def test_an_invitation_to_enroll_gives_its_closing_day_and_audience_in_the_readers_language(hr_admin, mentee):
    _set_language(mentee, "de")
    program = ProgramFactory(actor=hr_admin)
    with translation.override("en"):
        program_services.program_invite(program=program, actor=hr_admin, department=mentee.person.department)
    invitation = Notification.objects.get(kind=Notification.Kind.PROGRAM_INVITATION, recipient=mentee.person)
    assert invitation.title.startswith("Sie sind eingeladen")
    assert _german_day(program.enrollment_closes_on) in invitation.body
    assert mentee.person.department in invitation.why and invitation.why.startswith("HR hat")


def test_a_planned_check_in_tells_a_german_reader_its_date_the_german_way(active_pairing, mentor, mentee):
    _set_language(mentee, "de")
    starts_at = (timezone.now() + timedelta(days=10)).replace(hour=14, minute=30, second=0, microsecond=0)
    with translation.override("en"):
        checkin_services.meeting_plan(
            pairing=active_pairing,
            person=mentor.person,
            starts_at=starts_at,
            duration_minutes=45,
            meeting_format="video",
        )
    local = starts_at.astimezone(ZoneInfo(mentee.person.time_zone))
    expected = f"{WEEKDAYS[local.weekday()]}, {_german_day(local)}, {local:%H:%M}"
    planned = Notification.objects.get(kind=Notification.Kind.MEETING_PLANNED, recipient=mentee.person)
    assert planned.title == f"{mentor.person.full_name} hat Ihren nächsten Check-in geplant"
    (message,) = [m for m in deliver() if m.subject == planned.title]
    assert message.to == [mentee.person.email] and expected in message.body, message.body


def test_reminders_are_planned_in_each_readers_language(active_pairing, mentor, mentee, hr_admin):
    from pairings.models import Pairing

    _set_language(mentee, "de")
    _set_language(hr_admin, "de")
    today = datetime.now(UTC).date()
    due = today - timedelta(days=3)
    Pairing.objects.filter(pk=active_pairing.pk).update(
        next_checkin_due=due, last_checkin_on=due - timedelta(14)
    )
    checkin_services.notifications_plan()
    overdue = {n.recipient_id: n for n in Notification.objects.filter(kind=Notification.Kind.CHECKIN_OVERDUE)}
    german, english = overdue[mentee.person.pk], overdue[mentor.person.pk]
    assert "überfällig" in german.title and _german_day(due) in german.body
    assert "is overdue" in english.title and due.isoformat() not in english.body
    digest = Notification.objects.get(kind=Notification.Kind.HR_DIGEST, recipient=hr_admin.person)
    assert "Ihr wöchentlicher" in digest.title


def test_a_new_concern_reaches_each_hr_admin_in_their_language(active_pairing, mentor, hr_admin):
    _set_language(hr_admin, "de")
    with translation.override("en"):
        checkin_services.concern_raise(
            pairing=active_pairing, person=mentor.person, kind="concern", text="Something is off."
        )
    concern = Notification.objects.get(kind=Notification.Kind.CONCERN_RAISED, recipient=hr_admin.person)
    assert concern.title.startswith("Ein neues Anliegen") and "vertraulich" in concern.body


@pytest.mark.django_db(transaction=True)
def test_an_account_email_to_a_login_without_a_directory_entry_is_in_its_language(client, celery_eager):
    """Sent at once, outside a transaction: the sender's own claim (one SQL statement) finds the login
    by the row's address and writes the email's greeting and footer in its language."""
    login = User.objects.create_user("outsider.de@example.com", password="not-a-real-secret-1", language="de")
    assert getattr(login, "person", None) is None
    client.post(reverse("account_reset_password"), {"email": login.email})
    (message,) = [m for m in mail.outbox if m.to == [login.email]]
    assert message.body.startswith("Hallo,") and "Warum Sie diese Nachricht erhalten:" in message.body
    assert "/accounts/password/reset/key/" in message.body
