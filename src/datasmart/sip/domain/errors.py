"""The three errors every SIP service raises, and how callers should map them.

They are plain exceptions (not HTTP responses) so the API, pages, CLI and FHIR import can
each translate them: :class:`SipNotFound` → 404, :class:`StaleVersion` → 409 with the
current version, :class:`SipValidationError` → 422 naming the field. Django's
``PermissionDenied`` (403) is used only for an actor who may *see* the plan but not do
the thing asked; anyone who may not see it gets :class:`SipNotFound`, so a refusal never
reveals that a plan exists.
"""

from __future__ import annotations

from django.utils.translation import gettext as _


class SipNotFound(LookupError):
    """The plan (or link, participant, meeting) does not exist *for this actor*.

    Raised alike for an unknown id, a tampered id and a plan the actor may not see, so
    callers cannot tell them apart. The message is deliberately generic.
    """

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or _("Planen finns inte."))


class StaleVersion(Exception):
    """Someone else changed the plan since the caller read it; nothing was written.

    ``current_version`` lets the client reload and show what changed before retrying.
    """

    def __init__(self, current_version: int) -> None:
        self.current_version = current_version
        super().__init__(
            _(
                "Planen har ändrats av någon annan (nu version %(version)d). "
                "Läs in den igen och gör om ändringen."
            )
            % {"version": current_version}
        )


class SipValidationError(ValueError):
    """Invalid input. ``field`` names the offending input, e.g. ``interventions[0].end``.

    The message is Swedish (translated) and meant to be shown to the user as it is.
    """

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        errors: list[tuple[str, str]] | None = None,
    ) -> None:
        self.field = field
        self.message = str(message)
        #: Every problem found as ``(field, message)``, the first being ``field``/``message``;
        #: a form can show them all at once.
        self.errors: list[tuple[str, str]] = errors or [(field or "", self.message)]
        super().__init__(self.message)

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message
