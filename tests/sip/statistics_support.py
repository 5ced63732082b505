"""Hand-built plans for the SIP statistics and reminder tests.

The statistics count dates, so the tests need plans started, met and closed at chosen
moments in the past. :func:`build_plan` writes exactly those rows (a ``Sip``, its
meetings and, for a region-owned plan, an invited kommun organisation) straight through
the ORM, with the organisations and geography of :mod:`tests.sip.sip_support`; one test
also builds plans through the real services to show both agree.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from datasmart.accounts.models import Organisation, OrganisationKind
from datasmart.sip.models import Meeting, MeetingKind, Participant, ParticipantKind, Sip, SipStatus
from datasmart.sip.services.plan import geography_of
from tests.sip.sip_support import organisation

TZ = ZoneInfo("Europe/Stockholm")

#: Kommuner used by the tests: two in Norrbotten (25), one in Västerbotten (24).
KIRUNA, LULEA, UMEA = "2584", "2580", "2480"
NORRBOTTEN, VASTERBOTTEN = "25", "24"
KOMMUN_REGION = {KIRUNA: NORRBOTTEN, LULEA: NORRBOTTEN, UMEA: VASTERBOTTEN}


def at(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> dt.datetime:
    """An aware datetime in Swedish time."""
    return dt.datetime(year, month, day, hour, minute, tzinfo=TZ)


def kommun_org(code: str) -> Organisation:
    return organisation(f"Socialtjänsten {code}", OrganisationKind.KOMMUN_SOCIAL, code)


def region_org(code: str) -> Organisation:
    return organisation(f"BUP region {code}", OrganisationKind.REGION_BUP, code)


@dataclass
class FollowUp:
    scheduled_at: dt.datetime
    held: bool = True


def build_plan(
    owner: Organisation,
    started_at: dt.datetime,
    *,
    first_held_after: dt.timedelta | None = None,
    follow_ups: tuple[FollowUp, ...] = (),
    closed_at: dt.datetime | None = None,
    closed_reason: str = "",
    invited_kommun: Organisation | None = None,
    retain_until: dt.date | None = None,
) -> Sip:
    """One plan owned by ``owner`` (geography as ``start_sip`` derives it).

    ``first_held_after``: the first meeting was held that long after the start (None: a
    first meeting is scheduled but not held). ``invited_kommun``: an organisation
    participant (for a region-owned plan, where the plan's kommun comes from).
    """
    kommun, region = geography_of(owner)
    closed = closed_at is not None
    sip = Sip.objects.create(
        owner_organisation=owner,
        started_at=started_at,
        need="Behov",
        kommun=kommun,
        region=region,
        status=SipStatus.CLOSED if closed else SipStatus.ACTIVE,
        closed_at=closed_at,
        closed_reason=closed_reason or ("goals_met" if closed else ""),
        retain_until=retain_until,
    )
    first_at = started_at + (first_held_after or dt.timedelta(days=7))
    Meeting.objects.create(
        sip=sip,
        kind=MeetingKind.FIRST,
        scheduled_at=first_at,
        held_at=first_at if first_held_after is not None else None,
    )
    for f in follow_ups:
        Meeting.objects.create(
            sip=sip,
            kind=MeetingKind.FOLLOW_UP,
            scheduled_at=f.scheduled_at,
            held_at=f.scheduled_at if f.held else None,
        )
    if invited_kommun is not None:
        Participant.objects.create(
            sip=sip,
            kind=ParticipantKind.ORGANISATION,
            organisation=invited_kommun,
            unit_name=invited_kommun.name,
            invited_at=started_at,
        )
    return sip
