"""What a leader sees: every figure of the dashboards, read from the rollups and passed through the
small-group rule (common.privacy), as tables. A table is what the page shows, what its chart draws and
what its CSV export writes, so the three never disagree.

A fixed number of queries, whatever the size of the company: the selection's population, the three
rollups, the programs, the shared changes and the filter choices.
"""

from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from django.core.cache import cache
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from common.privacy import (
    MIN_PEOPLE,
    Figure,
    Hidden,
    breakdown,
    combined_people,
    figure,
    mean,
    percent,
    selection,
    series,
)
from pairings.models import Side
from profiles import selectors as profile_selectors
from programs import selectors as program_selectors
from programs.models import Program

from .. import selectors
from ..models import Action, ActionRollup, DashboardRollup, Grain, OutcomeRollup
from .rollup import DASHBOARD_HEARTBEAT, PEOPLE_COLUMNS

SIDES = (Side.MENTOR, Side.MENTEE)
BOTH = ""
SUM_COLUMNS = [
    f.name
    for f in DashboardRollup._meta.concrete_fields
    if f.name not in {"id", "program", "grain", "period", "side", "department", "location"}
]
PEOPLE = [c for c in SUM_COLUMNS if c in PEOPLE_COLUMNS]
SUMS = [c for c in SUM_COLUMNS if c not in PEOPLE_COLUMNS]
SHARED_LINES = 20


# --- What was asked: the filters ------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    family: str = ""
    program_id: int | None = None
    department: str = ""
    location: str = ""
    grain: str = Grain.MONTH

    def query(self) -> dict[str, str]:
        """As URL parameters (for the CSV links and the trend switch)."""
        values = {
            "family": self.family,
            "program": self.program_id or "",
            "department": self.department,
            "location": self.location,
            "grain": self.grain,
        }
        return {key: str(value) for key, value in values.items() if value}

    def broader(self) -> list["Filters"]:
        """The choices with one filter fewer: what a reader could subtract this choice from."""
        out = []
        if self.program_id:
            out.append(replace(self, program_id=None))
        if self.family:
            out.append(replace(self, family="", program_id=None))
        if self.department:
            out.append(replace(self, department=""))
        if self.location:
            out.append(replace(self, location=""))
        return out


def program_scope(filters: Filters, programs: list[Program]) -> list[int] | None:
    """The programs a choice covers: one cohort, a family's cohorts, or None for every program."""
    if filters.program_id:
        return [filters.program_id]
    if filters.family:
        return [p.pk for p in programs if p.family_name == filters.family]
    return None


# --- Tables ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    label: str
    kind: str = "count"  # how its figures read: count, pct, mean, hours, signed; "text" for plain text


@dataclass
class Row:
    label: str
    cells: list  # Figure, or text (a target), or None (does not apply)
    kind: str = ""  # overrides the columns' kind: rows that are measures of different kinds
    note: str = ""
    total: bool = False  # the sum of the rows above it: tables show it, charts leave it out
    in_chart: bool = True  # False for a row of another unit than the chart's (a share among counts)

    def kind_of(self, column: Column) -> str:
        return column.kind if column.kind == "text" else (self.kind or column.kind)


@dataclass
class Table:
    slug: str
    title: str
    caption: str
    first_column: str
    columns: list[Column]
    rows: list[Row]
    chart: str = ""  # "", "bar", "hbar" or "line"
    chart_columns: list[int] = field(default_factory=list)
    chart_label: str = ""
    note: str = ""
    wide: bool = False  # takes the page's whole width (many columns)

    @property
    def has_data(self) -> bool:
        return any(isinstance(cell, Figure) and cell.shown for row in self.rows for cell in row.cells)

    def cells(self):
        """(row, [(cell, kind)]) for the template and the CSV writer."""
        for row in self.rows:
            yield (
                row,
                [(cell, row.kind_of(column)) for cell, column in zip(row.cells, self.columns, strict=True)],
            )


# --- Reading the rollups -----------------------------------------------------------------------------------


def _dims(rows, filters: Filters):
    rows = (
        rows.filter(department=filters.department)
        if filters.department
        else rows.filter(department__isnull=True)
    )
    return rows.filter(location=filters.location) if filters.location else rows.filter(location__isnull=True)


def _programs(rows, program_ids: list[int] | None):
    return (
        rows.filter(program__isnull=True) if program_ids is None else rows.filter(program_id__in=program_ids)
    )


