"""Plotly figures for the needs pages (data in, figure dict out; drawn by web/charts.js)."""

from __future__ import annotations

from typing import Any

import numpy as np
import plotly.graph_objects as go
from django.utils.translation import gettext as _

from datasmart.web import charts as web_charts


def pyramid(
    data_now: np.ndarray, data_later: np.ndarray, *, year: int, later_year: int
) -> dict[str, Any]:
    """Population pyramid in five-year bands (90+ open): now as bars, +10 as outlines.
    ``data_*`` are [sex, age 0..100] arrays."""

    def rows(data: np.ndarray) -> list[web_charts.PyramidRow]:
        out = []
        for start in range(0, 90, 5):
            out.append(
                web_charts.PyramidRow(
                    f"{start}–{start + 4}",
                    int(round(data[0, start : start + 5].sum())),  # noqa: RUF046
                    int(round(data[1, start : start + 5].sum())),  # noqa: RUF046
                )
            )
        out.append(
            web_charts.PyramidRow(
                "90+",
                int(round(data[0, 90:].sum())),  # noqa: RUF046
                int(round(data[1, 90:].sum())),  # noqa: RUF046
            )
        )
        return out

    return web_charts.pyramid_figure(
        rows(data_now), year=year, compare=rows(data_later), compare_year=later_year
    )


def wrap_label(text: str, width: int = 18) -> str:
    """Break a long axis label into lines of at most ``width`` characters (at spaces),
    joined with ``<br>`` for Plotly. Why: condition names such as "Någon psykisk ohälsa
    (diagnos eller vård)" were cut off as rotated tick labels under the bars."""
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return "<br>".join(lines)


def expected_bars(
    conditions: list[dict[str, Any]], horizons: tuple[int, ...], years: list[int]
) -> dict[str, Any]:
    """Expected cases per condition, one bar group per horizon, error bars low–high.

    Horizontal bars: the condition names sit on the y axis as wrapped text (automargin
    makes room for them), so nothing is cut off on a desktop or a 390 px phone; the
    height grows with the number of conditions."""
    colours = ["#0072B2", "#E69F00", "#009E73"]
    labels = [wrap_label(str(c["label"])) for c in conditions]
    traces = []
    for i, h in enumerate(horizons):
        central = [c["values"][h][1] for c in conditions]
        low = [c["values"][h][0] for c in conditions]
        high = [c["values"][h][2] for c in conditions]
        traces.append(
            go.Bar(
                y=labels,
                x=central,
                orientation="h",
                name=str(years[i]),
                marker={"color": colours[i % 3]},
                error_x={
                    "type": "data",
                    "symmetric": False,
                    "array": [hi - c for hi, c in zip(high, central, strict=True)],
                    "arrayminus": [c - lo for lo, c in zip(low, central, strict=True)],
                    "color": "#444",
                    "thickness": 1.2,
                },
                hovertemplate="%{y}: %{x:,.0f}<extra>" + str(years[i]) + "</extra>",
            )
        )
    layout = web_charts._base_layout(
        None,
        barmode="group",
        height=max(320, 110 + 78 * len(conditions)),
        margin={"l": 10, "r": 16, "t": 40, "b": 50},
        xaxis={
            "title": {"text": _("Förväntat antal personer")},
            "rangemode": "tozero",
            "gridcolor": "#DDD",
            "automargin": True,
        },
        yaxis={"autorange": "reversed", "automargin": True, "tickfont": {"size": 13}},
        legend={"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom"},
    )
    return web_charts._to_dict(go.Figure(data=traces, layout=layout))


def change_map(
    values: list[tuple[str, str, float, str]],
    *,
    geojson_url: str,
    topojson_url: str,
    value_label: str,
) -> dict[str, Any]:
    """Diverging map of population change (%) per kommun; ``values`` = (code, name, change, url)."""
    extent = max([abs(v[2]) for v in values] or [1.0]) or 1.0
    trace = go.Choropleth(
        geojson=geojson_url,
        featureidkey="properties.code",
        locations=[v[0] for v in values],
        z=[v[2] for v in values],
        customdata=[[v[1], v[3], round(v[2], 1)] for v in values],
        hovertemplate="<b>%{customdata[0]}</b><br>"
        + value_label
        + ": %{customdata[2]} %<extra></extra>",
        colorscale="RdBu",
        reversescale=True,
        zmin=-extent,
        zmax=extent,
        zmid=0,
        marker={"line": {"color": "#FFFFFF", "width": 0.6}},
        colorbar={
            "title": {"text": value_label, "side": "top"},
            "thickness": 12,
            "len": 0.5,
            "ticksuffix": " %",
        },
    )
    layout = web_charts._base_layout(
        None,
        height=520,
        margin={"l": 0, "r": 0, "t": 0, "b": 0},
        dragmode=False,
        geo={
            "visible": False,
            "fitbounds": "locations",
            "projection": {"type": "mercator"},
            "bgcolor": "#FFFFFF",
        },
    )
    figure = web_charts._to_dict(go.Figure(data=[trace], layout=layout))
    figure["config"] = {"topojsonURL": topojson_url}
    return figure
