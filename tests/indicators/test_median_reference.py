"""Value-only indicators without a national value (Kolada's kommun KPIs) are compared
with the median and quartiles of all kommuner and of the kommungrupp, and the spine chart
is coloured from that instead of grey ("Inte jämförd")."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from django.test import Client
from indicators_support import make_indicator, write_csv
from ninja.testing import TestClient
from test_pages import mount_indicator_pages

from datasmart.accounts.audit import SYSTEM
from datasmart.geo.models import Unit
from datasmart.indicators import charts, results
from datasmart.indicators.api import router
from datasmart.indicators.imports import import_observations
from datasmart.indicators.models import Indicator

api = TestClient(router)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0.9, "below_q1"), (1.0, "q1_q3"), (2.0, "q1_q3"), (3.0, "q1_q3"), (3.1, "above_q3")],
)
def test_quartile_position_bounds(value: float, expected: str) -> None:
    assert results.quartile_position(value, 1.0, 3.0) == expected
    assert results.quartile_position(None, 1.0, 3.0) is None
    assert results.quartile_position(value, None, 3.0) is None


@pytest.mark.parametrize(
    ("position", "polarity", "key"),
    [
        ("above_q3", "higher_is_better", "quartile_best"),
        ("below_q1", "higher_is_better", "quartile_worst"),
        ("above_q3", "lower_is_better", "quartile_worst"),
        ("below_q1", "lower_is_better", "quartile_best"),
        ("above_q3", "no_judgement", "quartile_high"),
        ("below_q1", "no_judgement", "quartile_low"),
        ("q1_q3", "higher_is_better", "quartile_mid"),
        (None, "higher_is_better", None),
    ],
)
def test_quartile_key_follows_polarity(position: str | None, polarity: str, key: str) -> None:
    assert charts.quartile_key(position, polarity) == key
    if key:
        assert charts.category_colour(key) != charts.COLOURS["not_compared"]
        assert charts.comparison_label(key) != key  # a (translatable) label exists


@pytest.mark.parametrize("n", [2, 3, 4, 5, 10, 290])
def test_quartiles_are_hyndman_fan_type_7(n: int) -> None:
    rng = np.random.default_rng(n)
    values = list(rng.normal(30, 5, n))
    got = results._quartiles(values)
    want = np.quantile(values, [0.25, 0.5, 0.75], method="linear")  # H&F type 7
    assert [got["q1"], got["median"], got["q3"]] == pytest.approx(list(want))


@pytest.fixture
def kolada_like(tmp_path: Path, db: Any, settings: Any) -> Indicator:
    """A kommun-level published value with no Riket row, values 0…289 by kommun code."""
    settings.ROOT_URLCONF = mount_indicator_pages()
    ind = make_indicator(
        "median-test",
        title_sv="Medianindikator",
        type="value",
        multiplier=100,
        levels=["kommun"],
        breakdowns=[],
        age_groups=[],
        polarity="higher_is_better",
        ci_method="none",
        value_unit="%",
    )
    codes = Unit.objects.filter(level="kommun").order_by("code").values_list("code", flat=True)
    lines = [f"median-test,{code},2023,T,,,,{i}," for i, code in enumerate(codes)]
    import_observations(write_csv(tmp_path, "median.csv", lines), by=SYSTEM)
    results.compute_indicator(ind, by=SYSTEM)
    return ind


def _figure(html: str, name: str) -> dict[str, Any]:
    match = re.search(rf'id="{name}" type="application/json">(.*?)</script>', html, re.S)
    assert match is not None, name
    data: dict[str, Any] = json.loads(match.group(1))
    return data


def _codes() -> list[str]:
    return list(
        Unit.objects.filter(level="kommun", region__isnull=False)
        .order_by("code")
        .values_list("code", flat=True)
    )


def test_profile_compares_with_the_median(kolada_like: Indicator) -> None:
    codes = _codes()
    high, low, middle = codes[-1], codes[0], codes[len(codes) // 2]
    item = next(i for i in results.unit_profile(high, 2023) if i["code"] == "median-test")
    assert item["national_value"] is None
    assert item["median"] == pytest.approx(np.median(range(len(codes))))
    assert item["vs_quartiles"] == "above_q3"
    assert item["group_code"] and item["group_n"] > 0 and item["vs_group_quartiles"]

    client = Client()
    for code, key in ((high, "quartile_best"), (low, "quartile_worst"), (middle, "quartile_mid")):
        html = client.get(f"/indikatorer/profil/{code}/", {"period": "2023"}).content.decode()
        spine = _figure(html, "spine-figure")
        trace = spine["data"][0]
        i = trace["text"].index("Medianindikator")
        # coloured from the quartiles, not grey ("not compared")
        assert trace["marker"]["color"][i] == charts.QUARTILE_COLOURS[key]
        assert trace["marker"]["symbol"][i] == charts.SYMBOLS[key]
        assert trace["customdata"][i][1].startswith("Median, alla kommuner: ")
        assert spine["layout"]["xaxis"]["ticktext"][1] == "Median"
        assert "jämförs med medianen för alla kommuner" in html
        assert charts.comparison_label(key) in html
    # the same comparison reaches the (public) API
    body = api.get(f"/indicator-profiles/{high}?period=2023")
    row = next(i for i in body.json()["items"] if i["code"] == "median-test")
    assert row["vs_quartiles"] == "above_q3" and row["group_median"] is not None


def test_indicator_page_names_the_median(kolada_like: Indicator) -> None:
    client = Client()
    html = client.get("/indikatorer/median-test/", {"period": "2023"}).content.decode()
    assert "Inget värde för riket" not in html
    assert 'id="median-value"' in html and "Median, alla kommuner" in html
    assert "Jämförs med medianen för alla kommuner: källan har inget värde för riket." in html
    assert "Jämfört med medianen" in html and "Bästa kvartilen" in html
    grouped = client.get(
        "/indikatorer/median-test/", {"period": "2023", "kommungrupp": "A1"}
    ).content.decode()
    assert 'id="group-median-value"' in grouped and "Median, kommungrupp A1" in grouped
    # the median of all kommuner stays that of all kommuner when the table is narrowed
    median = re.search(r'id="median-value">([^<]+)<', html)
    assert median is not None
    assert median.group(1) in grouped


def test_english_page_is_translated(kolada_like: Indicator) -> None:
    from django.urls import reverse

    client = Client()
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    html = client.get("/indikatorer/median-test/", {"period": "2023"}).content.decode()
    assert '<html lang="en">' in html
    assert "Jämförs med medianen" not in html and "Median, alla" not in html
    assert "Compared with the median of all" in html
    profile = client.get(f"/indikatorer/profil/{_codes()[-1]}/", {"period": "2023"})
    text = profile.content.decode()
    assert "Indikatorer utan värde för riket" not in text and "Best quartile" in text
