"""The follow-up judgement rule (:func:`datasmart.plans.followup.judge`): each branch by
example, and properties with hypothesis — moving the latest value towards the target never
lowers the judgement, increase and decrease are mirror images, and the reasons not to judge
do not depend on the value."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from datasmart.plans.followup import MIN_EVENTS, RANK, Judgement, Latest, judge

J = Judgement


def _j(direction: str = "increase", **kw: Any) -> Any:
    args: dict[str, Any] = {
        "direction": direction,
        "baseline": 50.0,
        "baseline_period": 2022,
        "target": 60.0,
        "target_year": 2026,
        "latest": Latest(2024, 55.0, 53.0, 57.0, 200.0),
        "trend_direction": None,
    }
    args.update(kw)
    return judge(**args)


def test_cannot_judge_reasons() -> None:
    assert _j(latest=None).reason == "no_result"
    assert _j(latest=Latest(2024, None, status="missing")).reason == "no_result"
    assert _j(latest=Latest(2024, None, status="suppressed")).reason == "suppressed"
    assert _j(baseline=None).reason == "no_baseline"
    assert _j(latest=Latest(2022, 70.0)).reason == "no_new_data"
    assert _j(latest=Latest(2024, 70.0, numerator=MIN_EVENTS - 1)).reason == "too_few_events"
    # the interval (12 wide) is wider than the distance to travel (10)
    assert _j(latest=Latest(2024, 55.0, 49.0, 61.0)).reason == "ci_too_wide"
    for kw in ({"latest": None}, {"baseline": None}):
        assert _j(**kw).judgement == J.CANNOT_JUDGE


def test_target_met_on_track_not_on_track() -> None:
    assert _j(latest=Latest(2024, 61.0, 59.0, 63.0)).judgement == J.TARGET_MET
    # straight line 50 → 60 over 2022–2026: 55 expected in 2024
    v = _j(latest=Latest(2024, 55.0, 53.0, 57.0))
    assert (v.judgement, v.reason, v.expected) == (J.ON_TRACK, "ahead_of_path", 55.0)
    behind = _j(latest=Latest(2024, 52.0, 50.0, 54.0))
    assert (behind.judgement, behind.reason) == (J.NOT_ON_TRACK, "behind_path")
    by_trend = _j(latest=Latest(2024, 52.0, 50.0, 54.0), trend_direction="increasing")
    assert (by_trend.judgement, by_trend.reason) == (J.ON_TRACK, "significant_trend")
    # a significant trend the wrong way does not help
    assert _j(latest=Latest(2024, 52.0), trend_direction="decreasing").judgement == J.NOT_ON_TRACK
    assert _j(latest=Latest(2024, 49.0)).reason == "wrong_direction"
    assert _j(latest=Latest(2027, 59.0)).reason == "target_year_passed"


def test_decrease_and_keep() -> None:
    down = {"direction": "decrease", "baseline": 20.0, "target": 15.0}
    assert _j(**down, latest=Latest(2024, 14.0)).judgement == J.TARGET_MET
    assert _j(**down, latest=Latest(2024, 17.0)).judgement == J.ON_TRACK
    assert _j(**down, latest=Latest(2024, 19.0)).judgement == J.NOT_ON_TRACK
    keep = {"direction": "keep", "baseline": 80.0, "target": 80.0}
    assert _j(**keep, latest=Latest(2024, 79.0)).reason == "keep_no_ci"
    assert _j(**keep, latest=Latest(2024, 79.0, 77.0, 81.0)).judgement == J.ON_TRACK
    assert _j(**keep, latest=Latest(2026, 79.0, 77.0, 81.0)).judgement == J.TARGET_MET
    assert _j(**keep, latest=Latest(2024, 75.0, 73.0, 77.0)).judgement == J.NOT_ON_TRACK


def test_monthly_periods_count_as_parts_of_a_year() -> None:
    # July 2024 is 2.5 years into 2022–2026: 56.25 expected
    v = _j(latest=Latest(202407, 56.0))
    assert v.judgement == J.NOT_ON_TRACK and v.expected is not None
    assert abs(v.expected - 56.25) < 1e-9


# Values on a grid of quarters: sums and differences are exact in binary floating point, so
# "same interval width" really is the same width at every value (with arbitrary floats,
# (1 + h) - (1 - h) is 0 for a tiny h while (0 + h) - (0 - h) is 2h, and the property
# failed on that rounding rather than on the rule).
finite = st.integers(min_value=-4000, max_value=4000).map(lambda k: k / 4)
positive = st.integers(min_value=0, max_value=200).map(lambda k: k / 4)


@st.composite
def cases(draw: Any) -> dict[str, Any]:
    return {
        "direction": draw(st.sampled_from(["increase", "decrease", "keep"])),
        "baseline": draw(finite),
        "baseline_period": draw(st.integers(2010, 2024)),
        "target": draw(finite),
        "target_year": draw(st.integers(2015, 2035)),
        "period": draw(st.integers(2010, 2030)),
        "half": draw(st.one_of(st.none(), positive)),
        "numerator": draw(st.one_of(st.none(), st.floats(0, 1e5))),
        "trend": draw(st.sampled_from([None, "increasing", "decreasing", "no_significant_trend"])),
    }


def _run(c: dict[str, Any], value: float) -> Any:
    half = c["half"]
    latest = Latest(
        c["period"],
        value,
        None if half is None else value - half,
        None if half is None else value + half,
        c["numerator"],
    )
    return judge(
        direction=c["direction"],
        baseline=c["baseline"],
        baseline_period=c["baseline_period"],
        target=c["target"],
        target_year=c["target_year"],
        latest=latest,
        trend_direction=c["trend"],
    )


@settings(max_examples=400, deadline=None)
@given(cases(), finite, finite)
def test_moving_towards_the_target_never_worsens(c: dict[str, Any], a: float, b: float) -> None:
    """Closer to the target (in the goal's direction; for keep, in distance) is never judged
    worse, and whether a case is judged at all does not depend on the value."""
    t = c["target"]
    if c["direction"] == "increase":
        far, near = sorted((a, b))
    elif c["direction"] == "decrease":
        near, far = sorted((a, b))
    else:
        far, near = sorted((a, b), key=lambda x: -abs(x - t))
    v_far, v_near = _run(c, far), _run(c, near)
    judged = (v_far.judgement != J.CANNOT_JUDGE, v_near.judgement != J.CANNOT_JUDGE)
    if c["direction"] != "keep":
        assert judged[0] == judged[1]
    if all(judged):
        assert RANK[v_near.judgement] >= RANK[v_far.judgement]


MIRROR = {"increasing": "decreasing", "decreasing": "increasing"}


@settings(max_examples=300, deadline=None)
@given(cases(), finite)
def test_decrease_mirrors_increase(c: dict[str, Any], value: float) -> None:
    if c["direction"] == "keep":
        return
    flipped = {
        **c,
        "direction": "decrease" if c["direction"] == "increase" else "increase",
        "baseline": -c["baseline"],
        "target": -c["target"],
        "trend": MIRROR.get(c["trend"], c["trend"]),
    }
    a, b = _run(c, value), _run(flipped, -value)
    assert (a.judgement, a.reason) == (b.judgement, b.reason)


@settings(max_examples=200, deadline=None)
@given(cases(), finite)
def test_target_met_exactly_when_the_value_reaches_it(c: dict[str, Any], value: float) -> None:
    v = _run(c, value)
    if v.judgement == J.CANNOT_JUDGE or c["direction"] == "keep":
        return
    s = 1 if c["direction"] == "increase" else -1
    assert (v.judgement == J.TARGET_MET) == (s * value >= s * c["target"])