class Data:
    """A selection's rollup rows, several programs combined into one: data(side, grain, period) -> columns.

    Sums add up; people take the largest program's count (common.privacy.combined_people)."""

    def __init__(self, rows: list[dict]):
        self.rows: dict[tuple, dict[str, int]] = {}
        for row in rows:
            key = (row["grain"], row["period"], row["side"])
            combined = self.rows.get(key)
            if combined is None:
                self.rows[key] = row  # one program: its row as it is
                continue
            combined = self.rows[key] = dict(combined)
            for column in PEOPLE:
                combined[column] = combined_people((combined[column], row[column]))
            for column in SUMS:
                combined[column] += row[column]
        self.empty = dict.fromkeys(SUM_COLUMNS, 0)

    def __call__(self, side: str, grain: str = Grain.TOTAL, period: date | None = None) -> dict[str, int]:
        return self.rows.get((grain, period, side), self.empty)

    def pairs(self, grain: str = Grain.TOTAL, period: date | None = None) -> dict[str, int]:
        """Pair-level sums (each pair counted once, on the mentors' side) with the people of both sides
        behind them: the larger side's count, a floor."""
        mentor, mentee = self(Side.MENTOR, grain, period), self(Side.MENTEE, grain, period)
        pairs = dict(mentor)
        for column in PEOPLE:
            pairs[column] = combined_people((mentor[column], mentee[column]))
        return pairs


# --- Figures --------------------------------------------------------------------------------------------------


def _count(people: int, value: int) -> Figure:
    return figure(people, value)


def _pct(part: int, whole: int, people: int) -> Figure:
    return figure(people, lambda: percent(part, whole))


def _mean(total: int, count: int, people: int) -> Figure:
    return figure(people, lambda: mean(total, count))


def _nps(row: dict) -> Figure:
    return figure(
        row["rec_n"],
        lambda: percent(row["promoters"], row["rec_n"]) - percent(row["detractors"], row["rec_n"]),
    )


def _by_side(both: Figure, mentor: Figure, mentee: Figure) -> list[Figure]:
    """Both sides and each side: a side hidden for few people never comes back as both minus the other."""
    parts = breakdown(both, {Side.MENTOR: mentor, Side.MENTEE: mentee})
    return [both, parts[Side.MENTOR], parts[Side.MENTEE]]


def _side_sum(data: Data, column: str, people_column: str) -> list[Figure]:
    """A count kept per side: both sides and each side, with the people behind each."""
    mentor, mentee = data(Side.MENTOR), data(Side.MENTEE)
    both_people = combined_people([mentor[people_column], mentee[people_column]])
    return _by_side(
        _count(both_people, mentor[column] + mentee[column]),
        _count(mentor[people_column], mentor[column]),
        _count(mentee[people_column], mentee[column]),
    )


def _side_mean(data: Data, total: str, count: str, people_column: str) -> list[Figure]:
    mentor, mentee = data(Side.MENTOR), data(Side.MENTEE)
    both_people = combined_people([mentor[people_column], mentee[people_column]])
    return _by_side(
        _mean(mentor[total] + mentee[total], mentor[count] + mentee[count], both_people),
        _mean(mentor[total], mentor[count], mentor[people_column]),
        _mean(mentee[total], mentee[count], mentee[people_column]),
    )


def _side_pct(data: Data, part: str, whole: str, people_column: str) -> list[Figure]:
    mentor, mentee = data(Side.MENTOR), data(Side.MENTEE)
    both_people = combined_people([mentor[people_column], mentee[people_column]])
    return _by_side(
        _pct(mentor[part] + mentee[part], mentor[whole] + mentee[whole], both_people),
        _pct(mentor[part], mentor[whole], mentor[people_column]),
        _pct(mentee[part], mentee[whole], mentee[people_column]),
    )


def _against(value: Figure, target, kind: str) -> str:
    """The target, and whether the figure meets it, in words (never by colour alone)."""
    if target is None:
        return ""
    shown_target = f"{target}%" if kind == "pct" else f"{target}"
    if not value.shown:
        return shown_target
    met = value.value >= float(target)
    return (
        _("%(target)s: met") % {"target": shown_target}
        if met
        else _("%(target)s: not yet") % {"target": shown_target}
    )


def _side_columns(kind: str = "count", target: bool = False) -> list[Column]:
    columns = [
        Column(_("Both sides"), kind),
        Column(_("Junior mentors"), kind),
        Column(_("Senior mentees"), kind),
    ]
    return columns + ([Column(_("Target"), "text")] if target else [])


# --- Reach and activity -----------------------------------------------------------------------------------------


