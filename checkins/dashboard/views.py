"""The leaders' dashboards: one page of figures, a CSV of each of its tables, and a refresh."""

import hashlib

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.http import Http404, QueryDict
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from common.csv_export import csv_response
from common.privacy import hidden_explanation
from common.templatetags.figures import figure_text
from profiles import audit
from profiles.models import AuditEvent
from profiles.permissions import leader_required

from .. import selectors
from . import pages
from .figures import Choices, Figure, dashboard_choices, dashboard_for
from .forms import DashboardFilterForm
from .rollup import DASHBOARD_HEARTBEAT

FILTER_NAMES = {"family", "program", "department", "location", "grain"}


def _form(request) -> tuple[DashboardFilterForm, Choices]:
    choices = dashboard_choices()
    return DashboardFilterForm(request.GET or None, choices=choices), choices


def _filters_form(request, form: DashboardFilterForm, filters, choices: Choices) -> str:
    """The filter form, rendered once for each query and set of choices (its selects are a few hundred
    options: rendering them is most of what a page costs once the figures are cached)."""
    stamp = repr(
        (
            sorted(request.GET.lists()),
            get_language(),
            [(p.pk, p.name, p.family_name) for p in choices.programs],
            choices.departments,
            choices.locations,
        )
    )
    key = f"twoway:dashboard-form:{hashlib.sha256(stamp.encode()).hexdigest()}"
    html = cache.get(key)
    if html is None:
        html = render_to_string("checkins/dashboard/_filters.html", {"form": form, "filters": filters})
        cache.set(key, html, timeout=2 * 60 * settings.DASHBOARD_REFRESH_MINUTES)
    return mark_safe(html)  # noqa: S308 - rendered by the template engine, autoescaped


@leader_required
def dashboard(request):
    form, choices = _form(request)
    filters = form.filters()
    built_at = selectors.heartbeat_last(name=DASHBOARD_HEARTBEAT)
    return render(
        request,
        "checkins/dashboard/index.html",
        {
            "filters_form": _filters_form(request, form, filters, choices),
            "filters": filters,
            "program": next((p for p in choices.programs if p.pk == filters.program_id), None),
            "built_at": built_at,
            "query": urlencode(filters.query()),
            "sections": pages.sections(filters, choices, built_at),
            "refresh_minutes": settings.DASHBOARD_REFRESH_MINUTES,
        },
    )


def _cell(cell, kind: str):
    """A figure as a spreadsheet reads it: a number, a percentage ("42%"), or the words for a hidden one."""
    if not isinstance(cell, Figure):
        return cell if cell is not None else ""
    if cell.hidden:
        return cell.label
    if cell.value is None:
        return ""
    return figure_text(cell, kind) if kind == "pct" else cell.value


@leader_required
def export(request, slug):
    """One table of the dashboard as CSV: the same figures, hidden where the page hides them."""
    form, choices = _form(request)
    board = dashboard_for(filters=form.filters(), choices=choices)
    filename = f"twoway-{slug}.csv"
    if board.hidden:
        return csv_response(filename, [_("Note")], [[hidden_explanation(board.hidden)]])
    table = board.tables.get(slug)
    if table is None:
        raise Http404
    header = [table.first_column, *(column.label for column in table.columns)]
    audit.record(
        AuditEvent.Action.EXPORTED, target=f"dashboard:{slug}.csv", filters=request.GET.urlencode()[:500]
    )
    rows = ([row.label, *(_cell(cell, kind) for cell, kind in cells)] for row, cells in table.cells())
    return csv_response(filename, header, rows)


@leader_required
@require_POST
def refresh(request):
    """Rebuild the figures now instead of at the next scheduled refresh (a Celery job)."""
    from ..tasks import rebuild_dashboard

    rebuild_dashboard.delay()
    messages.success(request, _("The figures are being refreshed: reload the page in a minute."))
    kept = {
        key: value for key, value in QueryDict(request.POST.get("query", "")).items() if key in FILTER_NAMES
    }
    return redirect(reverse("dashboards:index") + (f"?{urlencode(kept)}" if kept else ""))
