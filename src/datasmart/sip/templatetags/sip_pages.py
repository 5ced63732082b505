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


@register.filter
def described_by(field: BoundField, ids: str) -> SafeString:
    """The widget with ``aria-describedby`` naming ``ids`` (space-separated) besides its
    own help text and errors, for fields whose label is written in the template."""
    own = [f"{field.auto_id}_helptext"] if field.help_text else []
    if field.errors:
        own.append(f"{field.auto_id}_error")
    return field.as_widget(attrs={"aria-describedby": " ".join([*ids.split(), *own])})