def _funnel(data: Data) -> Table:
    rows = []
    both = data(BOTH)
    invited = both["invited"]
    rows.append(Row(_("Invited, or enrolled on their own"), [_count(invited, invited), None, None]))
    for column, label in (
        ("enrolled", _("Enrolled")),
        ("approved", _("Approved")),
        ("matched", _("Matched")),
        ("active", _("In a pair that began")),
        ("completed", _("Completed the program")),
    ):
        mentor, mentee = data(Side.MENTOR)[column], data(Side.MENTEE)[column]
        rows.append(
            Row(
                label,
                _by_side(_count(both[column], both[column]), _count(mentor, mentor), _count(mentee, mentee)),
            )
        )
    return Table(
        slug="funnel",
        title=_("Enrollment funnel"),
        caption=_("People at each step, to date"),
        first_column=_("Step"),
        columns=_side_columns(),
        rows=rows,
        chart="hbar",
        chart_columns=[0],
        chart_label=_(
            "Bar chart of the enrollment funnel for both sides; the table beside it has every figure."
        ),
        note=_("Invitations have no side yet: people choose to mentor or to be mentored when they enroll."),
    )


def _activity(data: Data, program: Program | None) -> Table:
    mentor, mentee, pairs = data(Side.MENTOR), data(Side.MENTEE), data.pairs()
    both = data(BOTH)
    live = pairs["live_end"]  # at least as many people as active pairs
    adherence = _pct(pairs["on_cadence_end"], live, live)
    target = program.target_checkin_adherence_pct if program else None
    rows = [
        Row(
            _("Match rate: approved people who were matched"),
            _by_side(
                _pct(both["matched"], both["approved"], both["approved"]),
                _pct(mentor["matched"], mentor["approved"], mentor["approved"]),
                _pct(mentee["matched"], mentee["approved"], mentee["approved"]),
            )
            + [""],
            kind="pct",
        ),
        Row(_("Active pairs now"), [_count(live, live), None, None, ""]),
        Row(
            _("Check-in adherence: active pairs on cadence now"),
            [adherence, None, None, _against(adherence, target, "pct")],
            kind="pct",
        ),
        Row(
            _("Pairs at risk now"),
            [_count(live, pairs["at_risk_end"]), None, None, ""],
            note=_(
                "Late, ratings falling, repeated cancellations or an open concern: HR's pair-health rule."
            ),
        ),
        Row(_("Check-ins held"), [_count(pairs["people_met"], pairs["checkins"]), None, None, ""]),
        Row(
            _("Hours spent together"),
            [figure(pairs["people_met"], lambda: round(pairs["minutes"] / 60)), None, None, ""],
            kind="hours",
        ),
    ]
    return Table(
        slug="activity",
        title=_("Pairs and check-ins"),
        caption=_("Pairs and check-ins, to date and now"),
        first_column=_("Measure"),
        columns=_side_columns(target=True),
        rows=rows,
        wide=True,
        note=_(
            "A pair is on cadence until its check-in is overdue by more than half its cadence; the same rule "
            "flags a late pair in HR's pair health and sends the reminders."
        ),
    )


def _goals(data: Data, program: Program | None) -> Table:
    mentor, mentee = data(Side.MENTOR), data(Side.MENTEE)

    def completion(row: dict) -> Figure:
        return _pct(row["goals_done"], row["goals_set"] - row["goals_dropped"], row["goal_owners"])

    both = {c: mentor[c] + mentee[c] for c in ("goals_done", "goals_set", "goals_dropped")}
    both["goal_owners"] = combined_people([mentor["goal_owners"], mentee["goal_owners"]])
    done = _by_side(completion(both), completion(mentor), completion(mentee))
    target = program.target_goal_completion_pct if program else None
    return Table(
        slug="goals",
        title=_("Two-way goals"),
        caption=_("Goals set and completed on each side, to date"),
        first_column=_("Measure"),
        columns=_side_columns(target=True),
        rows=[
            Row(_("Goals set"), [*_side_sum(data, "goals_set", "goal_owners"), ""]),
            Row(_("Goals completed"), [*_side_sum(data, "goals_done", "goal_owners"), ""]),
            Row(
                _("Completion (of goals not dropped)"),
                [*done, _against(done[0], target, "pct")],
                kind="pct",
                in_chart=False,
            ),
        ],
        chart="bar",
        chart_columns=[1, 2],
        chart_label=_(
            "Bar chart of goals set and completed by each side; the table beside it has every figure."
        ),
        note=_("Both sides set goals: the juniors' own goals count as much as the seniors'."),
    )


