"""Template helpers: ``{% load accounts %}{% if request.user|can:"view_audit" %}…{% endif %}``."""

from __future__ import annotations

from typing import Any

from django import template

from datasmart.accounts.permissions import Permission, has_permission

register = template.Library()


@register.filter
def can(user: Any, permission: str) -> bool:
    """Whether ``user`` holds ``permission`` (a :class:`Permission` value) anywhere."""
    try:
        perm = Permission(permission)
    except ValueError:
        return False
    return has_permission(user, perm)
