"""Periods of indicator observations and results: years, or months as ``YYYYMM``.

Most indicators are yearly: ``period`` is the year (``2023``). Indicators computed inside
datasmart from operational data (SIP statistics, :mod:`datasmart.sip.statistics`) are
monthly: ``period`` is ``year × 100 + month`` (``202603`` = March 2026). The two never mix
within one indicator. Both are plain integers, so they sort, filter and compare as
before; a monthly period is recognised by its size (≥ ``190001``), and shown as
``2026-03`` by :func:`format_period`.

No Django imports: the engine uses :func:`period_index` for evenly spaced trend scores.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Final

__all__ = [
    "MONTH_MAX",
    "MONTH_MIN",
    "YEAR_MAX",
    "YEAR_MIN",
    "format_period",
    "is_month",
    "is_valid_period",
    "month_period",
    "parse_period",
    "period_index",
]

YEAR_MIN: Final = 1900
YEAR_MAX: Final = 2100
MONTH_MIN: Final = YEAR_MIN * 100 + 1
MONTH_MAX: Final = YEAR_MAX * 100 + 12
_TEXT = re.compile(r"^\s*(\d{4})(?:-?(\d{2}))?\s*$")


def is_month(period: int) -> bool:
    """Whether ``period`` is a month (``YYYYMM``) rather than a year."""
    return period >= MONTH_MIN


def is_valid_period(period: int) -> bool:
    """A year 1900–2100 or a month 190001–210012 with month 01–12."""
    if YEAR_MIN <= period <= YEAR_MAX:
        return True
    return MONTH_MIN <= period <= MONTH_MAX and 1 <= period % 100 <= 12


def month_period(day: dt.date) -> int:
    """The monthly period of a date: ``date(2026, 3, 9)`` → ``202603``."""
    return day.year * 100 + day.month


def format_period(period: int | None) -> str:
    """``2023`` → ``"2023"``, ``202603`` → ``"2026-03"``; None → ``""``."""
    if period is None:
        return ""
    if is_month(period):
        return f"{period // 100}-{period % 100:02d}"
    return str(period)


def parse_period(text: str) -> int:
    """``"2023"``, ``"2026-03"`` or ``"202603"`` → the integer period; ValueError otherwise."""
    match = _TEXT.match(text or "")
    if match is None:
        raise ValueError(f"ogiltig period {text!r} (ange ÅÅÅÅ eller ÅÅÅÅ-MM)")
    year, month = match.groups()
    period = int(year) * 100 + int(month) if month else int(year)
    if not is_valid_period(period):
        raise ValueError(f"ogiltig period {text!r} (ange ÅÅÅÅ eller ÅÅÅÅ-MM)")
    return period


def period_index(period: int) -> int:
    """An evenly spaced position: the year, or months since year 0 for a month.

    ``202612`` and ``202701`` are 1 apart, as are ``2026`` and ``2027`` (trend scores).
    """
    if is_month(period):
        return (period // 100) * 12 + (period % 100) - 1
    return period
