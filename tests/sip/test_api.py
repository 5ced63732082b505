"""The SIP REST API under /api/sip: the whole workflow, every refusal, error mapping.

Everything goes through the real mount (``datasmart.api.router``) with bearer tokens made
by the real token service, or a signed-in session for the CSRF checks.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from django.test import Client
from django.urls import resolve
from django.utils import timezone

from datasmart.accounts.models import AuditEvent, Membership, Role, User
from datasmart.sip import services
from datasmart.sip.models import (
    AccessAction,
    InvitationLink,
    Participant,
    PlanVersion,
    Sip,
    SipAccessLog,
    SipStatus,
)
from datasmart.sip.services.links import token_digest
from tests.accounts.factories import make_token, member

from .sip_support import (
    SipWorld,
    make_world,
    personnummer,
    plan_content,
)

pytestmark = pytest.mark.django_db

API = "/api/sip"
UNKNOWN = "0b5e3c1a-6c2e-4c7e-9a57-9f1f2d3e4a5b"


def client_for(user: User, **headers: str) -> Client:
    """A client sending a fresh bearer token of ``user`` (and ``headers``)."""
    _token, secret = make_token(user)
    extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}", **extra)


def post(client: Client, url: str, body: dict[str, Any] | None = None, **kw: Any) -> Any:
    return client.post(url, body or {}, content_type="application/json", **kw)


def put(client: Client, url: str, body: dict[str, Any], **kw: Any) -> Any:
    return client.put(url, body, content_type="application/json", **kw)


def later(days: int = 20, hour: int = 10) -> str:
    day = timezone.localdate() + dt.timedelta(days=days)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, 0))).isoformat()


def content_json(world: SipWorld, **overrides: Any) -> dict[str, Any]:
    return plan_content(world.owner, world.bup, **overrides).model_dump(mode="json")


def log_count(sip_id: Any, action: str, user: User | None = None) -> int:
    rows = SipAccessLog.objects.filter(sip_id=sip_id, action=action)
    if user is not None:
        rows = rows.filter(actor=user)
    return rows.count()


@pytest.fixture
def owner(world: SipWorld) -> Client:
    return client_for(world.owner_staff.user)


@pytest.fixture
def bup(world: SipWorld) -> Client:
    return client_for(world.bup_staff.user)


@pytest.fixture
def outsider(world: SipWorld) -> Client:
    return client_for(world.outsider_staff.user)


def endpoints(world: SipWorld) -> list[tuple[str, str, dict[str, Any] | None]]:
    """Every plan-specific endpoint with a body that would be valid for the owner."""
    sid = world.sip.pk
    version = world.version
    meeting = world.meeting.pk if world.meeting else 1
    guardian = world.participant("guardian")
    pid = guardian.pk if guardian else UNKNOWN
    return [
        ("get", f"{API}/sips/{sid}", None),
        (
            "post",
            f"{API}/sips/{sid}/consents",
            {
                "expected_version": version,
                "given_by": "guardian",
                "guardian_name": "Per",
                "organisation_ids": [world.bup.pk],
            },
        ),
        ("post", f"{API}/sips/{sid}/consents/withdraw", {}),
        (
            "post",
            f"{API}/sips/{sid}/invitations",
            {
                "expected_version": version,
                "participants": [{"kind": "relative", "name": "Moster"}],
                "meeting_at": later(),
            },
        ),
        ("post", f"{API}/sips/participants/{pid}/response", {"accept": True}),
        (
            "put",
            f"{API}/sips/{sid}/plan",
            {"expected_version": version, "content": content_json(world)},
        ),
        ("get", f"{API}/sips/{sid}/plan/versions", None),
        ("get", f"{API}/sips/{sid}/plan/versions/1", None),
        ("get", f"{API}/sips/{sid}/plan/compare?a=1&b=1", None),
        (
            "post",
            f"{API}/sips/{sid}/meetings",
            {"expected_version": version, "meeting_at": later()},
        ),
        (
            "post",
            f"{API}/sips/{sid}/meetings/{meeting}/held",
            {"expected_version": version, "held_at": timezone.now().isoformat()},
        ),
        ("post", f"{API}/sips/{sid}/close", {"expected_version": version, "reason": "goals_met"}),
        ("get", f"{API}/sips/{sid}/access-log", None),
        ("post", f"{API}/sips/{sid}/links", {}),
        ("get", f"{API}/sips/{sid}/fhir", None),
        ("get", f"{API}/sips/{sid}/export", None),
    ]


def call(client: Client, method: str, url: str, body: dict[str, Any] | None, **kw: Any) -> Any:
    if method == "get":
        return client.get(url, **kw)
    return getattr(client, method)(url, body or {}, content_type="application/json", **kw)


def unchanged(world: SipWorld, before: tuple[int, int, int, int]) -> None:
    """Nothing was written: version, plan versions, participants, meetings as before."""
    sip = Sip.objects.get(pk=world.sip.pk)
    assert (
        sip.version,
        sip.plan_versions.count(),
        sip.participants.count(),
        sip.meetings.count(),
    ) == before
    assert sip.status == SipStatus.ACTIVE


def state(world: SipWorld) -> tuple[int, int, int, int]:
    sip = Sip.objects.get(pk=world.sip.pk)
    return (
        sip.version,
        sip.plan_versions.count(),
        sip.participants.count(),
        sip.meetings.count(),
    )


# --- authentication --------------------------------------------------------------------------


def test_every_endpoint_needs_authentication(world: SipWorld) -> None:
    anonymous = Client()
    before = state(world)
    for method, url, body in [
        ("get", f"{API}/sips", None),
        (
            "post",
            f"{API}/sips",
            {"person_id": world.person_number, "display_name": "X", "need": "Y"},
        ),
        ("post", f"{API}/sips/fhir", {"resourceType": "Bundle"}),
        *endpoints(world),
    ]:
        response = call(anonymous, method, url, body)
        assert response.status_code == 401, (method, url)
        assert response.json() == {"detail": "Unauthorized"}
    unchanged(world, before)


def test_wrong_bearer_token_is_401_without_fallback(world: SipWorld) -> None:
    response = Client(HTTP_AUTHORIZATION="Bearer ds_nonsense").get(f"{API}/sips/{world.sip.pk}")
    assert response.status_code == 401


def _csrf_client(user: User) -> tuple[Client, str]:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    token = "a" * 32  # a CSRF secret; Django accepts the same value as cookie and header
    client.cookies["csrftoken"] = token
    return client, token


def test_session_post_without_csrf_is_refused_and_writes_nothing(world: SipWorld) -> None:
    client, token = _csrf_client(world.owner_staff.user)
    before = state(world)
    body = {"expected_version": world.version, "meeting_at": later()}
    refused = post(client, f"{API}/sips/{world.sip.pk}/meetings", body)
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]
    unchanged(world, before)
    accepted = post(client, f"{API}/sips/{world.sip.pk}/meetings", body, HTTP_X_CSRFTOKEN=token)
    assert accepted.status_code == 201, accepted.json()
    assert accepted.json()["version"] == before[0] + 1


def test_session_reads_need_no_csrf(world: SipWorld) -> None:
    client, _token = _csrf_client(world.owner_staff.user)
    assert client.get(f"{API}/sips/{world.sip.pk}").status_code == 200
    assert client.get(f"{API}/sips").status_code == 200


def test_session_put_and_start_need_csrf(world: SipWorld) -> None:
    client, token = _csrf_client(world.owner_staff.user)
    body = {"expected_version": world.version, "content": content_json(world)}
    assert put(client, f"{API}/sips/{world.sip.pk}/plan", body).status_code == 403
    assert (
        put(client, f"{API}/sips/{world.sip.pk}/plan", body, HTTP_X_CSRFTOKEN=token).status_code
        == 200
    )
    start = {"person_id": personnummer(dt.date(1990, 1, 2), 456), "display_name": "A", "need": "B"}
    assert post(client, f"{API}/sips", start).status_code == 403
    assert post(client, f"{API}/sips", start, HTTP_X_CSRFTOKEN=token).status_code == 201


# --- need-to-know ----------------------------------------------------------------------------


def test_other_organisation_gets_404_identical_to_an_unknown_id(
    world: SipWorld, outsider: Client
) -> None:
    unknown = outsider.get(f"{API}/sips/{UNKNOWN}")
    assert unknown.status_code == 404
    before = state(world)
    for method, url, body in endpoints(world):
        response = call(outsider, method, url, body)
        assert response.status_code == 404, (method, url, response.content)
        assert response.content == unknown.content, (method, url)
        assert str(world.sip.pk) not in response.content.decode()
    unchanged(world, before)
    assert outsider.get(f"{API}/sips").json() == []
    assert AuditEvent.objects.filter(
        action="sip.access_denied", target_id=str(world.sip.pk), actor=world.outsider_staff.user
    ).exists()
    assert not SipAccessLog.objects.filter(
        sip_id=world.sip.pk, actor=world.outsider_staff.user
    ).exists()


@pytest.mark.parametrize("who", ["owner_admin", "owner_coordinator", "owner_viewer", "root"])
def test_non_caseworkers_of_the_owner_get_404(world: SipWorld, who: str) -> None:
    client = client_for(getattr(world, who))
    unknown = client.get(f"{API}/sips/{UNKNOWN}")
    before = state(world)
    for method, url, body in endpoints(world):
        response = call(client, method, url, body)
        assert response.status_code == 404, (who, method, url, response.content)
        assert response.content == unknown.content
    unchanged(world, before)
    assert client.get(f"{API}/sips").json() == []


def test_participating_organisation_needs_an_active_consent(db: None) -> None:
    world = make_world(consent=False)
    owner, bup = client_for(world.owner_staff.user), client_for(world.bup_staff.user)
    url = f"{API}/sips/{world.sip.pk}"
    unknown = bup.get(f"{API}/sips/{UNKNOWN}")
    assert bup.get(url).content == unknown.content
    assert bup.get(url).status_code == 404
    assert bup.get(f"{API}/sips").json() == []

    consent = post(
        owner,
        f"{url}/consents",
        {
            "expected_version": world.version,
            "given_by": "guardian",
            "guardian_name": "Per Exempel",
            "organisation_ids": [world.bup.pk],
        },
    )
    assert consent.status_code == 201, consent.json()
    assert bup.get(url).status_code == 200
    assert [s["id"] for s in bup.get(f"{API}/sips").json()] == [str(world.sip.pk)]

    withdrawn = post(owner, f"{url}/consents/withdraw")
    assert withdrawn.status_code == 200
    assert withdrawn.json() == {"version": world.version, "consent_active": False}
    for method, path, body in endpoints(world):
        response = call(bup, method, path, body)
        assert response.status_code == 404, (method, path)
        assert response.content == unknown.content
    assert bup.get(f"{API}/sips").json() == []
    # the owner keeps its own record
    assert owner.get(url).json()["consent_active"] is False


def test_participating_organisation_may_not_do_owner_things(world: SipWorld, bup: Client) -> None:
    sid = world.sip.pk
    before = state(world)
    refused = [
        post(
            bup,
            f"{API}/sips/{sid}/consents",
            {
                "expected_version": world.version,
                "given_by": "guardian",
                "guardian_name": "Per Exempel",
                "organisation_ids": [world.bup.pk],
            },
        ),
        post(bup, f"{API}/sips/{sid}/consents/withdraw"),
        post(
            bup, f"{API}/sips/{sid}/close", {"expected_version": world.version, "reason": "other"}
        ),
        bup.get(f"{API}/sips/{sid}/export"),
    ]
    for response in refused:
        assert response.status_code == 403, response.content
        assert response.json() == {"detail": "Du saknar behörighet för detta."}
    unchanged(world, before)


@pytest.mark.parametrize(
    "bad_id",
    ["not-a-uuid", "1", UNKNOWN.upper().replace("A", "G"), "x" * 500, "%00", "'; drop table"],
)
def test_garbage_plan_ids_are_404(world: SipWorld, owner: Client, bad_id: str) -> None:
    unknown = owner.get(f"{API}/sips/{UNKNOWN}")
    for path in ("", "/plan/versions", "/access-log", "/fhir", "/export"):
        response = owner.get(f"{API}/sips/{bad_id}{path}")
        assert response.status_code == 404, (bad_id, path)
        assert response.content == unknown.content
    response = put(
        owner, f"{API}/sips/{bad_id}/plan", {"expected_version": 1, "content": content_json(world)}
    )
    assert response.status_code == 404


def test_garbage_sub_ids(world: SipWorld, owner: Client) -> None:
    sid = world.sip.pk
    held = {"expected_version": world.version, "held_at": timezone.now().isoformat()}
    not_int = post(owner, f"{API}/sips/{sid}/meetings/abc/held", held)
    assert not_int.status_code == 422 and not_int.json()["field"] == "meeting_id"
    assert post(owner, f"{API}/sips/{sid}/meetings/999999/held", held).status_code == 404
    assert (
        post(owner, f"{API}/sips/participants/nope/response", {"accept": True}).status_code == 404
    )
    assert (
        post(owner, f"{API}/sips/participants/{UNKNOWN}/response", {"accept": True}).status_code
        == 404
    )
    assert owner.get(f"{API}/sips/{sid}/plan/versions/x").status_code == 422
    assert owner.get(f"{API}/sips/{sid}/plan/versions/99").status_code == 404
    link = post(owner, f"{API}/sips/{sid}/links", {"participant_id": UNKNOWN})
    assert link.status_code == 404
    bad = post(owner, f"{API}/sips/{sid}/links", {"participant_id": "zzz"})
    assert bad.status_code == 422 and bad.json()["field"] == "participant_id"


def test_another_plans_meeting_or_participant_is_not_found(world: SipWorld, owner: Client) -> None:
    other = make_world(person_number=personnummer(dt.date(2010, 3, 4), 222))
    assert other.meeting is not None
    held = {"expected_version": world.version, "held_at": timezone.now().isoformat()}
    response = post(owner, f"{API}/sips/{world.sip.pk}/meetings/{other.meeting.pk}/held", held)
    assert response.status_code == 404


# --- organisation choice ---------------------------------------------------------------------


def test_caseworker_in_two_organisations_must_choose(world: SipWorld) -> None:
    user = world.owner_staff.user
    Membership.objects.create(user=user, organisation=world.outsider, role=Role.CASEWORKER)
    client = client_for(user)
    ambiguous = client.get(f"{API}/sips")
    assert ambiguous.status_code == 422
    assert ambiguous.json()["field"] == "organisation"
    assert "X-Organisation" in ambiguous.json()["detail"]
    assert client.get(f"{API}/sips/{world.sip.pk}").status_code == 422

    as_owner = client_for(user, **{"X-Organisation": str(world.owner.pk)})
    assert [s["id"] for s in as_owner.get(f"{API}/sips").json()] == [str(world.sip.pk)]
    assert client.get(f"{API}/sips?organisation={world.owner.pk}").status_code == 200
    as_outsider = client.get(f"{API}/sips/{world.sip.pk}?organisation={world.outsider.pk}")
    assert as_outsider.status_code == 404
    # the header wins over the query parameter
    assert (
        as_owner.get(f"{API}/sips/{world.sip.pk}?organisation={world.outsider.pk}").status_code
        == 200
    )


def test_organisation_one_is_not_a_member_of_is_refused(world: SipWorld, outsider: Client) -> None:
    response = outsider.get(f"{API}/sips/{world.sip.pk}?organisation={world.owner.pk}")
    assert response.status_code == 403
    assert AuditEvent.objects.filter(
        action="auth.permission_denied", actor=world.outsider_staff.user
    ).exists()
    assert outsider.get(f"{API}/sips?organisation=999999").status_code == 403
    for garbage in ("abc", "-1", "0", "1.5", "١"):
        bad = outsider.get(f"{API}/sips", HTTP_X_ORGANISATION=garbage)
        assert bad.status_code == 422, garbage
        assert bad.json()["field"] == "organisation"


def test_user_without_any_organisation_is_refused(world: SipWorld) -> None:
    loner = client_for(member(Role.VIEWER, world.outsider))
    Membership.objects.filter(organisation=world.outsider, role=Role.VIEWER).delete()
    assert loner.get(f"{API}/sips").status_code == 403
    assert loner.get(f"{API}/sips/{world.sip.pk}").status_code == 403
    assert loner.get(f"{API}/sips/{UNKNOWN}").status_code == 403


# --- versioning ------------------------------------------------------------------------------


def test_stale_version_is_409_and_the_plan_is_unchanged(world: SipWorld, owner: Client) -> None:
    url = f"{API}/sips/{world.sip.pk}/plan"
    current = world.version
    first = put(
        owner,
        url,
        {"expected_version": current, "content": content_json(world, goals=["Första ändringen"])},
    )
    assert first.status_code == 200, first.json()
    assert first.json()["version"] == current + 1
    assert first.json()["plan"]["number"] == 2
    before = state(world)

    stale = put(
        owner,
        url,
        {"expected_version": current, "content": content_json(world, goals=["Skriver över"])},
    )
    assert stale.status_code == 409
    assert stale.json()["current_version"] == current + 1
    assert "version" in stale.json()["detail"]
    unchanged(world, before)
    latest = PlanVersion.objects.filter(sip=world.sip).order_by("-number").first()
    assert latest is not None and latest.content["goals"] == ["Första ändringen"]

    for path, body in [
        ("/meetings", {"expected_version": current, "meeting_at": later()}),
        ("/close", {"expected_version": current, "reason": "goals_met"}),
        (
            "/consents",
            {
                "expected_version": current,
                "given_by": "guardian",
                "guardian_name": "Per",
                "organisation_ids": [world.bup.pk],
            },
        ),
        (
            "/invitations",
            {
                "expected_version": current,
                "participants": [{"kind": "relative", "name": "Moster"}],
                "meeting_at": later(),
            },
        ),
    ]:
        response = post(owner, f"{API}/sips/{world.sip.pk}{path}", body)
        assert response.status_code == 409, path
        assert response.json()["current_version"] == current + 1
    unchanged(world, before)


# --- invalid input ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"content": {}}, "expected_version"),
        ({"expected_version": 0}, "expected_version"),
        ({"expected_version": "två"}, "expected_version"),
        ({"goals": []}, "content.goals"),
        ({"goals": [""]}, "content.goals[0]"),
        (
            {
                "interventions": [
                    {"title": "X", "organisation_id": 1, "start": "2027-02-01", "end": "2027-01-01"}
                ]
            },
            "content.interventions[0].end",
        ),
        (
            {"interventions": [{"title": "X", "organisation_id": 999999}]},
            "content.interventions[0].organisation_id",
        ),
        ({"lead_organisation_id": 999999}, "content.lead_organisation_id"),
        ({"unknown": 1}, "content.unknown"),
        ({"follow_up_dates": ["inte ett datum"]}, "content.follow_up_dates[0]"),
    ],
)
def test_invalid_plan_is_422_naming_the_field(
    world: SipWorld, owner: Client, body: dict[str, Any], field: str
) -> None:
    before = state(world)
    payload: dict[str, Any] = {"expected_version": world.version, "content": content_json(world)}
    for key, value in body.items():
        if key in ("expected_version", "content"):
            payload[key] = value
        else:
            payload["content"][key] = value
    if "content" in body and body["content"] == {}:
        payload.pop("expected_version")
    response = put(owner, f"{API}/sips/{world.sip.pk}/plan", payload)
    assert response.status_code == 422, response.json()
    assert response.json()["field"] == field
    assert response.json()["detail"]
    unchanged(world, before)


def test_invalid_bodies_elsewhere_name_the_field(world: SipWorld, owner: Client) -> None:
    sid = world.sip.pk
    v = world.version
    cases: list[tuple[str, dict[str, Any], str]] = [
        (f"{API}/sips", {"display_name": "A", "need": "B"}, "person_id"),
        (
            f"{API}/sips",
            {"person_id": "19900102-0000", "display_name": "A", "need": "B"},
            "person_id",
        ),
        (
            f"{API}/sips",
            {"person_id": world.person_number, "display_name": "A", "need": "B"},
            "person_id",
        ),
        (
            f"{API}/sips",
            {"person_id": personnummer(dt.date(2010, 3, 4), 222), "display_name": " ", "need": "B"},
            "display_name",
        ),
        (
            f"{API}/sips/{sid}/consents",
            {"expected_version": v, "given_by": "x", "organisation_ids": [1]},
            "given_by",
        ),
        (
            f"{API}/sips/{sid}/consents",
            {
                "expected_version": v,
                "given_by": "guardian",
                "guardian_name": "Per",
                "organisation_ids": [],
            },
            "organisation_ids",
        ),
        (
            f"{API}/sips/{sid}/consents",
            {
                "expected_version": v,
                "given_by": "guardian",
                "guardian_name": "Per",
                "organisation_ids": [999999],
            },
            "organisation_ids[0]",
        ),
        (
            f"{API}/sips/{sid}/consents",
            {"expected_version": v, "given_by": "guardian", "organisation_ids": [world.bup.pk]},
            "guardian_name",
        ),
        (
            f"{API}/sips/{sid}/invitations",
            {"expected_version": v, "participants": [], "meeting_at": later()},
            "participants",
        ),
        (
            f"{API}/sips/{sid}/invitations",
            {
                "expected_version": v,
                "participants": [{"kind": "organisation"}],
                "meeting_at": later(),
            },
            "participants[0].organisation_id",
        ),
        (
            f"{API}/sips/{sid}/invitations",
            {
                "expected_version": v,
                "participants": [{"kind": "organisation", "organisation_id": world.outsider.pk}],
                "meeting_at": later(),
            },
            "participants[0].organisation_id",
        ),
        (
            f"{API}/sips/{sid}/invitations",
            {
                "expected_version": v,
                "participants": [{"kind": "relative"}],
                "meeting_at": "2027-01-01T10:00:00",
            },
            "meeting_at",
        ),
        (
            f"{API}/sips/{sid}/meetings",
            {"expected_version": v, "meeting_at": "i morgon"},
            "meeting_at",
        ),
        (
            f"{API}/sips/{sid}/meetings/{world.meeting.pk if world.meeting else 0}/held",
            {"expected_version": v, "held_at": later(days=30)},
            "held_at",
        ),
        (f"{API}/sips/{sid}/close", {"expected_version": v, "reason": "tröttnade"}, "reason"),
        (f"{API}/sips/{sid}/links", {"valid_days": 31}, "valid_days"),
        (
            f"{API}/sips/{sid}/links",
            {"participant_id": str(world.participant("organisation").pk)},
            "participant_id",
        ),
        (
            f"{API}/sips/participants/{world.participant('guardian').pk}/response",
            {"accept": "kanske"},
            "accept",
        ),
        (f"{API}/sips/participants/{world.participant('guardian').pk}/response", {}, "accept"),
    ]
    before = state(world)
    for url, body, field in cases:
        response = post(owner, url, body)
        assert response.status_code == 422, (url, body, response.content)
        assert response.json()["field"] == field, (url, body, response.json())
    unchanged(world, before)
    not_json = owner.post(f"{API}/sips/{sid}/close", "{nope", content_type="application/json")
    assert not_json.status_code in (400, 422)
    compare = owner.get(f"{API}/sips/{sid}/plan/compare?a=1")
    assert compare.status_code == 422 and compare.json()["field"] == "b"
    missing = owner.get(f"{API}/sips/{sid}/plan/compare?a=1&b=7")
    assert missing.status_code == 422 and missing.json()["field"] == "b"
    status = owner.get(f"{API}/sips?status=paused")
    assert status.status_code == 422 and status.json()["field"] == "status"


def test_nul_characters_are_422_not_500(world: SipWorld, owner: Client) -> None:
    """PostgreSQL cannot store NUL in text: refused with the field named, on every DB."""
    before = state(world)
    start = {
        "person_id": personnummer(dt.date(2001, 2, 3), 555),
        "display_name": "A\x00B",
        "need": "x",
    }
    response = post(owner, f"{API}/sips", start)
    assert response.status_code == 422 and response.json()["field"] == "display_name"
    follow_up = {"expected_version": world.version, "meeting_at": later(), "location": "a\x00"}
    response = post(owner, f"{API}/sips/{world.sip.pk}/meetings", follow_up)
    assert response.status_code == 422 and response.json()["field"] == "location"
    plan = {"expected_version": world.version, "content": content_json(world, goals=["ok", "\x00"])}
    response = put(owner, f"{API}/sips/{world.sip.pk}/plan", plan)
    assert response.status_code == 422 and response.json()["field"] == "content.goals[1]"
    unchanged(world, before)
    bundle = owner.get(f"{API}/sips/{world.sip.pk}/fhir").content.decode()
    tampered = bundle.replace("Elsa Exempel", "Elsa\\u0000")
    assert tampered != bundle
    outsider = client_for(world.outsider_staff.user)
    response = outsider.post(f"{API}/sips/fhir", tampered, content_type="application/fhir+json")
    assert response.status_code == 422 and "name" in response.json()["field"]
    assert owner.get(f"{API}/sips/\x00").status_code == 404
    assert (
        post(owner, f"{API}/sips/participants/\x00/response", {"accept": True}).status_code == 404
    )


def test_closed_plan_cannot_change(world: SipWorld, owner: Client) -> None:
    closed = post(
        owner,
        f"{API}/sips/{world.sip.pk}/close",
        {"expected_version": world.version, "reason": "goals_met", "note": "Klart"},
    )
    assert closed.status_code == 200
    body = closed.json()
    assert body["status"] == "closed" and body["closed_reason"] == "goals_met"
    assert body["retain_until"] is not None and body["version"] == world.version
    response = put(
        owner,
        f"{API}/sips/{world.sip.pk}/plan",
        {"expected_version": world.version, "content": content_json(world)},
    )
    assert response.status_code == 422 and response.json()["field"] == "status"
    assert [s["status"] for s in owner.get(f"{API}/sips?status=closed").json()] == ["closed"]
    assert owner.get(f"{API}/sips?status=active").json() == []


# --- reads are logged ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "action"),
    [
        ("", AccessAction.READ),
        ("/plan/versions", AccessAction.VERSIONS),
        ("/plan/versions/1", AccessAction.VERSIONS),
        ("/plan/compare?a=1&b=1", AccessAction.COMPARE),
        ("/access-log", AccessAction.ACCESS_LOG),
        ("/fhir", AccessAction.FHIR_EXPORT),
        ("/export", AccessAction.EXPORT),
    ],
)
def test_every_read_writes_an_access_log_row(
    world: SipWorld, owner: Client, path: str, action: str
) -> None:
    user = world.owner_staff.user
    before = log_count(world.sip.pk, action, user)
    response = owner.get(f"{API}/sips/{world.sip.pk}{path}")
    assert response.status_code == 200, response.content
    assert log_count(world.sip.pk, action, user) == before + 1
    row = SipAccessLog.objects.filter(sip_id=world.sip.pk, action=action).order_by("-id").first()
    assert row is not None and row.organisation_name == world.owner.name


def test_list_logs_one_row_per_plan_shown(world: SipWorld, bup: Client) -> None:
    other = make_world(person_number=personnummer(dt.date(2011, 6, 7), 333))
    response = bup.get(f"{API}/sips")
    assert {s["id"] for s in response.json()} == {str(world.sip.pk), str(other.sip.pk)}
    for sip_id in (world.sip.pk, other.sip.pk):
        assert log_count(sip_id, AccessAction.LIST, world.bup_staff.user) == 1


# --- the whole workflow ----------------------------------------------------------------------


def test_whole_workflow_through_the_api(db: None) -> None:
    world = make_world(consent=False)  # only for the cast; the plan below is new
    owner = client_for(world.owner_staff.user)
    bup = client_for(world.bup_staff.user)
    number = personnummer(dt.date(2013, 8, 9), 444)

    started = post(
        owner,
        f"{API}/sips",
        {
            "person_id": number,
            "display_name": "Nils Nilsson",
            "need": "Behöver samordnat stöd mellan skola, socialtjänst och BUP.",
            "is_child": True,
        },
    )
    assert started.status_code == 201, started.json()
    plan = started.json()
    sid = plan["id"]
    assert plan["version"] == 1 and plan["status"] == "active"
    assert plan["person"] == {
        "display_name": "Nils Nilsson",
        "id_masked": "20130809-****",
        "id_kind": "personnummer",
    }
    assert plan["owner_organisation"] == {"id": world.owner.pk, "name": world.owner.name}
    digits = number.replace("-", "")
    assert number not in started.content.decode() and digits not in started.content.decode()

    listed = owner.get(f"{API}/sips")
    assert sid in [s["id"] for s in listed.json()]
    assert number not in listed.content.decode() and digits[-4:] not in listed.content.decode()

    consent = post(
        owner,
        f"{API}/sips/{sid}/consents",
        {
            "expected_version": 1,
            "given_by": "guardian",
            "guardian_name": "Nina Nilsson",
            "organisation_ids": [world.bup.pk],
        },
    )
    assert consent.status_code == 201, consent.json()
    assert consent.json()["version"] == 2
    assert consent.json()["organisations"] == [{"id": world.bup.pk, "name": world.bup.name}]
    assert consent.json()["active"] is True

    invited = post(
        owner,
        f"{API}/sips/{sid}/invitations",
        {
            "expected_version": 2,
            "participants": [
                {
                    "kind": "organisation",
                    "organisation_id": world.bup.pk,
                    "unit_name": "BUP Kiruna",
                },
                {"kind": "guardian", "name": "Nina Nilsson", "email": "nina@example.se"},
            ],
            "meeting_at": later(days=5),
            "location": "Skolan",
        },
    )
    assert invited.status_code == 201, invited.json()
    body = invited.json()
    assert body["version"] == 3 and body["meeting"]["kind"] == "first"
    assert [p["kind"] for p in body["participants"]] == ["organisation", "guardian"]
    bup_pid, guardian_pid = (p["id"] for p in body["participants"])
    meeting_id = body["meeting"]["id"]

    # BUP answers for itself; the owner records the guardian's answer; not the other way round
    assert (
        post(owner, f"{API}/sips/participants/{bup_pid}/response", {"accept": True}).status_code
        == 403
    )
    answered = post(bup, f"{API}/sips/participants/{bup_pid}/response", {"accept": True})
    assert answered.status_code == 200 and answered.json()["status"] == "accepted"
    declined = post(owner, f"{API}/sips/participants/{guardian_pid}/response", {"accept": False})
    assert declined.status_code == 200 and declined.json()["status"] == "declined"
    version = owner.get(f"{API}/sips/{sid}").json()["version"]
    assert version == 5

    held = post(
        owner,
        f"{API}/sips/{sid}/meetings/{meeting_id}/held",
        {"expected_version": version, "held_at": timezone.now().isoformat()},
    )
    assert held.status_code == 200, held.json()
    assert held.json()["meeting"]["held_at"] is not None
    version = held.json()["version"]

    first = put(
        owner,
        f"{API}/sips/{sid}/plan",
        {"expected_version": version, "content": content_json(world), "meeting_id": meeting_id},
    )
    assert first.status_code == 200, first.json()
    assert first.json()["plan"]["number"] == 1 and first.json()["plan"]["meeting_id"] == meeting_id
    second = put(
        bup,
        f"{API}/sips/{sid}/plan",
        {
            "expected_version": first.json()["version"],
            "content": content_json(
                world,
                goals=["Att gå till skolan", "Att ha en kompis"],
                lead=world.bup,
                lead_organisation_id=world.bup.pk,
                coordinator_name="Bo BUP",
            ),
        },
    )
    assert second.status_code == 200, second.json()
    version = second.json()["version"]

    versions = owner.get(f"{API}/sips/{sid}/plan/versions").json()
    assert [v["number"] for v in versions] == [1, 2]
    assert "content" not in versions[0]
    assert (
        owner.get(f"{API}/sips/{sid}/plan/versions/2").json()["content"]["coordinator_name"]
        == "Bo BUP"
    )
    compared = owner.get(f"{API}/sips/{sid}/plan/compare?a=1&b=2").json()
    assert compared["a"] == 1 and compared["b"] == 2
    assert compared["fields"]["goals"]["changed"] is True
    assert "Att ha en kompis" in compared["fields"]["goals"]["added"]
    assert compared["fields"]["needs"]["changed"] is False

    follow_up = post(
        owner,
        f"{API}/sips/{sid}/meetings",
        {"expected_version": version, "meeting_at": later(days=60), "location": "Socialkontoret"},
    )
    assert follow_up.status_code == 201 and follow_up.json()["meeting"]["kind"] == "follow_up"
    version = follow_up.json()["version"]

    link = post(owner, f"{API}/sips/{sid}/links", {"participant_id": guardian_pid, "valid_days": 3})
    assert link.status_code == 201, link.json()
    url = link.json()["url"]
    assert url.startswith("/sip/lank/") and link.json()["participant_id"] == guardian_pid
    assert url.endswith("/")
    secret = url.removeprefix("/sip/lank/").removesuffix("/")
    assert resolve(url).view_name == "sip:redeem"  # the SIP pages open it
    assert secret not in repr(list(SipAccessLog.objects.filter(sip_id=sid).values_list("detail")))
    actor = services.redeem_invitation_link(secret)
    assert str(actor.sip_id) == sid and actor.participant_kind == "guardian"
    assert InvitationLink.objects.get(token_digest=token_digest(secret)).used_at is not None

    detail = bup.get(f"{API}/sips/{sid}").json()
    assert detail["version"] == version
    assert detail["lead_organisation"] == {"id": world.bup.pk, "name": world.bup.name}
    assert detail["coordinator_name"] == "Bo BUP"
    assert detail["consent_active"] is True and len(detail["consents"]) == 1
    assert [p["status"] for p in detail["participants"]] == ["accepted", "declined"]
    assert [m["kind"] for m in detail["meetings"]] == ["first", "follow_up"]
    assert detail["plan"]["number"] == 2
    assert detail["plan"]["content"]["goals"] == ["Att gå till skolan", "Att ha en kompis"]
    assert detail["person"]["id_masked"] == "20130809-****"
    assert number not in str(detail)

    log = owner.get(f"{API}/sips/{sid}/access-log").json()
    actions = [row["action"] for row in log]
    assert actions[0] == "access_log"
    for expected in (
        "start",
        "consent",
        "invite",
        "respond",
        "revise",
        "meeting_held",
        "follow_up",
        "link_created",
        "link_redeemed",
        "read",
    ):
        assert expected in actions, expected
    assert {row["organisation"] for row in log} >= {world.owner.name, world.bup.name}

    exported = owner.get(f"{API}/sips/{sid}/export")
    assert exported.status_code == 200
    assert exported.json()["person"]["identity_number"].replace("-", "") == digits

    bundle = owner.get(f"{API}/sips/{sid}/fhir")
    assert bundle.status_code == 200
    assert bundle["Content-Type"].startswith("application/fhir+json")
    assert bundle.json()["resourceType"] == "Bundle"
    assert bup.get(f"{API}/sips/{sid}/fhir").status_code == 200

    # another organisation imports the bundle as its own plan
    outsider = client_for(world.outsider_staff.user)
    imported = outsider.post(
        f"{API}/sips/fhir", bundle.content, content_type="application/fhir+json"
    )
    assert imported.status_code == 201, imported.json()
    new = imported.json()
    assert new["id"] != sid
    assert new["owner_organisation"]["id"] == world.outsider.pk
    assert new["person"]["id_masked"] == "20130809-****"
    assert outsider.get(f"{API}/sips/{new['id']}").status_code == 200
    assert outsider.get(f"{API}/sips/{sid}").status_code == 404
    again = owner.post(f"{API}/sips/fhir", bundle.content, content_type="application/fhir+json")
    assert again.status_code == 422 and again.json()["field"] == "Patient.identifier"

    withdrawn = post(owner, f"{API}/sips/{sid}/consents/withdraw")
    assert withdrawn.status_code == 200
    assert bup.get(f"{API}/sips/{sid}").status_code == 404
    closed = post(
        owner,
        f"{API}/sips/{sid}/close",
        {"expected_version": withdrawn.json()["version"], "reason": "consent_withdrawn"},
    )
    assert closed.status_code == 200 and closed.json()["status"] == "closed"


def test_fhir_import_rejects_garbage_with_422(world: SipWorld, owner: Client) -> None:
    for body in (
        b"",
        b"{nope",
        b"[]",
        b'{"resourceType": "Patient"}',
        b'{"resourceType": "Bundle"}',
    ):
        response = owner.post(f"{API}/sips/fhir", body, content_type="application/fhir+json")
        assert response.status_code == 422, (body, response.content)
        assert "field" in response.json()


def test_participant_ids_are_not_leaked_to_other_organisations(
    world: SipWorld, outsider: Client
) -> None:
    guardian = world.participant("guardian")
    response = post(outsider, f"{API}/sips/participants/{guardian.pk}/response", {"accept": True})
    unknown = post(outsider, f"{API}/sips/participants/{uuid.uuid4()}/response", {"accept": True})
    assert response.status_code == unknown.status_code == 404
    assert response.content == unknown.content
    assert Participant.objects.get(pk=guardian.pk).status == "invited"


def test_openapi_documents_every_sip_status(client: Client) -> None:
    schema = client.get("/api/openapi.json").json()
    paths = {p: ops for p, ops in schema["paths"].items() if p.startswith("/api/sip/")}
    assert len(paths) == 18
    versioned = {"consents", "invitations", "meetings", "held", "plan", "close"}
    for path, ops in paths.items():
        for method, op in ops.items():
            assert op["tags"] == ["sip"], (method, path)
            assert op["summary"], (method, path)
            codes = set(op["responses"])
            assert {"401", "403", "422"} <= codes, (method, path, codes)
            assert ("404" in codes) == ("{" in path), (method, path)
            last = path.rstrip("/").rsplit("/", 1)[-1]
            assert ("409" in codes) == (method != "get" and last in versioned), (method, path)
    fhir = paths["/api/sip/sips/{sip_id}/fhir"]["get"]["responses"]["200"]["content"]
    assert list(fhir) == ["application/fhir+json"]


def test_fhir_of_an_active_plan_with_a_closed_note_is_not_a_500(world: SipWorld):
    """``GET /sips/<id>/fhir`` answered 500 when an active plan had a closed note."""
    Sip.objects.filter(pk=world.sip.pk).update(closed_note="<b>Öppnad igen</b>")
    response = client_for(world.owner_staff.user).get(f"{API}/sips/{world.sip.pk}/fhir")
    assert response.status_code == 200
    assert "<b>Öppnad igen</b>" in response.content.decode()
