"""Template helpers for the SIP pages: ``{% load sip_pages %}``."""

from __future__ import annotations

from typing import Any

from django import template
from django.forms import BoundField
from django.utils.safestring import SafeString

register = template.Library()


@register.filter
def autofocus_if(field: BoundField, condition: Any) -> SafeString | BoundField:
    """The field's widget with ``autofocus`` when ``condition`` holds (the row just added
    with "Lägg till", so keyboard users land in it)."""
    if condition:
        return field.as_widget(attrs={"autofocus": True})
    return field
