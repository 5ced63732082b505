"""``{{ area|ks_title }}``: a reference title (goal, area, verkstad) in the active language."""

from __future__ import annotations

from typing import Any

from django import template

from datasmart.kraftsamling.services import title_of

register = template.Library()


@register.filter
def ks_title(obj: Any) -> str:
    return title_of(obj) if obj is not None else ""