def _trends(data: Data, filters: Filters, starts: list[date]) -> list[Table]:
    grain = filters.grain
    # From the first period anyone was in a pair: the months before the first program are not news.
    first = next((i for i, start in enumerate(starts) if data.pairs(grain, start)["people"]), len(starts))
    starts = starts[first:]
    points = [
        (start, data.pairs(grain, start), data(Side.MENTOR, grain, start), data(Side.MENTEE, grain, start))
        for start in starts
    ]

    def label(start: date) -> str:
        text = (
            date_format(start, "SHORT_DATE_FORMAT")
            if grain == Grain.WEEK
            else date_format(start, "YEAR_MONTH_FORMAT")
        )
        return _("%(period)s (so far)") % {"period": text} if start == starts[-1] else text

    meetings = series([_count(p["people_met"], p["checkins"]) for _s, p, _m, _e in points])
    hours = series(
        [figure(p["people_met"], lambda p=p: round(p["minutes"] / 60)) for _s, p, _m, _e in points]
    )
    adherence = series(
        [_pct(p["on_cadence_end"], p["live_end"], p["live_end"]) for _s, p, _m, _e in points],
        changes=[p["changed"] for _s, p, _m, _e in points],
    )
    mentor_rating = series([_mean(m["rating_sum"], m["rating_n"], m["raters"]) for _s, _p, m, _e in points])
    mentee_rating = series([_mean(e["rating_sum"], e["rating_n"], e["raters"]) for _s, _p, _m, e in points])

    def reliability(row: dict, meetings_row: dict) -> Figure:
        return _pct(
            row["cancelled"] + row["moved"],
            meetings_row["checkins"] + meetings_row["cancellations_all"],
            row["people"],
        )

    mentor_cancel = series([reliability(m, p) for _s, p, m, _e in points])
    mentee_cancel = series([reliability(e, p) for _s, p, _m, e in points])
    period_word = _("Week of") if grain == Grain.WEEK else _("Month")
    labels = [label(start) for start in starts]
    by = {"period": grain_word(grain)}

    def trend(slug, title, caption, columns, figures, chart, chart_columns, chart_label, note=""):
        """A table of one row per period, one column per series of figures."""
        return Table(
            slug=slug,
            title=title,
            caption=caption,
            first_column=period_word,
            columns=columns,
            # The period still running is in the table but not in the chart: a few days are no trend.
            rows=[
                Row(labels[i], [column[i] for column in figures], in_chart=i < len(starts) - 1)
                for i in range(len(starts))
            ],
            chart=chart,
            chart_columns=chart_columns,
            chart_label=chart_label,
            note=note,
        )

    return [
        trend(
            "trend-activity",
            _("Check-ins over time"),
            _("Check-ins held and hours together, by %(period)s") % by,
            [Column(_("Check-ins held")), Column(_("Hours"), "hours")],
            [meetings, hours],
            "bar",
            [0],
            _("Bar chart of check-ins held over time; the table beside it has every figure."),
        ),
        trend(
            "trend-adherence",
            _("Check-in adherence over time"),
            _("Share of active pairs on cadence at the end of each %(period)s") % by,
            [Column(_("On cadence"), "pct")],
            [adherence],
            "line",
            [0],
            _("Line chart of check-in adherence over time; the table beside it has every figure."),
            _(
                "A step is hidden when fewer than 5 people joined or left the pairs since the step before: "
                "the change would be theirs."
            ),
        ),
        trend(
            "trend-ratings",
            _("How check-ins went, over time"),
            _("Mean check-in rating (1 to 5) of each side, by %(period)s") % by,
            [Column(_("Junior mentors"), "mean"), Column(_("Senior mentees"), "mean")],
            [mentor_rating, mentee_rating],
            "line",
            [0, 1],
            _(
                "Line chart of each side's mean check-in rating over time; the table beside it has every figure."
            ),
            _("Each rating stays its author's: only means of 5 or more people are shown."),
        ),
        trend(
            "trend-reliability",
            _("Meetings cancelled or moved, over time"),
            _("Share of planned check-ins cancelled or moved, by who asked, by %(period)s") % by,
            [Column(_("Asked by mentors"), "pct"), Column(_("Asked by mentees"), "pct")],
            [mentor_cancel, mentee_cancel],
            "line",
            [0, 1],
            _(
                "Line chart of meetings cancelled or moved by each side; the table beside it has every figure."
            ),
        ),
    ]


def grain_word(grain: str) -> str:
    return _("week") if grain == Grain.WEEK else _("month")


# --- Reaction ---------------------------------------------------------------------------------------------------


