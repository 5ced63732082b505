"""Users, organisations, roles, API tokens and the audit log."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser


class User(AbstractUser):
    """A person signing in to datasmart. Roles come from organisation memberships."""
