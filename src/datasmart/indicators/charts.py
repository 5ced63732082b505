"""Plotly figures for the indicator pages: plain data in, a JSON-ready figure dict out.

No database access and no request here, so every builder is unit-tested on its own
(``tests/indicators/test_charts.py``). Comparison colours are Fingertips' categories in
the colour-blind-safe Okabe–Ito palette (Okabe & Ito, "Color Universal Design", 2008):
compared with the nation, blue is better, vermillion worse, yellow similar; without a
judgement (polarity ``no_judgement``) reddish purple is higher and light pink lower.
Red/green (Fingertips' default) is not used: about 1 man in 12 cannot tell them apart.
Colour is never the only carrier: markers have a shape per category
(:data:`SYMBOLS`: ▲ better/higher, ▼ worse/lower, ● similar), swatches carry the same
glyph (``indicators.css``), tooltips name the category, and every page shows the same
comparison as text in a table.
"""

from __future__ import annotations

import math
import re
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.utils.html import escape
from django.utils.translation import gettext as _

from datasmart.indicators import rounding
from datasmart.indicators.periods import format_period, is_month
from datasmart.stats import funnel_control_limits
from datasmart.web.charts import (
    FONT,
    SWEDEN_CENTRE,
    SWEDEN_LAT,
    SWEDEN_LON,
    format_number,
    nice_log_ticks,
    separators,
)

# Fingertips' comparison categories in Okabe–Ito colours (better/similar/worse; higher/
# lower without judgement). Keep in step with the swatches in indicators/indicators.css.
COLOURS: dict[str, str] = {
    "better": "#0072B2",
    "similar": "#F0E442",
    "worse": "#D55E00",
    "higher": "#CC79A7",
    "lower": "#F3D5E6",
    "not_compared": "#A6A6A6",
    "suppressed": "#D9D9D9",
    "missing": "#FFFFFF",
    "not_applicable": "#F2F2F2",
}
#: The second cue beside colour: a Plotly marker symbol per category (▲ ▼ ●), the same
#: glyphs the swatches show.
SYMBOLS: dict[str, str] = {
    "better": "triangle-up",
    "higher": "triangle-up",
    "worse": "triangle-down",
    "lower": "triangle-down",
    "similar": "circle",
    "quartile_best": "triangle-up",
    "quartile_high": "triangle-up",
    "quartile_worst": "triangle-down",
    "quartile_low": "triangle-down",
    "quartile_mid": "circle",
}
#: Indicators without a national value (Kolada's kommun KPIs) are placed against the
#: quartiles of their level instead (``results.quartile_position``): the best/worst
#: quarter in the Okabe–Ito colours not used for the comparison with the nation (sky
#: blue, orange), the middle half white; without a judgement the higher/lower colours.
QUARTILE_COLOURS: dict[str, str] = {
    "quartile_best": "#56B4E9",
    "quartile_mid": "#FFFFFF",
    "quartile_worst": "#E69F00",
    "quartile_high": "#CC79A7",
    "quartile_low": "#F3D5E6",
}
# quintile 1 (best / highest) to 5: a purple ramp as Fingertips uses for quintiles
QUINTILE_COLOURS = ("#3F007D", "#6A51A3", "#9E9AC8", "#CBC9E2", "#F2F0F7")
NATION_COLOUR = "#1A1A1A"
UNIT_COLOUR = "#B3471B"
LINE_COLOUR = "#12355B"
#: Target lines: dark green, dashed (told apart from the series by dash and legend text,
#: not by colour alone).
TARGET_COLOUR = "#1B6E3A"
LIMIT_95_COLOUR = "#595959"
LIMIT_998_COLOUR = "#1A1A1A"
GRID = "#D9D9D9"


def comparison_label(key: str) -> str:
    """Swedish (translatable) text for a comparison or status key."""
    labels = {
        "better": _("Bättre än riket"),
        "worse": _("Sämre än riket"),
        "similar": _("Ingen skillnad mot riket"),
        "higher": _("Högre än riket"),
        "lower": _("Lägre än riket"),
        "not_compared": _("Inte jämförd"),
        "suppressed": _("Skyddat (röjandeskydd)"),
        "missing": _("Uppgift saknas"),
        "not_applicable": _("Ej tillämpligt"),
        "quartile_best": _("Bästa kvartilen"),
        "quartile_worst": _("Sämsta kvartilen"),
        "quartile_high": _("Högsta kvartilen"),
        "quartile_low": _("Lägsta kvartilen"),
        "quartile_mid": _("Mittersta hälften"),
    }
    return labels.get(key, key)


