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
