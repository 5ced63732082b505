"""Snapshots for the FHIR tests: a hand-written Swedish example and hypothesis strategies
that generate any valid :class:`~datasmart.sip.domain.snapshot.SipSnapshot`."""

from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo
from typing import Any

from hypothesis import strategies as st

from datasmart.checkdigits import luhn_check_digit
from datasmart.sip.domain.schemas import PlanContent
from datasmart.sip.domain.snapshot import (
    ConsentSnapshot,
    MeetingSnapshot,
    OrganisationRef,
    ParticipantSnapshot,
    PersonIdentity,
    SipSnapshot,
)
from tests.sip.sip_support import personnummer

STOCKHOLM = zoneinfo.ZoneInfo("Europe/Stockholm")


def number(birth: dt.date, serial: int, *, samordning: bool = False) -> str:
    """A valid normalised 12-digit personnummer (or samordningsnummer)."""
    return personnummer(birth, serial, samordning=samordning).replace("-", "")


def org_number(nine: str) -> str:
    """A valid organisationsnummer ``NNNNNN-NNNN`` from nine digits."""
    return f"{nine[:6]}-{nine[6:]}{luhn_check_digit(nine)}"


def at(day: str, time: str = "09:00") -> dt.datetime:
    return dt.datetime.fromisoformat(f"{day}T{time}").replace(tzinfo=STOCKHOLM)


KIRUNA_ID, BUP_ID, SKOLA_ID = 11, 22, 33


def swedish_example(**overrides: Any) -> SipSnapshot:
    """A closed child's plan with every part filled in, in Swedish."""
    data: dict[str, Any] = {
        "sip_id": uuid.UUID("4f2b0c8e-6a57-4d0e-9a3c-5d8c1e7f9a10"),
        "version": 9,
        "status": "closed",
        "person": PersonIdentity(
            kind="personnummer",
            number=number(dt.date(2012, 5, 17), 123),
            display_name="Åsa Öberg-Lindström",
        ),
        "is_child": True,
        "need": "Skolfrånvaro, oro och sömnsvårigheter; behöver stöd från både skola och BUP.",
        "started_at": at("2026-11-02", "09:15"),
        "closed_at": at("2027-06-30", "14:00"),
        "closed_reason": "goals_met",
        "closed_note": "Åsa går i skolan varje dag och sover bättre.",
        "owner_organisation_id": KIRUNA_ID,
        "lead_organisation_id": BUP_ID,
        "coordinator_name": "Anna Ärlemalm",
        "organisations": [
            OrganisationRef(
                id=KIRUNA_ID, name="Kiruna kommun – socialtjänst", org_number="212000-2817"
            ),
            OrganisationRef(id=BUP_ID, name="Region Norrbotten – BUP"),
            OrganisationRef(id=SKOLA_ID, name="Högalidsskolan, elevhälsan"),
        ],
        "consents": [
            ConsentSnapshot(
                given_by="guardian",
                guardian_name="Märta Öberg",
                given_at=at("2026-11-02", "10:00"),
                organisation_ids=[BUP_ID, SKOLA_ID],
                withdrawn_at=at("2026-12-01", "08:30"),
                withdrawn_by_label="Märta Öberg (vårdnadshavare)",
            ),
            ConsentSnapshot(
                given_by="guardian",
                guardian_name="Märta Öberg",
                given_at=at("2026-12-01", "08:45"),
                organisation_ids=[BUP_ID],
            ),
        ],
        "participants": [
            ParticipantSnapshot(
                kind="organisation",
                organisation_id=BUP_ID,
                unit_name="BUP Kiruna",
                name="Örjan Åkesson",
                email="orjan.akesson@example.se",
                status="accepted",
                invited_at=at("2026-11-02", "10:05"),
                responded_at=at("2026-11-03", "13:20"),
            ),
            ParticipantSnapshot(
                kind="organisation",
                organisation_id=SKOLA_ID,
                status="declined",
                invited_at=at("2026-11-02", "10:05"),
                responded_at=at("2026-11-04", "07:55"),
            ),
            ParticipantSnapshot(kind="person", name="Åsa", invited_at=at("2026-11-02", "10:06")),
            ParticipantSnapshot(
                kind="guardian",
                name="Märta Öberg",
                email="marta@example.se",
                status="accepted",
                invited_at=at("2026-11-02", "10:06"),
                responded_at=at("2026-11-02", "18:00"),
            ),
            ParticipantSnapshot(kind="relative", name="Mormor Gun", invited_at=at("2026-11-02")),
            ParticipantSnapshot(kind="other", name="Idrottsföreningen IFK Kiruna"),
        ],
        "meetings": [
            MeetingSnapshot(
                kind="first",
                scheduled_at=at("2026-11-20", "13:00"),
                location="Högalidsskolan, rum 3",
                held_at=at("2026-11-20", "13:10"),
            ),
            MeetingSnapshot(kind="follow_up", scheduled_at=at("2027-02-15", "09:00")),
        ],
        "plan_version": 4,
        "plan": PlanContent.model_validate(
            {
                "goals": ["Att gå till skolan varje dag", "Att somna före klockan tio"],
                "needs": ["Stöd i vardagen", "Bedömning av sömnproblem"],
                "interventions": [
                    {
                        "title": "Stödsamtal i hemmet",
                        "organisation_id": KIRUNA_ID,
                        "start": "2026-12-01",
                        "end": "2027-06-30",
                    },
                    {
                        "title": "Utredning och behandling",
                        "organisation_id": BUP_ID,
                        "unit_name": "BUP Kiruna",
                        "start": "2026-12-15",
                    },
                    {"title": "Anpassad skolgång", "organisation_id": SKOLA_ID},
                ],
                "others": [
                    {"who": "mamma", "what": "Följer med till första besöket på BUP"},
                    {"who": "idrottsföreningen", "what": "Erbjuder träning två kvällar i veckan"},
                ],
                "lead_organisation_id": BUP_ID,
                "coordinator_name": "Anna Ärlemalm",
                "follow_up_dates": ["2027-02-15", "2027-05-10"],
            }
        ),
    }
    data.update(overrides)
    return SipSnapshot.model_validate(data)


