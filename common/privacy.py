"""The small-group rule: what leaders see is never drawn from fewer than MIN_PEOPLE people, and never
something they could work out from the figures shown beside it.

Every aggregate shown outside HR (the dashboards, survey summaries, the monthly report, CSV exports)
goes through this module, and nothing else decides it:

- figure(): one figure and the number of people it is drawn from. From 1 to MIN_PEOPLE - 1 people it
  is hidden ("fewer than 5"); from nobody it is empty ("none yet").
- breakdown(): a total and its parts (the two sides, programs, themes). When the parts hidden could be
  recovered as the total minus the parts shown, and they cover fewer than MIN_PEOPLE people, the smallest
  parts shown are hidden too, until what could be recovered covers at least MIN_PEOPLE people.
- series(): a trend. For a snapshot of one population at each step (pairs on cadence at the end of each
  week), a step where fewer than MIN_PEOPLE people joined or left since the last step shown is hidden:
  the change between the two would be those few people's.
- selection(): a choice of filters. Drawn from fewer than MIN_PEOPLE people, or differing from a broader
  choice (one filter fewer) by fewer than MIN_PEOPLE people, it shows no figures at all: otherwise the
  broader figure minus this one would give a small group away.
- combined_people(): how many people a figure over several programs is drawn from, when each program
  counts its own. A person can take part in two programs, so the sum could count them twice; the largest
  program's count is a floor that is never above the truth.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from django.utils.translation import gettext as _

MIN_PEOPLE = 5


class Hidden(StrEnum):
    NO = ""
    FEW = "few"  # drawn from 1 to MIN_PEOPLE - 1 people
    DERIVABLE = "derivable"  # shown, it would let someone work out a hidden figure


def hidden_label(why: Hidden) -> str:
    """The words that stand in for a hidden figure, in the reader's language."""
    if why == Hidden.FEW:
        return _("fewer than %(n)s") % {"n": MIN_PEOPLE}
    if why == Hidden.DERIVABLE:
        return _("not shown")
    return ""


def hidden_explanation(why: Hidden) -> str:
    if why == Hidden.FEW:
        return _("This figure would come from fewer than %(n)s people.") % {"n": MIN_PEOPLE}
    if why == Hidden.DERIVABLE:
        return _(
            "This figure is hidden because, with the figures beside it, it would give away a group of "
            "fewer than %(n)s people."
        ) % {"n": MIN_PEOPLE}
    return ""


@dataclass(frozen=True)
class Figure:
    """A value and how many people it is drawn from. `people` is for the rules here, never for display."""

    value: int | float | None
    people: int
    hidden: Hidden = Hidden.NO

    @property
    def shown(self) -> bool:
        return self.hidden == Hidden.NO and self.value is not None

    @property
    def empty(self) -> bool:
        """Nobody is behind it yet: nothing to hide, nothing to show."""
        return self.hidden == Hidden.NO and self.value is None

    @property
    def label(self) -> str:
        """The words that stand in for a hidden figure ("fewer than 5"), or ""."""
        return hidden_label(self.hidden)


def figure(people: int, value: int | float | Callable[[], int | float | None] | None) -> Figure:
    """A figure drawn from `people` people. `value` may be a callable: it is only computed when shown."""
    if people <= 0:
        return Figure(None, 0)
    if people < MIN_PEOPLE:
        return Figure(None, people, Hidden.FEW)
    return Figure(value() if callable(value) else value, people)


def hide(fig: Figure, why: Hidden = Hidden.DERIVABLE) -> Figure:
    return fig if fig.hidden else replace(fig, value=None, hidden=why)


def breakdown[K](total: Figure, parts: dict[K, Figure]) -> dict[K, Figure]:
    """The parts of a shown total, with secondary suppression (see the module's docstring).

    Parts are taken to be disjoint groups of people: the sides of a pair, programs, themes.
    """
    if not total.shown:
        return dict(parts)
    out = dict(parts)
    recoverable = sum(p.people for p in parts.values() if p.hidden)
    shown = sorted((p.people, index, key) for index, (key, p) in enumerate(parts.items()) if p.shown)
    while 0 < recoverable < MIN_PEOPLE and shown:
        people, _index, key = shown.pop(0)
        out[key] = hide(out[key])
        recoverable += people
    return out


def series(points: list[Figure], *, changes: Iterable[int] | None = None) -> list[Figure]:
    """A trend's points, each by figure()'s rule; with `changes` (how many people joined or left the
    population since the point before, for snapshots of one population) a point is also hidden when
    1 to MIN_PEOPLE - 1 people changed since the last point shown."""
    if changes is None:
        return list(points)
    out = []
    changed_since_shown: int | None = None  # None until a point has been shown
    for point, changed in zip(points, changes, strict=True):
        if changed_since_shown is not None:
            changed_since_shown += changed
        if point.shown and changed_since_shown is not None and 0 < changed_since_shown < MIN_PEOPLE:
            out.append(hide(point))
            continue
        if point.shown:
            changed_since_shown = 0
        out.append(point)
    return out


def selection(people: int, broader: Iterable[int] = ()) -> Hidden:
    """Whether a choice of filters may show figures: Hidden.NO, or why not."""
    if 0 < people < MIN_PEOPLE:
        return Hidden.FEW
    if any(0 < wider - people < MIN_PEOPLE for wider in broader):
        return Hidden.DERIVABLE
    return Hidden.NO


def combined_people(counts: Iterable[int]) -> int:
    """People behind a figure combining several programs' own counts: the largest, a safe floor."""
    return max(counts, default=0)


def round_half_up(value: float, digits: int = 0) -> int | float:
    """Rounded the way people round (2.5 is 3, 3.85 is 3.9), not to the even neighbour."""
    rounded = Decimal(str(value)).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    return int(rounded) if digits == 0 else float(rounded)


def percent(part: int | float, whole: int | float) -> int | None:
    """A share in whole percent, rounded half up; None when there is no whole."""
    if not whole:
        return None
    return round_half_up(100 * part / whole)


def mean(total: int | float, count: int, digits: int = 1) -> float | None:
    if not count:
        return None
    return round_half_up(total / count, digits)