def quartile_key(position: str | None, polarity: str) -> str | None:
    """The colour key of a ``results.quartile_position`` (``below_q1``, ``q1_q3``,
    ``above_q3``) for an indicator of ``polarity``: best/worst quarter when the
    indicator has a direction, highest/lowest quarter when it has none."""
    if position == "q1_q3":
        return "quartile_mid"
    if position not in {"below_q1", "above_q3"}:
        return None
    high = position == "above_q3"
    if polarity == "higher_is_better":
        return "quartile_best" if high else "quartile_worst"
    if polarity == "lower_is_better":
        return "quartile_worst" if high else "quartile_best"
    return "quartile_high" if high else "quartile_low"


def quintile_label(q: int, judged: bool) -> str:
    if q == 1:
        return _("Kvintil 1 (bäst)") if judged else _("Kvintil 1 (högst)")
    if q == 5:
        return _("Kvintil 5 (sämst)") if judged else _("Kvintil 5 (lägst)")
    return _("Kvintil %(q)s") % {"q": q}


def status_marker(status: str) -> str:
    """Kolada's markers: ``..`` suppressed, ``-`` missing, ``.`` not applicable."""
    return {"suppressed": "..", "missing": "-", "not_applicable": "."}.get(status, "")


def category(row: dict[str, Any], mode: str) -> str:
    """The map/table colour key of a result row: a status, a comparison or a quintile."""
    status = row.get("status") or "missing"
    if status != "ok" or row.get("value") is None:
        return status if status in COLOURS else "missing"
    if mode == "quintile":
        q = row.get("quintile")
        return f"q{q}" if q else "not_compared"
    vs = row.get("vs_nation") or "not_compared"
    return vs if vs in COLOURS else "not_compared"


def category_colour(key: str) -> str:
    if key.startswith("q") and key[1:].isdigit():
        return QUINTILE_COLOURS[int(key[1:]) - 1]
    if key in QUARTILE_COLOURS:
        return QUARTILE_COLOURS[key]
    return COLOURS.get(key, COLOURS["not_compared"])


def category_label(key: str, judged: bool = True) -> str:
    if key.startswith("q") and key[1:].isdigit():
        return quintile_label(int(key[1:]), judged)
    return comparison_label(key)


def choose_mode(rows: Sequence[dict[str, Any]], requested: str | None = None) -> str:
    """``comparison`` when any row was compared with the nation, else ``quintile``."""
    if requested in {"comparison", "quintile"}:
        return requested
    compared = {"better", "worse", "similar", "higher", "lower"}
    return "comparison" if any(r.get("vs_nation") in compared for r in rows) else "quintile"


def format_value(value: float | None, decimals: int = 1, sep: str | None = None) -> str:
    """A value as the pages show it: :func:`datasmart.indicators.rounding.format_value`
    (rounded once, half away from zero, in the active language). ``sep`` is accepted for
    older callers and ignored: the text follows the active language, as the tables do."""
    return rounding.format_value(value, decimals)


def _layout(sep: str | None, **extra: Any) -> dict[str, Any]:
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


# --- map -------------------------------------------------------------------------------


def _map_value_text(row: dict[str, Any], decimals: int, value_unit: str) -> str:
    """The tooltip's value line: "12,3 % (95 % KI 10,1–14,6)", or the status marker."""
    if row.get("status") != "ok" or row.get("value") is None:
        return status_marker(row.get("status") or "missing")
    text = format_value(row.get("value"), decimals)
    if value_unit:
        text = f"{text}\u00a0{value_unit}"
    lower, upper = row.get("lower"), row.get("upper")
    if lower is not None and upper is not None:
        ci = f"{format_value(lower, decimals)}–{format_value(upper, decimals)}"
        text += " " + _("(95 %% KI %(ci)s)") % {"ci": ci}
    return text


CATEGORY_ORDER = (
    "better",
    "higher",
    "similar",
    "worse",
    "lower",
    "q1",
    "q2",
    "q3",
    "q4",
    "q5",
    "not_compared",
    "suppressed",
    "not_applicable",
    "missing",
)


