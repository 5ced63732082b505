"""Plotly figures for the pages: plain data in, a JSON-ready figure dict out.

No database access and no request here, so every figure can be unit-tested and reused by
exports. Texts go through gettext and follow the active language; ``separators`` gives
Plotly's number format (Swedish: decimal comma, thin space between thousands).
The browser draws the dicts with plotly.min.js (see ``static/web/charts.js``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import plotly.graph_objects as go
from django.utils.translation import get_language
from django.utils.translation import gettext as _

# Okabe–Ito colours: distinguishable with the common colour-vision deficiencies and
# at least 4.5:1 against white for the darker pair used on text-like marks.
MEN_COLOUR = "#0072B2"
WOMEN_COLOUR = "#B3471B"
LINE_COLOUR = "#12355B"
OUTLINE_COLOUR = "#1A1A1A"
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"
MAP_COLOURSCALE = "Viridis"
# Map view: Sweden's bounding box (with room for d3's great-circle box edges) and the
# point that is the box's midpoint in Mercator space. Plotly fits this box into the plot
# at any width. ``fitbounds="locations"`` was tried first, but it pads the bounds like an
# axis autorange and left Sweden filling only about 60 % of the height.
SWEDEN_LON = (10.8, 24.4)
SWEDEN_LAT = (55.2, 69.2)
SWEDEN_CENTRE = (17.6, 63.0)


def separators(language: str | None = None) -> str:
    """Plotly's ``layout.separators`` (decimal then thousands) for ``language``."""
    lang = (language or get_language() or "sv").split("-")[0]
    return ".," if lang == "en" else ",\u2009"


def _base_layout(sep: str | None, **extra: Any) -> dict[str, Any]:
    layout: dict[str, Any] = {
        "template": "none",
        "separators": sep or separators(),
        "font": {"family": FONT, "size": 14, "color": "#1A1A1A"},
        "paper_bgcolor": "#FFFFFF",
        "plot_bgcolor": "#FFFFFF",
        "hoverlabel": {"font": {"family": FONT, "size": 14}},
    }
    layout.update(extra)
    return layout


def _to_dict(fig: go.Figure) -> dict[str, Any]:
    out: dict[str, Any] = fig.to_plotly_json()
    return {"data": out["data"], "layout": out["layout"]}


# --- map -------------------------------------------------------------------------------


@dataclass(frozen=True)
class MapValue:
    code: str
    name: str
    value: int
    url: str


def nice_log_ticks(low: float, high: float) -> list[int]:
    """1-2-5 steps from ``low`` to ``high`` (both > 0), for a colour bar on a log scale."""
    if low <= 0 or high <= 0:
        raise ValueError("log ticks need positive bounds")
    ticks: list[int] = []
    exp = math.floor(math.log10(low))
    while True:
        for m in (1, 2, 5):
            t = m * 10**exp
            if t > high:
                return ticks
            if t >= low:
                ticks.append(int(t))
        exp += 1


def format_number(value: float, sep: str) -> str:
    """Group thousands as Plotly would with ``separators`` (for colour-bar tick labels)."""
    grouped = f"{round(value):,}"
    return grouped.replace(",", sep[1]) if len(sep) > 1 else grouped


