"""Saved needs scenarios: which projection and which prevalence variant an analyst chose
for a unit, with a comment, so that scenarios can be compared side by side.

Rights (one rule, here): a scenario belongs to an organisation; only users with the
analyst role in that organisation (or a superuser) save one, and the unit must be the
organisation's own unit or one within it (:func:`datasmart.geo.services.units_within`).
Reading is open to members of the organisation. Denials are audited
(``auth.permission_denied``); saves are audited (``needs.scenario_saved``).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from datasmart.accounts.audit import record_event
from datasmart.accounts.models import Organisation, Role
from datasmart.accounts.permissions import Permission, deny, roles_by_organisation
from datasmart.geo import services as geo
from datasmart.needs.expected import HORIZONS, condition_summary
from datasmart.needs.models import NeedsScenario, PrevalenceVariant


class ScenarioError(ValueError):
    """A scenario that cannot be saved (field named)."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(message)


def may_save(by: Any, organisation: Organisation) -> bool:
    if not getattr(by, "is_authenticated", False):
        return False
    if getattr(by, "is_superuser", False):
        return True
    return roles_by_organisation(by).get(organisation.pk) == Role.ANALYST


def organisations_for(by: Any) -> list[Organisation]:
    """Organisations in which ``by`` may save scenarios."""
    if not getattr(by, "is_authenticated", False):
        return []
    if getattr(by, "is_superuser", False):
        return list(Organisation.objects.exclude(unit=None)[:200])
    ids = [pk for pk, role in roles_by_organisation(by).items() if role == Role.ANALYST]
    return list(Organisation.objects.filter(pk__in=ids).exclude(unit=None))


def save_scenario(
    *,
    by: Any,
    organisation: Organisation,
    unit_code: str,
    name: str,
    projection_variant: str = "platform",
    prevalence_variant: str = "central",
    comment: str = "",
    request: Any = None,
) -> NeedsScenario:
    if not may_save(by, organisation):
        deny(
            by,
            Permission.EDIT_INDICATORS,
            organisation,
            request=request,
            detail={"target": "needs.scenario"},
        )
    unit = geo.get_unit(unit_code)
    if (  # noqa: SIM102
        organisation.unit_id is None
        or not geo.units_within(organisation.unit).filter(pk=unit.pk).exists()
    ):
        if not getattr(by, "is_superuser", False):
            deny(
                by,
                Permission.EDIT_INDICATORS,
                organisation,
                request=request,
                detail={"target": "needs.scenario", "unit": unit.code},
            )
    name = (name or "").strip()
    if not name:
        raise ScenarioError("name", _("Ge scenariot ett namn."))
    if len(name) > 120:
        raise ScenarioError("name", _("Namnet får vara högst 120 tecken."))
    if prevalence_variant not in PrevalenceVariant.values:
        raise ScenarioError("prevalence_variant", _("Välj låg, central eller hög prevalens."))
    from datasmart.needs.expected import available_scenarios

    if projection_variant not in available_scenarios():
        raise ScenarioError(
            "projection_variant", _("Okänd framskrivning '%(p)s'.") % {"p": projection_variant}
        )
    with transaction.atomic():
        scenario = NeedsScenario.objects.create(
            organisation=organisation,
            unit=unit,
            name=name,
            projection_variant=projection_variant,
            prevalence_variant=prevalence_variant,
            comment=(comment or "")[:4000],
            created_by=by.get_username(),
        )
        record_event(
            "needs.scenario_saved",
            actor=by,
            organisation=organisation,
            target=scenario,
            detail={
                "unit": unit.code,
                "projection": projection_variant,
                "prevalence": prevalence_variant,
            },
            request=request,
        )
    return scenario


def visible_scenarios(by: Any, unit_code: str) -> list[NeedsScenario]:
    """Scenarios for a unit that ``by`` may read (members of the owning organisation)."""
    if not getattr(by, "is_authenticated", False):
        return []
    qs = NeedsScenario.objects.filter(unit__code=unit_code).select_related("organisation", "unit")
    if not getattr(by, "is_superuser", False):
        qs = qs.filter(organisation_id__in=list(roles_by_organisation(by)))
    return list(qs[:50])


def compare(saved: list[NeedsScenario], unit: Any = None) -> list[dict[str, Any]]:
    """Saved scenarios side by side, each computed with *its own* projection variant (the
    platform's Hamilton–Perry projection or an imported one, e.g. SCB's
    befolkningsframskrivning) and prevalence variant: expected cases at +10 per condition
    and the population at +10, so that two projections can be told apart.

    With ``unit`` given, one reference row per available projection (central prevalence)
    comes first, so the imported projection is always shown beside the platform's own.
    A projection that does not cover the unit, or lacks a year, gives a row with
    ``error`` (its message) instead of figures — never today's population in its name."""
    from datasmart.needs.expected import available_scenarios
    from datasmart.needs.services import scenarios as projection_list

    titles = {str(p["scenario"]): str(p["title"]) for p in projection_list()}
    rows: list[dict[str, Any]] = []
    if unit is not None:
        for variant in available_scenarios():
            rows.append(_compared(None, unit, variant, "central", titles))
    for sc in saved:
        rows.append(_compared(sc, sc.unit, sc.projection_variant, sc.prevalence_variant, titles))
    return rows


def _compared(
    sc: NeedsScenario | None, unit: Any, variant: str, prevalence: str, titles: dict[str, str]
) -> dict[str, Any]:
    row: dict[str, Any] = {
        "scenario": sc,
        "projection_variant": variant,
        "projection_title": titles.get(variant, variant),
        "prevalence_variant": prevalence,
        "prevalence_label": PrevalenceVariant(prevalence).label,
        "values": {},
        "population": None,
        "year": None,
        "projected": False,
        "error": "",
    }
    try:
        summary = condition_summary(unit.level, unit.code, scenario=variant)
    except geo.GeoError as exc:
        row["error"] = str(exc)
        return row
    v = {"low": 0, "central": 1, "high": 2}[prevalence]
    cube = summary["cube"]
    row.update(
        values={c["condition"]: round(c["values"][HORIZONS[-1]][v]) for c in summary["conditions"]},
        population=round(float(cube.data[-1, 0].sum())),
        year=cube.years[-1],
        projected=cube.projected,
    )
    return row
