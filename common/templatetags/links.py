"""{{ text|links }}: Django's urlize (nofollow), with a shortcut for text that has nothing to link.

Every outbox email renders its body through this (issue 15's reminders benchmark: a quarter of the
HTML part's cost was urlize looking at each word of sentences that hold no address). Text in which no
part could be one of the addresses urlize links (a scheme's "://", "www.", an "@", or a name ending in
one of the top-level domains it knows) comes out of urlize merely escaped, so it is escaped here at once;
any other text goes through urlize itself. tests/mentoring/test_links.py holds the two to the same result.
"""

import re

from django import template
from django.template.defaultfilters import stringfilter
from django.utils.html import escape, urlize
from django.utils.safestring import mark_safe

register = template.Library()

# A superset of what django.utils.html.Urlizer links (its simple_url_re, simple_url_2_re and the "@" of
# an email address): false alarms only cost the slow path.
_MAYBE_LINK = re.compile(r"://|www\.|@|\.(?:com|edu|gov|int|mil|net|org)", re.IGNORECASE)


def linked(text: str, *, autoescape: bool = True) -> str:
    if _MAYBE_LINK.search(text) is None:
        return escape(text) if autoescape else text
    return urlize(text, nofollow=True, autoescape=autoescape)


@register.filter(is_safe=True, needs_autoescape=True)
@stringfilter
def links(value, autoescape=True):
    return mark_safe(linked(value, autoescape=autoescape))  # noqa: S308 - escaped by linked() or urlize
