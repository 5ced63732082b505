"""``datasmart checklist …`` commands; mounted in ``datasmart/cli.py``.

Errors users can fix are one Swedish message with exit code 2
(:func:`datasmart.cli_support.user_errors`).
"""

from __future__ import annotations

import typer

checklist_app = typer.Typer(
    help="Politikerchecklistan: frågor, svar och rapporter.", no_args_is_help=True
)


@checklist_app.callback()
def _group() -> None:
    """Commands of this domain."""
