"""Funnel zones, drawn funnel lines and exact tail probabilities agree (issue #11).

Three independent readings of each unit's position must give the same zone:

* the engine's ``funnel_zone`` (``engine_compare._funnel_zones``),
* the exact Poisson / binomial tail probabilities from ``scipy.stats`` at the unit's
  own population or denominator,
* the limit lines the chart draws (``charts.funnel_lines``), read at the unit's x.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from django.conf import settings
from hypothesis import assume, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from scipy import stats as sps

from datasmart.indicators import charts
from datasmart.indicators.engine import IndicatorSpec
from datasmart.indicators.engine_compare import _funnel_zones
from datasmart.stats import funnel_control_limits, funnel_limits

T95, T998 = 0.025, 0.001
SPECS = {
    "rate": IndicatorSpec("r", "rate", 100_000, "lower_is_better", "byar"),
    "proportion": IndicatorSpec("p", "proportion", 100, "higher_is_better", "wilson"),
}


def engine_zones(
    kind: str, obs: list[float], size: list[float], nat: tuple[float, float]
) -> list[str | None]:
    spec = SPECS[kind]
    frame = pl.DataFrame(
        {
            "level": ["kommun"] * len(obs),
            "numerator": obs,
            "denominator": size,
            "value": [o / n * spec.multiplier for o, n in zip(obs, size, strict=True)],
            "nat_numerator": [nat[0]] * len(obs),
            "nat_denominator": [nat[1]] * len(obs),
        },
        schema_overrides={"numerator": pl.Float64, "denominator": pl.Float64},
    )
    return _funnel_zones(frame, spec)


def exact_tails(kind: str, o: int, n: float, target: float) -> tuple[float, float]:
    """(P(X <= o), P(X >= o)) straight from scipy.stats."""
    if kind == "rate":
        return float(sps.poisson.cdf(o, n * target)), float(sps.poisson.sf(o - 1, n * target))
    return (
        float(sps.binom.cdf(o, int(n), target)),
        float(sps.binom.sf(o - 1, int(n), target)),
    )


def zone_from_tails(low: float, high: float) -> str:
    if high < T998:
        return "above_998"
    if high < T95:
        return "above_95"
    if low < T998:
        return "below_998"
    if low < T95:
        return "below_95"
    return "within"


def zone_from_lines(lines: charts.FunnelLines, x: float, value: float) -> str:
    def at(line: charts.Line) -> float:
        xs, ys = line
        return ys[xs.index(x)]  # the drawn curve has a vertex at every unit's x

    if value > at(lines.upper_998):
        return "above_998"
    if value > at(lines.upper_95):
        return "above_95"
    if value < at(lines.lower_998):
        return "below_998"
    if value < at(lines.lower_95):
        return "below_95"
    return "within"


def three_readings(
    kind: str, obs: list[int], size: list[float], nat: tuple[float, float]
) -> tuple[list[str | None], list[str], list[str]]:
    m = SPECS[kind].multiplier
    target = nat[0] / nat[1]
    lines = charts.funnel_lines(
        kind, national_numerator=nat[0], national_denominator=nat[1], multiplier=m,
        x_min=min(size), x_max=max(size), at=size, points=4,
    )  # fmt: skip
    pairs = list(zip(obs, size, strict=True))
    tails = [zone_from_tails(*exact_tails(kind, o, n, target)) for o, n in pairs]
    drawn = [zone_from_lines(lines, n, o / n * m) for o, n in pairs]
    return engine_zones(kind, [float(o) for o in obs], size, nat), tails, drawn


def far_from_the_limits(kind: str, obs: list[int], size: list[float], target: float) -> bool:
    """A unit exactly on a limit is a tie any rounding may break; keep clear of it."""
    for o, n in zip(obs, size, strict=True):
        for p in exact_tails(kind, o, n, target):
            if any(abs(p - t) <= 1e-9 * t for t in (T95, T998)):
                return False
    return True


@st.composite
def rate_units(draw):
    target = draw(st.floats(1e-5, 2e-2))
    size = draw(st.lists(st.integers(50, 2_000_000), min_size=1, max_size=12, unique=True))
    obs = []
    for n in size:
        e = n * target
        spread = int(6 * np.sqrt(e) + 8)
        obs.append(draw(st.integers(max(0, int(e) - spread), int(e) + spread)))
    return obs, [float(n) for n in size], target


@st.composite
def proportion_units(draw):
    target = draw(st.floats(0.001, 0.999))
    size = draw(st.lists(st.integers(1, 20_000), min_size=1, max_size=12, unique=True))
    obs = []
    for n in size:
        e = n * target
        spread = int(6 * np.sqrt(n * target * (1 - target)) + 4)
        obs.append(draw(st.integers(max(0, int(e) - spread), min(n, int(e) + spread))))
    return obs, [float(n) for n in size], target


def _nat(target: float) -> tuple[float, float]:
    """National numerator and denominator with that average (any pair will do)."""
    return target * 1e7, 1e7


@hsettings(max_examples=150, deadline=None)
@given(rate_units())
def test_rate_zones_agree_with_poisson_tails_and_the_drawn_curve(units):
    obs, size, target = units
    assume(far_from_the_limits("rate", obs, size, target))
    engine, tails, drawn = three_readings("rate", obs, size, _nat(target))
    assert engine == tails == drawn


@hsettings(max_examples=150, deadline=None)
@given(proportion_units())
def test_proportion_zones_agree_with_binomial_tails_and_the_drawn_curve(units):
    obs, size, target = units
    assume(far_from_the_limits("proportion", obs, size, target))
    engine, tails, drawn = three_readings("proportion", obs, size, _nat(target))
    assert engine == tails == drawn


# --- the real cases of issue #11 ------------------------------------------------------------


def _self_harm() -> dict[tuple[str, str], tuple[int, int]]:
    path = Path(settings.DATA_DIR) / "indicators" / "self_harm_inpatient_lan_2023.csv"
    with path.open(encoding="utf-8") as fh:
        return {
            (r["lan_code"], r["sex"]): (int(r["patients"]), int(r["mean_population_derived"]))
            for r in csv.DictReader(fh)
            if r["lan_code"] != "00"
        }


@pytest.mark.parametrize(
    "lan,sex,zone,p_upper",
    [
        ("08", "2", "above_95", 0.021),  # Kalmar women: was "within"
        ("04", "1", "above_998", 0.00049),  # Södermanland men: was "above_95"
        ("08", "1", "above_998", 0.00042),  # Kalmar men: was "above_95"
    ],
)
def test_self_harm_2023_units_of_the_issue(lan, sex, zone, p_upper):
    data = _self_harm()
    rows = {k: v for k, v in data.items() if k[1] == sex}
    nat = (float(sum(o for o, _ in rows.values())), float(sum(n for _, n in rows.values())))
    codes = sorted(rows)
    obs = [rows[c][0] for c in codes]
    size = [float(rows[c][1]) for c in codes]
    engine, tails, drawn = three_readings("rate", obs, size, nat)
    assert engine == tails == drawn  # all 21 län of that sex
    i = codes.index((lan, sex))
    assert engine[i] == zone
    o, n = rows[(lan, sex)]
    assert sps.poisson(n * nat[0] / nat[1]).sf(o - 1) == pytest.approx(p_upper, rel=0.03)


def test_kalmar_women_numbers_of_the_issue():
    nat = (4047.0, 5_239_262.0)
    e = 122_120 * nat[0] / nat[1]
    assert e == pytest.approx(94.33, abs=0.005)
    f = funnel_control_limits([122_120], nat[0] / nat[1], statistic="rate", multiplier=100_000)
    assert f.upper_2s[0] == pytest.approx(93.62, abs=0.005)  # the limit at its own population
    assert f.upper_2s[0] < 115 / 122_120 * 1e5
    assert engine_zones("rate", [115.0], [122_120.0], nat) == ["above_95"]


def test_zero_events_with_small_expected_count_is_within():
    nat = (4047.0, 5_239_262.0)
    size = 2.56 / (nat[0] / nat[1])
    assert sps.poisson(2.56).cdf(0) == pytest.approx(0.077, abs=0.0005)
    assert engine_zones("rate", [0.0], [size], nat) == ["within"]
    # 0 events is "below 95 %" once the expected count passes -ln(0.025) = 3.69
    assert engine_zones("rate", [0.0], [3.8 / (nat[0] / nat[1])], nat) == ["below_95"]


def test_rate_curve_passes_through_phe_funnel_points():
    """PHE's plotted limit points (population mu/r, limit O r/mu x m, for whole O) lie
    on the curve drawn at those populations."""
    nat = (6000.0, 10_000_000.0)
    phe = funnel_limits([nat[0]], [nat[1]], statistic="rate", multiplier=1e5,
                        axis=np.arange(1.0, 400.0))  # fmt: skip
    for name in ("lower_2s", "upper_2s", "lower_3s", "upper_3s"):
        pops = getattr(phe, f"{name}_denominator")
        ours = funnel_control_limits(pops, nat[0] / nat[1], statistic="rate", multiplier=1e5)
        np.testing.assert_allclose(getattr(ours, name), getattr(phe, name), rtol=1e-9)
        np.testing.assert_allclose(getattr(ours, f"{name}_count"), phe.axis, rtol=1e-9)
