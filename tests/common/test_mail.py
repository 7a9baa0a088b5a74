"""The outbox's SMTP backend answers for every address as Django's does (common/mail.py)."""

import pytest
from django.core.mail.backends import smtp
from hypothesis import given
from hypothesis import strategies as st

from common.mail import PLAIN_ADDRESS, EmailBackend


@pytest.fixture(scope="module")
def backend():
    return EmailBackend(
        host="127.0.0.1", port=25, username="", password="", use_tls=False, use_ssl=False, timeout=5,
        ssl_keyfile="", ssl_certfile="",
    )  # fmt: skip


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
