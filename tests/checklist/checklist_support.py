"""A small world for checklist tests: Stockholm (0180) and Upplands Väsby (0114) in län 01,
the region's psychiatry, Malmö (1280) outside the län, and answers for every question."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from datasmart.accounts.models import Organisation, OrganisationKind, Role, User
from datasmart.checklist import services
from datasmart.geo.models import Unit
from tests.accounts.factories import OrganisationFactory, member


@dataclass
class ChecklistWorld:
    orgs: dict[str, Organisation]
    users: dict[tuple[str, Role], User] = field(default_factory=dict)

    def user(self, org: str, role: Role) -> User:
        key = (org, role)
        if key not in self.users:
            self.users[key] = member(role, self.orgs[org], username=f"cl-{org}-{role}")
        return self.users[key]


def _org(key: str, unit: str, kind: str) -> Organisation:
    org: Organisation = OrganisationFactory(
        name=f"Checklista {key}", unit=Unit.objects.get(code=unit), kind=kind
    )
    return org


def make_world() -> ChecklistWorld:
    return ChecklistWorld(
        {
            "region": _org("region", "01", OrganisationKind.REGION_PSYCHIATRY),
            "stockholm": _org("stockholm", "0180", OrganisationKind.KOMMUN_SOCIAL),
            "stockholm_school": _org("stockholm_school", "0180", OrganisationKind.SCHOOL),
            "vasby": _org("vasby", "0114", OrganisationKind.KOMMUN_SOCIAL),
            "malmo": _org("malmo", "1280", OrganisationKind.KOMMUN_SOCIAL),
        }
    )


def all_answers(value: str = "yes", **overrides: str) -> dict[str, dict[str, Any]]:
    """An answer for every question of the current version (``overrides``: code → value)."""
    return {
        q.code: {"value": overrides.get(q.code, value), "comment": "", "evidence_url": ""}
        for q in services.questions()
    }
