"""Backtests of the projection on the real SCB files (pure numpy, no database), kept in
the suite so that the figures in docs/methods/needs.md stay true.

Kommuner: 2019 → 2024 against the observed 2024 totals; län: 2005 → 2015 inside the
one-year-age series. Both against no change and national growth, measured in the same run.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from django.conf import settings

from datasmart.needs.backtest import (
    ReferenceArrays,
    kommun_backtest,
    lan_backtest,
    read_reference,
)
from datasmart.needs.projection import ProjectionParameters
from datasmart.needs.services import default_parameters


@pytest.fixture(scope="module")
def ref() -> ReferenceArrays:
    return read_reference(settings.DATA_DIR)


def test_kommun_backtest_beats_no_change(ref: ReferenceArrays) -> None:
    bt = kommun_backtest(ref, default_parameters(2019, 5))
    assert bt.parameters["base_periods"] == [[2010, 2015]]
    # the figures in docs/methods/needs.md
    assert bt.method.mape == pytest.approx(0.0296, abs=5e-4)
    assert bt.no_change.mape == pytest.approx(0.0304, abs=5e-4)
    assert bt.national_growth.mape == pytest.approx(0.0383, abs=5e-4)
    assert bt.method.mape < bt.no_change.mape < bt.national_growth.mape
    assert len(bt.method.worst) == 10
    # honest: it loses on the median, and the worst are kommuner that received many
    # refugees in 2015-2016 and then shrank (Högsby, Hylte, ...)
    assert bt.method.median_ape > bt.no_change.median_ape
    assert bt.method.worst[0][0] == "0821"


def test_kommun_backtest_with_the_refugee_wave_period_loses(ref: ReferenceArrays) -> None:
    """Ratios from 2014→2019 (the latest period) carry the 2016–2017 immigration peak
    forward: worse than no change. This is why the default for 2019 is 2010→2015."""
    for width in (1, 5):
        params = ProjectionParameters(
            2019, horizon=5, base_periods=((2014, 2019),), band_width=width
        )
        bt = kommun_backtest(ref, params)
        assert bt.method.mape == pytest.approx(0.0416, abs=1e-3)
        assert bt.method.mape > bt.no_change.mape


def test_lan_backtest_2005_to_2015(ref: ReferenceArrays) -> None:
    params = ProjectionParameters(2005, horizon=10, base_periods=((2000, 2005),), band_width=1)
    bt = lan_backtest(ref, params, 2015)
    assert bt.method.mape == pytest.approx(0.0442, abs=5e-4)
    assert bt.method.mape < bt.no_change.mape  # 4.9 %
    assert bt.method.mape < bt.national_growth.mape  # 5.3 %
    # every län is under-projected: 2000-2005 had far less immigration than 2005-2015
    projected_below = [p < o for _c, p, o, _e in bt.method.worst]
    assert all(projected_below)


def test_projection_uses_no_year_after_the_base_year(ref: ReferenceArrays) -> None:
    """Changing every later year of the data leaves a 2005 projection unchanged."""
    params = ProjectionParameters(2005, horizon=10, base_periods=((2000, 2005),), band_width=1)
    before = lan_backtest(ref, params, 2015).method
    later = {y: v * 3.0 if 2005 < y < 2015 else v for y, v in ref.lan_single.items()}
    after = lan_backtest(replace(ref, lan_single=later), params, 2015).method
    assert after.mape == before.mape
