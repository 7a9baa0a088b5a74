"""The outbox's SMTP backend (common/mail.py): every address as Django's answers it, and MAIL, RCPT and DATA
sent at once to a server that offers PIPELINING, with smtplib's errors."""

import email
import email.policy
import smtplib
import socket
import threading

import pytest
from django.core.mail import EmailMessage, mailers
from django.core.mail.backends import smtp
from django.test import override_settings
from hypothesis import given
from hypothesis import strategies as st

from common.mail import PLAIN_ADDRESS, EmailBackend
from profiles.outbox.delivery import Outcome, classify
from tests.smtp import SmtpServer

MAILERS = {"default": {"BACKEND": "common.mail.EmailBackend", "OPTIONS": {"host": "127.0.0.1", "port": 25}}}


@pytest.fixture(scope="module")
def backend():
    """The outbox's backend as the app gets it (no connection is opened: only addresses are prepared)."""
    with override_settings(MAILERS=MAILERS):
        mailer = mailers.default
    assert isinstance(mailer, EmailBackend)
    return mailer


@given(st.from_regex(PLAIN_ADDRESS, fullmatch=True))
def test_a_plain_address_is_what_djangos_parser_makes_of_it(backend, address):
    assert backend.prep_address(address) == smtp.EmailBackend.prep_address(backend, address) == address


@pytest.mark.parametrize(
    "address",
    ["Twoway <twoway@example.com>", "ana@bücher.example", '"ana maria"@example.com', "ana@localhost"],
)
def test_any_other_address_gets_djangos_answer_every_time(backend, address):
    django = smtp.EmailBackend.prep_address(backend, address)
    assert backend.prep_address(address) == backend.prep_address(address) == django


@pytest.mark.parametrize(
    "address", ["ana@example.com\r\nBcc: eve@example.com", "ana@", "ana@@example.com", "a, b"]
)
def test_an_invalid_address_is_refused_as_django_refuses_it(backend, address):
    with pytest.raises(ValueError):
        smtp.EmailBackend.prep_address(backend, address)
    with pytest.raises(ValueError):
        backend.prep_address(address)


# --- PIPELINING (RFC 2920) -----------------------------------------------------------------------------------


class GroupServer:
    """A mail server, on a thread, that offers PIPELINING and answers MAIL, RCPT and DATA only once all
    three have come in: a client that waits for each answer before its next command gets none (its read
    times out). RCPT to an address in `refuse` gets that code; DATA with no recipient left gets 554.
    Every message's MAIL line, recipients and content (dots unstuffed) are kept in `messages`."""

    def __init__(self, refuse: dict[str, int] | None = None):
        self.refuse = refuse or {}
        self.messages: list[dict] = []
        self.resets = 0
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        connection, _address = self._listener.accept()
        with connection, connection.makefile("rb") as lines:
            connection.sendall(b"220 group-server ESMTP\r\n")
            while line := lines.readline():
                command = line[:4].upper()
                if command == b"EHLO":
                    connection.sendall(b"250-group-server\r\n250-PIPELINING\r\n250 SIZE 1000000\r\n")
                elif command == b"MAIL":
                    group = [line]
                    while group[-1][:4].upper() != b"DATA" and (more := lines.readline()):
                        group.append(more)
                    self._answer_group(connection, lines, group)
                elif command == b"RSET":
                    self.resets += 1
                    connection.sendall(b"250 OK\r\n")
                elif command == b"QUIT":
                    connection.sendall(b"221 Bye\r\n")
                    return
                else:
                    connection.sendall(b"250 OK\r\n")

    def _answer_group(self, connection, lines, group: list[bytes]) -> None:
        sender_refused = self.refuse.get(_address_of(group[0]))
        answers = [f"{sender_refused} No\r\n".encode() if sender_refused else b"250 OK\r\n"]
        recipients = []
        for line in group[1:-1]:
            code = 503 if sender_refused else self.refuse.get(_address_of(line))
            answers.append(f"{code} No\r\n".encode() if code else b"250 OK\r\n")
            if not code:
                recipients.append(_address_of(line))
        answers.append(b"354 Go on\r\n" if recipients else b"554 No valid recipients\r\n")
        connection.sendall(b"".join(answers))
        if not recipients:
            return
        content = []
        while (line := lines.readline()) != b".\r\n":
            content.append(line[1:] if line.startswith(b"..") else line)
        self.messages.append({"mail": group[0], "to": recipients, "content": b"".join(content)})
        connection.sendall(b"250 Accepted\r\n")

    def mailers(self) -> dict:
        options = {"host": "127.0.0.1", "port": self.port, "timeout": 3}
        return {"default": {"BACKEND": "common.mail.EmailBackend", "OPTIONS": options}}


def _address_of(line: bytes) -> str:
    return line.decode().split(":", 1)[1].split()[0].strip("<>")


def _email(to: str, body: str = "Hello.\n", sender: str = "twoway@example.com") -> EmailMessage:
    return EmailMessage(subject="Check-in", body=body, from_email=sender, to=[to])


def test_to_a_server_offering_pipelining_mail_rcpt_and_data_go_at_once(settings):
    server = GroupServer()
    settings.MAILERS = server.mailers()
    mailer = mailers.default
    body = "First line.\n.A line that starts with a dot.\n"
    assert mailer.send_messages([_email("ana@example.com", body), _email("ben@example.com")]) == 2
    mailer.close()

    assert [m["to"] for m in server.messages] == [["ana@example.com"], ["ben@example.com"]]
    first = email.message_from_bytes(server.messages[0]["content"], policy=email.policy.default)
    assert first.get_content().replace("\r\n", "\n") == body
    assert server.messages[0]["mail"].startswith(b"MAIL FROM:<twoway@example.com> SIZE=")


@pytest.mark.parametrize(("code", "outcome"), [(451, Outcome.REFUSED), (550, Outcome.REJECTED)])
def test_a_refused_recipient_is_smtplibs_refusal_and_the_next_message_still_goes(settings, code, outcome):
    server = GroupServer(refuse={"gone@example.com": code})
    settings.MAILERS = server.mailers()
    mailer = mailers.default
    mailer.open()  # as the outbox does: one connection for the sweep, kept after a refusal
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        mailer.send_messages([_email("gone@example.com")])
    assert classify(refused.value) == outcome
    assert mailer.send_messages([_email("ana@example.com")]) == 1  # the same connection, reset
    mailer.close()

    assert server.resets == 1
    assert [m["to"] for m in server.messages] == [["ana@example.com"]]


def test_to_a_server_without_pipelining_smtplib_sends_as_it_always_has(settings):
    with SmtpServer(pipelining=False) as server:
        settings.MAILERS = server.mailer()
        assert mailers.default.send_messages([_email("ana@example.com")]) == 1
        assert server.wait_for_count(1, timeout=5)
    assert [r.rcpt_tos for r in server.received] == [["ana@example.com"]]


def test_a_refused_sender_is_smtplibs_refusal_and_the_next_message_still_goes(settings):
    server = GroupServer(refuse={"blocked@example.com": 451})
    settings.MAILERS = server.mailers()
    mailer = mailers.default
    mailer.open()
    with pytest.raises(smtplib.SMTPSenderRefused) as refused:
        mailer.send_messages([_email("ana@example.com", sender="blocked@example.com")])
    assert classify(refused.value) == Outcome.REFUSED
    assert mailer.send_messages([_email("ben@example.com")]) == 1
    mailer.close()

    assert server.resets == 1
    assert [m["to"] for m in server.messages] == [["ben@example.com"]]
