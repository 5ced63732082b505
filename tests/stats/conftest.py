"""Shared fixtures for the pure statistics tests (no database, no Django)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from stats_support import Table, conformance_dir


@pytest.fixture(scope="session")
def phe() -> Callable[[str], Table]:
    """Load a conformance CSV by file name; skip cleanly if the folder is absent."""
    folder = conformance_dir()
    if not folder.is_dir():
        pytest.skip(f"conformance data not found at {folder} (set DATASMART_CONFORMANCE_DIR)")

    def load(name: str) -> Table:
        return Table(folder / name)

    return load
