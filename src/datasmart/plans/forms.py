"""Forms of the plan editing pages: they parse and check the shape of the input (numbers,
dates, choices) with Swedish messages naming the field; the facts (periods, frozen plans,
who may) are checked by :mod:`.services`, whose :class:`~.services.PlanError` the view
shows as a form error.

Choices that depend on the user or the plan (organisations, län, goals, indicators, posts,
scenarios) come from the services and are passed in by the view."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, cast

from django import forms
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

from datasmart.accounts.models import Role

from .models import ActivityStatus, Direction, GoalKind, IndicatorKind, Visibility
from .services import FIRST_YEAR, LAST_YEAR, IndicatorChoice


def _choices(form: forms.Form, name: str) -> forms.ChoiceField:
    return cast(forms.ChoiceField, form.fields[name])


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


def _year(label: Any, *, required: bool = True) -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        required=required,
        min_value=FIRST_YEAR,
        max_value=LAST_YEAR,
        error_messages={
            "required": _("Ange ett år."),
            "invalid": _("Ange ett år med fyra siffror."),
            "min_value": _("Ange ett år från och med %(limit_value)s."),
            "max_value": _("Ange ett år till och med %(limit_value)s."),
        },
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "class": "year-input"}),
    )


def _date(label: Any, *, required: bool = True) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=required,
        widget=DateInput(),
        error_messages={
            "required": _("Ange ett datum."),
            "invalid": _("Ange ett datum som ÅÅÅÅ-MM-DD."),
        },
    )


def _amount(label: Any) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        required=False,
        min_value=Decimal(0),
        max_digits=14,
        decimal_places=2,
        localize=True,
        error_messages={
            "invalid": _("Ange ett belopp i kronor."),
            "min_value": _("Beloppet kan inte vara negativt."),
            "max_digits": _("Beloppet är för stort."),
            "max_decimal_places": _("Ange högst två decimaler (ören)."),
            "max_whole_digits": _("Beloppet är för stort."),
        },
    )


def _choice(label: Any, choices: Any, *, required: bool = True, **kw: Any) -> forms.ChoiceField:
    return forms.ChoiceField(
        label=label,
        choices=choices,
        required=required,
        error_messages={
            "required": _("Välj ett värde."),
            "invalid_choice": _("Välj ett värde i listan."),
        },
        **kw,
    )


def _text(label: Any, max_length: int, *, required: bool = True, **kw: Any) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=max_length,
        required=required,
        error_messages={
            "required": _("Fältet får inte vara tomt."),
            "max_length": _("Skriv högst %(limit_value)s tecken."),
        },
        **kw,
    )


class PlanFieldsForm(forms.Form):
    """Title, period and visibility: shared by the new-plan and new-joint-plan pages."""

    title = _text(_("Titel"), 200)
    start_year = _year(_("Första år"))
    end_year = _year(_("Sista år"))
    visibility = _choice(
        _("Synlighet"),
        Visibility.choices,
        initial=Visibility.PUBLIC,
        help_text=_("Offentlig: alla kan läsa planen. Endast parterna: ägaren och parterna."),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start_year"), data.get("end_year")
        if start and end and end < start:
            self.add_error("end_year", _("Sista år kan inte ligga före första år."))
        return data


class PlanCreateForm(PlanFieldsForm):
    """A new plan of one of the organisations the user edits for."""

    owner = _choice(_("Ägare"), [], help_text=_("Organisationen som äger och ändrar planen."))
    field_order = ["owner", "title", "start_year", "end_year", "visibility"]

    def __init__(self, *args: Any, owners: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.owners = {str(o.pk): o for o in owners}
        _choices(self, "owner").choices = [(str(o.pk), o.name) for o in owners]
        if len(owners) == 1:
            self.fields["owner"].initial = str(owners[0].pk)


class JointPlanCreateForm(PlanFieldsForm):
    """A new joint län plan; the region's organisation holds it, every kommun is a party."""

    lan = _choice(_("Län"), [])
    field_order = ["lan", "title", "start_year", "end_year", "visibility"]

    def __init__(self, *args: Any, lans: list[tuple[Any, Any]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lans = {u.code: (u, o) for u, o in lans}
        _choices(self, "lan").choices = [(u.code, f"{u.name} ({o.name})") for u, o in lans]


class PlanEditForm(PlanFieldsForm):
    """A draft plan's title, period, visibility and next follow-up date."""

    next_follow_up = _date(_("Nästa uppföljning"), required=False)


class FollowUpDateForm(forms.Form):
    """The only field of a frozen (agreed, active …) plan that changes: scheduling."""

    next_follow_up = _date(_("Nästa uppföljning"), required=False)


class GoalForm(forms.Form):
    kind = _choice(_("Typ"), GoalKind.choices, initial=GoalKind.POLITICAL)
    parent = _choice(
        _("Övergripande mål"),
        [],
        required=False,
        help_text=_("Ett delmål hör till ett övergripande mål i samma plan."),
    )
    text = _text(_("Mål"), 2000, widget=forms.Textarea(attrs={"rows": 3}))
    start_year = _year(_("Första år"), required=False)
    end_year = _year(_("Sista år"), required=False)
    decided_by = _text(_("Beslutat av"), 200, required=False)
    decided_on = _date(_("Beslutsdatum"), required=False)
    document = _text(
        _("Beslutsdokument"),
        300,
        required=False,
        help_text=_("Till exempel diarienummer eller dokumentets namn."),
    )

    def __init__(self, *args: Any, parents: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.parents = {str(g.pk): g for g in parents}
        _choices(self, "parent").choices = [("", _("– inget (politiskt mål) –"))] + [
            (str(g.pk), g.text[:120]) for g in parents
        ]
        self.fields["start_year"].help_text = _("Tomt: planens första år.")
        self.fields["end_year"].help_text = _("Tomt: planens sista år.")

    def clean_parent(self) -> Any:
        raw = self.cleaned_data.get("parent") or ""
        return self.parents.get(raw)


def _number(value: float) -> str:
    return number_format(value, decimal_pos=None, use_l10n=True)


def indicator_label(choice: IndicatorChoice) -> str:
    """The chooser's text: code, title and the baseline the link would take."""
    baseline: str
    if choice.baseline_value is None:
        baseline = str(_("inget utgångsvärde"))
    else:
        baseline = _("utgångsvärde %(value)s (%(period)s)") % {
            "value": _number(choice.baseline_value),
            "period": choice.baseline_period,
        }
    return f"{choice.code} – {choice.title[:90]} – {baseline}"


class GoalIndicatorEditForm(forms.Form):
    kind = _choice(
        _("Typ av indikator"),
        IndicatorKind.choices,
        initial=IndicatorKind.EFFECT,
        help_text=_("Processindikator: mäter arbetet. Effektindikator: mäter resultatet."),
    )
    direction = _choice(_("Riktning"), Direction.choices, initial=Direction.INCREASE)
    target_value = forms.FloatField(
        label=_("Målvärde"),
        localize=True,
        error_messages={"required": _("Ange ett målvärde."), "invalid": _("Ange ett tal.")},
    )
    target_year = _year(_("Målår"))

    def clean_target_value(self) -> float:
        value = self.cleaned_data["target_value"]
        if value != value or value in (float("inf"), float("-inf")):
            raise forms.ValidationError(_("Ange ett tal."))
        return float(value)


class GoalIndicatorAddForm(GoalIndicatorEditForm):
    indicator_code = _choice(
        _("Indikator"),
        [],
        help_text=_(
            "Utgångsvärdet är indikatorns senaste resultat för planens ägare och sparas när "
            "indikatorn läggs till."
        ),
    )
    field_order = ["indicator_code", "kind", "direction", "target_value", "target_year"]

    def __init__(self, *args: Any, indicators: list[IndicatorChoice], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self, "indicator_code").choices = [("", _("– välj indikator –"))] + [
            (c.code, indicator_label(c)) for c in indicators
        ]


class ActivityForm(forms.Form):
    title = _text(_("Aktivitet"), 300)
    goals = forms.MultipleChoiceField(
        label=_("Mål som aktiviteten ska påverka"),
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": _("Välj minst ett mål."),
            "invalid_choice": _("Välj mål i listan."),
        },
    )
    responsible_role = _choice(_("Ansvarig roll"), Role.choices, initial=Role.COORDINATOR)
    start = _date(_("Startdatum"))
    end = _date(_("Slutdatum"))
    status = _choice(_("Status"), ActivityStatus.choices, initial=ActivityStatus.PLANNED)
    budget = _amount(_("Budget (kr)"))
    cost = _amount(_("Kostnad hittills (kr)"))
    funding_post = _choice(
        _("Finansieras från"),
        [],
        required=False,
        help_text=_("En post i en överenskommelse under planens år (eller året före)."),
    )
    needs_scenario = _choice(
        _("Svarar mot behovsanalys"),
        [],
        required=False,
        help_text=_("Ett sparat behovsscenario för planens område."),
    )

    def __init__(
        self,
        *args: Any,
        goals: list[Any],
        posts: list[Any],
        scenarios: list[Any],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.goal_objects = {str(g.pk): g for g in goals}
        _choices(self, "goals").choices = [(str(g.pk), g.text[:120]) for g in goals]
        self.post_objects = {str(p.pk): p for p in posts}
        _choices(self, "funding_post").choices = [("", _("– ingen –"))] + [
            (str(p.pk), f"{p.agreement.year}: {p.name}") for p in posts
        ]
        self.scenario_objects = {str(s.pk): s for s in scenarios}
        _choices(self, "needs_scenario").choices = [("", _("– ingen –"))] + [
            (str(s.pk), f"{s.unit.name}: {s.name}") for s in scenarios
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if isinstance(start, dt.date) and isinstance(end, dt.date) and end < start:
            self.add_error("end", _("Slutdatum kan inte ligga före startdatum."))
        return data

    def values(self) -> dict[str, Any]:
        """The cleaned data as :func:`~.services.update_activity` takes it (objects)."""
        data = dict(self.cleaned_data)
        data["goals"] = [self.goal_objects[k] for k in data["goals"]]
        data["funding_post"] = self.post_objects.get(data.get("funding_post") or "")
        data["needs_scenario"] = self.scenario_objects.get(data.get("needs_scenario") or "")
        return data
