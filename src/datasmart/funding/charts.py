"""Plotly maps for the funding pages (plain data in, a JSON-ready figure dict out).

Built on the helpers of :mod:`datasmart.web.charts` (layout, Sweden's map box, number
separators) and drawn in the browser by ``web/charts.js`` from a ``json_script`` block.
Unlike the population map these scales are linear: amounts and kronor per inhabitant do
not span orders of magnitude the way kommun populations do, and a difference map needs a
scale centred on zero.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import plotly.graph_objects as go

from datasmart.web.charts import (
    MAP_COLOURSCALE,
    SWEDEN_CENTRE,
    SWEDEN_LAT,
    SWEDEN_LON,
    _base_layout,
    _to_dict,
    separators,
)

#: Colour-blind-safe diverging scale (ColorBrewer PuOr): purple = less, orange = more.
DIVERGING = [
    [0.0, "#542788"],
    [0.25, "#998ec3"],
    [0.5, "#f7f7f7"],
    [0.75, "#f1a340"],
    [1.0, "#b35806"],
]


@dataclass(frozen=True)
class AreaValue:
    """One area on a funding map: ``value`` is what is coloured; ``amount_sek`` and
    ``per_inhabitant`` are shown on hover."""

    code: str
    name: str
    url: str
    value: float
    amount_sek: int
    per_inhabitant: float | None


def _geo_layout(sep: str, height: int) -> dict[str, Any]:
    return _base_layout(
        sep,
        height=height,
        margin={"l": 0, "r": 0, "t": 0, "b": 0},
        dragmode=False,
        geo={
            "visible": False,
            "projection": {"type": "mercator"},
            "lonaxis": {"range": list(SWEDEN_LON)},
            "lataxis": {"range": list(SWEDEN_LAT)},
            "center": {"lon": SWEDEN_CENTRE[0], "lat": SWEDEN_CENTRE[1]},
            "bgcolor": "#FFFFFF",
        },
    )


def amount_map_figure(
    values: Sequence[AreaValue],
    *,
    geojson_url: str,
    value_label: str,
    topojson_url: str | None = None,
    diverging: bool = False,
    value_format: str = ",.0f",
    sep: str | None = None,
    height: int = 720,
) -> dict[str, Any]:
    """A choropleth of ``values`` (matched on ``properties.code``); ``customdata[1]`` is each
    area's page URL for the click handler in ``web/charts.js``.

    ``diverging`` centres a purple–orange scale on zero (differences in a scenario).
    """
    if not values:
        raise ValueError("a map needs at least one value")
    sep = sep or separators()
    zs = [v.value for v in values]
    colour: dict[str, Any] = {"colorscale": MAP_COLOURSCALE}
    if diverging:
        bound = max(abs(min(zs)), abs(max(zs))) or 1.0
        colour = {"colorscale": DIVERGING, "zmid": 0, "zmin": -bound, "zmax": bound}
    trace = go.Choropleth(
        geojson=geojson_url,
        featureidkey="properties.code",
        locations=[v.code for v in values],
        z=zs,
        customdata=[
            [v.name, v.url, v.amount_sek, v.per_inhabitant if v.per_inhabitant is not None else ""]
            for v in values
        ],
        hovertemplate=(
            "<b>%{customdata[0]}</b><br>"
            + value_label
            + ": %{z:"
            + value_format
            + "}<br>Belopp: %{customdata[2]:,} kr<extra></extra>"
        ),
        marker={"line": {"color": "#FFFFFF", "width": 0.4}},
        colorbar={
            "title": {"text": value_label, "side": "top", "font": {"size": 13}},
            "tickformat": ",.1f" if diverging else ",.0f",
            "tickfont": {"size": 12},
            "thickness": 12,
            "len": 0.3,
            "x": 1.0,
            "xanchor": "right",
            "y": 0.02,
            "yanchor": "bottom",
            "outlinewidth": 0,
        },
        **colour,
    )
    figure = _to_dict(go.Figure(data=[trace], layout=_geo_layout(sep, height)))
    if topojson_url:
        figure["config"] = {"topojsonURL": topojson_url}
    return figure
