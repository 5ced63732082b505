"""Indicator pages (server-rendered, Swedish): list, indicator page, unit profile, index.

The pages are mounted here on a test URL conf (the real one mounts them at
``/indikatorer/``), so the tests do not depend on ``config/urls.py``.
"""

from __future__ import annotations

import re
import sys
import types
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from indicators_support import make_indicator, write_csv

from datasmart.accounts.audit import SYSTEM
from datasmart.geo.models import Unit
from datasmart.indicators import results
from datasmart.indicators.imports import import_observations
from datasmart.indicators.models import Indicator

SMALL = "0115"  # numerator 3 → suppressed
MISSING = "2580"  # status missing in 2023
URLCONF = "indicator_pages_test_urls"


def mount_indicator_pages() -> str:
    """A URL conf with the indicator pages at /indikatorer/ plus the real site."""
    from django.urls import include, path

    from datasmart.config import urls as base

    if URLCONF not in sys.modules:
        module = types.ModuleType(URLCONF)
        mounted = any(getattr(p, "namespace", None) == "indicators" for p in base.urlpatterns)
        extra = [] if mounted else [path("indikatorer/", include("datasmart.indicators.urls"))]
        module.urlpatterns = [*extra, *base.urlpatterns]  # type: ignore[attr-defined]
        sys.modules[URLCONF] = module
    return URLCONF


@pytest.fixture(autouse=True)
def _urls(settings: Any) -> None:
    settings.ROOT_URLCONF = mount_indicator_pages()


def _rows(code: str, period: int) -> list[str]:
    rows = []
    kommuner = Unit.objects.filter(level="kommun").order_by("code").values_list("code", flat=True)
    for i, unit in enumerate(kommuner):
        if unit == MISSING and period == 2023:
            rows.append(f"{code},{unit},{period},T,,,,,missing")
            continue
        shift = 0 if period == 2022 else 7
        num = 3 if unit == SMALL else 40 + ((i + shift) % 20) * 3
        rows.append(f"{code},{unit},{period},T,,{num},{200 + (i % 20) * 10},,")
    return rows


@pytest.fixture
def prop(tmp_path: Path, db: Any) -> Indicator:
    ind = make_indicator(
        "page-prop",
        title_sv="Testandel för sidor",
        definition_sv="En påhittad andel för sidtesterna.",
        levels=["kommun"],
        breakdowns=[],
        age_groups=[],
        polarity="lower_is_better",
        polarity_reason="Test.",
        ci_method="wilson",
        domain="A",
        source="Testkälla",
        licence="CC BY 4.0",
        attribution="Källa: test",
        quality_notes="Påhittade data.",
        group="testgrupp",
    )
    lines = _rows("page-prop", 2022) + _rows("page-prop", 2023)
    import_observations(write_csv(tmp_path, "page.csv", lines), by=SYSTEM)
    results.compute_indicator(ind, by=SYSTEM)
    return ind


@pytest.fixture
def client() -> Client:
    return Client()


def _row(html: str, name: str) -> str:
    """The table row (<tr>…</tr>) whose header cell links to ``name``."""
    for match in re.finditer(r"<tr[^>]*>(.*?)</tr>", html, re.S):
        if f">{name}</a></th>" in match.group(1):
            return match.group(1)
    raise AssertionError(f"no row for {name}")


def _no_external_scripts(html: str) -> None:
    for src in re.findall(r"<script[^>]*\ssrc=\"([^\"]+)\"", html):
        assert src.startswith("/"), src
        assert not src.startswith("//"), src
    # no inline scripts: every <script> has a src or is a JSON block
    for tag in re.findall(r"<script(?![^>]*\ssrc=)[^>]*>", html):
        assert 'type="application/json"' in tag, tag


# --- list ------------------------------------------------------------------------------


def test_list_groups_and_search(client: Client, prop: Indicator) -> None:
    make_indicator("page-other", title_sv="Annan indikator", group="annat")
    r = client.get("/indikatorer/")
    assert r.status_code == 200
    html = r.content.decode()
    assert "Testandel för sidor" in html and "Annan indikator" in html
    assert 'href="/indikatorer/page-prop/"' in html
    _no_external_scripts(html)

    r = client.get("/indikatorer/", {"q": "testandel"})
    html = r.content.decode()
    assert "Testandel för sidor" in html and "Annan indikator" not in html

    r = client.get("/indikatorer/", {"q": "finns-inte"}, HTTP_HX_REQUEST="true")
    assert "Inga indikatorer matchar" in r.content.decode()
    assert "<html" not in r.content.decode()  # fragment only


# --- indicator page --------------------------------------------------------------------


