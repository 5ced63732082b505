"""Shared fixtures for the pure statistics tests (no database, no Django)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from stats_support import Table
from tests.conformance_guard import require_folder


@pytest.fixture(scope="session")
def phe() -> Callable[[str], Table]:
    """Load a conformance CSV by file name; a missing folder fails the test (never a
    skip: a run without the conformance data must not be green)."""
    folder = require_folder()

    def load(name: str) -> Table:
        return Table(folder / name)

    return load
