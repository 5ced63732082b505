"""Forms for the accounts pages. Labels and errors in Swedish through gettext."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import TokenScope


class LoginForm(AuthenticationForm):
    """Django's sign-in form with our own wording; axes throttles it."""

    error_messages = {
        "invalid_login": _(
            "Fel användarnamn eller lösenord. Observera att båda fälten skiljer på stora "
            "och små bokstäver."
        ),
        "inactive": _("Kontot är inte aktivt."),
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].label = _("Användarnamn")
        self.fields["password"].label = _("Lösenord")
        self.fields["username"].error_messages["required"] = _("Ange ditt användarnamn.")
        self.fields["password"].error_messages["required"] = _("Ange ditt lösenord.")


class DateInput(forms.DateInput):
    input_type = "date"


class TokenCreateForm(forms.Form):
    name = forms.CharField(
        label=_("Namn"),
        max_length=100,
        help_text=_("Till exempel vad nyckeln används till: ”R-skript för väntetider”."),
        error_messages={"required": _("Ge nyckeln ett namn.")},
    )
    scope = forms.ChoiceField(
        label=_("Behörighet"),
        choices=TokenScope.choices,
        initial=TokenScope.READ,
        required=False,
        help_text=_(
            "Välj ”Läsa och ändra” bara om programmet ska läsa in eller ändra data. En nyckel "
            "som bara får läsa nekas alla ändringar."
        ),
        error_messages={"invalid_choice": _("Välj vad nyckeln får göra.")},
    )
    expires_on = forms.DateField(
        label=_("Giltig till och med (valfritt)"),
        required=False,
        widget=DateInput,
        error_messages={"invalid": _("Ange ett giltigt datum (ÅÅÅÅ-MM-DD).")},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["expires_on"].help_text = _(
            "Utan datum gäller nyckeln i %(default)d dagar; som längst %(max)d dagar."
        ) % {"default": settings.API_TOKEN_DEFAULT_DAYS, "max": settings.API_TOKEN_MAX_DAYS}

    def clean_scope(self) -> str:
        """Not chosen: read only (least privilege)."""
        return str(self.cleaned_data.get("scope") or TokenScope.READ)

    def clean_expires_on(self) -> dt.date | None:
        value: dt.date | None = self.cleaned_data.get("expires_on")
        if value is not None and value < timezone.localdate():
            raise forms.ValidationError(_("Datumet får inte ligga i det förflutna."))
        last = timezone.localdate() + dt.timedelta(days=settings.API_TOKEN_MAX_DAYS)
        if value is not None and value > last:
            raise forms.ValidationError(
                _("En nyckel kan gälla högst %(days)d dagar, alltså till och med %(last)s.")
                % {"days": settings.API_TOKEN_MAX_DAYS, "last": last.isoformat()}
            )
        return value

    def expires_at(self) -> dt.datetime | None:
        """The last moment of the chosen day (local time), or None."""
        value = self.cleaned_data.get("expires_on")
        if value is None:
            return None
        return timezone.make_aware(dt.datetime.combine(value, dt.time.max))


class AuditFilterForm(forms.Form):
    action = forms.CharField(
        label=_("Händelse"),
        required=False,
        max_length=100,
        help_text=_("Exakt, t.ex. auth.login, eller början följd av punkt, t.ex. auth."),
    )
    actor = forms.CharField(label=_("Utförare (användarnamn)"), required=False, max_length=150)
    date_from = forms.DateField(
        label=_("Från och med"),
        required=False,
        widget=DateInput,
        error_messages={"invalid": _("Ange ett giltigt datum (ÅÅÅÅ-MM-DD).")},
    )
    date_to = forms.DateField(
        label=_("Till och med"),
        required=False,
        widget=DateInput,
        error_messages={"invalid": _("Ange ett giltigt datum (ÅÅÅÅ-MM-DD).")},
    )
    target_type = forms.CharField(label=_("Objekttyp"), required=False, max_length=100)
    target_id = forms.CharField(label=_("Objekt-id"), required=False, max_length=64)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            raise forms.ValidationError(_("Från-datumet ligger efter till-datumet."))
        return data