def indicator_map_figure(
    rows: Sequence[dict[str, Any]],
    *,
    mode: str,
    geojson_url: str,
    topojson_url: str | None = None,
    judged: bool = True,
    unit_urls: dict[str, str] | None = None,
    decimals: int = 1,
    value_unit: str = "",
    sep: str | None = None,
    height: int = 640,
    extra_lines: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A categorical choropleth: one trace per colour class (so the legend names the
    classes). Rows are result dicts (``unit_code``, ``unit_name``, ``status``, ``value``,
    ``lower``, ``upper``, ``vs_nation``, ``quintile``). ``customdata[1]`` is the unit's
    page URL (click). The tooltip shows the value with ``value_unit`` and, where the
    row has one, its 95 % interval, as the table does; the category is named in it too,
    so the map does not rely on colour alone. ``extra_lines`` adds a line per unit code
    (the kommungrupp comparison in the chosen edition)."""
    sep = sep or separators()
    urls = unit_urls or {}
    extra = extra_lines or {}
    groups: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        groups.setdefault(category(r, mode), []).append(r)
    traces: list[dict[str, Any]] = []
    for key in CATEGORY_ORDER:
        members = groups.get(key)
        if not members:
            continue
        colour = category_colour(key)
        label = category_label(key, judged)
        shown = [
            _map_value_text(r, decimals, value_unit)
            + (f"<br>{escape(extra[r['unit_code']])}" if r["unit_code"] in extra else "")
            for r in members
        ]
        traces.append(
            {
                "type": "choropleth",
                "geojson": geojson_url,
                "featureidkey": "properties.code",
                "locations": [r["unit_code"] for r in members],
                "z": [1] * len(members),
                "zmin": 0,
                "zmax": 1,
                "colorscale": [[0, colour], [1, colour]],
                "showscale": False,
                "showlegend": False,  # the page lists the classes beside the map
                "name": f"{label} ({len(members)})",
                "customdata": [
                    [r.get("unit_name") or r["unit_code"], urls.get(r["unit_code"], ""), s]
                    for r, s in zip(members, shown, strict=True)
                ],
                "hovertemplate": "<b>%{customdata[0]}</b><br>%{customdata[2]}<extra>"
                + label
                + "</extra>",
                "marker": {"line": {"color": "#595959", "width": 0.4}},
            }
        )
    layout = _layout(
        sep,
        height=height,
        margin={"l": 0, "r": 0, "t": 0, "b": 0},
        dragmode=False,
        legend={
            "x": 0.99,
            "xanchor": "right",
            "y": 0.02,
            "yanchor": "bottom",
            "bgcolor": "rgba(255,255,255,0.85)",
            "font": {"size": 12},
        },
        geo={
            "visible": False,
            "projection": {"type": "mercator"},
            "lonaxis": {"range": list(SWEDEN_LON)},
            "lataxis": {"range": list(SWEDEN_LAT)},
            "center": {"lon": SWEDEN_CENTRE[0], "lat": SWEDEN_CENTRE[1]},
            "bgcolor": "#FFFFFF",
        },
    )
    figure: dict[str, Any] = {"data": traces, "layout": layout}
    if topojson_url:
        figure["config"] = {"topojsonURL": topojson_url}
    return figure


def value_map_figure(
    values: Sequence[tuple[str, str, float | None]],
    *,
    geojson_url: str,
    value_label: str,
    topojson_url: str | None = None,
    unit_urls: dict[str, str] | None = None,
    decimals: int = 1,
    sep: str | None = None,
    height: int = 640,
) -> dict[str, Any]:
    """A continuous choropleth of (code, name, value); units without a value light grey.
    The tooltip shows the value as the table does (``decimals``, rounded once)."""
    sep = sep or separators()
    urls = unit_urls or {}
    shown = [(c, n, v) for c, n, v in values if v is not None]
    empty = [(c, n) for c, n, v in values if v is None]
    traces: list[dict[str, Any]] = []
    if shown:
        traces.append(
            {
                "type": "choropleth",
                "geojson": geojson_url,
                "featureidkey": "properties.code",
                "locations": [c for c, _n, _v in shown],
                "z": [v for _c, _n, v in shown],
                "colorscale": "Viridis",
                "customdata": [
                    [n, urls.get(c, ""), format_value(v, decimals)] for c, n, v in shown
                ],
                "hovertemplate": "<b>%{customdata[0]}</b><br>"
                + value_label
                + ": %{customdata[2]}<extra></extra>",
                "marker": {"line": {"color": "#FFFFFF", "width": 0.4}},
                "colorbar": {
                    "title": {"text": value_label, "side": "top", "font": {"size": 13}},
                    "thickness": 12,
                    "len": 0.3,
                    "x": 1.0,
                    "xanchor": "right",
                    "y": 0.02,
                    "yanchor": "bottom",
                    "outlinewidth": 0,
                },
            }
        )
    if empty:
        colour = COLOURS["suppressed"]
        traces.append(
            {
                "type": "choropleth",
                "geojson": geojson_url,
                "featureidkey": "properties.code",
                "locations": [c for c, _n in empty],
                "z": [1] * len(empty),
                "colorscale": [[0, colour], [1, colour]],
                "showscale": False,
                "showlegend": True,
                "name": _("Inget värde"),
                "customdata": [[n, urls.get(c, "")] for c, n in empty],
                "hovertemplate": "<b>%{customdata[0]}</b><extra></extra>",
                "marker": {"line": {"color": "#595959", "width": 0.4}},
            }
        )
    layout = _layout(
        sep,
        height=height,
        margin={"l": 0, "r": 0, "t": 0, "b": 0},
        dragmode=False,
        legend={"x": 0.01, "y": 0.99, "bgcolor": "rgba(255,255,255,0.85)"},
        geo={
            "visible": False,
            "projection": {"type": "mercator"},
            "lonaxis": {"range": list(SWEDEN_LON)},
            "lataxis": {"range": list(SWEDEN_LAT)},
            "center": {"lon": SWEDEN_CENTRE[0], "lat": SWEDEN_CENTRE[1]},
            "bgcolor": "#FFFFFF",
        },
    )
    figure: dict[str, Any] = {"data": traces, "layout": layout}
    if topojson_url:
        figure["config"] = {"topojsonURL": topojson_url}
    return figure


# --- funnel plot -----------------------------------------------------------------------


Line = tuple[list[float], list[float]]


@dataclass(frozen=True)
class FunnelLines:
    """Control limits as (x, y) lines (x = denominator), around ``baseline``."""

    lower_95: Line
    upper_95: Line
    lower_998: Line
    upper_998: Line
    baseline: float

    @property
    def x_range(self) -> tuple[float, float]:
        xs = [
            x
            for line in (self.lower_95, self.upper_95, self.lower_998, self.upper_998)
            for x in line[0]
        ]
        return (min(xs), max(xs)) if xs else (0.0, 0.0)


def _line(xs: Any, ys: Any, lo: float, hi: float) -> Line:
    pairs = sorted(
        (float(x), float(y))
        for x, y in zip(xs, ys, strict=True)
        if math.isfinite(float(x)) and math.isfinite(float(y)) and lo <= float(x) <= hi
    )
    return [x for x, _y in pairs], [y for _x, y in pairs]


def funnel_lines(
    kind: str,
    *,
    national_numerator: float,
    national_denominator: float,
    multiplier: float,
    x_min: float,
    x_max: float,
    points: int = 100,
    at: Sequence[float] = (),
) -> FunnelLines:
    """95 % and 99.8 % limits around the national value, drawn with
    :func:`datasmart.stats.funnel_control_limits` (x = denominator for proportions,
    population for rates) — the function whose tails also give the units' funnel
    zones, so every point's colour matches the lines around it.

    The lines run over ``points`` sizes from below ``x_min`` to above ``x_max``
    plus every size in ``at`` (the plotted units' own denominators), so the drawn
    curve has a vertex exactly under each unit."""
    if kind not in {"proportion", "rate"}:
        raise ValueError("funnels are drawn for proportions and rates")
    if national_denominator <= 0 or x_max <= 0:
        raise ValueError("a funnel needs positive denominators")
    target = national_numerator / national_denominator
    if kind == "rate" and target <= 0:
        raise ValueError("a rate funnel needs national events")
    lo = max(x_min * 0.8, 1.0)
    hi = max(x_max * 1.15, lo * 2)
    own = [float(x) for x in at if math.isfinite(float(x)) and float(x) > 0]
    sizes = np.unique(np.concatenate([np.geomspace(lo, hi, points), np.asarray(own, float)]))
    lo, hi = float(sizes[0]), float(sizes[-1])
    f = funnel_control_limits(
        sizes,
        target,
        statistic="rate" if kind == "rate" else "proportion",
        multiplier=multiplier,
    )
    return FunnelLines(
        _line(f.size, f.lower_2s, lo, hi),
        _line(f.size, f.upper_2s, lo, hi),
        _line(f.size, f.lower_3s, lo, hi),
        _line(f.size, f.upper_3s, lo, hi),
        float(target * multiplier),
    )


def funnel_figure(
    points: Sequence[dict[str, Any]],
    lines: FunnelLines,
    *,
    value_label: str,
    denominator_label: str,
    decimals: int = 1,
    sep: str | None = None,
) -> dict[str, Any]:
    """Units (``unit_name``, ``denominator``, ``value``, ``funnel_zone``) against the
    funnel ``lines``; x on a log scale, since kommuner range from 2 000 to 1 million."""
    sep = sep or separators()
    traces: list[dict[str, Any]] = []
    for line, name, colour, dash, legend in (
        (lines.upper_998, _("99,8 %-gräns"), LIMIT_998_COLOUR, "dash", True),
        (lines.lower_998, _("99,8 %-gräns"), LIMIT_998_COLOUR, "dash", False),
        (lines.upper_95, _("95 %-gräns"), LIMIT_95_COLOUR, "dot", True),
        (lines.lower_95, _("95 %-gräns"), LIMIT_95_COLOUR, "dot", False),
    ):
        traces.append(
            {
                "type": "scatter",
                "mode": "lines",
                "x": line[0],
                "y": line[1],
                "name": name,
                "legendgroup": name,
                "showlegend": legend,
                "line": {"color": colour, "width": 1.5, "dash": dash},
                "hoverinfo": "skip",
            }
        )
    x0, x1 = lines.x_range
    traces.append(
        {
            "type": "scatter",
            "mode": "lines",
            "x": [x0, x1],
            "y": [lines.baseline, lines.baseline],
            "name": _("Riket"),
            "line": {"color": NATION_COLOUR, "width": 2},
            "hoverinfo": "skip",
        }
    )
    shown = [
        p
        for p in points
        if p.get("status") == "ok"
        and p.get("value") is not None
        and (p.get("denominator") or 0) > 0
    ]
    outside = {"above_998", "below_998"}
    warn = {"above_95", "below_95"}
    for label, colour, symbol, members in (
        (
            _("Inom 95 %"),
            "#4D4D4D",
            "circle",
            [p for p in shown if p.get("funnel_zone") not in outside | warn],
        ),
        (
            _("Utanför 95 %"),
            "#E69F00",
            "diamond",
            [p for p in shown if p.get("funnel_zone") in warn],
        ),
        (
            _("Utanför 99,8 %"),
            "#D55E00",
            "square",
            [p for p in shown if p.get("funnel_zone") in outside],
        ),
    ):
        if not members:
            continue
        traces.append(
            {
                "type": "scatter",
                "mode": "markers",
                "x": [p["denominator"] for p in members],
                "y": [p["value"] for p in members],
                "name": label,
                "text": [p.get("unit_name") or p.get("unit_code") for p in members],
                # texts made here, so the tooltip rounds as the table does
                "customdata": [
                    [format_value(p["value"], decimals), format_value(p["denominator"], 0)]
                    for p in members
                ],
                "marker": {
                    "color": colour,
                    "symbol": symbol,
                    "size": 8,
                    "line": {"color": "#FFFFFF", "width": 0.5},
                },
                "hovertemplate": "<b>%{text}</b><br>"
                + value_label
                + ": %{customdata[0]}<br>"
                + denominator_label
                + ": %{customdata[1]}<extra></extra>",
            }
        )
    layout = _layout(
        sep,
        height=460,
        margin={"l": 70, "r": 20, "t": 10, "b": 60},
        legend={"orientation": "h", "x": 0, "y": 1.0, "yanchor": "bottom"},
        xaxis={
            "type": "log",
            "title": {"text": denominator_label},
            "gridcolor": GRID,
            "fixedrange": True,
            # Plotly's own log ticks read "5 6 7 8 9 100k 2 3 …": name every tick in full
            **log_axis_ticks(*lines.x_range, sep=sep),
        },
        yaxis={
            "title": {"text": value_label},
            "gridcolor": GRID,
            "fixedrange": True,
            "automargin": True,
        },
    )
    return {"data": traces, "layout": layout}


def log_axis_ticks(low: float, high: float, *, sep: str | None = None) -> dict[str, Any]:
    """``tickvals``/``ticktext`` for a log axis from ``low`` to ``high``: powers of ten
    (1 000, 10 000, 100 000) when the range spans three decades or more, else 1-2-5 steps
    (2 000, 5 000, 10 000), each written in full with the language's thousands separator
    (Swedish: "100 000", never "100k"). Empty when the range is not positive."""
    if not (low > 0 and high > 0 and math.isfinite(low) and math.isfinite(high)):
        return {}
    sep = sep or separators()
    decades = math.log10(high) - math.log10(low)
    if decades >= 3:
        first, last = math.floor(math.log10(low)), math.ceil(math.log10(high))
        ticks = [10**e for e in range(first, last + 1) if low <= 10**e <= high]
    else:
        ticks = nice_log_ticks(low, high)
    if len(ticks) < 2:  # a narrow range: its ends, rounded to two significant figures
        ticks = sorted({float(f"{low:.2g}"), float(f"{high:.2g}")})
    return {
        "tickmode": "array",
        "tickvals": ticks,
        "ticktext": [format_number(t, sep) for t in ticks],
    }


# --- trend -----------------------------------------------------------------------------


def trend_figure(
    national: Sequence[tuple[int, float | None, float | None, float | None]],
    *,
    value_label: str,
    unit: Sequence[tuple[int, float | None, float | None, float | None]] | None = None,
    unit_name: str | None = None,
    decimals: int = 1,
    sep: str | None = None,
    targets: Sequence[tuple[float, str]] = (),
) -> dict[str, Any]:
    """The national value per period with its interval as a band, and optionally one
    unit's values with error bars. Periods without a value are gaps.

    ``targets`` (value, label) are drawn as dashed horizontal lines over the whole period
    range, each a legend entry with its label (a target the source names, e.g. the
    förstärkt vårdgaranti's 80 %), so the reader sees the distance to it in every year.

    A band needs two periods: with a single national interval it is drawn as error bars
    instead (a one-period trend showed no interval at all). Ticks sit on the periods
    themselves (:func:`period_ticks`), so a short series never repeats a year."""
    sep = sep or separators()
    # Monthly periods (YYYYMM) are drawn on a date axis, so December → January is one step.
    all_periods = sorted({int(p) for p, *_r in [*national, *(unit or [])]})
    monthly = any(is_month(p) for p in all_periods)

    def at(period: int) -> Any:
        return f"{format_period(period)}-01" if monthly else period

    national = [(at(p), *rest) for p, *rest in national]  # type: ignore[misc]
    unit = [(at(p), *rest) for p, *rest in unit] if unit else unit  # type: ignore[misc]
    traces: list[dict[str, Any]] = []
    with_ci = [(p, lo, hi) for p, v, lo, hi in national if lo is not None and hi is not None]
    if len(with_ci) >= 2:
        traces.append(
            {
                "type": "scatter",
                "mode": "lines",
                "x": [p for p, _l, _h in with_ci] + [p for p, _l, _h in reversed(with_ci)],
                "y": [h for _p, _l, h in with_ci] + [lo for _p, lo, _h in reversed(with_ci)],
                "fill": "toself",
                "fillcolor": "rgba(18,53,91,0.15)",
                "line": {"width": 0},
                "name": _("Riket, 95 % konfidensintervall"),
                "hoverinfo": "skip",
            }
        )
    traces.append(
        {
            "type": "scatter",
            "mode": "lines+markers",
            "x": [p for p, *_r in national],
            "y": [v for _p, v, *_r in national],
            "name": _("Riket"),
            "line": {"color": LINE_COLOUR, "width": 2.5},
            "marker": {"size": 6, "color": LINE_COLOUR},
            "connectgaps": False,
            "customdata": [format_value(v, decimals) for _p, v, *_r in national],
            "hovertemplate": "%{x}: %{customdata}<extra>" + _("Riket") + "</extra>",
        }
    )
    if len(with_ci) == 1:  # no band through one point: the interval as error bars
        traces[-1]["error_y"] = _error_bars(national, LINE_COLOUR)
    if unit:
        trace: dict[str, Any] = {
            "type": "scatter",
            "mode": "lines+markers",
            "x": [p for p, *_r in unit],
            "y": [v for _p, v, *_r in unit],
            "name": unit_name or _("Vald enhet"),
            "line": {"color": UNIT_COLOUR, "width": 2},
            "marker": {"size": 7, "color": UNIT_COLOUR, "symbol": "diamond"},
            "connectgaps": False,
            "customdata": [format_value(v, decimals) for _p, v, *_r in unit],
            "hovertemplate": f"%{{x}}: %{{customdata}}<extra>{unit_name or ''}</extra>",
        }
        if any(lo is not None for _p, _v, lo, _h in unit):
            trace["error_y"] = _error_bars(unit, UNIT_COLOUR)
        traces.append(trace)
    if all_periods:
        first, last = at(all_periods[0]), at(all_periods[-1])
        for value, label in targets:
            traces.append(
                {
                    "type": "scatter",
                    "mode": "lines",
                    "x": [first, last],
                    "y": [value, value],
                    "name": label,
                    "line": {"color": TARGET_COLOUR, "width": 2, "dash": "dash"},
                    "hovertemplate": f"{format_value(value, decimals)}<extra>{label}</extra>",
                }
            )
    layout = _layout(
        sep,
        height=380 + 24 * len(targets),
        margin={"l": 70, "r": 20, "t": 10, "b": 50},
        legend={"orientation": "h", "x": 0, "y": 1.0, "yanchor": "bottom"},
        xaxis={
            "title": {"text": _("Månad") if monthly else _("År")},
            "tickformat": "%Y-%m" if monthly else "d",
            **({"type": "date", "hoverformat": "%Y-%m"} if monthly else {}),
            **period_ticks(all_periods),
            "gridcolor": GRID,
            "fixedrange": True,
        },
        yaxis={
            "title": {"text": value_label},
            "gridcolor": GRID,
            "fixedrange": True,
            "automargin": True,
        },
    )
    return {"data": traces, "layout": layout}


def _error_bars(
    points: Sequence[tuple[Any, float | None, float | None, float | None]], colour: str
) -> dict[str, Any]:
    """Plotly ``error_y`` for (x, value, lower, upper) points; None where there is none."""
    return {
        "type": "data",
        "symmetric": False,
        "array": [(h - v) if h is not None and v is not None else None for _p, v, _lo, h in points],
        "arrayminus": [
            (v - lo) if lo is not None and v is not None else None for _p, v, lo, _h in points
        ],
        "color": colour,
        "thickness": 1.5,
        "width": 6,
    }


def period_ticks(periods: Sequence[int], most: int = 12) -> dict[str, Any]:
    """Axis ticks on the periods themselves (years, or months as dates), at most ``most``
    labels, evenly stepped; plus a range padded by half a step so that one period sits in
    the middle. Plotly's automatic ticks put one year at 2022.5 and label it "2023"
    twice with ``tickformat="d"``."""
    if not periods:
        return {}
    ps = sorted(set(periods))
    step = max(1, math.ceil(len(ps) / most))
    shown = ps[::step]
    if any(is_month(p) for p in ps):
        vals: list[Any] = [f"{format_period(p)}-01" for p in shown]
        return {
            "tickmode": "array",
            "tickvals": vals,
            "ticktext": [format_period(p) for p in shown],
        }
    span = ps[-1] - ps[0]
    step_years = max(1, math.ceil((span + 1) / most))
    years = list(range(ps[0], ps[-1] + 1, step_years))
    return {
        "tickmode": "array",
        "tickvals": years,
        "ticktext": [str(y) for y in years],
        "range": [ps[0] - 0.5, ps[-1] + 0.5],
    }


# --- spine chart -----------------------------------------------------------------------


@dataclass(frozen=True)
class SpineRow:
    """One indicator on a unit profile; values in the indicator's own unit."""

    code: str
    label: str
    value: float | None
    national: float | None
    minimum: float | None
    q1: float | None
    median: float | None
    q3: float | None
    maximum: float | None
    colour_key: str
    higher_is_better: bool | None  # None: no judgement
    decimals: int = 1  # the indicator's display decimals (tooltip as in the table)
    median_label: str = ""  # what the centre is when there is no national value


def spine_position(
    value: float, national: float, minimum: float, maximum: float, *, flip: bool
) -> float:
    """Fingertips' scaling: the national value in the middle (0.5), the farther extreme
    at the edge, so every indicator fits on 0…1; ``flip`` puts "better" on the right."""
    half = max(national - minimum, maximum - national)
    if half <= 0:
        return 0.5
    pos = 0.5 + (value - national) / (2 * half)
    return 1 - pos if flip else pos


def spine_figure(rows: Sequence[SpineRow], *, sep: str | None = None) -> dict[str, Any]:
    """Fingertips-style spine chart: per indicator the range min–max (light bar), the
    IQR (darker box), the national value (black line, centre; the median of the level
    when there is no national value) and the unit's value (a marker in its comparison
    colour and shape: against the nation, or against the level's quartiles when there is
    no national value, see :func:`quartile_key`). Lower-is-better indicators are flipped
    so better is always to the right; the table next to the chart has the real numbers."""
    sep = sep or separators()
    shapes: list[dict[str, Any]] = []
    labels = [r.label for r in rows]
    marker_x: list[float | None] = []
    marker_colour: list[str] = []
    marker_symbol: list[str] = []
    custom: list[list[Any]] = []
    for i, r in enumerate(rows):
        y = len(rows) - 1 - i
        centre = r.national if r.national is not None else r.median
        ok = None not in (centre, r.minimum, r.maximum)
        flip = r.higher_is_better is False
        if ok:
            assert centre is not None and r.minimum is not None and r.maximum is not None
            nat, lo, hi = centre, r.minimum, r.maximum

            def pos(
                v: float, nat: float = nat, lo: float = lo, hi: float = hi, flip: bool = flip
            ) -> float:
                return spine_position(v, nat, lo, hi, flip=flip)

            a, b = sorted((pos(lo), pos(hi)))
            shapes.append(_rect(a, b, y, 0.32, "#E3E3E3"))
            if r.q1 is not None and r.q3 is not None:
                a, b = sorted((pos(r.q1), pos(r.q3)))
                shapes.append(_rect(a, b, y, 0.32, "#9E9E9E"))
            marker_x.append(pos(r.value) if r.value is not None else None)
        else:
            marker_x.append(None)
        marker_colour.append(category_colour(r.colour_key))
        marker_symbol.append(SYMBOLS.get(r.colour_key, "circle"))
        if r.national is not None:
            reference = f"{_('Riket')}: {format_value(r.national, r.decimals)}"
        elif r.median is not None:
            reference = f"{r.median_label or _('Median')}: {format_value(r.median, r.decimals)}"
        else:
            reference = ""
        custom.append([format_value(r.value, r.decimals), reference])
    shapes.append(
        {
            "type": "line",
            "xref": "x",
            "yref": "paper",
            "x0": 0.5,
            "x1": 0.5,
            "y0": 0,
            "y1": 1,
            "line": {"color": NATION_COLOUR, "width": 2},
        }
    )
    ys = [len(rows) - 1 - i for i in range(len(rows))]
    trace = {
        "type": "scatter",
        "mode": "markers",
        "x": marker_x,
        "y": ys,
        "text": labels,
        "customdata": custom,
        "marker": {
            "size": 13,
            "color": marker_colour,
            "line": {"color": "#1A1A1A", "width": 1},
            "symbol": marker_symbol,
        },
        "hovertemplate": "<b>%{text}</b><br>"
        + _("Värde")
        + ": %{customdata[0]}<br>%{customdata[1]}<extra></extra>",
        "showlegend": False,
    }
    layout = _layout(
        sep,
        height=max(220, 46 * len(rows) + 80),
        margin={"l": 10, "r": 60, "t": 30, "b": 40},
        shapes=shapes,
        xaxis={
            "range": [-0.02, 1.02],
            "tickvals": [0, 0.5, 1],
            "ticktext": [_("Sämst / lägst"), _centre_label(rows), _("Bäst / högst")],
            "showgrid": False,
            "zeroline": False,
            "fixedrange": True,
        },
        yaxis={
            "tickvals": ys,
            "ticktext": spine_labels(labels),
            "automargin": True,
            "range": [-0.6, len(rows) - 0.4],
            "showgrid": False,
            "zeroline": False,
            "fixedrange": True,
        },
        showlegend=False,
    )
    return {"data": [trace], "layout": layout}


def _centre_label(rows: Sequence[SpineRow]) -> str:
    """The centre line's name: the nation, the median, or both when rows differ."""
    national = {r.national is not None for r in rows}
    if national == {True}:
        return _("Riket")
    if national == {False}:
        return _("Median")
    return _("Riket / median")


def spine_labels(labels: Sequence[str], width: int = 44, lines: int = 2) -> list[str]:
    """Axis labels for the spine chart: each title wrapped on up to ``lines`` lines of
    about ``width`` characters (``<br>``); a longer title keeps its beginning and its end
    with "…" in the middle, since titles of one family share their beginning ("Andel
    elever i årskurs 9 som …") and differ at the end (cutting the end made three rows
    read the same). Labels that would still read the same get their position (1, 2, …)
    appended, so no two rows look alike. The tooltip and the table beside the chart
    carry the full title."""
    out = [_wrap_middle(t, width, lines) for t in labels]
    seen: dict[str, int] = {}
    for label in out:
        seen[label] = seen.get(label, 0) + 1
    count: dict[str, int] = {}
    for i, label in enumerate(out):
        if seen[label] > 1:
            count[label] = count.get(label, 0) + 1
            out[i] = f"{label} ({count[label]})"
    return out


def _wrap_middle(text: str, width: int, lines: int) -> str:
    """``text`` wrapped at ``width``; past ``lines`` lines the middle becomes "…"."""
    # "100 000" stays on one line: thousands groups are glued while wrapping (textwrap
    # breaks at a no-break space too) and joined by a no-break space afterwards
    words = re.sub(r"(?<=\d) (?=\d{3}\b)", "\x00", " ".join(text.split()))
    parts = textwrap.wrap(words, width) or [""]
    if len(parts) > lines:
        head = parts[: lines - 1]
        rest = words[len(" ".join(head)) :].strip()
        room = width - 2  # "… " before the tail
        tail = rest[-room:]
        if len(rest) > room and " " in tail:  # start the tail at a word
            tail = tail[tail.index(" ") + 1 :]
        parts = [*head, "… " + tail]
    # Plotly reads tick text as HTML-like markup: escape the title's own characters
    return "<br>".join(escape(p).replace("\x00", "\u00a0") for p in parts)


def _rect(a: float, b: float, y: float, half: float, colour: str) -> dict[str, Any]:
    return {
        "type": "rect",
        "xref": "x",
        "yref": "y",
        "x0": a,
        "x1": b,
        "y0": y - half,
        "y1": y + half,
        "fillcolor": colour,
        "line": {"width": 0},
        "layer": "below",
    }
