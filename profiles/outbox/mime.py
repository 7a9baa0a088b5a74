"""The outbox's email as the mail server gets it, built with the standard library's classic MIME classes.

Django's EmailMessage.message() builds on the email package's modern API, which parses every header it
is given and folds every header again when the message is written: about 2.5 ms of CPU for one outbox
email, half of what a worker spends on a message, where these classes take about 0.5 ms (bench/
reminders.py; issue 15). The message is the same one: the same headers, the same MIME tree (text, HTML
and a calendar invitation as alternatives; invite.ics as an attachment), the same content
(tests/profiles/test_outbox_mime.py compares the two, part by part). What the classic classes do not
know (an address with a non-ASCII domain, which Django IDNA-encodes) goes to Django's own builder.
"""

import email.policy
import secrets
from datetime import UTC, datetime
from email import charset as charsets
from email.header import Header
from email.message import Message
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.policy import Compat32
from email.utils import format_datetime
from functools import cache

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.utils import timezone

# Text that is ASCII with lines a server takes as they are goes as 7bit; anything else as
# quoted-printable (readable in a mail program's "show source", unlike base64).
_QUOTED = charsets.Charset("utf-8")
_QUOTED.body_encoding = charsets.QP
_MAX_LINE = 998  # RFC 5322's limit on a line's length


class _Classic(Compat32):
    """compat32, minus its dearest step for most headers: an ASCII value that fits on a line, or that is
    one word (a long link: nowhere to fold it), is written as it is, as the modern API writes it,
    instead of going through the Header class."""

    def _fold(self, name, value, sanitize):
        if isinstance(value, str) and value.isascii() and "\n" not in value and "\r" not in value:
            length = len(name) + len(value) + 2
            if length <= (self.max_line_length or 78) or (length <= _MAX_LINE and " " not in value):
                return f"{name}: {value}{self.linesep}"
        return super()._fold(name, value, sanitize)


@cache
def _classic(linesep: str) -> _Classic:
    """The policy for a line ending (policies are immutable: one each, not one per message)."""
    return _Classic(linesep=linesep)


def _text(content: str, subtype: str, policy, **params: str) -> Message:
    """A text part, its headers written out at once (MIMEText would parse them again to set each)."""
    content = content if content.endswith("\n") else content + "\n"  # as Django's builder ends it
    plain = content.isascii() and all(len(line) <= _MAX_LINE for line in content.splitlines())
    part = Message(policy)
    part["Content-Type"] = f'text/{subtype}; charset="utf-8"' + "".join(
        f'; {k}="{v}"' for k, v in params.items()
    )
    part["Content-Transfer-Encoding"] = "7bit" if plain else "quoted-printable"
    part.set_payload(content if plain else _QUOTED.body_encode(content))
    return part


def _multipart(subtype: str, parts: list[Message], policy) -> MIMEMultipart:
    # A random boundary of its own: the email package would otherwise draw one and compile a regular
    # expression from it to check the content for it, a tenth of the writing's cost. 128 random bits do
    # not occur in a message by chance, and nobody knows them before the message is written.
    return MIMEMultipart(subtype, f"==twoway-{secrets.token_hex(16)}==", parts, policy=policy)


def _header(value: str) -> str:
    if "\n" in value or "\r" in value:
        raise ValueError("Header values may not contain linefeed or carriage return characters")
    return value


class OutboxEmail(EmailMultiAlternatives):
    """The outbox's email. When it carries a calendar invitation, its text/calendar alternative says the
    iTIP method in its Content-Type ("text/calendar; method=REQUEST"): that is what makes Outlook and
    Gmail show Accept and Decline."""

    calendar_method = ""

    def _add_bodies(self, msg):  # Django's builder (non-ASCII domains; and the tests' yardstick)
        msg = super()._add_bodies(msg)
        for part in msg.walk():
            if part.get_content_type() == "text/calendar":
                part.set_param("method", self.calendar_method)
        return msg

    def django_message(self, *, policy=email.policy.default):
        """The message as Django's EmailMessage.message() builds it."""
        return super().message(policy=policy)

    def message(self, *, policy=email.policy.default) -> Message:
        addresses = [self.from_email, *self.to, *self.cc, *self.reply_to]
        if not all(address.isascii() for address in addresses) or self.bcc:
            return self.django_message(policy=policy)
        classic = _classic(policy.linesep)
        parts = [_text(self.body, self.content_subtype, classic)]
        for content, mimetype in self.alternatives:
            maintype, subtype = mimetype.split("/", 1)
            if maintype != "text":
                return self.django_message(policy=policy)
            text = content.decode() if isinstance(content, bytes) else content
            method = (
                {"method": self.calendar_method}
                if mimetype == "text/calendar" and self.calendar_method
                else {}
            )
            parts.append(_text(text, subtype, classic, **method))
        msg = _multipart("alternative", parts, classic) if len(parts) > 1 else parts[0]
        if self.attachments:
            attachments = []
            for filename, content, mimetype in self.attachments:
                maintype, subtype = mimetype.split("/", 1)
                if maintype != "application":
                    return self.django_message(policy=policy)
                attachment = MIMEApplication(content, subtype, policy=classic)
                del attachment["MIME-Version"]
                attachment.add_header("Content-Disposition", "attachment", filename=filename)
                attachments.append(attachment)
            del msg["MIME-Version"]
            msg = _multipart("mixed", [msg, *attachments], classic)
        if "MIME-Version" not in msg:
            msg["MIME-Version"] = "1.0"
        subject = _header(str(self.subject))
        msg["Subject"] = subject if subject.isascii() else Header(subject, "utf-8")
        msg["From"] = _header(str(self.extra_headers.get("From", self.from_email)))
        msg["To"] = _header(", ".join(self.to))
        for name, values in (("Cc", self.cc), ("Reply-To", self.reply_to)):
            if values:
                msg[name] = _header(", ".join(values))
        if "date" not in {name.lower() for name in self.extra_headers}:
            zone = timezone.get_current_timezone() if settings.EMAIL_USE_LOCALTIME else UTC
            msg["Date"] = format_datetime(datetime.now(zone))
        for name, value in self.extra_headers.items():
            if name.lower() not in {"from", "to", "cc", "reply-to"}:
                msg[name] = _header(str(value))
        if "Message-ID" not in msg:
            return self.django_message(policy=policy)
        return msg
