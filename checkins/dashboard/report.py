"""The monthly report: the dashboards' headline figures for the month just ended, across every program,
and how each changed since the month before. A row of the notification outbox for each leader and HR
admin (kind MONTHLY_REPORT, one per person and month), with the usual preferences and unsubscribe.

Every figure goes through the same small-group rule as the page: hidden ones say "fewer than 5".
"""

from dataclasses import dataclass
from datetime import date

from django.utils.formats import date_format
from django.utils.translation import gettext as _

from common.privacy import Figure, figure, mean, percent
from common.templatetags.figures import figure_text
from pairings.models import Side

from ..models import ActionRollup, DashboardRollup, Grain
from . import periods
from .figures import SUM_COLUMNS, Data


@dataclass(frozen=True)
class Headline:
    label: str
    now: Figure
    before: Figure
    kind: str = "count"

    @property
    def change(self) -> str:
        """ "+3", "-2 points" or "" when either month is hidden or empty."""
        if not (self.now.shown and self.before.shown):
            return ""
        difference = round(self.now.value - self.before.value, 1)
        if difference == 0:
            return _("no change")
        if self.kind == "pct":
            return _("%(n)s points") % {"n": f"{difference:+g}"}
        return f"{difference:+g}"


def reported_month(today: date) -> date:
    """The month a report sent on `today` is about: the one that just ended."""
    return periods.add_months(periods.month_of(today), -1)


def monthly_headlines(*, month: date) -> list[Headline]:
    """The headline figures of `month` against the month before, for all programs together."""
    before = periods.add_months(month, -1)
    rows = DashboardRollup.objects.filter(
        program__isnull=True,
        grain=Grain.MONTH,
        period__in=[month, before],
        department__isnull=True,
        location__isnull=True,
    ).values("program_id", "grain", "period", "side", *SUM_COLUMNS)
    data = Data(list(rows))
    # Changes recorded that month: how many, and by how many seniors.
    actions = {
        period: (n, seniors)
        for period, n, seniors in ActionRollup.objects.filter(
            program__isnull=True,
            grain=Grain.MONTH,
            period__in=[month, before],
            theme__isnull=True,
            effect="",
            department__isnull=True,
            location__isnull=True,
        ).values_list("period", "actions", "seniors")
    }

    def of(start: date) -> dict[str, Figure]:
        pairs, mentor, mentee = (
            data.pairs(Grain.MONTH, start),
            data(Side.MENTOR, Grain.MONTH, start),
            data(Side.MENTEE, Grain.MONTH, start),
        )
        return {
            "active": figure(pairs["live_end"], pairs["live_end"]),
            "adherence": figure(
                pairs["live_end"], lambda: percent(pairs["on_cadence_end"], pairs["live_end"])
            ),
            "checkins": figure(pairs["people_met"], pairs["checkins"]),
            "hours": figure(pairs["people_met"], lambda: round(pairs["minutes"] / 60)),
            "mentor_rating": figure(mentor["raters"], lambda: mean(mentor["rating_sum"], mentor["rating_n"])),
            "mentee_rating": figure(mentee["raters"], lambda: mean(mentee["rating_sum"], mentee["rating_n"])),
            "changes": figure(actions.get(start, (0, 0))[1], actions.get(start, (0, 0))[0]),
        }

    now, then = of(month), of(before)
    labels = [
        ("active", _("Active pairs at the end of the month"), "count"),
        ("adherence", _("Check-in adherence (pairs on cadence)"), "pct"),
        ("checkins", _("Check-ins held"), "count"),
        ("hours", _("Hours spent together"), "hours"),
        ("mentor_rating", _("Junior mentors' check-in rating (1 to 5)"), "mean"),
        ("mentee_rating", _("Senior mentees' check-in rating (1 to 5)"), "mean"),
        ("changes", _('Changes the seniors recorded ("you said, we did")'), "count"),
    ]
    return [Headline(label, now[key], then[key], kind) for key, label, kind in labels]


def report_text(*, month: date) -> str | None:
    """The report's body, or None when there is nothing to report (no pair met that month or before)."""
    headlines = monthly_headlines(month=month)
    if all(h.now.empty and h.before.empty for h in headlines):
        return None
    lines = [
        _("Across every program, %(month)s, and the change since %(before)s:")
        % {"month": date_format(month, "F Y"), "before": date_format(periods.add_months(month, -1), "F Y")}
    ]
    for h in headlines:
        change = f" ({h.change})" if h.change else ""
        value = _("none") if h.now.empty else figure_text(h.now, h.kind)
        lines.append(f"- {h.label}: {value}{change}")
    lines.append(
        _(
            "Every figure comes from 5 or more people; a hidden one says so. The dashboard has the trends, "
            "each program, the results against a comparison group, and a CSV of every table."
        )
    )
    return "\n".join(lines)
