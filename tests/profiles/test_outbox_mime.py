"""The outbox writes its emails with the standard library's classic MIME classes (profiles/outbox/mime.py,
for speed); what a recipient's mail program reads is what Django's own builder would have written."""

from email import message_from_bytes
from email.policy import SMTP, default
from email.utils import parsedate_to_datetime

import pytest
from django.utils import timezone

from profiles.outbox.mime import OutboxEmail

ICS = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Twoway//EN\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\n"
    "UID:twoway-meeting-1@example.com\r\nSUMMARY:Check-in mit Jürgen\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
)
UNSUBSCRIBE = "https://twoway.example.com/mentoring/notifications/unsubscribe/" + "eyJwIjoyfQ" * 12 + "/"


def _email(*, subject, body, to="ana@example.com", invitation=False, headers=None):
    email = OutboxEmail(
        subject=subject,
        body=body,
        to=[to],
        headers={"Message-ID": "<twoway.7.1796239904@twoway.example.com>"} | (headers or {}),
    )
    email.attach_alternative(f"<p>{body}</p>", "text/html")
    if invitation:
        email.calendar_method = "REQUEST"
        email.attach_alternative(ICS, "text/calendar")
        email.attach("invite.ics", ICS.encode(), "application/ics")
    return email


def _read(data: bytes):
    return message_from_bytes(data, policy=default)


def _parts(message):
    """Each MIME part: its type, parameters (but the random boundary), disposition and decoded content."""
    parts = []
    for part in message.walk():
        params = sorted((k, v) for k, v in part.get_params(header="content-type")[1:] if k != "boundary")
        parts.append(
            (
                part.get_content_type(),
                params,
                part.get_content_disposition(),
                part.get_filename(),
                None if part.is_multipart() else part.get_content(),
            )
        )
    return parts


def _headers(message):
    skip = {"date", "content-type", "content-transfer-encoding"}
    return sorted((name.lower(), str(value)) for name, value in message.items() if name.lower() not in skip)


CASES = {
    "a reminder": {"subject": "Your check-in is overdue", "body": "It was due on 29 November.\n\nLog it."},
    "in German": {
        "subject": "Euer Check-in mit Jürgen ist überfällig – bitte nachholen, sobald es für euch beide passt",
        "body": "Er war am 29. November fällig. Ein kurzes Gespräch zählt.\n\nGrüße → Twoway",
    },
    "an invitation": {"subject": "Check-in planned", "body": "See you then.", "invitation": True},
    "a long line": {"subject": "Notes", "body": "x" * 1200 + "\nshort"},
    "unsubscribable": {
        "subject": "Reminder",
        "body": "Hello",
        "headers": {
            "List-Unsubscribe": f"<{UNSUBSCRIBE}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    },
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_the_mail_program_reads_what_djangos_builder_would_have_written(case, settings):
    settings.DEFAULT_FROM_EMAIL = "Twoway <twoway@example.com>"
    email = _email(**case)
    ours = email.message(policy=SMTP).as_bytes()
    django = _read(email.django_message(policy=SMTP).as_bytes())
    received = _read(ours)
    assert _headers(received) == _headers(django)
    assert _parts(received) == _parts(django)
    sent_at = parsedate_to_datetime(received["Date"])
    assert abs((sent_at - timezone.now()).total_seconds()) < 60
    # 7-bit clean with CRLF line ends and no line a server may refuse: any SMTP server takes it as it is.
    assert ours.isascii()
    assert b"\n" not in ours.replace(b"\r\n", b"")
    assert max(len(line) for line in ours.split(b"\r\n")) <= 998


def test_the_invitations_calendar_part_says_its_method():
    received = _read(_email(**CASES["an invitation"]).message(policy=SMTP).as_bytes())
    (calendar,) = [p for p in received.walk() if p.get_content_type() == "text/calendar"]
    assert calendar.get_param("method") == "REQUEST"
    assert [p.get_filename() for p in received.iter_attachments()] == ["invite.ics"]


def test_an_address_with_a_non_ascii_domain_is_written_as_django_writes_it():
    email = _email(subject="Hello", body="Hi", to="ana@bücher.example")
    received = _read(email.message(policy=SMTP).as_bytes())
    assert received["To"] == "ana@xn--bcher-kva.example"


@pytest.mark.parametrize("field", ["subject", "header"])
def test_a_line_break_in_a_header_is_refused_as_django_refuses_it(field):
    email = (
        _email(subject="Hello\r\nBcc: eve@example.com", body="Hi")
        if field == "subject"
        else _email(subject="Hello", body="Hi", headers={"X-Note": "a\nBcc: eve@example.com"})
    )
    with pytest.raises(ValueError, match="linefeed or carriage return"):
        email.message(policy=SMTP)
    with pytest.raises(ValueError, match="linefeed or carriage return"):
        email.django_message(policy=SMTP)
