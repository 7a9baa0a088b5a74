"""Delivering the outbox in a test: what a worker's sweep would send now lands in django's mail.outbox."""

from email import message_from_bytes
from email.message import EmailMessage
from email.policy import SMTP, default

from django.core import mail

from profiles.outbox import notifications_send_due


def deliver() -> list:
    """Send every message due now (as the next tick's sweep would), and return the test mailbox."""
    notifications_send_due(senders=1)
    return mail.outbox


def as_received(message) -> EmailMessage:
    """A sent email as the recipient's mail program reads it: its bytes on the wire, parsed."""
    return message_from_bytes(message.message(policy=SMTP).as_bytes(), policy=default)
