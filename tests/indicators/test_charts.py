"""Chart builders of the indicator pages: pure data → Plotly figure dicts."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from datasmart.indicators import charts
from datasmart.stats import funnel_control_limits, funnel_limits


def _row(code: str, **kw: object) -> dict[str, object]:
    base: dict[str, object] = {
        "unit_code": code,
        "unit_name": f"Enhet {code}",
        "status": "ok",
        "value": 10.0,
        "vs_nation": "similar",
        "quintile": 3,
        "denominator": 1000.0,
        "funnel_zone": "within",
    }
    base.update(kw)
    return base


def test_category_and_markers() -> None:
    assert charts.category(_row("1", vs_nation="better"), "comparison") == "better"
    assert charts.category(_row("1", vs_nation=None), "comparison") == "not_compared"
    assert charts.category(_row("1", quintile=2), "quintile") == "q2"
    assert charts.category(_row("1", status="suppressed", value=None), "comparison") == "suppressed"
    assert charts.category(_row("1", status="weird", value=None), "comparison") == "missing"
    assert charts.status_marker("suppressed") == ".."
    assert charts.status_marker("missing") == "-"
    assert charts.status_marker("not_applicable") == "."
    assert charts.category_colour("better") == "#0072B2"
    assert charts.category_colour("q1") == charts.QUINTILE_COLOURS[0]


def test_choose_mode() -> None:
    assert charts.choose_mode([_row("1", vs_nation="not_compared")]) == "quintile"
    assert charts.choose_mode([_row("1", vs_nation="worse")]) == "comparison"
    assert charts.choose_mode([_row("1")], "quintile") == "quintile"


def test_map_has_one_trace_per_class_and_hides_suppressed_numbers() -> None:
    rows = [
        _row("0114", vs_nation="better"),
        _row("0115", vs_nation="worse", value=12.5),
        _row("0117", status="suppressed", value=None, vs_nation="not_compared"),
        _row("0120", status="missing", value=None),
    ]
    fig = charts.indicator_map_figure(
        rows,
        mode="comparison",
        geojson_url="/geo/kommuner.geojson",
        topojson_url="/geo/topojson/",
        unit_urls={"0114": "/indikatorer/profil/0114/"},
        sep=",\u2009",
    )
    names = [t["name"] for t in fig["data"]]
    assert len(names) == 4
    colours = {t["colorscale"][0][1] for t in fig["data"]}
    assert colours == {"#0072B2", "#D55E00", "#D9D9D9", "#FFFFFF"}
    suppressed = next(t for t in fig["data"] if t["locations"] == ["0117"])
    assert suppressed["customdata"] == [["Enhet 0117", "", ".."]]
    worse = next(t for t in fig["data"] if t["locations"] == ["0115"])
    assert worse["customdata"][0][2] == "12,5"
    better = next(t for t in fig["data"] if t["locations"] == ["0114"])
    assert better["customdata"][0][1] == "/indikatorer/profil/0114/"
    assert fig["config"] == {"topojsonURL": "/geo/topojson/"}
    json.dumps(fig)  # JSON-ready


def test_value_map_puts_units_without_value_in_grey() -> None:
    fig = charts.value_map_figure(
        [("0114", "A", 1.5), ("0115", "B", None)],
        geojson_url="/geo/kommuner.geojson",
        value_label="Index",
    )
    assert fig["data"][0]["z"] == [1.5]
    assert fig["data"][1]["locations"] == ["0115"]


def test_funnel_lines_proportion_match_stats() -> None:
    lines = charts.funnel_lines(
        "proportion",
        national_numerator=200,
        national_denominator=1000,
        multiplier=100,
        x_min=100,
        x_max=5000,
    )
    assert lines.baseline == pytest.approx(20.0)
    xs, ys = lines.upper_95
    ref = funnel_control_limits(xs, 0.2, statistic="proportion", multiplier=100)
    np.testing.assert_allclose(ys, ref.upper_2s)
    # exact binomial limits approach PHE's normal/Wilson limits as n grows
    phe = funnel_limits([200], [1000], statistic="proportion", multiplier=100, axis=xs)
    assert ys[-1] == pytest.approx(phe.upper_2s[-1], abs=0.05)  # n = 5750
    # limits narrow with the denominator; 99.8 % outside 95 %
    assert ys[0] > ys[-1]
    assert lines.upper_998[1][0] > lines.upper_95[1][0]
    assert lines.lower_998[1][0] < lines.lower_95[1][0] < lines.baseline


def test_funnel_lines_rate_cover_the_population_range() -> None:
    lines = charts.funnel_lines(
        "rate",
        national_numerator=6000,
        national_denominator=10_000_000,
        multiplier=100_000,
        x_min=60_000,
        x_max=2_500_000,
    )
    assert lines.baseline == pytest.approx(60.0)
    for xs, ys in (lines.lower_95, lines.upper_95, lines.lower_998, lines.upper_998):
        assert xs == sorted(xs)
        assert xs[0] < 80_000 and xs[-1] > 2_000_000
        assert all(math.isfinite(y) for y in ys)
    # upper limit above and lower below the national rate
    assert min(lines.upper_95[1]) > 60 > max(lines.lower_95[1])


def test_funnel_refuses_other_types() -> None:
    with pytest.raises(ValueError):
        charts.funnel_lines(
            "value", national_numerator=1, national_denominator=2, multiplier=1, x_min=1, x_max=2
        )


def test_funnel_figure_groups_points_by_zone_and_skips_hidden() -> None:
    lines = charts.funnel_lines(
        "proportion",
        national_numerator=200,
        national_denominator=1000,
        multiplier=100,
        x_min=100,
        x_max=5000,
    )
    points = [
        _row("a", value=20.0, denominator=500.0),
        _row("b", value=40.0, denominator=500.0, funnel_zone="above_998"),
        _row("c", status="suppressed", value=None, denominator=None),
    ]
    fig = charts.funnel_figure(points, lines, value_label="Andel", denominator_label="Nämnare")
    markers = [t for t in fig["data"] if t["mode"] == "markers"]
    assert [t["text"] for t in markers] == [["Enhet a"], ["Enhet b"]]
    assert markers[1]["marker"]["symbol"] == "square"
    assert fig["layout"]["xaxis"]["type"] == "log"


def test_trend_figure_with_band_and_unit() -> None:
    national = [(2020, 10.0, 9.0, 11.0), (2021, None, None, None), (2022, 12.0, 11.0, 13.0)]
    unit = [(2020, 8.0, 6.0, 10.0), (2022, 9.0, None, None)]
    fig = charts.trend_figure(national, value_label="Andel", unit=unit, unit_name="Enhet")
    band, line, own = fig["data"]
    assert band["fill"] == "toself"
    assert band["x"] == [2020, 2022, 2022, 2020]
    assert line["y"] == [10.0, None, 12.0]
    assert own["name"] == "Enhet"
    assert own["error_y"]["array"] == [2.0, None]
    only = charts.trend_figure([(2020, 5.0, None, None)], value_label="V")
    assert len(only["data"]) == 1


def test_spine_position_and_flip() -> None:
    assert charts.spine_position(50, 50, 0, 100, flip=False) == 0.5
    assert charts.spine_position(100, 50, 0, 100, flip=False) == 1.0
    assert charts.spine_position(100, 50, 0, 100, flip=True) == 0.0
    assert charts.spine_position(5, 5, 5, 5, flip=False) == 0.5  # no spread


def test_spine_figure() -> None:
    rows = [
        charts.SpineRow("a", "Indikator A", 80, 50, 0, 40, 50, 60, 100, "better", True),
        charts.SpineRow("b", "Indikator B", 80, 50, 0, 40, 50, 60, 100, "worse", False),
        charts.SpineRow("c", "Utan riket", 7, None, 0, 4, 5, 6, 10, "not_compared", None),
        charts.SpineRow(
            "d", "Utan data", None, None, None, None, None, None, None, "missing", None
        ),
    ]
    fig = charts.spine_figure(rows)
    trace = fig["data"][0]
    assert trace["x"][0] == pytest.approx(0.8)
    assert trace["x"][1] == pytest.approx(0.2)  # lower is better: flipped
    assert trace["x"][2] == pytest.approx(0.7)  # centred on the median (5), half-width 5
    assert trace["x"][3] is None
    assert trace["marker"]["color"][:2] == ["#0072B2", "#D55E00"]
    assert trace["marker"]["symbol"][:2] == ["triangle-up", "triangle-down"]
    assert fig["layout"]["yaxis"]["ticktext"][0] == "Indikator A"
    # range and IQR boxes for three rows + the centre line
    assert len(fig["layout"]["shapes"]) == 7
    json.dumps(fig)


# --- issue 10 §5: charts a person can read ---------------------------------------------


def test_one_period_trend_has_one_tick_per_year_and_its_interval() -> None:
    """A one-period trend showed the year twice on the axis (2023 at 2022.5 and 2023.5)
    and no interval (a band needs two points): ticks sit on the periods and a single
    interval is drawn as error bars."""
    fig = charts.trend_figure([(2023, 58.7, 57.2, 60.1)], value_label="V")
    (line,) = fig["data"]
    assert line["error_y"]["array"] == [pytest.approx(1.4)]
    assert line["error_y"]["arrayminus"] == [pytest.approx(1.5)]
    xaxis = fig["layout"]["xaxis"]
    assert xaxis["tickvals"] == [2023] and xaxis["ticktext"] == ["2023"]
    assert xaxis["range"] == [2022.5, 2023.5]
    # many years: at most 12 labels, all distinct, whole years
    long = charts.trend_figure([(y, 1.0, 0.5, 1.5) for y in range(1968, 2016)], value_label="V")
    ticks = long["layout"]["xaxis"]["ticktext"]
    assert len(ticks) <= 12 and len(set(ticks)) == len(ticks)
    assert "error_y" not in long["data"][1]  # a band, not bars, when there are two or more
    # months: ticks are the months themselves
    months = charts.trend_figure(
        [(202401, 1.0, None, None), (202402, 2.0, None, None)], value_label="V"
    )
    assert months["layout"]["xaxis"]["ticktext"] == ["2024-01", "2024-02"]


def test_funnel_axis_ticks_are_written_in_full_the_swedish_way() -> None:
    """Plotly's log ticks read "5 6 7 8 9 100k 2 3": ticks are named numbers instead."""
    ticks = charts.log_axis_ticks(2_000, 1_000_000, sep=",\u2009")
    assert ticks["tickvals"][0] == 2000 and ticks["tickvals"][-1] == 1_000_000
    assert "100\u2009000" in ticks["ticktext"] and "1\u2009000\u2009000" in ticks["ticktext"]
    assert not any("k" in t or "M" in t for t in ticks["ticktext"])
    wide = charts.log_axis_ticks(50, 2_000_000, sep=",\u2009")
    assert wide["tickvals"] == [100, 1000, 10_000, 100_000, 1_000_000]
    assert charts.log_axis_ticks(1000, 10_000, sep=".,")["ticktext"][-1] == "10,000"
    lines = charts.funnel_lines(
        "proportion",
        national_numerator=200,
        national_denominator=1000,
        multiplier=100,
        x_min=2000,
        x_max=900_000,
    )
    fig = charts.funnel_figure(
        [_row("a", value=20.0, denominator=5000.0)],
        lines,
        value_label="Andel",
        denominator_label="Nämnare",
        sep=",\u2009",
    )
    assert "100\u2009000" in fig["layout"]["xaxis"]["ticktext"]


