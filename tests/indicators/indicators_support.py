"""Fixtures and helpers for the indicator catalogue/import tests (not the engine's).

Import fixtures into a test module with ``from indicators_support import …``; pytest
finds fixtures in a module's namespace.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from datasmart.indicators.models import ImportBatch, Indicator, Observation

HEADER = "indicator,unit_code,period,sex,age_group,numerator,denominator,value,status"


def make_indicator(code: str, **fields: Any) -> Indicator:
    """A test indicator (rolled back with the test)."""
    values: dict[str, Any] = {
        "title_sv": f"Testindikator {code}",
        "type": "proportion",
        "multiplier": 100,
        "levels": ["kommun", "region"],
        "breakdowns": ["sex", "age_group"],
        "age_groups": ["0-17", "18+"],
        "first_period": 2015,
        "last_period": 2024,
        "group": "test",
    }
    values.update(fields)
    indicator: Indicator = Indicator.objects.create(code=code, **values)
    return indicator


@pytest.fixture(name="test_indicators")
def test_indicators_fixture(db: Any) -> dict[str, Indicator]:
    """One indicator of each kind the import rules distinguish."""
    return {
        "proportion": make_indicator("test-proportion"),
        "rate": make_indicator(
            "test-rate",
            type="rate",
            multiplier=100000,
            levels=["region"],
            breakdowns=["sex"],
            age_groups=[],
        ),
        "value": make_indicator(
            "test-value",
            type="value",
            levels=["kommun"],
            breakdowns=[],
            age_groups=[],
            value_min=0,
        ),
        "count": make_indicator(
            "test-count", type="count", multiplier=1, breakdowns=[], age_groups=[]
        ),
        "popden": make_indicator(
            "test-popden",
            type="proportion",
            levels=["kommun", "region", "nation"],
            breakdowns=["sex"],
            age_groups=[],
            first_period=None,
            last_period=None,
            denominator_population={"age_min": 0, "age_max": 17, "sex": None},
        ),
    }


def write_csv(tmp_path: Path, name: str, lines: list[str], header: str = HEADER) -> Path:
    path = tmp_path / name
    path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    return path


def write_xlsx(tmp_path: Path, name: str, rows: list[list[Any]]) -> Path:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    path = tmp_path / name
    workbook.save(path)
    return path


def counts() -> tuple[int, int, int]:
    """(observations, batches, indicators): to show that a failed import wrote nothing."""
    return Observation.objects.count(), ImportBatch.objects.count(), Indicator.objects.count()


@pytest.fixture(name="real_data", scope="session")
def real_data_fixture(django_db_setup: Any, django_db_blocker: Any) -> Iterator[Any]:
    """The real indicator data, loaded once per test database (like the geo data).

    Committed outside the per-test transactions, so later tests see it too; they only ever
    compare counts before and after, or use their own ``test-*`` indicators.
    """
    from datasmart.indicators.loaders import load_real_indicators

    with django_db_blocker.unblock():
        report = load_real_indicators()
    yield report
