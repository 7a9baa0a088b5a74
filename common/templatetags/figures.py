"""{% figure f "pct" %}: a common.privacy Figure as text, or the words that stand in for it when hidden."""

from django import template
from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.translation import gettext as _

from common.privacy import Figure, hidden_explanation

register = template.Library()


def figure_text(fig: Figure, kind: str = "count") -> str:
    """The figure as plain text in the reader's locale (also what CSV exports write)."""
    if fig.hidden:
        return fig.label
    if fig.value is None:
        return "—"
    value = fig.value
    if kind == "pct":
        return _("%(n)s%%") % {"n": number_format(value)}
    if kind == "mean":
        return number_format(value, decimal_pos=1)
    if kind == "hours":
        return number_format(value, decimal_pos=0)
    if kind == "signed":
        return ("+" if value > 0 else "") + number_format(value)
    return number_format(value, force_grouping=True)


@register.simple_tag
def figure(fig: Figure, kind: str = "count"):
    if not isinstance(fig, Figure):
        return format_html(
            '<span aria-hidden="true">—</span><span class="visually-hidden">{}</span>', _("does not apply")
        )
    if fig.hidden:
        return format_html(
            '<span class="figure-hidden">{}<span class="visually-hidden"> ({})</span></span>',
            fig.label,
            hidden_explanation(fig.hidden),
        )
    if fig.value is None:
        return format_html(
            '<span aria-hidden="true">—</span><span class="visually-hidden">{}</span>', _("none yet")
        )
    return figure_text(fig, kind)


@register.filter
def chart_value(fig: Figure) -> str:
    """The number a chart draws for a figure: "" (a gap) when it is hidden or empty."""
    if not isinstance(fig, Figure) or not fig.shown:
        return ""
    return str(fig.value)
