"""The indicator page's kommungrupp edition switch (issue 12): a select with SKR 2017 and
2023, defaulting to the edition in force for the shown period, a sentence naming the
edition the comparison uses, and the choice carried to the table, the map's tooltips, the
kommungrupp filter and the CSV/Excel links (``kommungrupp_edition``)."""

from __future__ import annotations

import json
import re
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from indicators_support import make_indicator, write_csv

from datasmart.accounts.audit import SYSTEM
from datasmart.geo import kommungrupper
from datasmart.geo.models import Unit
from datasmart.indicators import results
from datasmart.indicators.imports import import_observations
from datasmart.indicators.models import Indicator

pytestmark = pytest.mark.django_db
MOVED = ("0381", "Enköping")  # B5 in 2017, B4 in 2023 (one of the 33)
PAGE = "/indikatorer/edition-page/"


@pytest.fixture(autouse=True)
def _urls(settings: Any) -> None:
    from tests.indicators.test_pages import mount_indicator_pages

    settings.ROOT_URLCONF = mount_indicator_pages()


@pytest.fixture
def ind(tmp_path: Path) -> Indicator:
    made = make_indicator(
        "edition-page", levels=["kommun"], breakdowns=[], age_groups=[], ci_method="wilson"
    )
    codes = Unit.objects.filter(level="kommun").order_by("code").values_list("code", flat=True)
    lines = [
        f"edition-page,{code},{year},T,,{50 + i % 40},200,,"
        for year in (2022, 2023)
        for i, code in enumerate(codes)
    ]
    import_observations(write_csv(tmp_path, "e.csv", lines), by=SYSTEM)
    results.compute_indicator(made, by=SYSTEM)
    return made


def _row(html: str, name: str) -> str:
    for match in re.finditer(r"<tr[^>]*>(.*?)</tr>", html, re.S):
        if f">{name}</a></th>" in match.group(1):
            return match.group(1)
    raise AssertionError(f"no row for {name}")


def _select(html: str) -> str:
    found = re.search(
        r'<select id="f-edition" name="kommungrupp_edition">(.*?)</select>', html, re.S
    )
    assert found, "no edition select"
    return found.group(1)


def _selected(html: str) -> str:
    found = re.search(r"<option[^>]*selected>([^<]*)", _select(html))
    assert found
    return found.group(1)


def test_select_defaults_to_edition_in_force(ind: Indicator) -> None:
    html = Client().get(PAGE, {"period": 2023}).content.decode()
    assert "SKR 2023" in _selected(html)
    # the default's option has no value, so changing the year keeps "the edition in force"
    assert '<option value="2017">SKR 2017</option>' in _select(html)
    assert "enligt SKR:s indelning 2023, som gäller för 2023" in html
    assert "B4" in _row(html, MOVED[1])
    html = Client().get(PAGE, {"period": 2022}).content.decode()
    assert "SKR 2017" in _selected(html)
    assert "enligt SKR:s indelning 2017, som gäller för 2022" in html
    assert "B5" in _row(html, MOVED[1])


def test_switching_edition_changes_the_comparison(ind: Indicator) -> None:
    html = Client().get(PAGE, {"period": 2023, "kommungrupp_edition": "2017"}).content.decode()
    assert "SKR 2017" in _selected(html)
    assert "indelning 2017; för 2023 gäller indelningen 2023" in html
    row = _row(html, MOVED[1])
    assert '<span class="code">B5</span>' in row
    expected = results.query_results(ind, period=2023, kommungrupp_edition="2017")
    b5 = next(r for r in expected if r["unit_code"] == MOVED[0])["group_value"]
    assert f"{b5:.1f}".replace(".", ",") in row
    assert "Kommungrupp (SKR 2017)" in html  # the table's column header
    # the map's tooltip says the same
    fig = json.loads(
        re.search(
            r'<script id="map-figure" type="application/json">(.*?)</script>', html, re.S
        ).group(1)  # type: ignore[union-attr]
    )
    tips = {
        loc: data[2]
        for trace in fig["data"]
        for loc, data in zip(trace["locations"], trace["customdata"], strict=True)
    }
    assert "Kommungrupp B5 (SKR 2017)" in tips[MOVED[0]]
    # the downloads and the sort links carry the choice
    assert re.search(
        r'href="/api/indicators/edition-page/values\?[^"]*kommungrupp_edition=2017[^"]*format=csv',
        html,
    )
    assert "kommungrupp_edition=2017&amp;sort=" in html or "kommungrupp_edition=2017&sort=" in html


def test_group_filter_lists_the_chosen_editions_groups(ind: Indicator) -> None:
    client = Client()
    html = client.get(
        PAGE, {"period": 2023, "kommungrupp_edition": "2017", "kommungrupp": "B5"}
    ).content.decode()
    names = set(re.findall(r'<th scope="row"><a href="[^"]+">([^<]+)</a></th>', html))
    b5 = kommungrupper.members("2017", "B5")
    assert len(names) == len(b5)
    assert MOVED[1] in names
    html = client.get(PAGE, {"period": 2023, "kommungrupp": "B5"}).content.decode()
    names = set(re.findall(r'<th scope="row"><a href="[^"]+">([^<]+)</a></th>', html))
    assert len(names) == len(kommungrupper.members("2023", "B5"))
    assert MOVED[1] not in names  # Enköping is B4 in 2023


def test_unknown_edition_falls_back_to_edition_in_force(ind: Indicator) -> None:
    response = Client().get(PAGE, {"period": 2023, "kommungrupp_edition": "1999"})
    assert response.status_code == 200
    assert "SKR 2023" in _selected(response.content.decode())


def test_english_page(ind: Indicator) -> None:
    client = Client()
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    html = unescape(
        client.get(PAGE, {"period": 2023, "kommungrupp_edition": "2017"}).content.decode()
    )
    assert "Municipality group classification" in html
    assert "compared with their municipality groups in SKR's 2017 classification" in html
    assert "Municipality group (SKR 2017)" in html
    assert "kommungrupper enligt" not in html