def _reaction(data: Data, program: Program | None) -> Table:
    mentor, mentee = data(Side.MENTOR), data(Side.MENTEE)
    both = {
        c: mentor[c] + mentee[c]
        for c in ("sat_sum", "sat_n", "learned_yes", "learned_n", "rec_n", "promoters", "detractors")
    }
    satisfaction = _by_side(
        _mean(both["sat_sum"], both["sat_n"], both["sat_n"]),
        _mean(mentor["sat_sum"], mentor["sat_n"], mentor["sat_n"]),
        _mean(mentee["sat_sum"], mentee["sat_n"], mentee["sat_n"]),
    )
    target = program.target_satisfaction if program else None
    return Table(
        slug="reaction",
        title=_("Reaction"),
        caption=_("How each side rates check-ins, and the latest closed survey of each program"),
        first_column=_("Measure"),
        columns=_side_columns(target=True),
        rows=[
            Row(
                _("Check-in rating (1 to 5)"),
                [*_side_mean(data, "rating_sum", "rating_n", "raters"), ""],
                kind="mean",
            ),
            Row(
                _("Survey: satisfaction (1 to 5)"),
                [*satisfaction, _against(satisfaction[0], target, "mean")],
                kind="mean",
            ),
            Row(
                _('Survey: "I use something I learned"'),
                [
                    *_by_side(
                        _pct(both["learned_yes"], both["learned_n"], both["learned_n"]),
                        _pct(mentor["learned_yes"], mentor["learned_n"], mentor["learned_n"]),
                        _pct(mentee["learned_yes"], mentee["learned_n"], mentee["learned_n"]),
                    ),
                    "",
                ],
                kind="pct",
                in_chart=False,
            ),
            Row(
                _("Survey: recommend score (NPS, -100 to 100)"),
                [*_by_side(_nps(both), _nps(mentor), _nps(mentee)), ""],
                kind="signed",
                in_chart=False,
            ),
        ],
        chart="bar",
        chart_columns=[1, 2],
        chart_label=_(
            "Bar chart of each side's check-in rating and satisfaction; the table beside it has every figure."
        ),
        note=_(
            "Surveys count once they have closed: while one is open its figures would move with each answer. "
            "Recommend score: the share who answer 9 or 10 minus the share who answer 0 to 6."
        ),
    )


# --- Behaviour: "you said, we did" ------------------------------------------------------------------------------


def _action_tables(program_ids: list[int] | None, filters: Filters, months: list[date]) -> list[Table]:
    rows = list(_dims(_programs(ActionRollup.objects.all(), program_ids), filters).values())
    sums: dict[tuple, int] = defaultdict(int)
    people: dict[tuple, int] = defaultdict(int)
    for row in rows:
        key = (row["grain"], row["period"], row["theme"], row["effect"])
        sums[key] += row["actions"]
        people[key] = combined_people([people[key], row["seniors"]])

    def cell(grain, period, theme, effect) -> Figure:
        key = (grain, period, theme, effect)
        return _count(people[key], sums[key])

    effects = list(Action.Effect)
    themes = sorted({row["theme"] for row in rows if row["theme"] is not None}, key=lambda t: (t == "", t))
    total = [cell(Grain.TOTAL, None, None, ""), *(cell(Grain.TOTAL, None, None, e) for e in effects)]
    by_theme = {
        theme: [cell(Grain.TOTAL, None, theme, ""), *(cell(Grain.TOTAL, None, theme, e) for e in effects)]
        for theme in themes
    }
    # A theme hidden for few seniors must not come back as the total minus the other themes.
    for index in range(len(total)):
        column = breakdown(total[index], {theme: cells[index] for theme, cells in by_theme.items()})
        for theme in themes:
            by_theme[theme][index] = column[theme]
    columns = [Column(_("Changes recorded")), *(Column(effect.label) for effect in effects)]
    theme_rows = [Row(theme or _("No theme given"), by_theme[theme]) for theme in themes]
    month_rows = [
        Row(
            date_format(start, "YEAR_MONTH_FORMAT"),
            [cell(Grain.MONTH, start, None, ""), cell(Grain.MONTH, start, None, Action.Effect.HELPED)],
        )
        for start in months
    ]
    # From the first month a change was recorded.
    while month_rows and all(c.empty for c in month_rows[0].cells):
        month_rows.pop(0)
    return [
        Table(
            slug="actions-theme",
            title=_("You said, we did: what seniors changed"),
            caption=_("Changes the seniors recorded, by theme and by whether it helped, to date"),
            first_column=_("Theme"),
            columns=columns,
            rows=[*theme_rows, Row(_("All themes"), total, total=True)],
            wide=True,
            chart="hbar",
            chart_columns=[0, 1],
            chart_label=_(
                "Bar chart of changes recorded and changes that helped, by theme; the table beside it has every figure."
            ),
        ),
        Table(
            slug="actions-month",
            title=_("Changes recorded over time"),
            caption=_("Changes the seniors recorded each month, and those that helped"),
            first_column=_("Month"),
            columns=[Column(_("Changes recorded")), Column(_("It helped"))],
            rows=month_rows,
            chart="bar",
            chart_columns=[0, 1],
            chart_label=_("Bar chart of changes recorded each month; the table beside it has every figure."),
        ),
    ]


