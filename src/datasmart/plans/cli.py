"""``datasmart plans …`` commands; mounted in ``datasmart/cli.py``.

Errors users can fix are one Swedish message with exit code 2
(:func:`datasmart.cli_support.user_errors`).
"""

from __future__ import annotations

import typer

plans_app = typer.Typer(
    help="Mål och handlingsplaner: lista planer, uppföljningsrapporter.", no_args_is_help=True
)


@plans_app.callback()
def _group() -> None:
    """Commands of this domain."""


# `plans remind` lives in its own module (no import back here, so no circle); register it.
from datasmart.plans.cli_remind import remind_command  # noqa: E402

plans_app.command("remind")(remind_command)

# `plans follow-up` lives in its own module (no import back here); register it.
from datasmart.plans.cli_followup import follow_up_command  # noqa: E402

plans_app.command("follow-up")(follow_up_command)
