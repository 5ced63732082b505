"""``datasmart kraftsamling …`` commands; mounted in ``datasmart/cli.py``.

Errors users can fix are one Swedish message with exit code 2
(:func:`datasmart.cli_support.user_errors`).
"""

from __future__ import annotations

import typer

kraftsamling_app = typer.Typer(
    help="Kraftsamling för psykisk hälsa: mål, områden, delarenor, handslag.", no_args_is_help=True
)


@kraftsamling_app.callback()
def _group() -> None:
    """Commands of this domain."""