def _shared_lines(program_ids: list[int] | None, filters: Filters, total_seniors: int) -> Table:
    """The changes seniors chose to share, without names; only where enough seniors are behind them that
    a line can't be traced back to one of a few people."""
    # Asked whatever the answer, so the page costs the same queries for a small company as a large one.
    lines = selectors.shared_actions_for(
        program_ids=program_ids, department=filters.department, location=filters.location, limit=SHARED_LINES
    )
    if total_seniors < MIN_PEOPLE:
        lines = []
    return Table(
        slug="shared-changes",
        title=_("What seniors chose to share"),
        caption=_("The latest changes shared on the dashboard, without names"),
        first_column=_("Month"),
        columns=[
            Column(_("Program"), "text"),
            Column(_("Theme"), "text"),
            Column(_("What changed"), "text"),
            Column(_("Did it help?"), "text"),
            Column(_("Measured effect"), "text"),
        ],
        rows=[
            Row(
                date_format(line.created_at, "M Y"),
                [
                    line.pairing.program.name,
                    line.theme.name if line.theme else "",
                    line.title,
                    str(Action.Effect(line.effect).label),
                    line.measured_effect,
                ],
            )
            for line in lines
        ],
        note=_(
            "Shown only when 5 or more seniors of this selection recorded changes, so a line can't point to one person."
        ),
        wide=True,
    )


# --- Results ----------------------------------------------------------------------------------------------------


@dataclass
class _Group:
    people: int = 0
    retained: float = 0.0
    promoted: float = 0.0


def _results(program_ids: list[int] | None, filters: Filters) -> Table:
    """The junior mentors' retention and promotion against people of the same levels and departments who
    never took part, over the same period (from each program's start to today), from the directory history.

    The comparison is weighted to the mentors' own mix of levels and departments (direct standardisation),
    so a comparison group full of other levels can't flatter or shame the program."""
    rows = OutcomeRollup.objects.all()
    if program_ids is not None:
        rows = rows.filter(program_id__in=program_ids)
    if filters.department:
        rows = rows.filter(department=filters.department)
    rows = rows.filter(location=filters.location) if filters.location else rows.filter(location__isnull=True)
    strata: dict[int, dict[str, dict[tuple, list[int]]]] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(lambda: [0, 0, 0]))
    )
    starts: dict[int, tuple[date, date]] = {}
    for row in rows.values(
        "program_id", "group", "start", "end", "level", "department", "people", "retained", "promoted"
    ):
        cell = strata[row["program_id"]][row["group"]][(row["level"], row["department"])]
        cell[0] += row["people"]
        cell[1] += row["retained"]
        cell[2] += row["promoted"]
        starts[row["program_id"]] = (row["start"], row["end"])
    mentors_n, mentors_retained, mentors_promoted = [], 0, 0
    comparison_n, weights, comparison_retained, comparison_promoted = [], 0, 0.0, 0.0
    for groups in strata.values():
        mentors = groups[OutcomeRollup.Group.MENTORS]
        comparison = groups[OutcomeRollup.Group.COMPARISON]
        mentors_n.append(sum(c[0] for c in mentors.values()))
        mentors_retained += sum(c[1] for c in mentors.values())
        mentors_promoted += sum(c[2] for c in mentors.values())
        used = 0
        for stratum, (n, _retained, _promoted) in mentors.items():
            people, retained, promoted = comparison.get(stratum, (0, 0, 0))
            if people:
                weights += n
                comparison_retained += n * retained / people
                comparison_promoted += n * promoted / people
                used += people
        comparison_n.append(used)
    total_mentors = sum(mentors_n)
    mentors_people = combined_people(mentors_n)
    comparison_people = combined_people(comparison_n)
    columns = [
        Column(_("People"), "count"),
        Column(_("Still with the company"), "pct"),
        Column(_("Promoted since"), "pct"),
    ]
    table_rows = [
        Row(
            _("Junior mentors"),
            [
                _count(mentors_people, total_mentors),
                _pct(mentors_retained, total_mentors, mentors_people),
                _pct(mentors_promoted, total_mentors, mentors_people),
            ],
        ),
        Row(
            _("Comparison: same levels and departments, never took part"),
            [
                _count(comparison_people, sum(comparison_n)),
                figure(comparison_people, lambda: percent(comparison_retained, weights)),
                figure(comparison_people, lambda: percent(comparison_promoted, weights)),
            ],
        ),
    ]
    since = min((s for s, _e in starts.values()), default=None)
    return Table(
        slug="results",
        title=_("Results: retention and promotion"),
        caption=_("Junior mentors against a comparison group, from the program's start to today"),
        first_column=_("Group"),
        columns=columns,
        rows=table_rows,
        chart="bar",
        chart_columns=[1, 2],
        chart_label=_(
            "Bar chart of retention and promotion, mentors against the comparison group; the table beside it has every figure."
        ),
        note=(
            _(
                'From the directory history: "promoted" is a higher level today than on the day the program '
                'started (%(since)s), "still with the company" is an active directory entry today. The '
                "comparison is weighted to the mentors' own mix of levels and departments."
            )
            % {"since": date_format(since, "SHORT_DATE_FORMAT") if since else "—"}
        ),
    )


# --- Executive reliability -------------------------------------------------------------------------------------