def test_colours_are_colour_blind_safe_with_a_second_cue() -> None:
    """No red/green pair; every judged category has its own marker shape as well."""
    judged = {k: charts.COLOURS[k] for k in ("better", "similar", "worse")}
    assert "#92D050" not in judged.values() and "#C00000" not in judged.values()
    assert judged == {"better": "#0072B2", "similar": "#F0E442", "worse": "#D55E00"}
    assert charts.SYMBOLS["better"] != charts.SYMBOLS["worse"] != charts.SYMBOLS["similar"]
    css = (Path(charts.__file__).parent / "static" / "indicators" / "indicators.css").read_text(
        encoding="utf-8"
    )
    for key in ("better", "similar", "worse", "higher", "lower"):
        assert f".swatch--{key} {{ background: {charts.COLOURS[key].lower()};" in css
    assert ".swatch--better::after" in css and ".swatch--worse::after" in css


def test_map_tooltip_has_unit_and_interval() -> None:
    rows = [_row("0114", value=12.345, lower=10.04, upper=14.66)]
    fig = charts.indicator_map_figure(
        rows, mode="comparison", geojson_url="/g.json", value_unit="%", decimals=1
    )
    text = fig["data"][0]["customdata"][0][2]
    assert text == "12,3\u00a0% (95 % KI 10,0–14,7)"
    hidden = charts.indicator_map_figure(
        [_row("0115", status="suppressed", value=None, lower=1.0, upper=2.0)],
        mode="comparison",
        geojson_url="/g.json",
        value_unit="%",
    )
    assert hidden["data"][0]["customdata"][0][2] == ".."  # nothing of a hidden row


def test_spine_labels_stay_distinct() -> None:
    """Titles cut at 48 characters made three rows read the same."""
    stem = "Heltidstjänster i förskola med pedagogisk högskoleexamen, "
    titles = [
        stem + "lägeskommun, andel (%)",
        stem + "enskild regi, andel (%)",
        stem + "kommunal regi, andel (%)",
    ]
    labels = charts.spine_labels(titles)
    assert len(set(labels)) == 3
    assert all(lbl.endswith("andel (%)") for lbl in labels)  # the end that differs is kept
    very_long = (
        "Lärare (heltidstjänster) med pedagogisk högskoleexamen i grundskola åk 1-9, "
        "lägeskommun, andel (%)"
    )
    (label,) = charts.spine_labels([very_long])
    assert label.count("<br>") == 1 and "…" in label and label.endswith("andel (%)")
    same = charts.spine_labels(["A <b>", "A <b>"])
    assert same == ["A &lt;b&gt; (1)", "A &lt;b&gt; (2)"]
    assert (
        "100\u00a0000" in charts.spine_labels(["Anmälda brott om skadegörelse per 100 000 inv."])[0]
    )
