"""One figure everywhere: the table, the headline, the map tooltip, the trend and spine
charts, the API and the CSV/Excel export show a result rounded the same way.

Before: the table cut values (58.654 → "58,6") and tooltips rounded the binary float
half-to-even (67.85 → "67,8" in one place, "67,9" in another)."""

from __future__ import annotations

import csv
import io
import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import translation
from indicators_support import make_indicator, write_csv
from ninja.testing import TestClient
from test_pages import mount_indicator_pages

from datasmart.accounts.audit import SYSTEM
from datasmart.geo.models import Unit
from datasmart.indicators import charts, results, rounding
from datasmart.indicators.api import router
from datasmart.indicators.imports import import_observations
from datasmart.indicators.models import Indicator
from datasmart.web.templatetags.datasmart_web import num, pct

api = TestClient(router)
NBSP = "\u00a0"

#: (region code, stored value, page text (sv), rounded number in the API/export)
CASES = [
    ("00", 58.654, "58,7", 58.7),  # Riket: was cut to 58,6
    ("03", 61.79, "61,8", 61.8),  # Uppsala: was cut to 61,7
    ("23", 67.85, "67,9", 67.9),  # Jämtland: 67.85 is 67.8499… as a float
    ("01", -2.25, "-2,3", -2.3),  # negative half: away from zero
    ("12", -0.04, "0,0", 0.0),  # no "−0,0"
    ("14", 1234.45, f"1{NBSP}234,5", 1234.5),
    ("25", 0.05, "0,1", 0.1),
]


# --- the one function -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "decimals", "expected"),
    [
        (58.654, 1, "58.7"),
        (61.79, 1, "61.8"),
        (67.85, 1, "67.9"),
        (0.125, 2, "0.13"),  # half-even would give 0.12
        (2.5, 0, "3"),
        (-2.5, 0, "-3"),
        (-0.25, 1, "-0.3"),
        (-0.04, 1, "0.0"),
        (1e-7, 1, "0.0"),
        (Decimal("1.05"), 1, "1.1"),
        (7, 1, "7.0"),
    ],
)
def test_round_half_up(value: Any, decimals: int, expected: str) -> None:
    assert str(rounding.round_half_up(value, decimals)) == expected


@pytest.mark.parametrize("value", [None, float("nan"), float("inf"), float("-inf")])
def test_no_number_gives_no_text(value: Any) -> None:
    assert rounding.round_half_up(value, 1) is None
    assert rounding.format_value(value) == "" and rounding.rounded(value, 1) is None


def test_language_separators_follow_the_page() -> None:
    with translation.override("en"):
        assert rounding.format_value(1234.45) == "1,234.5"
        assert charts.format_value(67.85) == "67.9"
    with translation.override("sv"):
        assert rounding.format_value(1234.45) == f"1{NBSP}234,5"
        assert charts.format_value(67.85, 1, ".,") == "67,9"  # old sep argument: same text


def test_template_filters_round_too() -> None:
    with translation.override("sv"):
        assert pct(0.12355) == f"12,4{NBSP}%"  # cut would give 12,3
        assert pct(0.58654) == f"58,7{NBSP}%"
        assert num(1234.5) == f"1{NBSP}235"  # int() would give 1 234


# --- every surface shows the same figure -----------------------------------------------


@pytest.fixture
def published(tmp_path: Path, db: Any, settings: Any) -> Indicator:
    """A published-value indicator (like the ADHD rates) for regions and the nation."""
    settings.ROOT_URLCONF = mount_indicator_pages()
    ind = make_indicator(
        "round-test",
        type="value",
        multiplier=1,
        levels=["region", "nation"],
        breakdowns=[],
        age_groups=[],
        polarity="no_judgement",
        ci_method="none",
        value_unit="per 1 000",
    )
    values = {code: value for code, value, _t, _r in CASES}
    lines = []
    for unit in Unit.objects.filter(level__in=["region", "nation"]).values_list("code", flat=True):
        for year, shift in ((2022, 1.0), (2023, 0.0)):
            lines.append(f"round-test,{unit},{year},T,,,,{values.get(unit, 10.0) + shift},")
    import_observations(write_csv(tmp_path, "round.csv", lines), by=SYSTEM)
    results.compute_indicator(ind, by=SYSTEM)
    return ind


def _figure(html: str, name: str) -> dict[str, Any]:
    match = re.search(rf'id="{name}" type="application/json">(.*?)</script>', html, re.S)
    assert match is not None, name
    data: dict[str, Any] = json.loads(match.group(1))
    return data


def _cell(html: str, unit_name: str) -> str:
    for match in re.finditer(r"<tr[^>]*>(.*?)</tr>", html, re.S):
        if f">{unit_name}</a></th>" in match.group(1):
            value = re.search(r'<td class="num value">(.*?)</td>', match.group(1))
            assert value is not None
            return value.group(1)
    raise AssertionError(f"no row for {unit_name}")


@pytest.mark.parametrize(("code", "value", "text", "number"), CASES)
def test_one_figure_everywhere(
    published: Indicator, code: str, value: float, text: str, number: float
) -> None:
    unit = Unit.objects.get(code=code)
    client = Client()
    level = "nation" if code == "00" else "region"
    page = client.get(
        "/indikatorer/round-test/",
        {"level": "region", "period": "2023", **({} if code == "00" else {"enhet": code})},
    ).content.decode()

    shown: dict[str, str] = {}
    if level == "nation":
        headline = re.search(r'<dd id="nation-value">(.*?)</dd>', page, re.S)
        assert headline is not None
        shown["headline"] = headline.group(1).strip()
        trend = _figure(page, "trend-figure")["data"]
        riket = next(t for t in trend if t.get("customdata") and t["mode"] == "lines+markers")
        shown["trend tooltip"] = riket["customdata"][riket["x"].index(2023)]
    else:
        shown["table"] = _cell(page, unit.name)
        for trace in _figure(page, "map-figure")["data"]:
            if code in trace["locations"]:
                shown["map tooltip"] = trace["customdata"][trace["locations"].index(code)][2]
        trend = _figure(page, "trend-figure")["data"]
        mine = trend[-1]
        shown["trend tooltip"] = mine["customdata"][mine["x"].index(2023)]
        profile = client.get(f"/indikatorer/profil/{code}/", {"period": "2023"}).content.decode()
        spine = _figure(profile, "spine-figure")["data"][0]
        shown["spine tooltip"] = spine["customdata"][spine["text"].index(published.title_sv)][0]
    assert shown, shown
    for surface, seen in shown.items():
        # the number is the same; a surface may add the unit or an interval after it
        assert seen == text or seen.startswith((f"{text}{NBSP}", f"{text} ")), (surface, shown)

    auth: dict[str, str] = {}  # public like the page (suppressed results only)
    query = f"level={level}&period=2023&unit={code}"
    item = api.get(f"/indicators/round-test/values?{query}", headers=auth).json()["items"][0]
    assert item["value"] == value  # full precision kept
    assert item["value_rounded"] == number
    body = api.get(f"/indicators/round-test/values?{query}&format=csv", headers=auth)
    row = next(csv.DictReader(io.StringIO(body.content.decode("utf-8-sig"))))
    assert float(row["value_rounded"]) == number and float(row["value"]) == value
    # the page's text is the export's rounded number, written the Swedish way
    assert text.replace(NBSP, "").replace(",", ".") == f"{number:.1f}".replace("-0.0", "0.0")
