"""The matching engine's explanations, in plain words: why a pair was proposed (what they share, what
they lack), why a pair breaks a rule, why someone was left without a partner. Translatable (gettext);
built for the chosen pairs only."""

from collections.abc import Iterable, Mapping
from datetime import datetime
from zoneinfo import ZoneInfo

from django.utils.text import get_text_list
from django.utils.translation import gettext, ngettext, ngettext_lazy

from .matching_base import (
    DAY_LABELS,
    FORMAT_LABELS,
    FORMAT_SCORES,
    FORMATS,
    MENTEE,
    MENTOR,
    RULE_CAPACITY,
    RULE_FORBIDDEN,
    RULE_LEVEL_GAP,
    RULE_PREVIOUS_PAIR,
    RULE_REPORTING_LINE,
    RULE_SAME_DEPARTMENT,
    RULE_SAME_MANAGER,
    RULE_SAME_PERSON,
    Candidate,
    Rules,
    _utc_offset_hours,
    free_intervals,
    normalise_label,
    quarter_moment,
    reference_monday,
    shared_intervals,
)


def describe_rule(code: str, mentor: Candidate, mentee: Candidate, rules: Rules) -> str:
    """A plain sentence for why this pair breaks the hard rule `code`."""
    if code == RULE_LEVEL_GAP:
        return gettext(
            "the mentee's level (%(mentee_level)d) is not at least %(gap)d above the mentor's (%(mentor_level)d)"
        ) % {"mentee_level": mentee.level, "mentor_level": mentor.level, "gap": rules.min_level_gap}
    texts = {
        RULE_REPORTING_LINE: gettext("one of them is in the other's reporting line"),
        RULE_CAPACITY: gettext("one of them has no place left"),
        RULE_SAME_DEPARTMENT: gettext("both are in the same department"),
        RULE_SAME_MANAGER: gettext("both have the same manager"),
        RULE_FORBIDDEN: gettext("HR ruled this pair out"),
        RULE_PREVIOUS_PAIR: gettext("they were paired before"),
        RULE_SAME_PERSON: gettext("it is the same person"),
    }
    return texts[code]


# --- Explanations ----------------------------------------------------------------------------------------


def _display(labels: Iterable[str], *maps: Mapping[str, str]) -> list[str]:
    shown = []
    for label in labels:
        for mapping in maps:
            if label in mapping:
                shown.append(mapping[label])
                break
        else:
            shown.append(label)
    return shown


def _hours_text(hours: float) -> str:
    return f"{hours:g}"


def local_span(first: int, after: int, zone: str, monday) -> str:
    """A run of quarter-hours as one person reads it in their own zone: "Monday 14:00-16:00"."""
    tz = ZoneInfo(zone)
    start = quarter_moment(first, monday).astimezone(tz)
    end = quarter_moment(after, monday).astimezone(tz)
    day = DAY_LABELS[("mon", "tue", "wed", "thu", "fri", "sat", "sun")[start.weekday()]]
    return f"{day} {start:%H:%M}\u2013{end:%H:%M}"


def free_together(mentor: Candidate, mentee: Candidate, at: datetime) -> str:
    """When both are free, as real overlapping hours, said in each one's own time (a Berlin morning is a
    New York night: "free on Monday morning" alone would be false for one of them)."""
    if not mentor.availability or not mentee.availability:
        return gettext("availability not given by both")
    monday = reference_monday(at)
    runs = shared_intervals(
        free_intervals(mentor.availability, mentor.time_zone, monday),
        free_intervals(mentee.availability, mentee.time_zone, monday),
    )
    if not runs:
        return gettext("no free time in common (their free hours do not overlap, time zones counted)")
    spans = []
    for first, after in runs[:2]:
        mentor_time = local_span(first, after, mentor.time_zone, monday)
        mentee_time = local_span(first, after, mentee.time_zone, monday)
        if mentor_time == mentee_time:
            spans.append(mentor_time)
        else:
            spans.append(
                gettext("%(mentor_time)s for the mentor, %(mentee_time)s for the mentee")
                % {"mentor_time": mentor_time, "mentee_time": mentee_time}
            )
    text = gettext("both free on %(times)s") % {"times": get_text_list(spans, gettext("and"))}
    if len(runs) > 2:
        text += " " + ngettext("(and %(count)d other time)", "(and %(count)d other times)", len(runs) - 2) % {
            "count": len(runs) - 2
        }
    return text


