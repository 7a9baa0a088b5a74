"""The small-group rule, on its own: every aggregate outside HR goes through these functions."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from common.privacy import (
    MIN_PEOPLE,
    Hidden,
    breakdown,
    combined_people,
    figure,
    mean,
    percent,
    selection,
    series,
)


def test_a_figure_from_fewer_than_5_people_is_hidden_and_never_computed():
    def boom():
        raise AssertionError("a hidden figure's value must not even be computed")

    hidden = figure(4, boom)
    assert (hidden.value, hidden.hidden, hidden.label) == (None, Hidden.FEW, "fewer than 5")
    assert not hidden.shown
    assert figure(5, lambda: 42).value == 42 and figure(5, 42).shown


def test_a_figure_from_nobody_is_empty_not_hidden():
    empty = figure(0, 7)
    assert empty.empty and not empty.hidden and empty.value is None


def test_a_side_hidden_for_few_people_is_not_given_away_by_the_total():
    total = figure(13, 13)
    parts = breakdown(total, {"mentor": figure(3, 3), "mentee": figure(10, 10)})
    # Shown, the mentees' 10 and the total 13 would give the 3 mentors away: both sides are hidden.
    assert parts["mentor"].hidden == Hidden.FEW
    assert parts["mentee"].hidden == Hidden.DERIVABLE and parts["mentee"].value is None


def test_hidden_parts_that_together_cover_5_people_need_nothing_more_hidden():
    total = figure(26, 26)
    parts = breakdown(total, {"a": figure(3, 3), "b": figure(2, 2), "c": figure(21, 21)})
    assert parts["c"].shown  # a and b together are 5 people: subtracting gives a group of 5
    assert parts["a"].hidden == parts["b"].hidden == Hidden.FEW


def test_secondary_suppression_hides_the_smallest_parts_first():
    total = figure(40, 40)
    parts = breakdown(total, {"a": figure(2, 2), "b": figure(6, 6), "c": figure(32, 32)})
    assert parts["b"].hidden == Hidden.DERIVABLE and parts["c"].shown


def test_a_hidden_total_leaves_its_parts_to_their_own_rule():
    parts = breakdown(figure(4, 4), {"a": figure(2, 2), "b": figure(0, 0)})
    assert parts["a"].hidden == Hidden.FEW and parts["b"].empty


@given(st.lists(st.integers(min_value=0, max_value=30), min_size=1, max_size=6))
def test_no_breakdown_ever_lets_fewer_than_5_people_be_recovered(sizes):
    total = figure(sum(sizes), sum(sizes))
    parts = breakdown(total, {i: figure(n, n) for i, n in enumerate(sizes)})
    if total.shown:
        recoverable = sum(sizes[i] for i, part in parts.items() if part.hidden)
        assert recoverable == 0 or recoverable >= MIN_PEOPLE


def test_a_trend_step_changed_by_a_few_people_is_hidden():
    points = [figure(20, 80), figure(21, 76), figure(26, 75), figure(26, 73)]
    shown = series(points, changes=[20, 1, 5, 0])
    assert shown[0].shown
    assert shown[1].hidden == Hidden.DERIVABLE  # one person joined: the change would be theirs
    assert shown[2].shown  # 6 changed since the last step shown
    assert shown[3].shown  # nobody joined or left


def test_a_trend_without_changes_only_applies_the_count_rule():
    assert [p.shown for p in series([figure(4, 1), figure(9, 2)])] == [False, True]


@pytest.mark.parametrize(
    ("people", "broader", "expected"),
    [
        (4, [], Hidden.FEW),
        (12, [14], Hidden.DERIVABLE),  # the broader choice minus this one is 2 people
        (12, [12], Hidden.NO),  # the same people: nothing to subtract
        (12, [17, 40], Hidden.NO),
        (0, [30], Hidden.NO),  # nobody: empty figures, nothing to protect
    ],
)
def test_a_selection_narrowed_to_few_people_or_close_to_a_broader_one_shows_nothing(
    people, broader, expected
):
    assert selection(people, broader) == expected


def test_combining_programs_counts_the_largest_not_the_sum():
    assert combined_people([3, 4]) == 4  # these could be the same people in two programs
    assert combined_people([]) == 0


def test_shares_and_means_round_half_up():
    assert percent(1, 8) == 13  # 12.5
    assert percent(0, 0) is None
    assert mean(77, 20) == 3.9  # 3.85
