"""Shared plumbing for the ``datasmart`` command and its sub-apps (geo, indicators, funding).

One place decides how a command sets up Django and how user errors reach the terminal:
one clear message, exit code 2, never a traceback.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

import typer
from rich.console import Console

err_console = Console(stderr=True)
F = TypeVar("F", bound=Callable[..., Any])


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "datasmart.config.settings")
    import django

    django.setup()


def user_errors(func: F) -> F:
    """Run ``func`` with Django set up; turn errors a user can fix into a message and exit 2.

    Known: loader problems (``DataLoadError``), geography lookups (``GeoError``), unknown
    codes (``LookupError``), invalid input (``ValueError``, which ``AccountsError`` and the
    domain errors derive from), permission denials, and a database that is missing or not
    migrated.
    """

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        setup_django()
        from django.core.exceptions import PermissionDenied
        from django.db.utils import OperationalError, ProgrammingError

        from datasmart.geo.services import GeoError
        from datasmart.geo.validation import DataLoadError

        known = (DataLoadError, GeoError, LookupError, ValueError, PermissionDenied)
        try:
            return func(*args, **kwargs)
        except known as exc:
            message = str(exc) or "Åtgärden är inte tillåten."
            err_console.print(f"[bold red]Fel:[/] {message}", highlight=False)
            raise typer.Exit(2) from None
        except (OperationalError, ProgrammingError) as exc:
            err_console.print(
                f"[bold red]Databasfel:[/] {exc}\nHar databasen skapats? Kör `datasmart migrate`.",
                highlight=False,
            )
            raise typer.Exit(2) from None

    return wrapper  # type: ignore[return-value]
