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
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from datasmart.accounts.models import Membership, Organisation, OrganisationKind, Role, User
from datasmart.geo.models import Unit
from datasmart.sip import services
from datasmart.sip.domain.actors import PersonActor, StaffActor
from datasmart.sip.domain.identity import SAMORDNING_DAY_OFFSET, luhn_check_digit
from datasmart.sip.domain.schemas import PlanContent
from datasmart.sip.models import Consent, Meeting, Participant, PlanVersion, Sip
from tests.accounts.factories import OrganisationFactory, UserFactory, member, superuser

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


def first_meeting_at() -> dt.datetime:
    """Ten days from now at 10:00 local time (an aware datetime)."""
    day = timezone.localdate() + dt.timedelta(days=10)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(10, 0)))


@dataclass
class SipWorld:
    """A started plan and everyone around it; see the module docstring for the cast.

    ``consent``, ``meeting`` and ``plan_version`` are None when :func:`make_world` was asked
    to stop before them. ``world.sip`` is refreshed by :meth:`refresh`; use
    :attr:`version` for the current ``expected_version``.
    """

    owner: Organisation
    bup: Organisation
    outsider: Organisation
    owner_staff: StaffActor
    bup_staff: StaffActor
    outsider_staff: StaffActor
    owner_admin: User
    owner_coordinator: User
    owner_viewer: User
    root: User
    person_number: str
    sip: Sip
    consent: Consent | None = None
    meeting: Meeting | None = None
    plan_version: PlanVersion | None = None

    @property
    def version(self) -> int:
        """The plan's current version in the database."""
        return Sip.objects.values_list("version", flat=True).get(pk=self.sip.pk)

    def refresh(self) -> Sip:
        self.sip.refresh_from_db()
        return self.sip

    def as_owner(self, user: User) -> StaffActor:
        """``user`` (e.g. ``owner_admin``) acting for the owner organisation."""
        return StaffActor(user, self.owner)

    def participant(self, kind: str) -> Participant:
        """The (first) invited participant of ``kind`` (``organisation``, ``guardian`` …)."""
        return Participant.objects.filter(sip=self.sip, kind=kind).order_by("invited_at").first()  # type: ignore[return-value]

    def person_account(self) -> PersonActor:
        """The person signed in with their own account (created on first use)."""
        person = self.sip.person
        assert person is not None
        if person.user_id is None:
            person.user = UserFactory()
            person.save(update_fields=["user"])
        return PersonActor(person, "account")

    def link_actor(self, participant: Participant | None = None) -> PersonActor:
        """A fresh invitation link, redeemed: the session of the person (or of
        ``participant``, e.g. the invited guardian)."""
        _link, secret = services.create_invitation_link(
            self.owner_staff, self.sip.pk, participant.pk if participant else None
        )
        return services.redeem_invitation_link(secret)


def make_world(
    *,
    consent: bool = True,
    meeting: bool = True,
    plan: bool = True,
    owner: Organisation | None = None,
    bup: Organisation | None = None,
    outsider: Organisation | None = None,
    person_number: str | None = None,
) -> SipWorld:
    """Start a plan in Kiruna's social services through the real services, then (unless
    told not to) record consent for Norrbotten's BUP, invite BUP and a guardian to the
    first meeting and write plan version 1. Each step needs the one before."""
    owner = owner or kiruna_social()
    bup = bup or norrbotten_bup()
    outsider = outsider or lulea_social()
    owner_staff = staff(owner)
    root = superuser()
    Membership.objects.create(user=root, organisation=owner, role=Role.CASEWORKER)
    number = person_number or personnummer(CHILD_BIRTH, 123)
    sip = services.start_sip(
        owner_staff,
        person_id=number,
        display_name="Elsa Exempel",
        need="Skolfrånvaro och sömnsvårigheter; behöver stöd från både kommun och BUP.",
        is_child=True,
    )
    world = SipWorld(
        owner=owner,
        bup=bup,
        outsider=outsider,
        owner_staff=owner_staff,
        bup_staff=staff(bup),
        outsider_staff=staff(outsider),
        owner_admin=member(Role.ADMIN, owner),
        owner_coordinator=member(Role.COORDINATOR, owner),
        owner_viewer=member(Role.VIEWER, owner),
        root=root,
        person_number=number,
        sip=sip,
    )
    if not consent:
        return world
    world.consent = services.record_consent(
        owner_staff,
        sip.pk,
        expected_version=world.version,
        given_by="guardian",
        guardian_name="Per Exempel",
        organisation_ids=[bup.pk],
    )
    if not meeting:
        world.refresh()
        return world
    world.meeting = services.invite(
        owner_staff,
        sip.pk,
        expected_version=world.version,
        participants=[
            {"kind": "organisation", "organisation_id": bup.pk, "unit_name": "BUP Kiruna"},
            {"kind": "guardian", "name": "Per Exempel", "email": "per@example.se"},
            {"kind": "relative", "name": "Mormor Exempel"},
        ],
        meeting_at=first_meeting_at(),
        location="Socialkontoret, Kiruna",
    )
    if plan:
        world.plan_version = services.revise_plan(
            owner_staff,
            sip.pk,
            expected_version=world.version,
            content=plan_content(owner, bup),
            meeting_id=world.meeting.pk,
        )
    world.refresh()
    return world
