"""The dashboards' figures through the REST API (wired in mentoring/api.py), scope reports:read.

The same tables as the page and its CSV exports, from the same `dashboard_for`, through the same
small-group rule (common.privacy): a hidden figure is `{"value": null, "hidden": "few"}` (fewer than 5
people) or `"derivable"` (it would give a small group away beside the others); a choice of filters drawn
from too few people returns no tables and says why. The filters are checked by the page's own form.

Left out: the table of changes seniors chose to share ("shared-changes"), which is their own words, not
a figure. The API answers figures only.
"""

from datetime import datetime
from typing import Literal

from ninja import Field, Query, Router, Schema

from common.api import MAX_ID, ApiProblem
from common.privacy import Hidden, hidden_explanation
from profiles.api import Scope, scoped

from ..models import Grain
from .figures import Figure, Table, dashboard_choices, dashboard_for
from .forms import DashboardFilterForm

router = Router(tags=["dashboard"])

# Tables of words people wrote (not figures): never answered by the API.
WORDS_TABLES = frozenset({"shared-changes"})


class Cell(Schema):
    value: float | int | None = Field(description="The figure; null when hidden or when nobody is behind it.")
    hidden: Hidden | None = Field(
        description='"few": drawn from fewer than 5 people; "derivable": it would give such a group away.'
    )
    text: str | None = Field(default=None, description="A cell of words instead of a figure (a target).")


class ColumnOut(Schema):
    label: str
    kind: str = Field(description="count, pct, mean, hours, signed, or text.")


class RowOut(Schema):
    label: str
    total: bool = Field(description="The sum of the rows above it.")
    cells: list[Cell | None] = Field(description="One per column; null where the column does not apply.")


class TableOut(Schema):
    slug: str
    title: str
    caption: str
    first_column: str
    columns: list[ColumnOut]
    rows: list[RowOut]
    caveat: str = Field(description="What to bear in mind reading the table; often empty.")


class DashboardOut(Schema):
    built_at: datetime | None = Field(description="When the figures were last rebuilt.")
    hidden: Hidden | None = Field(
        description="Set when this choice of filters is drawn from too few people: no tables then."
    )
    detail: str = Field(description="Why the figures are hidden, in words; empty when they are not.")
    tables: list[TableOut]


def _cell(cell) -> dict | None:
    if cell is None:
        return None
    if isinstance(cell, Figure):
        return {"value": None if cell.hidden else cell.value, "hidden": cell.hidden or None}
    return {"value": None, "hidden": None, "text": str(cell)}


def _table(table: Table) -> dict:
    # str(): some labels are lazy translations, resolved here in the caller's language.
    return {
        "slug": table.slug,
        "title": str(table.title),
        "caption": str(table.caption),
        "first_column": str(table.first_column),
        "columns": [{"label": str(c.label), "kind": c.kind} for c in table.columns],
        "rows": [
            {"label": str(row.label), "total": row.total, "cells": [_cell(cell) for cell in row.cells]}
            for row in table.rows
        ],
        "caveat": str(table.note),
    }


@router.get("/dashboard", response=DashboardOut, url_name="dashboard", **scoped(Scope.READ_REPORTS))
def dashboard(
    request,
    family: str | None = Query(None, max_length=200, description="A program family's name."),
    program: int | None = Query(None, ge=1, le=MAX_ID, description="One cohort's id."),
    department: str | None = Query(None, max_length=120),
    location: str | None = Query(None, max_length=120),
    grain: Literal["month", "week"] | None = Query(
        None, description="Trends by month (the default) or week."
    ),
    table: str | None = Query(None, max_length=50, description="One table's slug, e.g. funnel."),
):
    """The success dashboards' figures for a choice of filters, as the leaders' page shows them."""
    data = {
        "family": family or "",
        "program": program or "",
        "department": department or "",
        "location": location or "",
        "grain": grain or Grain.MONTH,
    }
    choices = dashboard_choices()
    form = DashboardFilterForm(data, choices=choices)
    filters = form.filters()
    if form.errors:
        # A department, location, family or cohort the dashboards do not know: there are no such figures.
        errors = [
            {"name": name, "location": "query", "detail": " ".join(messages)}
            for name, messages in form.errors.items()
        ]
        raise ApiProblem(
            404,
            "not-found",
            "; ".join(f"{e['name']}: {e['detail']}" for e in errors),
            errors=errors,
        )
    board = dashboard_for(filters=filters, choices=choices)
    tables = [t for t in board.tables.values() if t.slug not in WORDS_TABLES] if not board.hidden else []
    if table is not None:
        tables = [t for t in tables if t.slug == table]
        if not tables and not board.hidden:
            raise ApiProblem(404, "not-found", f"There is no table {table!r}.")
    return {
        "built_at": board.built_at,
        "hidden": board.hidden or None,
        "detail": hidden_explanation(board.hidden) if board.hidden else "",
        "tables": [_table(t) for t in tables],
    }
