"""The SMTP backend the outbox sends with: Django's, with the envelope's addresses parsed once each.

Django's backend parses the sender's address again for every message with the email package's full
address parser (the same address each time: a twentieth of a worker's time per message in
bench/reminders.py). Here the answer for an address is kept for the backend's life (a sweep); the
answer is Django's own, invalid addresses raise as they always do.
"""

from django.core.mail.backends import smtp

_KEPT = 16  # the sender and a few others; recipients differ on every message and are not kept


class EmailBackend(smtp.EmailBackend):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._prepared: dict[tuple[str, bool], str] = {}

    def prep_address(self, address, force_ascii=True):
        key = (str(address), force_ascii)
        prepared = self._prepared.get(key)
        if prepared is None:
            prepared = super().prep_address(address, force_ascii=force_ascii)
            if len(self._prepared) < _KEPT:
                self._prepared[key] = prepared
        return prepared