def test_indicator_page_renders_everything(client: Client, prop: Indicator) -> None:
    r = client.get("/indikatorer/page-prop/")
    assert r.status_code == 200
    html = r.content.decode()
    assert "<h1>Testandel för sidor</h1>" in html
    for text in ("En påhittad andel", "Testkälla", "CC BY 4.0", "Källa: test", "Påhittade data."):
        assert text in html
    # latest period by default, with map, funnel and trend figures and their tables
    assert 'id="results-caption"' in html and "kommuner 2023" in html
    for block in ("map-figure", "trend-figure"):
        assert f'id="{block}" type="application/json"' in html
    # one kommun is missing in 2023, so the nation is too and no funnel can be drawn
    assert "Rikets täljare och nämnare saknas" in html
    html22 = client.get("/indikatorer/page-prop/", {"period": "2022"}).content.decode()
    assert 'id="funnel-figure" type="application/json"' in html22
    assert "Tabell: utveckling över tid" in html
    # comparison with the nation (2022: the nation is complete) as text, not colour alone
    assert re.search(r"(Bättre än riket|Sämre än riket|Ingen skillnad mot riket)", html22)
    # downloads carry the filters
    assert "/api/indicators/page-prop/values?level=kommun&amp;period=2023&amp;sex=T" in html
    assert "format=csv" in html and "format=xlsx" in html
    _no_external_scripts(html)


def test_period_filter_changes_output(client: Client, prop: Indicator) -> None:
    a = client.get("/indikatorer/page-prop/", {"period": "2023"}).content.decode()
    b = client.get("/indikatorer/page-prop/", {"period": "2022"}).content.decode()
    assert "kommuner 2023" in a and "kommuner 2022" in b
    name = Unit.objects.get(code="0114").name
    assert _row(a, name) != _row(b, name)
    # a missing unit is marked "-" in 2023 only
    missing = Unit.objects.get(code=MISSING).name
    assert '<td class="num value">-</td>' in _row(a, missing)
    assert '<td class="num value">-</td>' not in _row(b, missing)


def test_suppressed_values_never_show_numbers(client: Client, prop: Indicator) -> None:
    html = client.get("/indikatorer/page-prop/").content.decode()
    row = _row(html, Unit.objects.get(code=SMALL).name)
    assert '<td class="num value">..</td>' in row
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
    assert not any(re.search(r"\d", re.sub(r"<[^>]+>", "", c)) for c in cells), cells
    # nor in the map's hover data
    figure = re.search(r'id="map-figure" type="application/json">(.*?)</script>', html, re.S)
    assert figure is not None
    name = Unit.objects.get(code=SMALL).name
    assert f'["{name}", "/indikatorer/profil/{SMALL}/", ".."]' in figure.group(1)


def test_kommungrupp_and_sort_filters(client: Client, prop: Indicator) -> None:
    all_rows = client.get("/indikatorer/page-prop/").content.decode().count('<tr class="status-')
    html = client.get("/indikatorer/page-prop/", {"kommungrupp": "A1"}).content.decode()
    grouped = html.count('<tr class="status-')
    assert 0 < grouped < all_rows == 290
    by_name = client.get("/indikatorer/page-prop/", {"sort": "name", "dir": "asc"}).content
    by_value = client.get("/indikatorer/page-prop/", {"sort": "value", "dir": "desc"}).content
    first = re.compile(rb'<tr class="status-[a-z_]+">\s*<th scope="row"><a [^>]+>([^<]+)<')
    assert first.search(by_name) and first.search(by_value)
    assert first.search(by_name).group(1) != first.search(by_value).group(1)  # type: ignore[union-attr]
    assert b'aria-sort="descending"' in by_value


def test_bad_filters_fall_back(client: Client, prop: Indicator) -> None:
    r = client.get(
        "/indikatorer/page-prop/",
        {"period": "x", "sex": "9", "level": "planet", "kommungrupp": "ZZ", "sort": "?"},
    )
    assert r.status_code == 200
    assert "kommuner 2023" in r.content.decode()


def test_trend_with_a_unit(client: Client, prop: Indicator) -> None:
    name = Unit.objects.get(code="0114").name
    html = client.get("/indikatorer/page-prop/", {"enhet": "0114"}).content.decode()
    assert f'<th scope="col" class="num">{name}</th>' in html


def test_unknown_indicator_is_a_swedish_404(client: Client, db: Any) -> None:
    r = client.get("/indikatorer/finns-inte/")
    assert r.status_code == 404
    assert "Ingen indikator med koden" in r.content.decode()


