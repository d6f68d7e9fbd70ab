"""Achievement is direction-aware, monotone in the better direction, 100% at target, clamped to [0, 120]."""

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from indicators.achievement import achievement, gap_vs_trajectory

values = st.decimals(min_value=-10_000, max_value=10_000, allow_nan=False, allow_infinity=False, places=2)
directions = st.sampled_from(["higher", "lower"])


@given(baseline=values, target=values, a=values, b=values)
def test_monotone_in_the_better_direction(baseline, target, a, b):
    low, high = sorted((a, b))
    up = dict(baseline=baseline, target=target, direction="higher")
    down = dict(baseline=baseline, target=target, direction="lower")
    assert achievement(actual=low, **up) <= achievement(actual=high, **up)
    assert achievement(actual=high, **down) <= achievement(actual=low, **down)


@given(baseline=values, target=values)
def test_hundred_at_target_whichever_way_the_target_lies(baseline, target):
    direction = "higher" if target >= baseline else "lower"
    assert achievement(actual=target, baseline=baseline, target=target, direction=direction) == 100


@given(baseline=values, target=values, direction=directions)
def test_zero_at_baseline_unless_there_is_no_way_to_go(baseline, target, direction):
    # With no range (or a target on the wrong side) the baseline already is at or better than the target.
    span = target - baseline if direction == "higher" else baseline - target
    expected = 0 if span > 0 else 100
    assert achievement(actual=baseline, baseline=baseline, target=target, direction=direction) == expected


@given(baseline=values, target=values, actual=values, direction=directions)
def test_clamped_between_zero_and_one_hundred_twenty(baseline, target, actual, direction):
    assert 0 <= achievement(actual=actual, baseline=baseline, target=target, direction=direction) <= 120


@given(baseline=values, target=values, expected=values, a=values, b=values, direction=directions)
def test_gap_vs_trajectory_is_zero_on_the_line_and_grows_as_the_value_worsens(
    baseline, target, expected, a, b, direction
):
    terms = dict(expected=expected, baseline=baseline, target=target, direction=direction)
    assert gap_vs_trajectory(actual=expected, **terms) == 0
    worse, better = (min(a, b), max(a, b)) if direction == "higher" else (max(a, b), min(a, b))
    assert gap_vs_trajectory(actual=worse, **terms) >= gap_vs_trajectory(actual=better, **terms)


def test_examples():
    higher = dict(baseline=Decimal(50), target=Decimal(90), direction="higher")
    assert achievement(actual=Decimal(70), **higher) == 50
    assert achievement(actual=Decimal(40), **higher) == 0  # going backwards is no progress
    assert achievement(actual=Decimal(150), **higher) == 120  # capped
    # Lower is better: from 30 days to 10 days; 8 days is beyond the target, so it is met and more.
    lower = dict(baseline=Decimal(30), target=Decimal(10), direction="lower")
    assert achievement(actual=Decimal(20), **lower) == 50
    assert achievement(actual=Decimal(10), **lower) == 100
    assert achievement(actual=Decimal(8), **lower) == 110
    # Zero range: met when at or better than the target in the indicator's direction, else nothing.
    assert achievement(actual=Decimal(5), baseline=Decimal(5), target=Decimal(5), direction="higher") == 100
    assert achievement(actual=Decimal(6), baseline=Decimal(5), target=Decimal(5), direction="higher") == 100
    assert achievement(actual=Decimal(4), baseline=Decimal(5), target=Decimal(5), direction="higher") == 0
    assert achievement(actual=Decimal(4), baseline=Decimal(5), target=Decimal(5), direction="lower") == 100
    assert achievement(actual=Decimal(6), baseline=Decimal(5), target=Decimal(5), direction="lower") == 0
    # Gap in points of achievement: the line expects 75 (62.5%), 62 is 30% of the way.
    assert gap_vs_trajectory(actual=Decimal(62), expected=Decimal(75), **higher) == Decimal("32.5")
