"""A small Kraftsamling world for tests: a delarena convened by a national authority with
a region, a kommun, a business and a civil-society organisation taking part, an outsider
(another kommun) and, on request, a filled handslag."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from datasmart.accounts.audit import SYSTEM
from datasmart.accounts.models import Organisation, OrganisationKind, Role, User
from datasmart.geo.models import Unit
from datasmart.kraftsamling import services
from tests.accounts.factories import OrganisationFactory, member

#: (key, unit code, kind) of the organisations of the world.
ORGS = (
    ("myndighet", "00", OrganisationKind.AUTHORITY),
    ("region", "01", OrganisationKind.REGION_PSYCHIATRY),
    ("kommun", "0180", OrganisationKind.KOMMUN_SOCIAL),
    ("foretag", "00", OrganisationKind.BUSINESS),
    ("forening", "00", OrganisationKind.CIVIL_SOCIETY),
    ("utomstaende", "1280", OrganisationKind.KOMMUN_SOCIAL),
)


@dataclass
class KsWorld:
    orgs: dict[str, Organisation]
    delarena: Any = None
    handslag: Any = None
    users: dict[tuple[str, Role], User] = field(default_factory=dict)

    def user(self, org: str, role: Role) -> User:
        key = (org, role)
        if key not in self.users:
            self.users[key] = member(role, self.orgs[org], username=f"ks-{org}-{role}")
        return self.users[key]


def make_orgs(prefix: str = "KS") -> dict[str, Organisation]:
    return {
        key: OrganisationFactory(
            name=f"{prefix} {key}", unit=Unit.objects.get(code=unit), kind=kind
        )
        for key, unit, kind in ORGS
    }


def make_world(*, with_handslag: bool = False, filled: bool = False) -> KsWorld:
    orgs = make_orgs()
    world = KsWorld(orgs)
    d = services.create_delarena(
        orgs["myndighet"],
        name="Hela samhällets suicidprevention",
        description="Delarena om suicidprevention tvärs över samhället.",
        area_letters=["G", "I"],
        by=SYSTEM,
    )
    for key in ("region", "kommun", "foretag", "forening"):
        services.add_participant(d, orgs[key], by=SYSTEM)
    world.delarena = d
    if with_handslag or filled:
        world.handslag = services.create_handslag(
            d,
            organisation=orgs["myndighet"],
            start_year=2026,
            end_year=2029,
            vision="Färre självmord genom samlad kraft.",
            by=SYSTEM,
        )
    if filled:
        fill(world)
    return world


def fill(world: KsWorld) -> None:
    """Outputs for all five workshops, goals under each area and initiatives by everyone:
    what a finished handslag looks like (used for the PDF's length)."""
    d, h, o = world.delarena, world.handslag, world.orgs
    for n in range(1, 6):
        services.record_output(
            d,
            stage_number=n,
            organisation=o["myndighet"],
            text=f"Resultat från verkstad {n}: " + "gemensamma slutsatser och nästa steg. " * 6,
            document=f"Minnesanteckningar verkstad {n}",
            status="done",
            held_on=dt.date(2025, 1 + 2 * n, 10),
            by=SYSTEM,
        )
    keys = ["myndighet", "region", "kommun", "foretag", "forening"]
    kinds = ["knowledge", "implement", "spread"]
    for gi, (number, area) in enumerate([(3, "G"), (3, "I"), (3, "H"), (2, "D"), (1, "A")]):
        goal = services.add_goal(
            h,
            text=f"Delmål {gi + 1} för område {area}: tydlig förbättring",
            goal_number=number,
            area_letter=area,
            by=SYSTEM,
        )
        for ai in range(3):
            key = keys[(gi + ai) % len(keys)]
            services.add_activity(
                h,
                title=f"Initiativ {gi + 1}.{ai + 1}: utveckla och pröva arbetssätt",
                goal_ids=[goal.pk],
                organisation=o[key],
                start=dt.date(2026 + ai, 1 + ai * 3, 1),
                end=dt.date(2027 + ai, 12, 31),
                kind=kinds[ai],
                how="Genom gemensamma workshoppar, pilotverksamhet i två län och uppföljning. " * 2,
                by=SYSTEM,
            )


def matrix_world(world_cls: Any) -> Any:
    """The permission matrix's world (tests/test_permission_matrix.py): "kommun" (Stockholm,
    a participant) is the own organisation, "utomstaende" (Malmö) the other. Ids: a delarena
    without a handslag (with a workshop output), one with a handslag that has a goal with an
    initiative and a spare goal without one, and organisations."""
    ks = make_world()
    world = world_cls(ks.orgs)
    second = services.create_delarena(
        ks.orgs["myndighet"], name="Matrisarena 2", area_letters=["A"], by=SYSTEM
    )
    for key in ("region", "kommun"):
        services.add_participant(second, ks.orgs[key], by=SYSTEM)
    handslag = services.create_handslag(
        second, organisation=ks.orgs["myndighet"], start_year=2026, end_year=2028, by=SYSTEM
    )
    goal = services.add_goal(handslag, text="Matrismål", goal_number=1, by=SYSTEM)
    spare = services.add_goal(handslag, text="Matrismål utan initiativ", area_letter="B", by=SYSTEM)
    activity = services.add_activity(
        handslag,
        title="Matrisinitiativ",
        goal_ids=[goal.pk],
        organisation=ks.orgs["region"],
        start=dt.date(2026, 3, 1),
        end=dt.date(2027, 6, 30),
        by=SYSTEM,
    )
    output = services.record_output(
        ks.delarena,
        stage_number=1,
        organisation=ks.orgs["myndighet"],
        text="Matrisresultat",
        held_on=dt.date(2026, 1, 15),
        by=SYSTEM,
    )
    world.ids.update(
        delarena=ks.delarena.pk,
        handslag=handslag.pk,
        goal=goal.pk,
        spare_goal=spare.pk,
        activity=activity.pk,
        output=output.pk,
        kommun=ks.orgs["kommun"].pk,
        region=ks.orgs["region"].pk,
        outsider=ks.orgs["utomstaende"].pk,
    )
    return world