def _reliability(data: Data) -> Table:
    mentor, mentee, pairs = data(Side.MENTOR), data(Side.MENTEE), data.pairs()
    planned = pairs["checkins"] + pairs["cancellations_all"]
    both_people = combined_people([mentor["people"], mentee["people"]])

    def share(part: int, people: int) -> Figure:
        return _pct(part, planned, people)

    return Table(
        slug="reliability",
        title=_("Executive reliability"),
        caption=_("Check-ins cancelled or moved, and by which side, to date"),
        first_column=_("Measure"),
        columns=_side_columns(),
        rows=[
            Row(_("Cancelled"), _side_sum(data, "cancelled", "people")),
            Row(_("Moved to another time"), _side_sum(data, "moved", "people")),
            Row(
                _("Share of planned check-ins cancelled or moved"),
                _by_side(
                    share(
                        mentor["cancelled"] + mentor["moved"] + mentee["cancelled"] + mentee["moved"],
                        both_people,
                    ),
                    share(mentor["cancelled"] + mentor["moved"], mentor["people"]),
                    share(mentee["cancelled"] + mentee["moved"], mentee["people"]),
                ),
                kind="pct",
                in_chart=False,
            ),
        ],
        chart="bar",
        chart_columns=[1, 2],
        chart_label=_("Bar chart of cancellations and moves by side; the table beside it has every figure."),
        note=_("Does the senior side keep its meetings? A move counts once, whoever asked for it."),
    )


# --- Programs compared --------------------------------------------------------------------------------------------


def _programs_compared(programs: list[Program], filters: Filters) -> Table:
    rows = _dims(
        DashboardRollup.objects.filter(grain=Grain.TOTAL, program__in=[p.pk for p in programs]), filters
    )
    per_program: dict[int, list[dict]] = defaultdict(list)
    for row in rows.values("program_id", "grain", "period", "side", *SUM_COLUMNS):
        per_program[row["program_id"]].append(row)
    columns = [
        Column(_("State"), "text"),
        Column(_("Active pairs")),
        Column(_("On cadence"), "pct"),
        Column(_("Check-ins held")),
        Column(_("Mentors' rating"), "mean"),
        Column(_("Mentees' rating"), "mean"),
        Column(_("Satisfaction"), "mean"),
        Column(_("Goals completed"), "pct"),
        Column(_("Targets: adherence, goals, satisfaction"), "text"),
    ]

    def figures_of(d: Data) -> list[Figure]:
        pairs, mentor, mentee = d.pairs(), d(Side.MENTOR), d(Side.MENTEE)
        owners = combined_people([mentor["goal_owners"], mentee["goal_owners"]])
        sat_n = mentor["sat_n"] + mentee["sat_n"]
        return [
            _count(pairs["live_end"], pairs["live_end"]),
            _pct(pairs["on_cadence_end"], pairs["live_end"], pairs["live_end"]),
            _count(pairs["people_met"], pairs["checkins"]),
            _mean(mentor["rating_sum"], mentor["rating_n"], mentor["raters"]),
            _mean(mentee["rating_sum"], mentee["rating_n"], mentee["raters"]),
            _mean(mentor["sat_sum"] + mentee["sat_sum"], sat_n, sat_n),
            _pct(
                mentor["goals_done"] + mentee["goals_done"],
                mentor["goals_set"] + mentee["goals_set"] - mentor["goals_dropped"] - mentee["goals_dropped"],
                owners,
            ),
        ]

    shown = [p for p in programs if per_program.get(p.pk)]
    cells = {p.pk: figures_of(Data(per_program[p.pk])) for p in shown}
    # The whole these programs make up (what the family or "all programs" choice shows).
    total = figures_of(Data([row for p in shown for row in per_program[p.pk]]))
    # A program hidden for few people must not come back as the whole minus the other programs.
    for index in range(len(total)):
        column = breakdown(total[index], {p.pk: cells[p.pk][index] for p in shown})
        for p in shown:
            cells[p.pk][index] = column[p.pk]
    table_rows = [
        Row(
            p.name,
            [
                str(Program.State(p.state).label),
                *cells[p.pk],
                f"{p.target_checkin_adherence_pct}%, {p.target_goal_completion_pct}%, {p.target_satisfaction}",
            ],
        )
        for p in shown
    ]
    return Table(
        slug="programs",
        title=_("Programs compared"),
        caption=_("Each cohort's headline figures, to date, against its own targets"),
        first_column=_("Cohort"),
        columns=columns,
        rows=table_rows,
        chart="bar",
        chart_columns=[2],
        chart_label=_("Bar chart of check-in adherence by cohort; the table beside it has every figure."),
        wide=True,
    )


# --- The dashboard ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Choices:
    """What the filters offer: the programs past their draft, their families, departments, locations."""

    programs: list[Program]
    families: list[str]
    departments: list[str]
    locations: list[str]