def choropleth_figure(
    values: Sequence[MapValue],
    *,
    geojson_url: str,
    value_label: str,
    topojson_url: str | None = None,
    sep: str | None = None,
    height: int = 720,
) -> dict[str, Any]:
    """A choropleth of ``values`` over the features at ``geojson_url`` (matched on
    ``properties.code``). Colour follows log10 of the value, since kommun populations span
    three orders of magnitude; hover and the colour bar show the real numbers, and
    ``customdata[1]`` carries each area's page URL for the click handler.

    The base map is hidden, but Plotly still loads a base topojson; ``topojson_url`` (a
    local folder URL) goes into the returned ``config`` so it is not fetched from a CDN."""
    sep = sep or separators()
    positive = [v for v in values if v.value > 0]
    if not positive:
        raise ValueError("a map needs at least one positive value")
    lo = min(v.value for v in positive)
    hi = max(v.value for v in positive)
    ticks = nice_log_ticks(lo, hi) or [lo, hi]
    trace = go.Choropleth(
        geojson=geojson_url,
        featureidkey="properties.code",
        locations=[v.code for v in positive],
        z=[math.log10(v.value) for v in positive],
        customdata=[[v.name, v.url, v.value] for v in positive],
        hovertemplate=(
            "<b>%{customdata[0]}</b><br>" + value_label + ": %{customdata[2]:,}<extra></extra>"
        ),
        colorscale=MAP_COLOURSCALE,
        zmin=math.log10(lo),
        zmax=math.log10(hi),
        marker={"line": {"color": "#FFFFFF", "width": 0.4}},
        # bottom right, over the Baltic Sea east of Götaland, where the map is empty at
        # any plot width
        colorbar={
            "title": {"text": value_label, "side": "top", "font": {"size": 13}},
            "tickvals": [math.log10(t) for t in ticks],
            "ticktext": [format_number(t, sep) for t in ticks],
            "tickfont": {"size": 12},
            "thickness": 12,
            "len": 0.3,
            "x": 1.0,
            "xanchor": "right",
            "y": 0.02,
            "yanchor": "bottom",
            "outlinewidth": 0,
        },
    )
    layout = _base_layout(
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
    figure = _to_dict(go.Figure(data=[trace], layout=layout))
    if topojson_url:
        figure["config"] = {"topojsonURL": topojson_url}
    return figure


# --- population pyramid ----------------------------------------------------------------


@dataclass(frozen=True)
class PyramidRow:
    age: str
    men: int
    women: int

    @property
    def total(self) -> int:
        return self.men + self.women


def pyramid_rows(cells: Iterable[tuple[str | None, str | None, int]]) -> list[PyramidRow]:
    """Fold (age group, sex code "1"/"2", count) cells into rows in first-seen age order."""
    rows: dict[str, dict[str, int]] = {}
    for age, sex, n in cells:
        if age is None or sex not in {"1", "2"}:
            raise ValueError("pyramid cells need an age group and sex 1 or 2")
        rows.setdefault(age, {"1": 0, "2": 0})[sex] += n
    return [PyramidRow(age, v["1"], v["2"]) for age, v in rows.items()]


def symmetric_axis(peak: int, sep: str) -> tuple[int, list[int], list[str]]:
    """Axis half-width and ticks for a pyramid whose longest bar is ``peak``.

    At most two labelled ticks a side (readable on a phone), with the axis ending on the
    outer tick; labels are absolute values on both sides of zero.
    """
    if peak <= 0:
        return 1, [0], ["0"]
    raw = peak * 1.02 / 2
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    steps = math.ceil(peak * 1.02 / step)
    pos = [round(step * i) for i in range(1, steps + 1)]
    vals = [-p for p in reversed(pos)] + [0] + pos
    return pos[-1], vals, [format_number(abs(v), sep) for v in vals]


def pyramid_figure(
    rows: Sequence[PyramidRow],
    *,
    year: int,
    compare: Sequence[PyramidRow] | None = None,
    compare_year: int | None = None,
    sep: str | None = None,
) -> dict[str, Any]:
    """Men to the left (negative x), women to the right; the youngest group at the bottom.

    With ``compare``, the other year is drawn as unfilled outlines over the bars, age
    groups matched by label (groups missing in one year are shown as zero)."""
    sep = sep or separators()
    men_label, women_label = _("Män"), _("Kvinnor")
    ages = [r.age for r in rows]
    peak = max([max(r.men, r.women) for r in rows] or [0])
    traces: list[Any] = [
        go.Bar(
            y=ages,
            x=[-r.men for r in rows],
            customdata=[r.men for r in rows],
            orientation="h",
            name=f"{men_label} {year}",
            marker={"color": MEN_COLOUR},
            hovertemplate=f"{men_label} %{{y}}: %{{customdata:,}}<extra>{year}</extra>",
        ),
        go.Bar(
            y=ages,
            x=[r.women for r in rows],
            customdata=[r.women for r in rows],
            orientation="h",
            name=f"{women_label} {year}",
            marker={"color": WOMEN_COLOUR},
            hovertemplate=f"{women_label} %{{y}}: %{{customdata:,}}<extra>{year}</extra>",
        ),
    ]
    if compare is not None and compare_year is not None:
        other = {r.age: r for r in compare}
        matched = [other.get(a, PyramidRow(a, 0, 0)) for a in ages]
        peak = max([peak] + [max(r.men, r.women) for r in matched])
        for sign, label, attr in ((-1, men_label, "men"), (1, women_label, "women")):
            counts = [getattr(r, attr) for r in matched]
            traces.append(
                go.Bar(
                    y=ages,
                    x=[sign * n for n in counts],
                    customdata=counts,
                    orientation="h",
                    name=f"{label} {compare_year}",
                    marker={
                        "color": "rgba(0,0,0,0)",
                        "line": {"color": OUTLINE_COLOUR, "width": 1.5},
                    },
                    hovertemplate=(
                        f"{label} %{{y}}: %{{customdata:,}}<extra>{compare_year}</extra>"
                    ),
                )
            )
    limit, tickvals, ticktext = symmetric_axis(peak, sep)
    many = len(ages) > 30
    layout = _base_layout(
        sep,
        barmode="overlay",
        bargap=0.0 if many else 0.08,
        height=max(420, min(900, 22 * len(ages) + 160)) if not many else 900,
        margin={"l": 70, "r": 30, "t": 40, "b": 60},
        legend={
            "orientation": "h",
            "x": 0.5,
            "xanchor": "center",
            "y": 1.0,
            "yanchor": "bottom",
            "traceorder": "normal",
        },
        xaxis={
            "range": [-limit * 1.04, limit * 1.04],  # room for the outer tick labels
            "tickvals": tickvals,
            "ticktext": ticktext,
            "title": {"text": _("Antal personer")},
            "gridcolor": "#D9D9D9",
            "zeroline": True,
            "zerolinecolor": "#595959",
            "fixedrange": True,
            "automargin": True,
        },
        yaxis={
            "title": {"text": _("Ålder")},
            "type": "category",
            "categoryorder": "array",
            "categoryarray": ages,
            "fixedrange": True,
            "automargin": True,
            **({"dtick": 5} if many else {}),
        },
    )
    return _to_dict(go.Figure(data=traces, layout=layout))


# --- population over time --------------------------------------------------------------


def series_figure(
    points: Sequence[tuple[int, int]], *, name: str, sep: str | None = None
) -> dict[str, Any]:
    """Population per year as a line with markers (years without data are simply absent)."""
    sep = sep or separators()
    label = _("Befolkning")
    trace = go.Scatter(
        x=[y for y, _n in points],
        y=[n for _y, n in points],
        mode="lines+markers",
        name=name,
        line={"color": LINE_COLOUR, "width": 2.5},
        marker={"size": 7, "color": LINE_COLOUR},
        hovertemplate=f"%{{x}}: %{{y:,}}<extra>{label}</extra>",
    )
    values = [n for _y, n in points] or [0]
    lo, hi = min(values), max(values)
    pad = max((hi - lo) * 0.1, hi * 0.02, 1)
    layout = _base_layout(
        sep,
        height=380,
        margin={"l": 80, "r": 20, "t": 10, "b": 50},
        showlegend=False,
        xaxis={
            "title": {"text": _("År")},
            "tickformat": "d",
            "gridcolor": "#D9D9D9",
            "fixedrange": True,
        },
        yaxis={
            "title": {"text": label},
            "tickformat": ",d",
            "range": [max(0, lo - pad), hi + pad],
            "gridcolor": "#D9D9D9",
            "fixedrange": True,
            "automargin": True,
        },
    )
    return _to_dict(go.Figure(data=[trace], layout=layout))
