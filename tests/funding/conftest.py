"""Fixtures: real population files for the pure engine tests; loaded agreements for the
Django tests (the database holds the real reference data, see tests/conftest.py)."""

from __future__ import annotations

import os
from pathlib import Path

import polars as pl
import pytest


@pytest.fixture(scope="session")
def kommun_population_2019() -> pl.DataFrame:
    """SCB kommun × age × sex, 31 Dec 2019, with ``kommun_code`` as a string."""
    base = Path(os.environ.get("DATASMART_DATA_DIR", "/work/shared/data"))
    path = base / "population" / "kommun_age_sex_2019.csv"
    if not path.is_file():
        pytest.skip(f"population file not found at {path} (set DATASMART_DATA_DIR)")
    return pl.read_csv(path, schema_overrides={"kommun_code": pl.Utf8})


@pytest.fixture
def agreements(db):  # type: ignore[no-untyped-def]
    """The bundled 2019 and 2020 agreement files, loaded as the platform (SYSTEM)."""
    from datasmart.funding.services import load_agreements

    return {r.agreement.year: r.agreement for r in load_agreements()}


@pytest.fixture
def a2020(agreements):  # type: ignore[no-untyped-def]
    return agreements[2020]
