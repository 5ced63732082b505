"""Issue 12: every export of an indicator's figures carries the source's attribution.

Before, the CSV/Excel downloads of ``/indicators/{code}/values``, the observations CSV and
``datasmart indicators export`` had no source at all, although Kolada's licence asks for
"Källa: Kolada" wherever its figures are shown. Now each row has a ``source`` column and
the Excel file a sheet "källa" with source, licence and attribution.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from indicators_support import make_indicator, write_csv
from ninja.testing import TestClient
from openpyxl import load_workbook
from test_results import _rows
from tests.accounts.factories import make_token, member
from typer.testing import CliRunner

from datasmart.accounts.audit import SYSTEM
from datasmart.accounts.models import Role
from datasmart.indicators import results
from datasmart.indicators.api import router
from datasmart.indicators.cli import indicators_app
from datasmart.indicators.imports import import_observations
from datasmart.indicators.models import Indicator

client = TestClient(router)
KOLADA = "Källa: Kolada"


@pytest.fixture
def kolada(tmp_path: Path, db: Any) -> Indicator:
    ind = make_indicator(
        "attr-kolada",
        levels=["kommun"],
        breakdowns=[],
        age_groups=[],
        ci_method="wilson",
        source="Kolada (RKA), nyckeltal U00000",
        licence="CC BY 4.0",
        attribution=KOLADA,
    )
    import_observations(
        write_csv(tmp_path, "a.csv", _rows("attr-kolada", 2023, small="0180")), by=SYSTEM
    )
    results.compute_indicator(ind, by=SYSTEM)
    return ind


def _csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))


def _xlsx(body: bytes) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    book = load_workbook(io.BytesIO(body), read_only=True)
    table = list(book["resultat"].iter_rows(values_only=True))
    rows = [dict(zip(table[0], r, strict=True)) for r in table[1:]]
    about = {r[0]: r[1] for r in book["källa"].iter_rows(values_only=True)}
    return rows, about


def test_api_values_csv_xlsx_and_json_carry_the_attribution(kolada: Indicator) -> None:
    res = client.get("/indicators/attr-kolada/values?format=csv")
    rows = _csv_rows(res.content.decode("utf-8"))
    assert len(rows) == 290 and {r["source"] for r in rows} == {KOLADA}
    # the extra column does not disturb a parser: values still parse as numbers
    assert float(next(r for r in rows if r["status"] == "ok")["value"]) > 0

    xlsx_rows, about = _xlsx(client.get("/indicators/attr-kolada/values?format=xlsx").content)
    assert {r["source"] for r in xlsx_rows} == {KOLADA}
    assert about["Källhänvisning"] == KOLADA
    assert about["Licens"] == "CC BY 4.0"
    assert about["Källa"] == "Kolada (RKA), nyckeltal U00000"

    items = client.get("/indicators/attr-kolada/values?limit=3").json()["items"]
    assert {i["source"] for i in items} == {KOLADA}


def test_observations_csv_carries_the_attribution(kolada: Indicator) -> None:
    _token, secret = make_token(member(Role.VIEWER, username="attr-läsare"))
    headers = {"Authorization": f"Bearer {secret}"}
    res = client.get("/indicators/attr-kolada/observations?format=csv", headers=headers)
    assert res.status_code == 200
    rows = _csv_rows(res.content.decode("utf-8"))
    assert rows and {r["source"] for r in rows} == {KOLADA}
    page = client.get("/indicators/attr-kolada/observations?limit=2", headers=headers).json()
    assert {i["source"] for i in page["items"]} == {KOLADA}


def test_cli_export_carries_the_attribution(kolada: Indicator, tmp_path: Path) -> None:
    runner = CliRunner()
    for fmt in ("csv", "xlsx", "json"):
        out = tmp_path / f"e.{fmt}"
        done = runner.invoke(
            indicators_app,
            ["export", "--indicator", "attr-kolada", "--format", fmt, "--output", str(out)],
        )
        assert done.exit_code == 0, done.output
    rows = _csv_rows((tmp_path / "e.csv").read_text(encoding="utf-8-sig"))
    assert {r["source"] for r in rows} == {KOLADA}
    xlsx_rows, about = _xlsx((tmp_path / "e.xlsx").read_bytes())
    assert {r["source"] for r in xlsx_rows} == {KOLADA} and about["Källhänvisning"] == KOLADA
    data = json.loads((tmp_path / "e.json").read_text(encoding="utf-8"))
    assert {r["source"] for r in data} == {KOLADA}


def test_english_export_translates_kalla_but_not_the_publisher(kolada: Indicator) -> None:
    from django.utils import translation

    with translation.override("en"):
        rows = results.export_rows(kolada, level="kommun")
    assert {r["source"] for r in rows} == {"Source: Kolada"}


def test_composite_page_names_its_sources(tmp_path: Path, db: Any) -> None:
    """The composite index page showed scores built from Kolada's figures without a source."""
    from django.test import Client

    common = {"levels": ["kommun"], "breakdowns": [], "age_groups": [], "ci_method": "wilson"}
    make_indicator("attr-a", polarity="higher_is_better", domain="A", attribution=KOLADA, **common)
    make_indicator(
        "attr-b",
        polarity="lower_is_better",
        domain="B",
        attribution="Källa: Socialstyrelsen",
        **common,
    )
    lines = [*_rows("attr-a", 2022), *_rows("attr-b", 2022)]
    import_observations(write_csv(tmp_path, "comp.csv", lines), by=SYSTEM)
    results.compute_all(by=SYSTEM, codes=["attr-a", "attr-b"])
    page = Client().get("/indikatorer/index/?period=2022").content.decode()
    assert 'id="composite-sources"' in page
    assert "Kolada; Socialstyrelsen" in page
