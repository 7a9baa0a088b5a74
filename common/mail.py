"""The SMTP backend the outbox sends with: Django's, minus parsing the envelope's addresses again and again.

Django's backend parses the sender's and each recipient's address with the email package's full
address parser for every message: a tenth of a worker's time per message in bench/reminders.py. Here
an address in the plain form nearly every directory holds (dot-separated runs of the characters RFC 5322
allows unquoted, an ASCII domain) is the parser's answer itself, and any other address gets Django's
answer, kept for the backend's life (a sweep) for the first few: the sender's is the same on every
message. tests/common/test_mail.py holds the plain form to Django's answers.
"""

import re

from django.core.mail.backends import smtp

_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
PLAIN_ADDRESS = re.compile(rf"{_ATOM}(?:\.{_ATOM})*@{_LABEL}(?:\.{_LABEL})+")
_KEPT = 16


class EmailBackend(smtp.EmailBackend):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._prepared: dict[tuple[str, bool], str] = {}

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
