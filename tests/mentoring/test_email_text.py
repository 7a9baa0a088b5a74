"""Plain-text emails are not HTML: a name with an apostrophe reads as written (issue 13, emails)."""

from pathlib import Path

from django.core import mail

from profiles.models import User
from profiles.services import invitation_send
from tests.factories import PersonFactory

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def test_an_invitation_from_ben_obrien_says_obrien(hr_admin, django_capture_on_commit_callbacks, settings):
    User.objects.filter(pk=hr_admin.pk).update(full_name="Ben O'Brien")
    hr_admin.refresh_from_db()
    person = PersonFactory(email="new@example.com", full_name="Zoë D'Arcy")
    from tests.delivery import deliver

    with django_capture_on_commit_callbacks(execute=True):
        invitation_send(person=person, actor=hr_admin)
    deliver()
    (message,) = [m for m in mail.outbox if "new@example.com" in m.to]
    assert "Ben O'Brien invites you" in message.subject and "&#x27;" not in message.subject
    assert "&#x27;" not in message.body


def test_every_plain_text_email_template_turns_html_escaping_off():
    for path in TEMPLATES.rglob("*.txt"):
        assert "{% autoescape off %}" in path.read_text(), f"{path} would write ' as &#x27;"


def test_the_hr_digest_counts_in_words_that_agree_with_the_numbers():
    from checkins.services.reminders import digest_text

    assert digest_text({"risk": 1, "pending": 0, "concerns": 1, "conflicts": 2}) == (
        "1 pair at risk, 0 enrollments waiting for approval, 1 open concern, "
        "2 pairs flagged for a reporting-line conflict."
    )