def test_indicator_without_results(client: Client, db: Any) -> None:
    make_indicator("page-empty", title_sv="Tom indikator")
    r = client.get("/indikatorer/page-empty/")
    assert r.status_code == 200
    assert "inga beräknade resultat" in r.content.decode()


# --- profile and index -----------------------------------------------------------------


def test_unit_profile(client: Client, prop: Indicator) -> None:
    r = client.get("/indikatorer/profil/0114/")
    assert r.status_code == 200
    html = r.content.decode()
    assert 'id="spine-figure" type="application/json"' in html
    assert 'href="/indikatorer/page-prop/?level=kommun&amp;period=2023&amp;enhet=0114"' in html
    _no_external_scripts(html)
    small = client.get(f"/indikatorer/profil/{SMALL}/").content.decode()
    assert '<td class="num value">..</td>' in small


def test_unknown_unit_is_a_404(client: Client, db: Any) -> None:
    r = client.get("/indikatorer/profil/9999/")
    assert r.status_code == 404


def test_composite_index(client: Client, prop: Indicator) -> None:
    r = client.get("/indikatorer/index/")
    assert r.status_code == 200
    html = r.content.decode()
    assert "Metod" in html and "z-poäng" in html
    assert 'id="map-figure" type="application/json"' in html
    assert "Testandel för sidor" in html
    _no_external_scripts(html)
    assert client.get("/indikatorer/index/", {"level": "region"}).status_code == 200


def test_colour_by_comparison_or_quintile(client: Client, prop: Indicator) -> None:
    html = client.get("/indikatorer/page-prop/", {"period": "2022"}).content.decode()
    assert 'id="f-colour"' in html
    legend = re.search(r'<ul class="legend">(.*?)</ul>', html, re.S)
    assert legend is not None and "riket" in legend.group(1) and "Kvintil" not in legend.group(1)
    html = client.get("/indikatorer/page-prop/", {"period": "2022", "colour": "quintile"})
    text = html.content.decode()
    legend = re.search(r'<ul class="legend">(.*?)</ul>', text, re.S)
    assert legend is not None and "Kvintil 1 (bäst)" in legend.group(1)
    assert "Jämfört med riket" in text  # the comparison stays in the table as text


def test_composite_counts_complete_units_honestly(client: Client, prop: Indicator) -> None:
    """Complete = a value for every indicator; the count of ranked units is told apart."""
    from datasmart.indicators.composite import composite_index

    data = composite_index(level="kommun")
    html = client.get("/indikatorer/index/").content.decode()
    total = len(data["rows"])
    hint = re.search(r'<p class="table-hint" id="index-coverage">(.*?)</p>', html, re.S)
    assert hint is not None
    text = " ".join(hint.group(1).split())
    assert f"{data['n_complete']} av {total} enheter har värden för alla 1 indikatorer" in text
    assert data["n_complete"] < total  # suppressed and missing units are not complete
    assert "rangordnas" in text
    assert "1 av 1" in html  # the coverage column says "n of k"


def test_composite_empty_message_once_per_page(client: Client, db: Any) -> None:
    """Without results at a level (the Kolada indicators are kommun-only, so the region
    level has none) the "no indicators" notice appeared twice."""
    html = client.get("/indikatorer/index/", {"level": "region"}).content.decode()
    assert html.count("Inga indikatorer med domän och riktning") == 1


def test_census_share_has_no_funnel_and_no_zones(client: Client, tmp_path: Path, db: Any) -> None:
    """A complete count (ci_method "none", like the population shares) has no sampling
    variation: about 200 of 290 kommuner were flagged outside 99.8 %. No zones are
    computed, no funnel is drawn, and the page says why."""
    from datasmart.indicators.models import Result

    ind = make_indicator(
        "page-census",
        levels=["kommun"],
        breakdowns=[],
        age_groups=[],
        polarity="no_judgement",
        ci_method="none",
    )
    import_observations(write_csv(tmp_path, "c.csv", _rows("page-census", 2022)), by=SYSTEM)
    results.compute_indicator(ind, by=SYSTEM)
    computed = Result.objects.filter(indicator=ind, level="kommun", status="ok")
    assert computed.exists()
    assert not computed.exclude(funnel_zone__isnull=True).exclude(funnel_zone="").exists()
    html = client.get("/indikatorer/page-census/", {"period": "2022"}).content.decode()
    assert 'id="funnel-figure"' not in html
    assert "ingen slumpvariation" in html


def test_sampled_proportion_still_has_a_funnel(client: Client, prop: Indicator) -> None:
    html = client.get("/indikatorer/page-prop/", {"period": "2022"}).content.decode()
    assert 'id="funnel-figure"' in html
