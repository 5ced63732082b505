"""Fixtures for the pure allocation tests (no database, no Django)."""

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
