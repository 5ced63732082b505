"""Template filters for the funding pages."""

from __future__ import annotations

from django import template

from datasmart.funding.texts import msek

register = template.Library()


@register.filter
def mnkr(value: object) -> str:
    """Whole miljoner kronor as ``1 716 mnkr``; other amounts in kronor."""
    if value is None or value == "":
        return "–"
    return msek(int(value))  # type: ignore[call-overload]
