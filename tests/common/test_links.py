"""{{ text|links }} is Django's urlize (nofollow) for every text: the shortcut for text with nothing to
link only saves time."""

import gettext
import re
from pathlib import Path

import pytest
from django.template import Context, Template
from django.utils.html import Urlizer, urlize
from hypothesis import given
from hypothesis import strategies as st

from common.templatetags.links import linked

CATALOG = Path(__file__).resolve().parents[2] / "locale" / "de" / "LC_MESSAGES" / "django.mo"
# Characters that make urlize look twice: dots, @, colons, slashes, brackets, quotes, the letters of
# "www" and of the domains it knows, and some text around them.
PIECES = list(".@:/<>()[]\"'&;,!? \n\twcomedugvintlrhps") + [
    "www.",
    "http://",
    "https://",
    ".com",
    ".org",
    "mailto:",
    "ana@example.de",
    "https://meet.example.de/x",
    "ä",
    "→",
]


@given(st.lists(st.sampled_from(PIECES) | st.text(max_size=3), max_size=20).map("".join))
def test_any_text_comes_out_as_urlize_makes_it(text):
    assert linked(text) == urlize(text, nofollow=True, autoescape=True)
    assert linked(text, autoescape=False) == urlize(text, nofollow=True, autoescape=False)


def test_every_sentence_the_app_says_comes_out_as_urlize_makes_it():
    with CATALOG.open("rb") as catalog:
        pairs = gettext.GNUTranslations(catalog)._catalog.items()
    sentences = [t for key, value in pairs for t in (key if isinstance(key, str) else key[0], value) if t]
    assert len(sentences) > 500
    for text in sentences + [
        "Join at https://meet.example.com/abc.",
        "Mail ana@example.com.",
        "www.x.org",
        "ana@firma.de",
    ]:
        assert linked(text) == urlize(text, nofollow=True, autoescape=True), text


def test_a_bare_name_in_each_domain_urlize_knows_comes_out_as_urlize_makes_it():
    domains = re.search(r"\\.\((\w+(?:\|\w+)*)\)", Urlizer.simple_url_2_re.pattern).group(1).split("|")
    assert "com" in domains
    for domain in domains:
        text = f"See example.{domain}/x or Example.{domain.upper()}."
        assert linked(text) == urlize(text, nofollow=True, autoescape=True), text


@pytest.mark.parametrize(
    ("text", "html"),
    [
        (
            "See www.example.org now",
            'See <a href="https://www.example.org" rel="nofollow">www.example.org</a> now',
        ),
        ("Tom & <Ana>", "Tom &amp; &lt;Ana&gt;"),
    ],
)
def test_the_filter_links_and_escapes(text, html):
    assert Template("{% load links %}{{ text|links }}").render(Context({"text": text})) == html
