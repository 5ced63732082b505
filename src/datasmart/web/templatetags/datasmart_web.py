"""Template helpers: localised numbers and the plotly.js URL."""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.urls import reverse
from django.utils.formats import number_format

from datasmart.indicators import rounding
from datasmart.web import assets

register = template.Library()


@register.simple_tag
def plotly_js_url() -> str:
    """The local plotly.min.js, versioned so browsers may cache it for a year."""
    return f"{reverse('web:plotly_js')}?v={assets.plotly_version()}"


@register.filter
def num(value: object) -> str:
    """A whole number with the active language's thousands separator (sv: 10 327 589)."""
    if value is None or value == "":
        return "–"
    whole = rounding.round_half_up(value, 0)  # type: ignore[arg-type]
    if whole is None:
        return "–"
    return number_format(int(whole), use_l10n=True, force_grouping=True)


@register.filter
def signed(value: object) -> str:
    """Like ``num`` with an explicit sign: +1 234 or −1 234 (a true minus sign)."""
    if value is None or value == "":
        return "–"
    n = int(value)  # type: ignore[call-overload]
    text = number_format(abs(n), use_l10n=True, force_grouping=True)
    return f"+{text}" if n > 0 else (f"\u2212{text}" if n < 0 else "0")


@register.filter
def pct(value: object, decimals: int = 1) -> str:
    """A share 0–1 as a percentage with the active decimal separator: 0.1234 → 12,3 %.
    Rounded half away from zero by :mod:`datasmart.indicators.rounding` (0.12345 → 12,3 %
    is not cut: 0.12355 → 12,4 %), as the indicator pages round the same share."""
    if value is None or value == "":
        return "–"
    percent = Decimal(str(float(value))) * 100  # type: ignore[arg-type]
    text = rounding.format_value(percent, decimals)
    return f"{text}\u00a0%" if text else "–"


@register.filter
def signed_pct(value: object, decimals: int = 1) -> str:
    if value is None or value == "":
        return "–"
    v = float(value)  # type: ignore[arg-type]
    text = pct(abs(v), decimals)
    return f"+{text}" if v > 0 else (f"\u2212{text}" if v < 0 else text)
