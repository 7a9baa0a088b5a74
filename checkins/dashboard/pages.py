"""The dashboards' pages, rendered once and kept in the cache.

The figures' part of a page is the same for every leader and HR admin (nothing in it depends on who
asks), so it is rendered once per choice of filters and build of the rollups, under a key naming that
build: a rebuild is never hidden behind an old page. Right after each build the task renders the views
leaders open most (all programs, each family, each cohort, in each language), so that their first
visit after a build is served from the cache too.
"""

import hashlib

from django.conf import settings
from django.core.cache import cache
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.http import urlencode
from django.utils.safestring import mark_safe

from common.privacy import hidden_explanation

from ..models import Grain
from .figures import Choices, Filters, dashboard_choices, dashboard_for


def _timeout() -> int:
    return 2 * 60 * settings.DASHBOARD_REFRESH_MINUTES


def sections_key(filters: Filters, built_at) -> str:
    query = urlencode(filters.query())
    stamp = built_at.timestamp() if built_at else "none"
    return (
        f"twoway:dashboard:{stamp}:{translation.get_language()}:{hashlib.sha256(query.encode()).hexdigest()}"
    )


def render_sections(filters: Filters, choices: Choices, built_at) -> str:
    board = dashboard_for(filters=filters, choices=choices, built_at=built_at)
    query = filters.query()
    return render_to_string(
        "checkins/dashboard/_sections.html",
        {
            "board": board,
            "query": urlencode(query),
            "week_query": urlencode(query | {"grain": Grain.WEEK}),
            "month_query": urlencode(query | {"grain": Grain.MONTH}),
            "hidden_explanation": hidden_explanation(board.hidden) if board.hidden else "",
        },
    )


def sections(filters: Filters, choices: Choices, built_at) -> str:
    """The figures' part of the page, from the cache or rendered now (and kept)."""
    key = sections_key(filters, built_at)
    html = cache.get(key)
    if html is None:
        html = render_sections(filters, choices, built_at)
        cache.set(key, html, timeout=_timeout())
    return mark_safe(html)  # noqa: S308 - rendered by the template engine, autoescaped


def warm(*, built_at) -> int:
    """Render the usual views of a new build into the cache: all programs, each family and each cohort,
    by month, in every language. Returns how many pages were rendered."""
    choices = dashboard_choices()
    views = [Filters()]
    views += [Filters(family=family) for family in choices.families]
    views += [Filters(family=p.family_name, program_id=p.pk) for p in choices.programs]
    rendered = 0
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            for filters in views:
                cache.set(
                    sections_key(filters, built_at), render_sections(filters, choices, built_at), _timeout()
                )
                rendered += 1
    return rendered
