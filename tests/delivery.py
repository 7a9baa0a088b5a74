"""Delivering the outbox in a test: what a worker's sweep would send now lands in django's mail.outbox."""

from django.core import mail

from profiles.outbox import notifications_send_due


def deliver() -> list:
    """Send every message due now (as the next tick's sweep would), and return the test mailbox."""
    notifications_send_due(senders=1)
    return mail.outbox
