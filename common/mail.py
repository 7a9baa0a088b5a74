"""The SMTP backend the outbox sends with: Django's, minus parsing the envelope's addresses again and again,
and with MAIL, RCPT and DATA sent in one write to a server that offers PIPELINING (RFC 2920).

Django's backend parses the sender's and each recipient's address with the email package's full
address parser for every message: a tenth of a worker's time per message in bench/reminders.py. Here
an address in the plain form nearly every directory holds (dot-separated runs of the characters RFC 5322
allows unquoted, an ASCII domain) is the parser's answer itself, and any other address gets Django's
answer, kept for the backend's life (a sweep) for the first few: the sender's is the same on every
message. tests/common/test_mail.py holds the plain form to Django's answers.

smtplib waits for the server's answer to each command: four round trips a message (MAIL, RCPT, DATA,
the content). Nearly every mail server (Postfix, Exim, Exchange, the cloud relays) offers PIPELINING,
which lets a client send MAIL, RCPT and DATA at once and read the three answers after: two round trips,
and about 90 microseconds of a worker's CPU less a message on the loopback (about half of what smtplib
spends; bench/reminders.py, issue 15). smtplib has no pipelining of its own, so sendmail() does that
here when the server offers it, and is smtplib's own otherwise. What each answer means, and what is
raised, is smtplib's: a refused sender is SMTPSenderRefused, every recipient refused is
SMTPRecipientsRefused, a refused DATA or content is SMTPDataError, and a 421 closes the connection (the
outbox's classify() reads these).
"""

import re
import smtplib

from django.core.mail.backends import smtp

_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
PLAIN_ADDRESS = re.compile(rf"{_ATOM}(?:\.{_ATOM})*@{_LABEL}(?:\.{_LABEL})+")
_KEPT = 16
_LINE_START_DOT = re.compile(rb"(?m)^\.")


def _envelope_address(address: str) -> str:
    """An address as MAIL FROM and RCPT TO carry it: a plain one in angle brackets as it is (smtplib
    would parse it again), any other as smtplib quotes it."""
    return f"<{address}>" if PLAIN_ADDRESS.fullmatch(address) else smtplib.quoteaddr(address)


class PipeliningMixin:
    """sendmail() that pipelines MAIL, RCPT and DATA when the server offers it (see the module)."""

    def sendmail(self, from_addr, to_addrs, msg, mail_options=(), rcpt_options=()):
        self.ehlo_or_helo_if_needed()
        if not self.has_extn("pipelining") or not isinstance(msg, bytes) or mail_options or rcpt_options:
            return super().sendmail(from_addr, to_addrs, msg, mail_options, rcpt_options)
        to_addrs = [to_addrs] if isinstance(to_addrs, str) else list(to_addrs)
        size = f" SIZE={len(msg)}" if self.has_extn("size") else ""
        commands = [f"MAIL FROM:{_envelope_address(from_addr)}{size}"]
        commands += [f"RCPT TO:{_envelope_address(address)}" for address in to_addrs] + ["DATA"]
        if any("\r" in command or "\n" in command for command in commands):
            raise ValueError("an SMTP command may not contain a carriage return or line feed")
        self.send("".join(f"{command}\r\n" for command in commands))

        code, answer = self.getreply()
        if code != 250:
            self._after_refusal(code, len(commands) - 1)
            raise smtplib.SMTPSenderRefused(code, answer, from_addr)
        refused = {}
        for address in to_addrs:
            code, answer = self.getreply()
            if code not in (250, 251):
                refused[address] = (code, answer)
            if code == 421:
                self.close()
                raise smtplib.SMTPRecipientsRefused(refused)
        code, answer = self.getreply()
        if len(refused) == len(to_addrs):
            self._after_refusal(code, 0)
            raise smtplib.SMTPRecipientsRefused(refused)
        if code != 354:
            self._after_refusal(code, 0)
            raise smtplib.SMTPDataError(code, answer)
        content = _LINE_START_DOT.sub(b"..", msg)
        self.send(content + (b"" if content.endswith(b"\r\n") else b"\r\n") + b".\r\n")
        code, answer = self.getreply()
        if code != 250:
            self._after_refusal(code, 0)
            raise smtplib.SMTPDataError(code, answer)
        return refused

    def _after_refusal(self, code: int, unread: int) -> None:
        """Leave the connection ready for the next message after a refusal answered `code`: closed
        after a 421 (the server is closing it); else the `unread` answers still owed are read, a DATA
        the server took all the same (354) is ended, empty, and the transaction is reset."""
        last = code
        for _ in range(unread):
            if last == 421:
                break
            last = self.getreply()[0]
        if last == 421:
            self.close()
            return
        if last == 354:
            self.send(b".\r\n")
            self.getreply()
        self._rset()


class PipeliningSMTP(PipeliningMixin, smtplib.SMTP):
    pass


class PipeliningSMTPSSL(PipeliningMixin, smtplib.SMTP_SSL):
    pass


class EmailBackend(smtp.EmailBackend):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._prepared: dict[tuple[str, bool], str] = {}

    @property
    def connection_class(self):
        return PipeliningSMTPSSL if self.use_ssl else PipeliningSMTP

    def prep_address(self, address, force_ascii=True):
        address = str(address)
        if PLAIN_ADDRESS.fullmatch(address):
            return address
        key = (address, force_ascii)
        prepared = self._prepared.get(key)
        if prepared is None:
            prepared = super().prep_address(address, force_ascii=force_ascii)
            if len(self._prepared) < _KEPT:
                self._prepared[key] = prepared
        return prepared
