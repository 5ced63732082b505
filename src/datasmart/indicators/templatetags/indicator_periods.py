"""``{{ period|period_label }}``: a year as ``2023``, a monthly period as ``2026-03``."""

from __future__ import annotations

from typing import Any

from django import template

from datasmart.indicators.periods import format_period

register = template.Library()


@register.filter
def period_label(value: Any) -> str:
    if value in (None, ""):
        return ""
    try:
        return format_period(int(value))
    except (TypeError, ValueError):
        return str(value)
