"""charts.py: pure figure builders (no database)."""

from __future__ import annotations

import json
import math

import plotly.graph_objects as go
import pytest
from django.utils import translation

from datasmart.web import charts


def _valid(fig: dict) -> go.Figure:
    """The dict is JSON-serialisable and Plotly accepts it as a figure."""
    json.dumps(fig)
    return go.Figure(data=fig["data"], layout=fig["layout"])


def test_separators_follow_language() -> None:
    assert charts.separators("sv") == ",\u2009"
    assert charts.separators("en") == ".,"
    with translation.override("en"):
        assert charts.separators() == ".,"


@pytest.mark.parametrize(
    ("low", "high", "expected"),
    [
        (2294, 995574, [5000, 10000, 20000, 50000, 100000, 200000, 500000]),
        (1, 10, [1, 2, 5, 10]),
        (60000, 2400000, [100000, 200000, 500000, 1000000, 2000000]),
    ],
)
def test_nice_log_ticks(low: float, high: float, expected: list[int]) -> None:
    assert charts.nice_log_ticks(low, high) == expected


def test_nice_log_ticks_rejects_non_positive() -> None:
    with pytest.raises(ValueError):
        charts.nice_log_ticks(0, 10)


def test_format_number() -> None:
    assert charts.format_number(1234567, ",\u2009") == "1\u2009234\u2009567"
    assert charts.format_number(1234567, ".,") == "1,234,567"
    assert charts.format_number(999, ".,") == "999"


def test_choropleth_figure() -> None:
    values = [
        charts.MapValue("0180", "Stockholm", 995574, "/enhet/0180/"),
        charts.MapValue("2403", "Bjurholm", 2359, "/enhet/2403/"),
        charts.MapValue("9999", "Empty", 0, "/enhet/9999/"),
    ]
    fig = charts.choropleth_figure(
        values,
        geojson_url="/geo/kommuner.geojson",
        value_label="Befolkning",
        topojson_url="/geo/topojson/",
        sep=".,",
    )
    _valid(fig)
    trace = fig["data"][0]
    assert trace["type"] == "choropleth"
    assert trace["geojson"] == "/geo/kommuner.geojson"
    assert trace["featureidkey"] == "properties.code"
    # zero cannot go on a log scale: left out of the map (the table still lists it)
    assert list(trace["locations"]) == ["0180", "2403"]
    assert trace["z"][0] == pytest.approx(math.log10(995574))
    assert [list(c) for c in trace["customdata"]] == [
        ["Stockholm", "/enhet/0180/", 995574],
        ["Bjurholm", "/enhet/2403/", 2359],
    ]
    assert "%{customdata[0]}" in trace["hovertemplate"]
    assert list(trace["colorbar"]["ticktext"]) == [
        "5,000",
        "10,000",
        "20,000",
        "50,000",
        "100,000",
        "200,000",
        "500,000",
    ]
    geo = fig["layout"]["geo"]
    assert geo["visible"] is False  # no base map: nothing to fetch from a tile server
    assert fig["config"] == {"topojsonURL": "/geo/topojson/"}
    assert fig["layout"]["separators"] == ".,"


def test_choropleth_needs_a_positive_value() -> None:
    with pytest.raises(ValueError):
        charts.choropleth_figure(
            [charts.MapValue("0180", "x", 0, "/")], geojson_url="/g", value_label="v"
        )


def test_pyramid_rows_fold_cells() -> None:
    rows = charts.pyramid_rows([("0-4", "1", 10), ("0-4", "2", 12), ("5-9", "1", 7)])
    assert rows == [charts.PyramidRow("0-4", 10, 12), charts.PyramidRow("5-9", 7, 0)]
    assert rows[0].total == 22
    with pytest.raises(ValueError):
        charts.pyramid_rows([(None, "1", 3)])
    with pytest.raises(ValueError):
        charts.pyramid_rows([("0-4", "T", 3)])


def test_pyramid_men_left_women_right() -> None:
    rows = [charts.PyramidRow("0-4", 100, 90), charts.PyramidRow("5-9", 80, 85)]
    with translation.override("sv"):
        fig = charts.pyramid_figure(rows, year=2019, sep=",\u2009")
    _valid(fig)
    men, women = fig["data"]
    assert list(men["x"]) == [-100, -80]
    assert list(women["x"]) == [90, 85]
    assert list(men["customdata"]) == [100, 80]  # hover shows positive counts
    assert men["name"] == "Män 2019"
    assert women["name"] == "Kvinnor 2019"
    xaxis = fig["layout"]["xaxis"]
    lo, hi = xaxis["range"]
    assert lo == -hi and hi >= 100
    assert all(not t.startswith("-") for t in xaxis["ticktext"])  # labels are absolute
    assert list(fig["layout"]["yaxis"]["categoryarray"]) == ["0-4", "5-9"]


def test_pyramid_comparison_outlines_match_age_groups() -> None:
    rows = [charts.PyramidRow("0-4", 100, 90), charts.PyramidRow("5-9", 80, 85)]
    old = [charts.PyramidRow("5-9", 50, 40)]  # 0-4 missing in the other year
    with translation.override("en"):
        fig = charts.pyramid_figure(rows, year=2019, compare=old, compare_year=1968)
    _valid(fig)
    assert len(fig["data"]) == 4
    men_old, women_old = fig["data"][2], fig["data"][3]
    assert list(men_old["x"]) == [0, -50]
    assert list(women_old["x"]) == [0, 40]
    assert men_old["name"] == "Men 1968"
    assert men_old["marker"]["color"] == "rgba(0,0,0,0)"  # outline only
    assert fig["layout"]["barmode"] == "overlay"


def test_pyramid_single_years_get_sparse_labels() -> None:
    rows = [charts.PyramidRow(str(a), 10, 10) for a in range(101)]
    fig = charts.pyramid_figure(rows, year=2019)
    assert fig["layout"]["yaxis"]["dtick"] == 5
    assert fig["layout"]["bargap"] == 0


def test_series_figure() -> None:
    points = [(2015, 100), (2019, 120), (2024, 130)]
    fig = charts.series_figure(points, name="Malmö", sep=".,")
    _valid(fig)
    trace = fig["data"][0]
    assert list(trace["x"]) == [2015, 2019, 2024]
    assert list(trace["y"]) == [100, 120, 130]
    lo, hi = fig["layout"]["yaxis"]["range"]
    assert lo <= 100 and hi >= 130 and lo >= 0


@pytest.mark.parametrize(
    ("peak", "limit", "positive_ticks"),
    [
        (46000, 50000, [25000, 50000]),
        (600, 1000, [500, 1000]),
        (10000, 20000, [10000, 20000]),
        (12086, 20000, [10000, 20000]),
        (3, 4, [2, 4]),
    ],
)
def test_symmetric_axis(peak: int, limit: int, positive_ticks: list[int]) -> None:
    got_limit, vals, text = charts.symmetric_axis(peak, ".,")
    assert got_limit == limit >= peak
    assert vals == [-t for t in reversed(positive_ticks)] + [0] + positive_ticks
    assert text[0] == text[-1] == f"{limit:,}"
    assert len(positive_ticks) <= 2
