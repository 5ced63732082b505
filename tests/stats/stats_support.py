"""Helpers for the statistics tests: conformance CSV reading and comparison."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import numpy as np
from tests.conformance_guard import conformance_dir, record_opened

__all__ = ["Table", "assert_close", "conformance_dir"]

REPO_ROOT = Path(__file__).resolve().parents[2]


class Table:
    """A CSV read the way the conformance README prescribes: empty cell = missing."""

    def __init__(self, path: Path) -> None:
        record_opened(path)
        with path.open(encoding="utf-8", newline="") as fh:
            reader = csv.DictReader(fh)
            self.columns: list[str] = list(reader.fieldnames or [])
            self.rows: list[dict[str, str]] = list(reader)

    def __len__(self) -> int:
        return len(self.rows)

    def num(self, column: str) -> np.ndarray:
        """Column as float64 with NaN for empty cells."""
        return np.array([float(r[column]) if r[column] != "" else np.nan for r in self.rows])

    def text(self, column: str) -> list[str]:
        return [r[column] for r in self.rows]

    def subset(self, keep: Callable[[dict[str, str]], bool]) -> Table:
        new = object.__new__(Table)
        new.columns = self.columns
        new.rows = [r for r in self.rows if keep(r)]
        return new


def assert_close(
    actual: object, expected: object, *, rtol: float = 1e-12, atol: float = 0.0, label: str = ""
) -> None:
    """``np.isclose`` everywhere, NaN positions equal (the README's comparison rule)."""
    a = np.asarray(actual, dtype=float)
    e = np.asarray(expected, dtype=float)
    assert a.shape == e.shape, f"{label}: shape {a.shape} != {e.shape}"
    np.testing.assert_array_equal(np.isnan(a), np.isnan(e), err_msg=f"{label}: NaN positions")
    np.testing.assert_allclose(a, e, rtol=rtol, atol=atol, equal_nan=True, err_msg=label)