CHOICES_CACHE_SECONDS = 300


def dashboard_choices() -> Choices:
    """The filter choices. Departments and locations come from the whole directory: they are kept in the
    cache for a few minutes rather than read from every person on every page."""
    programs = program_selectors.programs_for_dashboards()
    departments, locations = cache.get_or_set(
        "twoway:dashboard:directory-choices",
        lambda: (profile_selectors.departments(), profile_selectors.locations()),
        CHOICES_CACHE_SECONDS,
    )
    return Choices(programs, sorted({p.family_name for p in programs}), departments, locations)


@dataclass
class Dashboard:
    filters: Filters
    choices: Choices
    program: Program | None
    hidden: Hidden
    built_at: datetime | None
    sections: list[tuple[str, str, list[Table]]] = field(default_factory=list)

    @property
    def tables(self) -> dict[str, Table]:
        return {table.slug: table for _id, _title, tables in self.sections for table in tables}


def _participants(choices: list[Filters], programs: list[Program]) -> list[int]:
    """How many people took part (an approved enrollment) under each choice of filters.

    For every program or one program, the rollups have the exact count (people counted once), in one
    small query; a program family (several cohorts, whose people may overlap) is counted live."""
    scopes = [program_scope(f, programs) for f in choices]
    from_rollups = [i for i, scope in enumerate(scopes) if scope is None or len(scope) == 1]
    counts = [0] * len(choices)
    if from_rollups:
        wanted = Q()
        for i in from_rollups:
            f, scope = choices[i], scopes[i]
            wanted |= Q(
                Q(program__isnull=True) if scope is None else Q(program_id=scope[0]),
                Q(department=f.department) if f.department else Q(department__isnull=True),
                Q(location=f.location) if f.location else Q(location__isnull=True),
            )
        found = {
            (program, department, location): approved
            for program, department, location, approved in DashboardRollup.objects.filter(
                wanted, grain=Grain.TOTAL, side=BOTH
            ).values_list("program_id", "department", "location", "approved")
        }
        for i in from_rollups:
            f, scope = choices[i], scopes[i]
            key = (None if scope is None else scope[0], f.department or None, f.location or None)
            counts[i] = found.get(key, 0)
    live = [i for i in range(len(choices)) if i not in from_rollups]
    if live:
        live_counts = program_selectors.participant_counts(
            selections=[(scopes[i], choices[i].department, choices[i].location) for i in live]
        )
        for i, n in zip(live, live_counts, strict=True):
            counts[i] = n
    return counts


def dashboard_for(
    *,
    filters: Filters,
    choices: Choices | None = None,
    built_at: datetime | None = None,
    today: date | None = None,
) -> Dashboard:
    """Every figure of the dashboards for a choice of filters, through the small-group rule."""
    from . import periods

    today = today or timezone.localdate()
    choices = choices or dashboard_choices()
    programs = choices.programs
    program_ids = program_scope(filters, programs)
    program = next((p for p in programs if p.pk == filters.program_id), None)
    counts = _participants([filters, *filters.broader()], programs)
    board = Dashboard(
        filters=filters,
        choices=choices,
        program=program,
        hidden=selection(counts[0], counts[1:]),
        built_at=built_at if built_at is not None else selectors.heartbeat_last(name=DASHBOARD_HEARTBEAT),
    )
    if board.hidden:
        return board
    starts = periods.weeks(today) if filters.grain == Grain.WEEK else periods.months(today)
    data = Data(
        list(
            _dims(
                _programs(
                    DashboardRollup.objects.filter(grain__in=[Grain.TOTAL, filters.grain]), program_ids
                ),
                filters,
            ).values("program_id", "grain", "period", "side", *SUM_COLUMNS)
        )
    )
    actions = _action_tables(program_ids, filters, periods.months(today)[-12:])
    total_seniors = actions[0].rows[-1].cells[0].people if actions[0].rows else 0
    compared = [p for p in programs if program_ids is None or p.pk in program_ids]
    if program is not None:
        compared = [p for p in programs if p.family_name == program.family_name]
    board.sections = [
        ("reach", _("Reach and activity"), [_activity(data, program), _funnel(data), _goals(data, program)]),
        ("trends", _("Trends"), _trends(data, filters, starts)),
        ("reaction", _("Reaction"), [_reaction(data, program)]),
        (
            "behaviour",
            _("Behaviour: you said, we did"),
            [*actions, _shared_lines(program_ids, filters, total_seniors)],
        ),
        ("results", _("Results"), [_results(program_ids, filters)]),
        ("reliability", _("Executive reliability"), [_reliability(data)]),
        ("programs", _("Programs compared"), [_programs_compared(compared, filters)]),
    ]
    return board
