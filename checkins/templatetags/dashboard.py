"""{% table_body table %}: a dashboard table's rows as HTML, made in one pass.

A dashboard has some 700 figures; rendering each through template tags (or format_html, which checks
every argument for lazy strings) cost more than computing them. The markup is what the template would
make: a row header, then one cell per column, each figure's number in data-value for the chart beside
the table (empty for a hidden figure: a gap, never 0). Every piece of text is escaped here.
"""

from html import escape

from django import template
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from common.privacy import Figure, Hidden, hidden_explanation, hidden_label
from common.templatetags.figures import figure_text

register = template.Library()


def _hidden_html() -> dict:
    return {
        why: f'<span class="figure-hidden">{escape(hidden_label(why))}'
        f'<span class="visually-hidden"> ({escape(hidden_explanation(why))})</span></span>'
        for why in (Hidden.FEW, Hidden.DERIVABLE)
    }


@register.simple_tag
def table_body(table):
    hidden = _hidden_html()
    none_yet = (
        f'<span aria-hidden="true">—</span><span class="visually-hidden">{escape(_("none yet"))}</span>'
    )
    not_applicable = (
        f'<span aria-hidden="true">—</span><span class="visually-hidden">{escape(_("does not apply"))}</span>'
    )
    rows = []
    for row, cells in table.cells():
        attributes = (' class="fw-semibold"' if row.total else "") + (
            ' data-chart-skip="1"' if row.total or not row.in_chart else ""
        )
        note = f'<br><span class="small fw-normal">{escape(str(row.note))}</span>' if row.note else ""
        parts = [f'<th scope="row">{escape(str(row.label))}{note}</th>']
        for cell, kind in cells:
            if kind == "text":
                parts.append(f"<td>{escape(str(cell or ''))}</td>")
            elif not isinstance(cell, Figure):
                parts.append(f'<td class="text-end" data-value="">{not_applicable}</td>')
            elif cell.hidden:
                parts.append(f'<td class="text-end" data-value="">{hidden[cell.hidden]}</td>')
            elif cell.value is None:
                parts.append(f'<td class="text-end" data-value="">{none_yet}</td>')
            else:
                text = escape(figure_text(cell, kind))
                parts.append(f'<td class="text-end" data-value="{cell.value}">{text}</td>')
        rows.append(f"<tr{attributes}>{''.join(parts)}</tr>")
    if not rows:
        rows.append(
            f'<tr><td colspan="{len(table.columns) + 1}">{escape(_("Nothing to show yet."))}</td></tr>'
        )
    return mark_safe("\n".join(rows))  # noqa: S308 - every piece of text above is escaped
