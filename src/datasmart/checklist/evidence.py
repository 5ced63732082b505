"""What the platform itself shows for each question: a link to the page and one fact.

Why: the politicians' answer ("ja, vi har mål") sits next to what the platform holds
(plans with goals for the unit, an agreed joint län plan, indicator results, published
SIP statistics), so a reader of the report sees both and can follow the link. Facts are
read through the other domains' front doors (``plans.services``, ``indicators.services``);
nothing is copied.

Plans are read as ``by`` would see them (:func:`plans.services.visible_plans`), so a
parties-only plan shows up only for those who may read it; whether an agreed joint plan
exists is a public yes/no (the funding domain reads the same).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count
from django.urls import reverse
from django.utils.translation import gettext as _

from datasmart.geo.models import Level, Unit
from datasmart.indicators.services import Result
from datasmart.plans.services import agreed_joint_plan_exists, visible_plans

from .models import EvidenceKind

#: The published SIP indicator whose monthly counts show that SIP is in use.
SIP_INDICATOR = "sip-started"


@dataclass(frozen=True)
class Evidence:
    kind: str
    url: str
    label: str
    fact: str
    #: whether the platform shows the thing exists (None: the page is there, no judgement)
    found: bool | None = None


def _lan(unit: Unit) -> Unit | None:
    if unit.level == Level.REGION:
        return unit
    return unit.region if unit.level == Level.KOMMUN else None


def _needs(unit: Unit) -> Evidence:
    return Evidence(
        EvidenceKind.NEEDS,
        reverse("needs:unit", args=[unit.code]),
        _("Behov i %(name)s") % {"name": unit.name},
        _("Förväntat antal med psykisk ohälsa nu och om 5 och 10 år beräknas för alla enheter."),
        None,
    )


def _goals(unit: Unit, year: int, by: Any) -> Evidence:
    plans = list(
        visible_plans(by)
        .filter(owner__unit=unit, start_year__lte=year, end_year__gte=year)
        .annotate(n_goals=Count("goals"))
        .order_by("-version", "-pk")
    )
    goals = sum(p.n_goals for p in plans)  # type: ignore[attr-defined]
    url = reverse("plans:detail", args=[plans[0].pk]) if plans else reverse("plans:list")
    if plans:
        fact = _("%(plans)s handlingsplan(er) för %(year)s med sammanlagt %(goals)s mål.") % {
            "plans": len(plans),
            "year": year,
            "goals": goals,
        }
    else:
        fact = _("Ingen handlingsplan för %(year)s på plattformen.") % {"year": year}
    return Evidence(
        EvidenceKind.GOALS, url, _("Mål och handlingsplaner"), fact, bool(plans) and goals > 0
    )


def _plans(unit: Unit, year: int, by: Any) -> Evidence:
    lan = _lan(unit)
    if lan is None:
        return Evidence(EvidenceKind.PLANS, reverse("plans:list"), _("Handlingsplaner"), "", None)
    agreed = agreed_joint_plan_exists(lan.code, year)
    plan = (
        visible_plans(by)
        .filter(lan=lan, start_year__lte=year, end_year__gte=year)
        .order_by("-version", "-pk")
        .first()
    )
    url = reverse("plans:detail", args=[plan.pk]) if plan else reverse("plans:list")
    if agreed:
        fact = _("Överenskommen gemensam länsplan för %(lan)s %(year)s: ja.")
    elif plan is not None:
        fact = _("Gemensam länsplan för %(lan)s %(year)s finns men är inte överenskommen.")
    else:
        fact = _("Överenskommen gemensam länsplan för %(lan)s %(year)s: nej.")
    return Evidence(
        EvidenceKind.PLANS,
        url,
        _("Gemensam länsplan"),
        fact % {"lan": lan.name, "year": year},
        agreed,
    )


def _indicators(unit: Unit) -> Evidence:
    count = Result.objects.filter(unit=unit).values("indicator_id").distinct().count()
    return Evidence(
        EvidenceKind.INDICATORS,
        reverse("indicators:profile", args=[unit.code]),
        _("Indikatorprofil för %(name)s") % {"name": unit.name},
        _("%(n)s indikatorer har resultat för enheten, jämförda med riket.") % {"n": count},
        count > 0,
    )


def _sip(unit: Unit, year: int) -> Evidence:
    months = (
        Result.objects.filter(
            indicator__code=SIP_INDICATOR,
            unit=unit,
            period__gte=year * 100 + 1,
            period__lte=year * 100 + 12,
            value__gt=0,
        )
        .values("period")
        .distinct()
        .count()
    )
    return Evidence(
        EvidenceKind.SIP,
        reverse("indicators:detail", args=[SIP_INDICATOR]),
        _("SIP-statistik"),
        _("Publicerad SIP-statistik %(year)s: påbörjade planer redovisade för %(n)s månader.")
        % {"year": year, "n": months},
        months > 0,
    )


def evidence_for(unit: Unit, year: int, by: Any) -> dict[str, Evidence]:
    """The platform's evidence for each kind of question, for ``unit`` and ``year``."""
    return {
        EvidenceKind.NEEDS: _needs(unit),
        EvidenceKind.GOALS: _goals(unit, year, by),
        EvidenceKind.PLANS: _plans(unit, year, by),
        EvidenceKind.INDICATORS: _indicators(unit),
        EvidenceKind.SIP: _sip(unit, year),
    }
