"""The outbox's SMTP backend answers for every address as Django's does (common/mail.py)."""

import pytest
from django.core.mail import mailers
from django.core.mail.backends import smtp
from django.test import override_settings
from hypothesis import given
from hypothesis import strategies as st

from common.mail import PLAIN_ADDRESS, EmailBackend

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
