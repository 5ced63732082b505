"""Template helpers for the needs pages."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def get(mapping: Any, key: Any) -> Any:
    """``mapping|get:key`` — a dict item by a variable key (None if absent)."""
    try:
        return mapping.get(key)
    except AttributeError:
        return None


@register.filter
def dec(value: Any, decimals: int = 1) -> str:
    """``value|dec:2`` — a figure with ``decimals`` decimals, rounded once by the platform's
    one rounding function (:func:`datasmart.indicators.rounding.format_value`), so the
    needs pages round as the indicator pages do; "–" for no value."""
    from datasmart.indicators.services import format_value

    if value is None or value == "":
        return "–"
    return format_value(value, int(decimals)) or "–"


@register.filter
def sex_word(code: Any) -> str:
    """``"2"|sex_word`` — kvinnor / women (the page's language)."""
    from datasmart.needs.conditions import sex_label

    return sex_label(str(code))


def percent_text(share: float) -> str:
    """A share as percent with the decimals the source gave (at most four significant
    digits), in the page's language (6,5 in Swedish, 6.5 in English)."""
    from datasmart.indicators.services import format_value

    plain = f"{share * 100:.4g}"
    decimals = len(plain.split(".")[1]) if "." in plain and "e" not in plain else 0
    return format_value(share * 100, decimals) or plain


@register.filter
def share_pct(value: Any) -> str:
    """``0.0184|share_pct`` — "1,84 %" (the source's own precision); "–" for none."""
    if value is None or value == "":
        return "–"
    return f"{percent_text(float(value))}\u00a0%"