# --- hypothesis strategies -----------------------------------------------------------------

_LETTERS = "abcdefghijklmnopqrstuvwxyzåäöéüABCDEFGHIJKLMNOPQRSTUVWXYZÅÄÖÉ"
_CHARS = _LETTERS + "0123456789 -–,.:;!?()/&'\"§%"


def texts(max_size: int = 40, *, allow_empty: bool = False, multiline: bool = False):  # type: ignore[no-untyped-def]
    """Stripped Swedish-looking text (the services strip what people type)."""
    alphabet = _CHARS + ("\n" if multiline else "")
    strategy = st.text(alphabet, max_size=max_size).map(str.strip)
    if not allow_empty:
        strategy = strategy.filter(bool)
    return strategy


def times():  # type: ignore[no-untyped-def]
    return st.datetimes(
        min_value=dt.datetime(1990, 1, 1),
        max_value=dt.datetime(2090, 12, 31),
        timezones=st.sampled_from([dt.UTC, STOCKHOLM]),
        allow_imaginary=False,
    )


def dates():  # type: ignore[no-untyped-def]
    return st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2090, 12, 31))


@st.composite
def people(draw):  # type: ignore[no-untyped-def]
    kind = draw(st.sampled_from(["personnummer", "samordningsnummer", "reserve"]))
    if kind == "reserve":
        value = draw(st.text("ABCDEFGHJKLMNPRSTUXYZ0123456789", min_size=6, max_size=20))
    else:
        birth = draw(st.dates(min_value=dt.date(1920, 1, 1), max_value=dt.date(2024, 12, 31)))
        value = number(birth, draw(st.integers(0, 999)), samordning=kind == "samordningsnummer")
    return PersonIdentity(kind=kind, number=value, display_name=draw(texts(allow_empty=True)))


@st.composite
def organisations(draw):  # type: ignore[no-untyped-def]
    ids = draw(st.lists(st.integers(1, 10_000), min_size=1, max_size=4, unique=True))
    names = draw(st.lists(texts(60), min_size=len(ids), max_size=len(ids), unique_by=str.casefold))
    result = []
    for org_id, name in zip(ids, names, strict=True):
        nine = draw(st.one_of(st.none(), st.text("0123456789", min_size=9, max_size=9)))
        result.append(
            OrganisationRef(id=org_id, name=name, org_number=org_number(nine) if nine else "")
        )
    return result


