"""Forms for the SIP pages. Labels, help and errors in plain Swedish through gettext.

The forms check what a person filling them in can get wrong (an empty field, a mistyped
personnummer, an end date before the start). The services check everything again and
their :class:`~datasmart.sip.domain.errors.SipValidationError` is put back on the field it names
(:func:`add_service_error`), so a rule lives in one place and the user still sees it next
to the field.

Lists in a form (goals, interventions, invitees …) are Django formsets whose rows are all
optional: a row left blank is skipped. "Lägg till rad" posts the form back with one more
row, so the forms work without JavaScript.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Final

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from datasmart.accounts.models import Organisation
from datasmart.sip.domain.errors import SipValidationError
from datasmart.sip.domain.identity import IdKind, parse_identity_number
from datasmart.sip.models import CloseReason, ConsentGivenBy, Meeting, Participant, ParticipantKind
from datasmart.sip.services.links import MAX_VALIDITY

__all__ = [
    "CloseForm",
    "ConsentForm",
    "FollowUpForm",
    "InviteForm",
    "LinkForm",
    "MeetingHeldForm",
    "PersonResponseForm",
    "PlanForm",
    "StartForm",
    "add_service_error",
    "aware",
    "row_formset",
]

DATE_ERROR = _("Ange ett giltigt datum (ÅÅÅÅ-MM-DD).")
TIME_ERROR = _("Ange ett klockslag (TT:MM), till exempel 09:30.")
YES_NO = (("ja", _("Ja")), ("nej", _("Nej")))
MAX_ROWS: Final = 100


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%H:%M")


def _date_field(label: Any, *, required: bool = True, **kwargs: Any) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=required,
        widget=DateInput,
        error_messages={"invalid": DATE_ERROR, "required": _("Ange ett datum.")},
        **kwargs,
    )


def _time_field(label: Any, **kwargs: Any) -> forms.TimeField:
    return forms.TimeField(
        label=label,
        widget=TimeInput,
        error_messages={"invalid": TIME_ERROR, "required": _("Ange ett klockslag.")},
        **kwargs,
    )


def aware(day: dt.date, time: dt.time) -> dt.datetime:
    """A date and a wall-clock time in Swedish time as an aware datetime."""
    return timezone.make_aware(dt.datetime.combine(day, time))


def _version_field() -> forms.IntegerField:
    return forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class SipForm(forms.Form):
    """Shared set-up: a field with an error gets the ``field--error`` class."""

    error_css_class = "field--error"
    required_css_class = "field--required"


# --- starting a plan -----------------------------------------------------------------------


class StartForm(SipForm):
    id_kind = forms.ChoiceField(
        label=_("Typ av nummer"),
        choices=IdKind.choices,
        initial=IdKind.PERSONNUMMER,
        widget=forms.RadioSelect,
        error_messages={"required": _("Välj vilken typ av nummer personen har.")},
    )
    person_id = forms.CharField(
        label=_("Nummer"),
        max_length=40,
        help_text=_(
            "Personnummer eller samordningsnummer med 10 eller 12 siffror, till exempel "
            "20120517-1234. Reservnummer skrivs som regionen gett ut dem. I listor visas "
            "bara födelsedatumet (20120517-****)."
        ),
        error_messages={"required": _("Ange personens nummer.")},
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    display_name = forms.CharField(
        label=_("Namn"),
        max_length=200,
        error_messages={"required": _("Ange personens namn.")},
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    need = forms.CharField(
        label=_("Upptäckt behov"),
        max_length=5000,
        help_text=_(
            "Vad har ni sett som gör att personen behöver stöd från både kommun och region? "
            "Skriv kort."
        ),
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _("Beskriv det behov som ni har upptäckt.")},
    )
    is_child = forms.TypedChoiceField(
        label=_("Gäller planen ett barn (under 18 år)?"),
        choices=YES_NO,
        coerce=lambda value: value == "ja",
        widget=forms.RadioSelect,
        error_messages={"required": _("Svara ja eller nej.")},
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        raw, kind = data.get("person_id"), data.get("id_kind")
        if raw and kind:
            try:
                parse_identity_number(raw, kind=kind, field="person_id")
            except SipValidationError as exc:
                self.add_error("person_id", exc.message)
        return data


# --- consent -------------------------------------------------------------------------------


class ConsentForm(SipForm):
    expected_version = _version_field()
    given_by = forms.ChoiceField(
        label=_("Vem gav samtycket?"),
        choices=ConsentGivenBy.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Välj vem som gav samtycket.")},
    )
    guardian_name = forms.CharField(
        label=_("Vårdnadshavarens namn"),
        max_length=200,
        required=False,
        help_text=_("Fyll i om en vårdnadshavare gav samtycket."),
    )
    organisations = forms.TypedMultipleChoiceField(
        label=_("Organisationer som får ta del av planen"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Er egen organisation har alltid tillgång till planen."),
    )
    other_organisation = forms.TypedChoiceField(
        label=_("Annan organisation (valfritt)"),
        coerce=int,
        empty_value=None,
        required=False,
        help_text=_("Om en organisation i ett annat län också ska ta del av planen."),
    )

    def __init__(
        self,
        *args: Any,
        nearby: Sequence[Organisation] = (),
        others: Sequence[Organisation] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisations"].choices = [(o.pk, o.name) for o in nearby]  # type: ignore[attr-defined]
        self.fields["other_organisation"].choices = [  # type: ignore[attr-defined]
            ("", _("Ingen annan")),
            *((o.pk, o.name) for o in others),
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("given_by") == ConsentGivenBy.GUARDIAN and not data.get("guardian_name"):
            self.add_error("guardian_name", _("Ange vårdnadshavarens namn."))
        chosen = list(data.get("organisations") or [])
        if data.get("other_organisation"):
            chosen.append(data["other_organisation"])
        if "organisations" in data and not chosen:
            self.add_error("organisations", _("Välj minst en organisation som samtycket gäller."))
        data["organisation_ids"] = list(dict.fromkeys(chosen))
        return data


# --- rows (formsets) -----------------------------------------------------------------------


class RowForm(forms.Form):
    """A row in a list: blank rows are skipped, so fields are required only in use."""

    error_css_class = "field--error"
    #: Fields that must be filled in once anything in the row is.
    needed: tuple[str, ...] = ()
    needed_messages: Mapping[str, Any] = {}

    def used(self) -> bool:
        return self.has_changed()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.used():
            for name in self.needed:
                if name not in self.errors and data.get(name) in (None, ""):
                    self.add_error(name, self.needed_messages.get(name, _("Fyll i det här.")))
        return data


class _RowFormSet(forms.BaseFormSet):  # type: ignore[type-arg]
    """Every row is optional (``INITIAL_FORMS`` is always 0): a blank row is skipped."""

    def initial_form_count(self) -> int:
        return 0

    def used_forms(self) -> list[tuple[int, Any]]:
        """``(row index, form)`` for the rows filled in."""
        return [(i, f) for i, f in enumerate(self.forms) if f.used()]


def row_formset(
    form: type[forms.Form],
    *,
    prefix: str,
    data: Mapping[str, Any] | None = None,
    initial: Sequence[Mapping[str, Any]] = (),
    blanks: int = 1,
    add: bool = False,
    form_kwargs: Mapping[str, Any] | None = None,
) -> Any:
    """A formset of ``form`` rows: ``initial`` rows plus ``blanks`` empty ones when shown
    first, or the posted rows (plus one when ``add``) when bound to ``data``."""
    if data is not None and add:
        data = data.copy()  # type: ignore[attr-defined]
        key = f"{prefix}-TOTAL_FORMS"
        try:
            total = int(data.get(key, 0))
        except (TypeError, ValueError):
            total = 0
        data[key] = str(min(total + 1, MAX_ROWS))  # type: ignore[index]
    formset_class = forms.formset_factory(
        form,
        formset=_RowFormSet,
        extra=len(initial) + blanks,
        max_num=MAX_ROWS,
        absolute_max=MAX_ROWS,
        validate_max=True,
    )
    if data is not None:
        return formset_class(data, prefix=prefix, form_kwargs=dict(form_kwargs or {}))
    return formset_class(
        prefix=prefix, initial=list(initial) or None, form_kwargs=dict(form_kwargs or {})
    )


def _org_choices(organisations: Iterable[Organisation], empty: Any = None) -> list[tuple[Any, Any]]:
    choices: list[tuple[Any, Any]] = [("", empty)] if empty is not None else []
    return choices + [(o.pk, o.name) for o in organisations]


class TextRow(RowForm):
    text = forms.CharField(
        label=_("Text"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class GoalRow(TextRow):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["text"].label = _("Mål")


class NeedRow(TextRow):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["text"].label = _("Behov")


class InterventionRow(RowForm):
    title = forms.CharField(label=_("Insats"), max_length=500, required=False)
    organisation = forms.TypedChoiceField(
        label=_("Ansvarig organisation"), coerce=int, empty_value=None, required=False
    )
    unit_name = forms.CharField(
        label=_("Ansvarig enhet, till exempel ”BUP Kiruna”"), max_length=200, required=False
    )
    start = _date_field(_("Från"), required=False)
    end = _date_field(_("Till"), required=False)
    needed = ("title", "organisation")
    needed_messages = {
        "title": _("Ange vad insatsen är."),
        "organisation": _("Välj vilken organisation som ansvarar för insatsen."),
    }

    def __init__(self, *args: Any, organisations: Sequence[Organisation] = (), **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].choices = _org_choices(organisations, _("Välj organisation"))  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", _("Slutdatumet får inte vara före startdatumet."))
        return data


class OtherRow(RowForm):
    who = forms.CharField(label=_("Vem, till exempel ”mamma”"), max_length=500, required=False)
    what = forms.CharField(label=_("Gör vad"), max_length=2000, required=False)
    needed = ("who", "what")
    needed_messages = {"who": _("Ange vem som gör det."), "what": _("Ange vad som ska göras.")}


class DateRow(RowForm):
    day = _date_field(_("Uppföljning"), required=False)


class PlanForm(SipForm):
    """The plan's single fields; the lists are formsets (see ``views_edit.PlanEditor``)."""

    expected_version = _version_field()
    lead_organisation = forms.TypedChoiceField(
        label=_("Huvudansvarig organisation"),
        coerce=int,
        empty_value=None,
        required=False,
        help_text=_("Den organisation som har huvudansvaret för planen."),
    )
    coordinator_name = forms.CharField(
        label=_("Samordnare"),
        max_length=200,
        required=False,
        help_text=_("Namnet på den som håller ihop planen och som personen kan kontakta."),
    )
    meeting = forms.TypedChoiceField(
        label=_("Möte"),
        coerce=int,
        empty_value=None,
        required=False,
        help_text=_("Det möte där planen togs fram eller ändrades (valfritt)."),
    )

    def __init__(
        self,
        *args: Any,
        organisations: Sequence[Organisation] = (),
        meetings: Sequence[Meeting] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["lead_organisation"].choices = _org_choices(  # type: ignore[attr-defined]
            organisations, _("Inte bestämt ännu")
        )
        self.fields["meeting"].choices = [  # type: ignore[attr-defined]
            ("", _("Inget möte")),
            *(
                (
                    m.pk,
                    f"{m.get_kind_display()} {timezone.localtime(m.scheduled_at):%Y-%m-%d %H:%M}",
                )
                for m in meetings
            ),
        ]


# --- invitations and meetings --------------------------------------------------------------


class InviteeRow(RowForm):
    kind = forms.ChoiceField(
        label=_("Vem bjuds in?"),
        choices=[("", _("Välj")), *ParticipantKind.choices],
        required=False,
    )
    organisation = forms.TypedChoiceField(
        label=_("Organisation"), coerce=int, empty_value=None, required=False
    )
    unit_name = forms.CharField(label=_("Enhet"), max_length=200, required=False)
    name = forms.CharField(label=_("Namn"), max_length=200, required=False)
    email = forms.EmailField(
        label=_("E-post"),
        max_length=254,
        required=False,
        error_messages={"invalid": _("Ange en giltig e-postadress, till exempel namn@example.se.")},
    )
    needed = ("kind",)
    needed_messages = {"kind": _("Välj vem som bjuds in.")}

    def __init__(self, *args: Any, organisations: Sequence[Organisation] = (), **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].choices = _org_choices(organisations, _("Ingen organisation"))  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not self.used():
            return data
        kind = data.get("kind")
        if kind == ParticipantKind.ORGANISATION:
            if not data.get("organisation") and "organisation" not in self.errors:
                self.add_error("organisation", _("Välj vilken organisation som bjuds in."))
        elif kind:
            if data.get("organisation"):
                self.add_error(
                    "organisation",
                    _("Välj ”Organisation” som typ om en organisation ska bjudas in."),
                )
            if kind != ParticipantKind.PERSON and not data.get("name"):
                self.add_error("name", _("Ange namnet på den som bjuds in."))
        return data

    def participant(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "kind": data["kind"],
            "organisation_id": data.get("organisation"),
            "unit_name": data.get("unit_name", ""),
            "name": data.get("name", ""),
            "email": data.get("email", ""),
        }


class MeetingTimeForm(SipForm):
    expected_version = _version_field()
    meeting_date = _date_field(_("Datum"))
    meeting_time = _time_field(_("Klockan"))
    location = forms.CharField(
        label=_("Plats"),
        max_length=200,
        required=False,
        help_text=_("Till exempel ”Socialkontoret, Kiruna” eller ”Videomöte”."),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        day, time = data.get("meeting_date"), data.get("meeting_time")
        if day and time:
            data["meeting_at"] = aware(day, time)
            if data["meeting_at"] < timezone.now() - dt.timedelta(days=1):
                self.add_error("meeting_date", _("Datumet har redan varit. Välj ett senare datum."))
        return data


class InviteForm(MeetingTimeForm):
    pass


class FollowUpForm(MeetingTimeForm):
    pass


class MeetingHeldForm(SipForm):
    expected_version = _version_field()
    held_date = _date_field(_("Datum då mötet hölls"))
    held_time = _time_field(_("Klockan"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        day, time = data.get("held_date"), data.get("held_time")
        if day and time:
            data["held_at"] = aware(day, time)
            if data["held_at"] > timezone.now() + dt.timedelta(minutes=5):
                self.add_error("held_date", _("Ett möte som hållits kan inte ligga i framtiden."))
        return data


class CloseForm(SipForm):
    expected_version = _version_field()
    reason = forms.ChoiceField(
        label=_("Varför avslutas planen?"),
        choices=CloseReason.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Välj varför planen avslutas.")},
    )
    note = forms.CharField(
        label=_("Anteckning (valfritt)"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class LinkForm(SipForm):
    participant = forms.ChoiceField(
        label=_("Länken är till"), required=False, widget=forms.RadioSelect
    )
    valid_days = forms.IntegerField(
        label=_("Giltig i antal dagar"),
        min_value=1,
        max_value=MAX_VALIDITY.days,
        initial=7,
        help_text=_("Länken fungerar en gång. Den slutar gälla efter det här antalet dagar."),
        error_messages={
            "required": _("Ange hur många dagar länken ska gälla."),
            "invalid": _("Ange ett heltal."),
            "min_value": _("Länken måste gälla minst en dag."),
            "max_value": _("En länk kan gälla högst %(limit_value)s dagar."),
        },
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "size": 4}),
    )

    def __init__(self, *args: Any, participants: Sequence[Participant] = (), **kwargs: Any):
        super().__init__(*args, **kwargs)
        label: Callable[[Participant], str] = lambda p: (  # noqa: E731
            f"{p.name} ({p.get_kind_display().lower()})" if p.name else p.get_kind_display()
        )
        self.fields["participant"].choices = [  # type: ignore[attr-defined]
            ("", _("Personen som planen gäller")),
            *((str(p.pk), label(p)) for p in participants),
        ]
        self.fields["participant"].initial = ""


# --- the person ----------------------------------------------------------------------------


class PersonResponseForm(forms.Form):
    error_css_class = "field--error"
    plan_version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    text = forms.CharField(
        label=_("Din kommentar"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Skriv vad du tycker om planen, eller vad du vill ändra."),
    )


# --- service errors back on their field ----------------------------------------------------


def add_service_error(
    exc: SipValidationError,
    targets: Mapping[str, tuple[forms.Form, str | None]],
    fallback: forms.Form,
) -> None:
    """Put each problem of ``exc`` on the form field its path names.

    ``targets`` maps a service field path (``person_id``, ``interventions[0].end``) to
    ``(form, field name)``; a path not listed falls back to its parent path
    (``interventions[0]``, ``interventions``) and finally to ``fallback``'s form-wide errors.
    """
    for path, message in exc.errors:
        target = _find_target(path, targets)
        if target is None:
            fallback.add_error(None, message)
            continue
        form, name = target
        if name is not None and name in form.errors and message in form.errors[name]:
            continue
        form.add_error(name, message)


def _find_target(
    path: str, targets: Mapping[str, tuple[forms.Form, str | None]]
) -> tuple[forms.Form, str | None] | None:
    candidate = path
    while candidate:
        if candidate in targets:
            return targets[candidate]
        cut = max(candidate.rfind("."), candidate.rfind("["))
        candidate = candidate[:cut] if cut > 0 else ""
    return None
