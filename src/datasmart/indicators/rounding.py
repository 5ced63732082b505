"""One rounding for every figure shown: pages, map tooltips, charts, API and exports.

Why one module: figures were cut off in tables (Django's ``number_format`` truncates a
float to ``decimal_pos`` digits: 58.654 → "58,6") and rounded half-to-even on the binary
float in chart tooltips (``f"{67.85:.1f}"`` and d3-format's ``%{y:.1f}`` give "67,8"
because 67.85 is stored as 67.8499…), so a unit could read 67,8 in the table and 67,9 in
the map. Official statistics (SCB, Socialstyrelsen) round half away from zero on the
printed decimal number, so here every value is rounded exactly once, by
:func:`round_half_up`, on ``Decimal(str(x))`` — the shortest decimal that reproduces the
float, i.e. the number as stored and exported — and every text is made from that
rounded number by :func:`format_value`. Charts get pre-formatted strings (Plotly
``customdata``/``text``) so that no JavaScript number format rounds a second time.

Exports keep full precision in ``value`` and carry ``value_rounded`` made by
:func:`rounded`, the same rounding as the pages.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.utils.formats import number_format

__all__ = ["decimals_for", "format_range", "format_value", "round_half_up", "rounded"]

#: Decimals shown for indicator values unless the indicator is a count.
DEFAULT_DECIMALS = 1


def decimals_for(indicator: Any) -> int:
    """The indicator's display decimals: whole numbers for counts, else one decimal.

    ``indicator`` is an :class:`~datasmart.indicators.models.Indicator` (or anything with
    ``type``) or None (then :data:`DEFAULT_DECIMALS`)."""
    if indicator is None:
        return DEFAULT_DECIMALS
    return 0 if getattr(indicator, "type", None) == "count" else DEFAULT_DECIMALS


def round_half_up(value: float | int | Decimal | None, decimals: int) -> Decimal | None:
    """``value`` rounded to ``decimals`` places, halves away from zero (ROUND_HALF_UP on
    the decimal representation: 58.654 → 58.7, 67.85 → 67.9, −0.25 → −0.3).

    None, NaN and infinities give None. A result of −0 is returned as +0."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value))
        if not number.is_finite():
            return None
        out = number.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    except InvalidOperation:
        return None
    return out + 0 if out.is_zero() else out  # drop the sign of −0


def rounded(value: float | int | Decimal | None, decimals: int) -> float | None:
    """:func:`round_half_up` as a plain float (JSON, CSV and Excel exports)."""
    out = round_half_up(value, decimals)
    return float(out) if out is not None else None


def format_value(value: float | int | Decimal | None, decimals: int = DEFAULT_DECIMALS) -> str:
    """The rounded value as text in the active language (Swedish: ``58,7``, ``12 345,7``
    with a no-break space; English: ``12,345.7``); ``""`` for no value."""
    out = round_half_up(value, decimals)
    if out is None:
        return ""
    return number_format(out, decimal_pos=decimals, use_l10n=True, force_grouping=True)


def format_range(
    lower: float | int | Decimal | None,
    upper: float | int | Decimal | None,
    decimals: int = DEFAULT_DECIMALS,
) -> str:
    """``"lower–upper"`` (a confidence interval or quartile range), or ``""``."""
    if round_half_up(lower, decimals) is None or round_half_up(upper, decimals) is None:
        return ""
    return f"{format_value(lower, decimals)}–{format_value(upper, decimals)}"
