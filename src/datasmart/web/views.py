"""Pages: start page with the map, one page per unit, search; plus the map and plotly.js
assets. Views only read request parameters, call :mod:`datasmart.geo.services`, hand the
numbers to :mod:`datasmart.web.charts` and render."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotModified
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from datasmart.geo import kommungrupper, services
from datasmart.geo.models import LEVEL_ORDER, NATION_CODE, Granularity, Level, Unit
from datasmart.web import assets, charts

MAP_LEVELS = ("kommun", "region")
LEVEL_PLURALS = {
    Level.NATION: gettext_lazy("Riket"),
    Level.SJUKVARDSREGION: gettext_lazy("Sjukvårdsregioner"),
    Level.REGION: gettext_lazy("Regioner/län"),
    Level.KOMMUN: gettext_lazy("Kommuner"),
}
AGE_OPTIONS = {"5": "5y", "1": None}  # five-year bands, or single years
KEY_AGE_BANDS = "0-17,18-64,65+"


_SWEDISH_ORDER = str.maketrans({"å": "z\u0001", "ä": "z\u0002", "ö": "z\u0003", "é": "e", "ü": "y"})


def name_key(name: str) -> str:
    """Sort key for Swedish names: a–z, then å, ä, ö (not code-point order Ä, Å, Ö)."""
    return name.casefold().translate(_SWEDISH_ORDER)


def _int_param(request: HttpRequest, name: str) -> int | None:
    try:
        return int(request.GET.get(name, ""))
    except ValueError:
        return None


def _unit_url(code: str) -> str:
    return reverse("web:unit", args=[code])


def _is_htmx(request: HttpRequest) -> bool:
    """An htmx request for a fragment (a history restore wants the whole page)."""
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


# --- start page with map ---------------------------------------------------------------


@dataclass(frozen=True)
class MapRow:
    code: str
    name: str
    url: str
    population: int
    parent_name: str
    parent_url: str | None


SORT_KEYS = {
    "name": lambda r: name_key(r.name),
    "code": lambda r: r.code,
    "population": lambda r: r.population,
    "parent": lambda r: (name_key(r.parent_name), name_key(r.name)),
}


def _map_years(level: str) -> list[int]:
    """Years with a population figure for every unit of ``level`` (same for all of them)."""
    first = services.list_units(level=level).first()
    return list(services.population_years(first)) if first else []


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    level = request.GET.get("level", "kommun")
    if level not in MAP_LEVELS:
        level = "kommun"
    years = _map_years(level)
    year = _int_param(request, "year")
    if year not in years:
        year = years[-1] if years else None
    sort = request.GET.get("sort", "population")
    if sort not in SORT_KEYS:
        sort = "population"
    direction = request.GET.get("dir", "desc" if sort == "population" else "asc")
    if direction not in {"asc", "desc"}:
        direction = "asc"

    rows: list[MapRow] = []
    figure: dict[str, Any] | None = None
    if year is not None:
        values = services.population_by_level(level, year)
        for unit in services.list_units(level=level):
            if unit.code not in values:
                continue
            # a kommun's parent is its region; a region's is its sjukvårdsregion, except
            # split Halland, whose parent is the nation
            parent = unit.parent
            split = parent is None or parent.level == Level.NATION
            rows.append(
                MapRow(
                    code=unit.code,
                    name=unit.name,
                    url=_unit_url(unit.code),
                    population=values[unit.code],
                    parent_name=_("delad") if split or parent is None else parent.name,
                    parent_url=None if split or parent is None else _unit_url(parent.code),
                )
            )
        if rows:
            figure = charts.choropleth_figure(
                [charts.MapValue(r.code, r.name, r.population, r.url) for r in rows],
                geojson_url=reverse(
                    "web:geojson_kommuner" if level == "kommun" else "web:geojson_regioner"
                ),
                value_label=_("Befolkning"),
                topojson_url=reverse("web:topojson_base"),
            )
    by_size = sorted(rows, key=lambda r: r.population, reverse=True)
    rows.sort(key=SORT_KEYS[sort], reverse=direction == "desc")
    total = sum(r.population for r in rows)

    def sort_link(key: str) -> dict[str, Any]:
        active = key == sort
        next_dir = (
            ("asc" if direction == "desc" else "desc")
            if active
            else ("desc" if key == "population" else "asc")
        )
        return {
            "key": key,
            "active": active,
            "aria_sort": ("ascending" if direction == "asc" else "descending") if active else None,
            "query": f"level={level}&year={year}&sort={key}&dir={next_dir}",
        }

    context = {
        "level": level,
        "level_options": [
            {"value": "kommun", "label": _("Kommuner"), "query": "level=kommun"},
            {"value": "region", "label": _("Regioner/län"), "query": "level=region"},
        ],
        "years": years,
        "year": year,
        "rows": rows,
        "total": total,
        "largest": by_size[:5],
        "smallest": by_size[-5:][::-1] if len(by_size) > 5 else [],
        "figure": figure,
        "sort": {k: sort_link(k) for k in SORT_KEYS},
        "parent_heading": _("Region/län") if level == "kommun" else _("Sjukvårdsregion"),
    }
    if _is_htmx(request) and request.headers.get("HX-Target") == "map-table":
        response = render(request, "web/_map_table.html", context)
    else:
        response = render(request, "web/home.html", context)
    patch_vary_headers(response, ["HX-Request", "HX-Target"])
    return response


# --- unit page -------------------------------------------------------------------------


def _kommun_count(unit: Unit) -> int | None:
    if unit.level == Level.NATION:
        return services.list_units(level=Level.KOMMUN).count()
    if unit.level == Level.REGION:
        return services.list_units(level=Level.KOMMUN, parent_code=unit.code).count()
    if unit.level == Level.SJUKVARDSREGION:
        count = 0
        for child in services.children(unit):
            if child.level == Level.KOMMUN:
                count += 1
            elif child.level == Level.REGION:
                count += services.list_units(level=Level.KOMMUN, parent_code=child.code).count()
        return count
    return None


def _shares(unit: Unit, year: int) -> dict[str, float]:
    rows = services.population(
        unit, year, by=("age",), age_bands=services.parse_age_bands(KEY_AGE_BANDS)
    )
    total = sum(r.population for r in rows)
    if not total:
        return {}
    return {str(r.age_group): r.population / total for r in rows}


def _pyramid(unit: Unit, year: int, ages: str) -> list[charts.PyramidRow]:
    spec = AGE_OPTIONS[ages]
    bands = services.parse_age_bands(spec) if spec else None
    rows = services.population(unit, year, by=("age", "sex"), age_bands=bands)
    return charts.pyramid_rows((r.age_group, r.sex, r.population) for r in rows)


@require_GET
def unit(request: HttpRequest, code: str) -> HttpResponse:
    try:
        obj = services.get_unit(code)
    except services.UnitNotFound as exc:
        return render(request, "404.html", {"message": str(exc)}, status=404)

    level = Level(obj.level)
    series_detail = services.population_series_detail(obj)
    series = [(y, n) for y, n, _g in series_detail]
    series_granularity = {y: g for y, _n, g in series_detail}
    years = services.population_years(obj)
    detailed = [y for y, has_breakdown in years.items() if has_breakdown]

    latest = series[-1] if series else None
    previous = series[-2] if len(series) > 1 else None
    change = None
    if latest and previous:
        diff = latest[1] - previous[1]
        change = {
            "from_year": previous[0],
            "diff": diff,
            "share": diff / previous[1] if previous[1] else None,
        }

    year = _int_param(request, "year")
    if year not in detailed:
        year = detailed[-1] if detailed else None
    compare_year = _int_param(request, "compare")
    if "compare" not in request.GET:
        others = [y for y in detailed if y != year]
        compare_year = others[0] if others else None
    if compare_year not in detailed or compare_year == year:
        compare_year = None
    ages = request.GET.get("ages", "5")
    if ages not in AGE_OPTIONS:
        ages = "5"

    pyramid = compare = None
    pyramid_fig = None
    shares: dict[str, float] = {}
    if year is not None:
        pyramid = _pyramid(obj, year, ages)
        compare = _pyramid(obj, compare_year, ages) if compare_year else None
        pyramid_fig = charts.pyramid_figure(
            pyramid, year=year, compare=compare, compare_year=compare_year
        )
        shares = _shares(obj, detailed[-1])
    pyramid_table = []
    if pyramid is not None:
        other = {r.age: r for r in compare or []}
        pyramid_table = [(r, other.get(r.age)) for r in pyramid]

    series_rows = []
    for i, (y, n) in enumerate(series):
        prev = series[i - 1][1] if i else None
        series_rows.append(
            {
                "year": y,
                "population": n,
                "diff": n - prev if prev else None,
                "granularity": Granularity(series_granularity[y]).label,
            }
        )

    kids = services.children(obj)
    if level == Level.NATION:
        # the nation's direct children are the sjukvårdsregioner and split Halland;
        # list every region/län instead
        kids = [k for k in kids if k.level != Level.REGION]
        kids += list(services.list_units(level=Level.REGION))
    groups: dict[str, list[Unit]] = {}
    for child in kids:
        groups.setdefault(child.level, []).append(child)
    children_groups = []
    for lv in LEVEL_ORDER:
        if lv in groups:
            label = LEVEL_PLURALS[lv]
            if level == Level.SJUKVARDSREGION and lv == Level.KOMMUN:
                label = gettext_lazy("Kommuner i delad region/län")
            units = sorted(groups[lv], key=lambda u: name_key(u.name))
            children_groups.append({"label": label, "units": units})
    # Halland is split between two sjukvårdsregioner: name them instead of a parent
    split_between = (
        sorted({k.sjukvardsregion for k in kids if k.sjukvardsregion}, key=lambda u: u.code)
        if level == Level.REGION and obj.is_split
        else []
    )
    group = services.kommungrupp_of(obj) if level == Level.KOMMUN else None
    editions = kommungrupper.unit_groups(obj) if level == Level.KOMMUN else []

    context = {
        "unit": obj,
        "level": level,
        "level_label": level.label,
        "is_nation": obj.code == NATION_CODE,
        "ancestors": services.ancestors(obj),
        "children_groups": children_groups,
        "split_between": split_between,
        "kommungrupp": group,
        "kommungrupp_editions": editions,
        "kommungrupp_changed": len({g.code for g in editions}) > 1,
        "kommun_count": _kommun_count(obj),
        "region_count": (
            services.list_units(level=Level.REGION).count() if level == Level.NATION else None
        ),
        "latest": latest,
        "change": change,
        "shares_year": detailed[-1] if detailed else None,
        "share_children": shares.get("0-17"),
        "share_elderly": shares.get("65+"),
        "series": series,
        "series_rows": series_rows,
        "population_granularities": sorted(set(series_granularity.values())),
        "series_fig": charts.series_figure(series, name=obj.name) if series else None,
        "series_has_gaps": any(b[0] - a[0] > 1 for a, b in itertools.pairwise(series)),
        "detailed_years": detailed,
        "year": year,
        "compare_year": compare_year,
        "ages": ages,
        "pyramid_fig": pyramid_fig,
        "pyramid_table": pyramid_table,
        "totals_only_years": [y for y, has_breakdown in years.items() if not has_breakdown],
    }
    return render(request, "web/unit.html", context)


# --- kommungrupper --------------------------------------------------------------------


@require_GET
def kommungrupper_page(request: HttpRequest) -> HttpResponse:
    """SKR's kommungrupper per edition (names, sizes, members linked to their unit
    pages), an edition switch (``?utgava=2017|2023``, default the edition in force
    today) and the kommuner that changed group between the editions."""
    editions = list(kommungrupper.EDITIONS)
    edition = request.GET.get("utgava", "")
    if edition not in editions:
        edition = kommungrupper.edition_for_period(None)
    overview = kommungrupper.overview(edition)
    changes = kommungrupper.changes(editions[0], editions[-1])
    context = {
        "editions": editions,
        "edition": edition,
        "old_edition": editions[0],
        "new_edition": editions[-1],
        "valid_from": kommungrupper.EDITION_VALID_FROM[edition],
        "groups": [
            {
                "group": g.group,
                "size": g.size,
                "members": [{"code": c, "name": n, "url": _unit_url(c)} for c, n in g.members],
            }
            for g in overview
        ],
        "n_kommuner": sum(g.size for g in overview),
        "changes": [
            {"change": c, "url": _unit_url(c.code)}
            for c in sorted(changes, key=lambda c: name_key(c.name))
        ],
        "n_changes": len(changes),
        "skr_changes": kommungrupper.SKR_STATED_CHANGES,
    }
    return render(request, "web/kommungrupper.html", context)


# --- search ----------------------------------------------------------------------------

SEARCH_LIMIT = 50
#: Longest search text used (the longest unit name is about 30 characters); the search
#: fields have the same ``maxlength``.
SEARCH_MAX_LENGTH = 100


@require_GET
def search(request: HttpRequest) -> HttpResponse:
    """Units by name or code. No unit name is near :data:`SEARCH_MAX_LENGTH` characters, so
    a longer query (a pasted paragraph, once 5 000 characters) is cut there and the page
    says so, instead of searching for it or failing."""
    raw = request.GET.get("q", "").strip()
    query = raw[:SEARCH_MAX_LENGTH]
    too_long = len(raw) if len(raw) > SEARCH_MAX_LENGTH else 0
    found = services.search_units(query, limit=SEARCH_LIMIT) if query else []
    groups = []
    for lv in LEVEL_ORDER:
        units = [u for u in found if u.level == lv]
        if units:
            groups.append({"level": lv.value, "label": LEVEL_PLURALS[lv], "units": units})
    context = {
        "q": query,
        "groups": groups,
        "count": len(found),
        "limit": SEARCH_LIMIT,
        "max_length": SEARCH_MAX_LENGTH,
        "too_long": too_long,
    }
    template = "web/_search_results.html" if _is_htmx(request) else "web/search.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


# --- assets ----------------------------------------------------------------------------


def _asset_response(request: HttpRequest, asset: assets.Asset, cache_control: str) -> HttpResponse:
    if request.headers.get("If-None-Match") == asset.etag:
        response: HttpResponse = HttpResponseNotModified()
    elif "gzip" in request.headers.get("Accept-Encoding", ""):
        response = HttpResponse(asset.gzipped, content_type=asset.content_type)
        response["Content-Encoding"] = "gzip"
    else:
        response = HttpResponse(asset.body, content_type=asset.content_type)
    response["ETag"] = asset.etag
    response["Cache-Control"] = cache_control
    patch_vary_headers(response, ["Accept-Encoding"])
    return response


@require_GET
def geojson(request: HttpRequest, level: str) -> HttpResponse:
    """Boundaries with 2-/4-digit string codes in ``id`` and ``properties.code``."""
    try:
        asset = assets.geojson(level)
    except ValueError:
        raise Http404 from None
    return _asset_response(request, asset, "public, max-age=86400")


@require_GET
def topojson(request: HttpRequest, name: str = "") -> HttpResponse:
    """An empty base map for Plotly's geo subplot (see :func:`assets.empty_topojson`)."""
    if not name:
        raise Http404
    return _asset_response(request, assets.empty_topojson(), "public, max-age=86400")


@require_GET
def plotly_js(request: HttpRequest) -> HttpResponse:
    """plotly.min.js from the installed plotly package. Pages link it with ``?v=<version>``
    so it can be cached for a year and still change when the package is upgraded."""
    return _asset_response(request, assets.plotly_js(), "public, max-age=31536000, immutable")