def _explain(mentor: Candidate, mentee: Candidate, at: datetime, offsets: dict[str, float]) -> str:
    parts = []
    shared = sorted({normalise_label(t) for t in mentor.topics} & {normalise_label(t) for t in mentee.topics})
    if shared:
        names = sorted(_display(shared, mentee.topic_labels, mentor.topic_labels), key=str.casefold)
        parts.append(
            ngettext("shares %(count)d topic: %(topics)s", "shares %(count)d topics: %(topics)s", len(names))
            % {"count": len(names), "topics": ", ".join(names)}
        )
    else:
        parts.append(gettext("no shared topic"))

    a, b = mentor.preferred_format, mentee.preferred_format
    if a == b:
        parts.append(gettext("both prefer %(format)s") % {"format": FORMAT_LABELS[a]})
    elif FORMAT_SCORES[FORMATS.index(a), FORMATS.index(b)] > 0:
        parts.append(
            gettext("formats partly fit (%(mentor)s for the mentor, %(mentee)s for the mentee)")
            % {"mentor": FORMAT_LABELS[a], "mentee": FORMAT_LABELS[b]}
        )
    else:
        parts.append(
            gettext("formats differ (%(mentor)s for the mentor, %(mentee)s for the mentee)")
            % {"mentor": FORMAT_LABELS[a], "mentee": FORMAT_LABELS[b]}
        )

    hours = abs(
        _utc_offset_hours(mentor.time_zone, at, offsets) - _utc_offset_hours(mentee.time_zone, at, offsets)
    )
    if hours == 0:
        parts.append(gettext("no time difference"))
    else:
        parts.append(gettext("%(hours)s h apart") % {"hours": _hours_text(hours)})

    parts.append(free_together(mentor, mentee, at))

    languages = sorted(
        {normalise_label(x) for x in mentor.languages} & {normalise_label(x) for x in mentee.languages}
    )
    if languages:
        names = [
            name[:1].upper() + name[1:]
            for name in _display(languages, mentee.language_labels, mentor.language_labels)
        ]
        parts.append(
            gettext("both speak %(languages)s") % {"languages": get_text_list(names, gettext("and"))}
        )
    else:
        parts.append(gettext("no common language"))

    sentence = "; ".join(str(p) for p in parts)
    return sentence[:1].upper() + sentence[1:] + "."


# ngettext_lazy(..., "count"): the plural is chosen when formatted with {"count": n}.
_EXCLUDED_BY_EITHER_SIDE = {
    RULE_REPORTING_LINE: ngettext_lazy(
        "%(count)d is in the same reporting line", "%(count)d are in the same reporting line", "count"
    ),
    RULE_SAME_DEPARTMENT: ngettext_lazy(
        "%(count)d is in the same department", "%(count)d are in the same department", "count"
    ),
    RULE_SAME_MANAGER: ngettext_lazy(
        "%(count)d has the same manager", "%(count)d have the same manager", "count"
    ),
    RULE_FORBIDDEN: ngettext_lazy("%(count)d was ruled out by HR", "%(count)d were ruled out by HR", "count"),
    RULE_SAME_PERSON: ngettext_lazy("%(count)d is the same person", "%(count)d are the same person", "count"),
}
# Only "paired with this mentor/mentee before" names the side.
_EXCLUDED_TEXTS = {
    MENTOR: _EXCLUDED_BY_EITHER_SIDE
    | {
        RULE_PREVIOUS_PAIR: ngettext_lazy(
            "%(count)d was paired with this mentor before",
            "%(count)d were paired with this mentor before",
            "count",
        )
    },
    MENTEE: _EXCLUDED_BY_EITHER_SIDE
    | {
        RULE_PREVIOUS_PAIR: ngettext_lazy(
            "%(count)d was paired with this mentee before",
            "%(count)d were paired with this mentee before",
            "count",
        )
    },
}


def _no_partner_text(side: str, candidate: Candidate, counts: dict[str, int], rules: Rules) -> str:
    if not counts:
        if side == MENTOR:
            return gettext("There are no mentees to pair with.")
        return gettext("There are no mentors to pair with.")
    fragments = []
    for code, count in counts.items():
        if code == RULE_LEVEL_GAP and side == MENTOR:
            fragments.append(
                ngettext(
                    "%(count)d is below level %(needed)d (%(gap)d above this mentor's level %(level)d)",
                    "%(count)d are below level %(needed)d (%(gap)d above this mentor's level %(level)d)",
                    count,
                )
                % {
                    "count": count,
                    "needed": candidate.level + rules.min_level_gap,
                    "gap": rules.min_level_gap,
                    "level": candidate.level,
                }
            )
        elif code == RULE_LEVEL_GAP:
            fragments.append(
                ngettext(
                    "%(count)d is above level %(needed)d (%(gap)d below this mentee's level %(level)d)",
                    "%(count)d are above level %(needed)d (%(gap)d below this mentee's level %(level)d)",
                    count,
                )
                % {
                    "count": count,
                    "needed": candidate.level - rules.min_level_gap,
                    "gap": rules.min_level_gap,
                    "level": candidate.level,
                }
            )
        else:
            fragments.append(str(_EXCLUDED_TEXTS[side][code] % {"count": count}))
    lead = gettext("No mentee is eligible") if side == MENTOR else gettext("No mentor is eligible")
    return lead + ": " + ", ".join(fragments) + "."


def _capacity_text(side: str, eligible: int, all_by_pins: bool) -> str:
    if side == MENTOR:
        if all_by_pins:
            text = ngettext(
                "The one eligible mentee is fully taken by pairs HR pinned.",
                "All %(count)d eligible mentees are fully taken by pairs HR pinned.",
                eligible,
            )
        else:
            text = ngettext(
                "The one eligible mentee was paired with someone else: the best total for the program left no place.",
                "All %(count)d eligible mentees were paired with others: "
                "the best total for the program left no place.",
                eligible,
            )
    elif all_by_pins:
        text = ngettext(
            "The one eligible mentor is fully taken by pairs HR pinned.",
            "All %(count)d eligible mentors are fully taken by pairs HR pinned.",
            eligible,
        )
    else:
        text = ngettext(
            "The one eligible mentor was paired with someone else: the best total for the program left no place.",
            "All %(count)d eligible mentors were paired with others: the best total for the program left no place.",
            eligible,
        )
    return text % {"count": eligible}
