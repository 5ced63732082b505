"""Test support for SIP: real organisations, staff actors, valid identity numbers, plan
content and a ready-made started plan. For any app's tests (API, pages, FHIR, statistics).

Import what you need::

    from tests.sip.sip_support import make_world, plan_content, staff

or, inside ``tests/sip/``, use the fixtures in ``tests/sip/conftest.py`` (``world``,
``bare_world``). Everything goes through :mod:`datasmart.sip.services`, so the data is
exactly what production code would write (access log and audit rows included).

The cast (real geography from the loaded reference data):

- **owner**: "Kiruna kommun – socialtjänst" (kommun 2584, Norrbottens län 25), starts
  the plan; ``owner_staff`` is a caseworker there (``StaffActor``);
- **bup**: "Region Norrbotten – BUP" (region 25), a participating organisation covered by
  the consent; ``bup_staff`` is a caseworker there;
- **outsider**: "Luleå kommun – socialtjänst" (2580), never covered: ``outsider_staff``
  must never see the plan;
- ``owner_admin``, ``owner_coordinator``, ``owner_viewer`` (users) and ``root``
  (superuser): members or superusers who may *not* read plans;
- the person, born 2012-05-17 (a child), identity number ``world.person_number``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from datasmart.accounts.models import Organisation, OrganisationKind, Role
from datasmart.geo.models import Unit
from datasmart.sip.actors import StaffActor
from datasmart.sip.identity import SAMORDNING_DAY_OFFSET, luhn_check_digit
from datasmart.sip.schemas import PlanContent
from tests.accounts.factories import OrganisationFactory, member

KIRUNA = "2584"
LULEA = "2580"
NORRBOTTEN = "25"
OWNER_NAME = "Kiruna kommun – socialtjänst"
BUP_NAME = "Region Norrbotten – BUP"
OUTSIDER_NAME = "Luleå kommun – socialtjänst"
CHILD_BIRTH = dt.date(2012, 5, 17)


def personnummer(birth: dt.date, serial: int = 123, *, samordning: bool = False) -> str:
    """A valid 12-digit number ``YYYYMMDD-NNNC`` (a samordningsnummer if asked)."""
    day = birth.day + (SAMORDNING_DAY_OFFSET if samordning else 0)
    nine = f"{birth:%y%m}{day:02d}{serial:03d}"
    return f"{birth:%Y%m}{day:02d}-{serial:03d}{luhn_check_digit(nine)}"


def organisation(name: str, kind: OrganisationKind, unit_code: str) -> Organisation:
    """An organisation in a real unit (get-or-create by name)."""
    org: Organisation = OrganisationFactory(
        name=name, kind=kind, unit=Unit.objects.get(code=unit_code)
    )
    return org


def kiruna_social() -> Organisation:
    return organisation(OWNER_NAME, OrganisationKind.KOMMUN_SOCIAL, KIRUNA)


def norrbotten_bup() -> Organisation:
    return organisation(BUP_NAME, OrganisationKind.REGION_BUP, NORRBOTTEN)


def lulea_social() -> Organisation:
    return organisation(OUTSIDER_NAME, OrganisationKind.KOMMUN_SOCIAL, LULEA)


def staff(organisation: Organisation, role: Role = Role.CASEWORKER, **user: Any) -> StaffActor:
    """A new user holding ``role`` in ``organisation``, acting for it."""
    return StaffActor(member(role, organisation, **user), organisation)


def plan_content(
    *organisations: Organisation, lead: Organisation | None = None, **overrides: Any
) -> PlanContent:
    """A realistic plan: one intervention per organisation given (owner first)."""
    titles = ["Stödsamtal i hemmet", "Utredning och behandling", "Anpassad skolgång"]
    interventions = [
        {
            "title": titles[i % len(titles)],
            "organisation_id": org.pk,
            "unit_name": org.name,
            "start": "2026-12-01",
            "end": "2027-06-30",
        }
        for i, org in enumerate(organisations)
    ]
    lead = lead or (organisations[0] if organisations else None)
    data: dict[str, Any] = {
        "goals": ["Att kunna gå till skolan varje dag", "Att sova bättre"],
        "needs": ["Stöd i vardagen", "Bedömning av sömnproblem"],
        "interventions": interventions,
        "others": [{"who": "mamma", "what": "Följer med till första besöket"}],
        "lead_organisation_id": lead.pk if lead else None,
        "coordinator_name": "Anna Samordnare",
        "follow_up_dates": ["2027-02-15"],
    }
    data.update(overrides)
    return PlanContent.model_validate(data)