@st.composite
def plans(draw, org_ids: list[int]):  # type: ignore[no-untyped-def]
    interventions = []
    for _ in range(draw(st.integers(0, 3))):
        start = draw(st.one_of(st.none(), dates()))
        end = draw(st.one_of(st.none(), dates()))
        if start and end and end < start:
            start, end = end, start
        interventions.append(
            {
                "title": draw(texts(80)),
                "organisation_id": draw(st.sampled_from(org_ids)),
                "unit_name": draw(texts(allow_empty=True)),
                "start": start,
                "end": end,
            }
        )
    return PlanContent.model_validate(
        {
            "goals": draw(st.lists(texts(200, multiline=True), min_size=1, max_size=3)),
            "needs": draw(st.lists(texts(200, multiline=True), max_size=3)),
            "interventions": interventions,
            "others": draw(
                st.lists(st.fixed_dictionaries({"who": texts(), "what": texts(200)}), max_size=2)
            ),
            "lead_organisation_id": draw(st.one_of(st.none(), st.sampled_from(org_ids))),
            "coordinator_name": draw(texts(allow_empty=True)),
            "follow_up_dates": draw(st.lists(dates(), max_size=3)),
        }
    )


@st.composite
def participants(draw, org_ids: list[int]):  # type: ignore[no-untyped-def]
    kind = draw(st.sampled_from(["organisation", "person", "guardian", "relative", "other"]))
    status = draw(st.sampled_from(["invited", "accepted", "declined"]))
    return ParticipantSnapshot(
        kind=kind,
        organisation_id=draw(st.sampled_from(org_ids)) if kind == "organisation" else None,
        unit_name=draw(texts(allow_empty=True)) if kind == "organisation" else "",
        name=draw(texts(allow_empty=True)),
        email=draw(st.sampled_from(["", "a@example.se", "örjan@exempel.se"])),
        status=status,
        invited_at=draw(st.one_of(st.none(), times())),
        responded_at=draw(st.one_of(st.none(), times())),
    )


@st.composite
def consents(draw, org_ids: list[int]):  # type: ignore[no-untyped-def]
    given_by = draw(st.sampled_from(["person", "guardian"]))
    withdrawn_at = draw(st.one_of(st.none(), times()))
    covered = draw(st.lists(st.sampled_from(org_ids), unique=True))
    return ConsentSnapshot(
        given_by=given_by,
        guardian_name=draw(texts(allow_empty=True)) if given_by == "guardian" else "",
        given_at=draw(times()),
        organisation_ids=covered,
        withdrawn_at=withdrawn_at,
        withdrawn_by_label=draw(texts(allow_empty=True)) if withdrawn_at else "",
    )


@st.composite
def meetings(draw):  # type: ignore[no-untyped-def]
    return MeetingSnapshot(
        kind=draw(st.sampled_from(["first", "follow_up"])),
        scheduled_at=draw(times()),
        location=draw(texts(allow_empty=True)),
        held_at=draw(st.one_of(st.none(), times())),
    )


@st.composite
def snapshots(draw):  # type: ignore[no-untyped-def]
    orgs = draw(organisations())
    org_ids = [org.id for org in orgs]
    closed = draw(st.booleans())
    plan = draw(st.one_of(st.none(), plans(org_ids)))
    return SipSnapshot(
        sip_id=draw(st.uuids()),
        version=draw(st.integers(1, 10_000)),
        status="closed" if closed else "active",
        person=draw(people()),
        is_child=draw(st.booleans()),
        need=draw(texts(300, allow_empty=True, multiline=True)),
        started_at=draw(times()),
        closed_at=draw(times()) if closed else None,
        closed_reason=(
            draw(
                st.sampled_from(
                    ["goals_met", "person_ended", "consent_withdrawn", "moved", "other"]
                )
            )
            if closed
            else None
        ),
        closed_note=draw(texts(allow_empty=True)),  # may stay on a reopened plan
        owner_organisation_id=draw(st.sampled_from(org_ids)),
        lead_organisation_id=draw(st.one_of(st.none(), st.sampled_from(org_ids))),
        coordinator_name=draw(texts(allow_empty=True)),
        organisations=orgs,
        consents=draw(st.lists(consents(org_ids), max_size=3)),
        participants=draw(st.lists(participants(org_ids), max_size=5)),
        meetings=draw(st.lists(meetings(), max_size=3)),
        plan_version=draw(st.integers(1, 500)) if plan is not None else None,
        plan=plan,
    )
