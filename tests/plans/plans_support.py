"""A small world for plan tests: the region of Stockholms län (01), two of its kommuner,
and a kommun outside the län (Malmö, 1280)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from datasmart.accounts.models import Organisation, OrganisationKind, Role, User
from datasmart.geo.models import Unit
from datasmart.indicators.services import Indicator, Result
from tests.accounts.factories import OrganisationFactory, member


@dataclass
class PlanWorld:
    orgs: dict[str, Organisation]
    users: dict[tuple[str, Role], User] = field(default_factory=dict)

    def user(self, org: str, role: Role) -> User:
        key = (org, role)
        if key not in self.users:
            self.users[key] = member(role, self.orgs[org], username=f"plan-{org}-{role}")
        return self.users[key]


def _org(key: str, unit: str, kind: str) -> Organisation:
    org: Organisation = OrganisationFactory(
        name=f"Plan {key}", unit=Unit.objects.get(code=unit), kind=kind
    )
    return org


def make_plan_world() -> PlanWorld:
    return PlanWorld(
        {
            "region": _org("region", "01", OrganisationKind.REGION_PSYCHIATRY),
            "stockholm": _org("stockholm", "0180", OrganisationKind.KOMMUN_SOCIAL),
            "vasby": _org("vasby", "0114", OrganisationKind.KOMMUN_SOCIAL),
            "malmo": _org("malmo", "1280", OrganisationKind.KOMMUN_SOCIAL),
        }
    )


def make_indicator_with_result(code: str, unit_code: str, values: dict[int, float]) -> Any:
    """An indicator with stored total results for one unit (period → value)."""
    indicator = Indicator.objects.create(
        code=code,
        title_sv=f"Planindikator {code}",
        type="proportion",
        multiplier=100,
        levels=["kommun", "region"],
        breakdowns=[],
        age_groups=[],
        first_period=2015,
        last_period=2024,
        group="test",
    )
    unit = Unit.objects.get(code=unit_code)
    for period, value in values.items():
        Result.objects.create(
            indicator=indicator,
            unit=unit,
            level=unit.level,
            period=period,
            value=value,
            status="ok",
            computed_at=timezone.now(),
        )
    return indicator
