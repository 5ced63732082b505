"""Plans API: reading (visibility, filters, the goals tree), writes through the services
(happy paths, audit events), 422 naming the field, 403 for every role and organisation
that may not write, 404 for plans the caller may not read, 409 for frozen plans, and the
OpenAPI description."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import pytest
from django.test import Client

from datasmart.accounts.audit import SYSTEM
from datasmart.accounts.models import AuditEvent, Role, TokenScope
from datasmart.plans import services
from datasmart.plans.models import ActionPlan, GoalKind, PlanStatus, Visibility
from tests.accounts.factories import make_token
from tests.plans.plans_support import PlanWorld, make_indicator_with_result, make_plan_world

pytestmark = pytest.mark.django_db

URL = "/api/plans"
EDITORS = {Role.COORDINATOR, Role.ANALYST}


@pytest.fixture
def world() -> PlanWorld:
    return make_plan_world()


def _client(world: PlanWorld | None = None, org: str = "", role: Role = Role.COORDINATOR) -> Client:
    client = Client()
    if world is not None:
        client.force_login(world.user(org, role))
    return client


def _send(client: Client, method: str, url: str, body: dict[str, Any] | None = None) -> Any:
    return getattr(client, method)(url, body or {}, content_type="application/json")


def _plan(world: PlanWorld, org: str = "stockholm", **kw: Any) -> ActionPlan:
    kw.setdefault("title", "Handlingsplan psykisk hälsa")
    kw.setdefault("start_year", 2024)
    kw.setdefault("end_year", 2027)
    return services.create_plan(world.orgs[org], by=SYSTEM, **kw)


def _joint(world: PlanWorld, visibility: str = Visibility.PUBLIC) -> ActionPlan:
    make_indicator_with_result("plan-andel", "01", {2022: 11.0, 2023: 12.5})
    plan = services.create_joint_plan(
        "01",
        world.orgs["region"],
        title="Länsplan psykisk hälsa",
        start_year=2024,
        end_year=2027,
        visibility=visibility,
        by=SYSTEM,
    )
    top = services.create_goal(plan, text="Ett mer hälsofrämjande samhälle", by=SYSTEM)
    sub = services.create_goal(
        plan, text="Fler unga når skolans mål", kind=GoalKind.OPERATIVE, parent=top, by=SYSTEM
    )
    services.add_goal_indicator(
        sub, indicator_code="plan-andel", target_value=15, target_year=2027, by=SYSTEM
    )
    services.create_activity(
        plan,
        title="Gemensam utbildning",
        goals=[sub],
        start=dt.date(2024, 1, 1),
        end=dt.date(2024, 12, 31),
        by=SYSTEM,
    )
    return plan


def _agree(world: PlanWorld, plan: ActionPlan) -> None:
    for party in plan.parties.select_related("organisation"):
        services.approve(plan, party.organisation, by=SYSTEM)


def _events(action: str) -> int:
    return AuditEvent.objects.filter(action=action).count()


# --- OpenAPI ---------------------------------------------------------------------------------

EXPECTED = {
    ("get", "/api/plans"),
    ("post", "/api/plans"),
    ("get", "/api/plans/joint-agreed"),
    ("post", "/api/plans/joint"),
    ("get", "/api/plans/{plan_id}"),
    ("get", "/api/plans/{plan_id}/compare/{other_id}"),
    ("post", "/api/plans/{plan_id}/approve"),
    ("post", "/api/plans/{plan_id}/leave"),
    ("post", "/api/plans/{plan_id}/new-version"),
    ("post", "/api/plans/{plan_id}/goals"),
    ("patch", "/api/plans/goals/{goal_id}"),
    ("post", "/api/plans/goals/{goal_id}/indicators"),
    ("post", "/api/plans/{plan_id}/activities"),
    ("patch", "/api/plans/activities/{activity_id}"),
    ("patch", "/api/plans/{plan_id}"),
    ("delete", "/api/plans/goals/{goal_id}"),
    ("patch", "/api/plans/goal-indicators/{indicator_id}"),
    ("delete", "/api/plans/goal-indicators/{indicator_id}"),
    ("delete", "/api/plans/activities/{activity_id}"),
}


def test_openapi_lists_every_endpoint_with_swedish_texts() -> None:
    from datasmart.api.router import api

    schema = api.get_openapi_schema(path_prefix="/api/")
    ours = {
        (method, path): op
        for path, ops in schema["paths"].items()
        for method, op in ops.items()
        if "mål och handlingsplaner" in op.get("tags", [])
    }
    assert set(ours) >= EXPECTED
    for key, op in ours.items():
        assert op.get("summary") and op.get("description"), key
        text = op["summary"] + op["description"]
        assert any(c in text for c in "åäöÅÄÖ"), f"{key}: not Swedish: {text}"
    # reads say a token or session is optional; writes need one
    assert {} in ours[("get", "/api/plans/{plan_id}")]["security"]
    assert {} not in ours[("post", "/api/plans")].get("security", [{"x": []}])
    detail = schema["components"]["schemas"]["PlanDetailOut"]["properties"]
    assert {"goals", "activities", "parties"} <= set(detail)


# --- reading ---------------------------------------------------------------------------------


def test_list_follows_visibility(world: PlanWorld) -> None:
    public = _plan(world, title="Offentlig plan")
    hidden = _joint(world, visibility=Visibility.PARTIES)
    anonymous = _client().get(URL).json()
    assert [p["id"] for p in anonymous["items"]] == [public.pk]
    assert anonymous["count"] == 1
    party = _client(world, "vasby", Role.VIEWER).get(URL).json()
    assert {p["id"] for p in party["items"]} == {public.pk, hidden.pk}
    outsider = _client(world, "malmo", Role.COORDINATOR).get(URL).json()
    assert [p["id"] for p in outsider["items"]] == [public.pk]


def test_list_filters(world: PlanWorld) -> None:
    own = _plan(world, "stockholm", title="Stockholms plan", start_year=2020, end_year=2022)
    malmo = _plan(world, "malmo", title="Malmös plan")
    joint = _joint(world)
    _agree(world, joint)
    client = _client()

    def ids(**params: Any) -> set[int]:
        response = client.get(URL, params)
        assert response.status_code == 200, response.content
        return {p["id"] for p in response.json()["items"]}

    assert ids(unit="0180") == {own.pk, joint.pk}  # owned, and party to the län plan
    assert ids(unit="01") == {joint.pk}
    assert ids(unit="1280") == {malmo.pk}
    assert ids(owner=world.orgs["malmo"].pk) == {malmo.pk}
    assert ids(status="agreed") == {joint.pk}
    assert ids(status="draft", year=2021) == {own.pk}
    assert ids(year=2026) == {malmo.pk, joint.pk}
    page = client.get(URL, {"limit": 1}).json()
    assert page["count"] == 3 and len(page["items"]) == 1 and page["next"]
    row = client.get(URL, {"unit": "01"}).json()["items"][0]
    assert row["lan"] == "01" and row["owner_unit"] == "01" and row["status"] == "agreed"


def test_list_as_csv(world: PlanWorld) -> None:
    _plan(world, title="Plan, med komma")
    response = _client().get(URL, {"format": "csv"})
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows[0]["title"] == "Plan, med komma" and rows[0]["owner_unit"] == "0180"


@pytest.mark.parametrize(
    ("params", "status", "field"),
    [
        ({"status": "klar"}, 422, "status"),
        ({"year": "1800"}, 422, "year"),
        ({"year": "tjugo"}, 422, "year"),
        ({"owner": "0"}, 422, "owner"),
        ({"unit": "9999"}, 404, None),
    ],
)
def test_list_bad_filters(
    world: PlanWorld, params: dict[str, str], status: int, field: Any
) -> None:
    response = _client().get(URL, params)
    assert response.status_code == status, response.content
    body = response.json()
    assert body["detail"]
    if field:
        assert body["field"] == field
    else:
        assert "9999" in body["detail"]


def test_detail_has_the_goals_tree_indicators_activities_and_parties(world: PlanWorld) -> None:
    plan = _joint(world)
    services.approve(plan, world.orgs["stockholm"], by=world.user("stockholm", Role.COORDINATOR))
    body = _client().get(f"{URL}/{plan.pk}").json()
    assert body["title"] == "Länsplan psykisk hälsa" and body["lan"] == "01"
    assert body["owner"]["unit_code"] == "01" and body["status"] == "draft"
    [top] = body["goals"]
    assert top["kind"] == "political" and top["indicators"] == []
    [sub] = top["children"]
    assert sub["kind"] == "operative" and sub["parent_id"] == top["id"]
    [link] = sub["indicators"]
    assert link["indicator_code"] == "plan-andel" and link["target_value"] == 15
    assert link["baseline_value"] == 12.5 and link["baseline_period"] == 2023
    [activity] = body["activities"]
    assert activity["goal_ids"] == [sub["id"]] and activity["status"] == "planned"
    parties = {p["organisation"]["unit_code"]: p for p in body["parties"]}
    assert set(parties) == {"01", "0180", "0114"}
    assert parties["0180"]["approved"] and parties["0180"]["approved_by"]
    assert not parties["0114"]["approved"]


def test_parties_only_plan_is_404_to_outsiders(world: PlanWorld) -> None:
    plan = _joint(world, visibility=Visibility.PARTIES)
    missing = _client().get(f"{URL}/999999")
    assert missing.status_code == 404
    before = _events("auth.permission_denied")
    for client in (_client(), _client(world, "malmo", Role.COORDINATOR)):
        response = client.get(f"{URL}/{plan.pk}")
        assert response.status_code == 404
        assert response.json()["detail"] == missing.json()["detail"]  # nothing revealed
        compare = client.get(f"{URL}/{plan.pk}/compare/{plan.pk}")
        assert compare.status_code == 404
    assert _events("auth.permission_denied") > before
    assert _client(world, "vasby", Role.VIEWER).get(f"{URL}/{plan.pk}").status_code == 200
    assert _client(world, "region", Role.CASEWORKER).get(f"{URL}/{plan.pk}").status_code == 200
    # writes to it are 404 as well for outsiders, not 403 (no existence revealed)
    goal = plan.goals.first()
    assert goal is not None
    outsider = _client(world, "malmo", Role.COORDINATOR)
    assert _send(outsider, "post", f"{URL}/{plan.pk}/goals", {"text": "x"}).status_code == 404
    assert _send(outsider, "patch", f"{URL}/goals/{goal.pk}", {"text": "x"}).status_code == 404
    activity = plan.activities.first()
    assert activity is not None
    url = f"{URL}/activities/{activity.pk}"
    assert _send(outsider, "patch", url, {"status": "done"}).status_code == 404


# --- plans -----------------------------------------------------------------------------------


def _plan_body(world: PlanWorld, org: str = "stockholm", **kw: Any) -> dict[str, Any]:
    return {
        "owner": world.orgs[org].pk,
        "title": "Ny plan",
        "start_year": 2025,
        "end_year": 2028,
        **kw,
    }


def test_create_plan(world: PlanWorld) -> None:
    client = _client(world, "stockholm", Role.ANALYST)
    body = _plan_body(world, visibility="parties")
    response = _send(client, "post", URL, body)
    assert response.status_code == 201, response.content
    out = response.json()
    assert out["status"] == "draft" and out["visibility"] == "parties" and out["version"] == 1
    assert out["owner"]["id"] == world.orgs["stockholm"].pk and out["goals"] == []
    assert AuditEvent.objects.filter(action="plans.plan_created", target_id=str(out["id"])).exists()


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("where", ["stockholm", "malmo"])
def test_create_plan_rights(world: PlanWorld, role: Role, where: str) -> None:
    before = _events("auth.permission_denied")
    response = _send(_client(world, where, role), "post", URL, _plan_body(world))
    if where == "stockholm" and role in EDITORS:
        assert response.status_code == 201, response.content
    else:
        assert response.status_code == 403, response.content
        assert _events("auth.permission_denied") == before + 1
        assert not ActionPlan.objects.exists()


def test_writes_need_sign_in_or_a_write_token(world: PlanWorld) -> None:
    assert _send(_client(), "post", URL, _plan_body(world)).status_code == 401
    user = world.user("stockholm", Role.COORDINATOR)
    _token, read_secret = make_token(user, "läs", scope=TokenScope.READ)
    _token, write_secret = make_token(user, "skriv")
    read = Client(HTTP_AUTHORIZATION=f"Bearer {read_secret}")
    assert _send(read, "post", URL, _plan_body(world)).status_code == 403
    assert read.get(URL).status_code == 200
    write = Client(HTTP_AUTHORIZATION=f"Bearer {write_secret}")
    assert _send(write, "post", URL, _plan_body(world)).status_code == 201


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"title": ""}, "title", None),
        ({"title": None}, "title", None),
        ({"start_year": 1800}, "start_year", None),
        ({"end_year": "snart"}, "end_year", None),
        ({"visibility": "hemlig"}, "visibility", None),
        ({"owner": 99999999}, "owner", "99999999"),
        ({"start_year": 2029}, None, "sista år"),  # the service: end before start
        ({"title": "   "}, None, "titel"),
    ],
)
def test_create_plan_422_names_the_field(
    world: PlanWorld, change: dict[str, Any], field: Any, words: Any
) -> None:
    client = _client(world, "stockholm")
    response = _send(client, "post", URL, {**_plan_body(world), **change})
    assert response.status_code == 422, response.content
    body = response.json()
    if field:
        assert body["field"] == field
    if words:
        assert words in body["detail"]
    assert not ActionPlan.objects.exists()


def test_missing_body_fields_are_named(world: PlanWorld) -> None:
    response = _send(
        _client(world, "stockholm"), "post", URL, {"owner": world.orgs["stockholm"].pk}
    )
    assert response.status_code == 422
    assert response.json()["field"] == "title"


def test_create_joint_plan(world: PlanWorld) -> None:
    client = _client(world, "region", Role.COORDINATOR)
    body = _plan_body(world, "region", lan="01")
    response = _send(client, "post", f"{URL}/joint", body)
    assert response.status_code == 201, response.content
    out = response.json()
    assert out["lan"] == "01"
    assert {p["organisation"]["unit_code"] for p in out["parties"]} == {"01", "0180", "0114"}
    assert _events("plans.joint_plan_parties") == 1
    # a kommun's coordinator cannot hold a joint plan (its own organisation: the service says)
    kommun = _client(world, "stockholm", Role.COORDINATOR)
    wrong = _send(kommun, "post", f"{URL}/joint", _plan_body(world, "stockholm", lan="01"))
    assert wrong.status_code == 422 and "regionen" in wrong.json()["detail"]
    # and not for the region's organisation
    denied = _send(kommun, "post", f"{URL}/joint", body)
    assert denied.status_code == 403
    unknown = _send(client, "post", f"{URL}/joint", {**body, "lan": "99"})
    assert unknown.status_code == 422 and "99" in unknown.json()["detail"]
    bad = _send(client, "post", f"{URL}/joint", {**body, "lan": "stockholm"})
    assert bad.status_code == 422 and bad.json()["field"] == "lan"


# --- goals, indicators, activities ----------------------------------------------------------


def test_goals_indicators_and_activities(world: PlanWorld) -> None:
    make_indicator_with_result("plan-suicid", "0180", {2023: 14.2})
    plan = _plan(world)
    client = _client(world, "stockholm", Role.ANALYST)
    top = _send(
        client,
        "post",
        f"{URL}/{plan.pk}/goals",
        {
            "text": "Färre självmord",
            "decided_by": "Kommunfullmäktige",
            "decided_on": "2024-03-01",
            "document": "KF 2024/12",
        },
    )
    assert top.status_code == 201, top.content
    top_id = top.json()["id"]
    assert top.json()["start_year"] == 2024 and top.json()["decided_by"] == "Kommunfullmäktige"
    sub = _send(
        client,
        "post",
        f"{URL}/{plan.pk}/goals",
        {"text": "Fler utbildade i suicidprevention", "kind": "operative", "parent": top_id},
    )
    assert sub.status_code == 201, sub.content
    sub_id = sub.json()["id"]
    patched = _send(client, "patch", f"{URL}/goals/{top_id}", {"end_year": 2026})
    assert patched.status_code == 200, patched.content
    assert patched.json()["end_year"] == 2026 and patched.json()["text"] == "Färre självmord"
    assert [c["id"] for c in patched.json()["children"]] == [sub_id]
    link = _send(
        client,
        "post",
        f"{URL}/goals/{top_id}/indicators",
        {
            "indicator_code": "plan-suicid",
            "target_value": 10,
            "target_year": 2026,
            "direction": "decrease",
        },
    )
    assert link.status_code == 201, link.content
    assert link.json()["baseline_value"] == 14.2 and link.json()["direction"] == "decrease"
    again = _send(
        client,
        "post",
        f"{URL}/goals/{top_id}/indicators",
        {"indicator_code": "plan-suicid", "target_value": 9, "target_year": 2026},
    )
    assert again.status_code == 422 and "redan" in again.json()["detail"]
    activity = _send(
        client,
        "post",
        f"{URL}/{plan.pk}/activities",
        {
            "title": "Utbilda skolpersonal",
            "goals": [top_id, sub_id],
            "start": "2025-01-01",
            "end": "2025-06-30",
            "budget": "250000.00",
        },
    )
    assert activity.status_code == 201, activity.content
    activity_id = activity.json()["id"]
    assert activity.json()["goal_ids"] == sorted([top_id, sub_id])
    done = _send(
        client, "patch", f"{URL}/activities/{activity_id}", {"status": "done", "cost": "199000.50"}
    )
    assert done.status_code == 200, done.content
    assert done.json()["status"] == "done" and float(done.json()["cost"]) == 199000.5
    for action in (
        "plans.goal_created",
        "plans.goal_updated",
        "plans.goal_indicator_added",
        "plans.activity_created",
        "plans.activity_updated",
    ):
        assert _events(action) >= 1, action
    detail = _client().get(f"{URL}/{plan.pk}").json()
    assert detail["goals"][0]["children"][0]["id"] == sub_id


@pytest.mark.parametrize(
    ("path", "body", "field", "words"),
    [
        ("goals", {"text": ""}, "text", None),
        ("goals", {"text": "Mål", "kind": "vision"}, "kind", None),
        ("goals", {"text": "Mål", "parent": 99999999}, "parent", "99999999"),
        ("goals", {"text": "Delmål", "kind": "operative"}, None, "övergripande mål"),
        ("goals", {"text": "Mål", "decided_on": "igår"}, "decided_on", None),
        (
            "activities",
            {"title": "A", "goals": [], "start": "2025-01-01", "end": "2025-02-01"},
            "goals",
            None,
        ),
        (
            "activities",
            {"title": "A", "goals": [99999999], "start": "2025-01-01", "end": "2025-02-01"},
            "goals",
            "99999999",
        ),
        (
            "activities",
            {"title": "A", "goals": ["@goal"], "start": "2025-03-01", "end": "2025-02-01"},
            None,
            "slut",
        ),
        (
            "activities",
            {
                "title": "A",
                "goals": ["@goal"],
                "start": "2025-01-01",
                "end": "2025-02-01",
                "budget": "-1",
            },
            "budget",
            None,
        ),
        (
            "activities",
            {
                "title": "A",
                "goals": ["@goal"],
                "start": "2025-01-01",
                "end": "2025-02-01",
                "responsible_role": "boss",
            },
            "responsible_role",
            None,
        ),
    ],
)
def test_goal_and_activity_422(
    world: PlanWorld, path: str, body: dict[str, Any], field: Any, words: Any
) -> None:
    plan = _plan(world)
    goal = services.create_goal(plan, text="Mål", by=SYSTEM)
    if "goals" in body:
        body = {**body, "goals": [goal.pk if g == "@goal" else g for g in body["goals"]]}
    response = _send(_client(world, "stockholm"), "post", f"{URL}/{plan.pk}/{path}", body)
    assert response.status_code == 422, response.content
    out = response.json()
    if field:
        assert out["field"] == field
    if words:
        assert words in out["detail"]


def test_goal_indicator_422(world: PlanWorld) -> None:
    plan = _plan(world)
    goal = services.create_goal(plan, text="Mål", by=SYSTEM)
    client = _client(world, "stockholm")
    url = f"{URL}/goals/{goal.pk}/indicators"
    unknown = _send(
        client, "post", url, {"indicator_code": "finns-ej", "target_value": 1, "target_year": 2027}
    )
    assert unknown.status_code == 422 and "finns-ej" in unknown.json()["detail"]
    nan = _send(
        client, "post", url, {"indicator_code": "x", "target_value": "NaN", "target_year": 2027}
    )
    assert nan.status_code == 422 and nan.json()["field"] == "target_value"
    direction = _send(
        client,
        "post",
        url,
        {"indicator_code": "x", "target_value": 1, "target_year": 2027, "direction": "upp"},
    )
    assert direction.status_code == 422 and direction.json()["field"] == "direction"
    null_patch = _send(client, "patch", f"{URL}/goals/{goal.pk}", {"start_year": None})
    assert null_patch.status_code == 422 and null_patch.json()["field"] == "start_year"
    assert _send(client, "patch", f"{URL}/goals/99999999", {"text": "x"}).status_code == 404


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("where", ["stockholm", "vasby", "region"])
def test_goal_and_activity_write_rights(world: PlanWorld, role: Role, where: str) -> None:
    """Only the owner organisation's coordinators and analysts write; a party or the
    region (above the kommun in the geography) does not."""
    plan = _plan(world)
    goal = services.create_goal(plan, text="Mål", by=SYSTEM)
    client = _client(world, where, role)
    allowed = where == "stockholm" and role in EDITORS
    responses = [
        _send(client, "post", f"{URL}/{plan.pk}/goals", {"text": "Nytt mål"}),
        _send(client, "patch", f"{URL}/goals/{goal.pk}", {"text": "Ändrat"}),
        _send(
            client,
            "post",
            f"{URL}/{plan.pk}/activities",
            {"title": "A", "goals": [goal.pk], "start": "2025-01-01", "end": "2025-02-01"},
        ),
    ]
    for response in responses:
        assert response.status_code == (201 if allowed else 403) or (
            allowed and response.status_code == 200
        ), response.content
    goal.refresh_from_db()
    assert (goal.text == "Ändrat") is allowed


# --- approvals, frozen plans, versions ------------------------------------------------------


def test_approve_until_agreed_then_frozen(world: PlanWorld) -> None:
    plan = _joint(world)
    url = f"{URL}/{plan.pk}/approve"
    for org in ("region", "stockholm"):
        response = _send(_client(world, org), "post", url, {"organisation": world.orgs[org].pk})
        assert response.status_code == 200, response.content
        assert response.json()["status"] == "draft"
    # an analyst may not sign, nor a coordinator for another party
    analyst = _client(world, "vasby", Role.ANALYST)
    assert _send(analyst, "post", url, {"organisation": world.orgs["vasby"].pk}).status_code == 403
    other = _client(world, "stockholm")
    assert _send(other, "post", url, {"organisation": world.orgs["vasby"].pk}).status_code == 403
    outsider = _client(world, "malmo")
    not_party = _send(outsider, "post", url, {"organisation": world.orgs["malmo"].pk})
    assert not_party.status_code == 422 and "inte part" in not_party.json()["detail"]
    last = _send(_client(world, "vasby"), "post", url, {"organisation": world.orgs["vasby"].pk})
    assert last.status_code == 200 and last.json()["status"] == "agreed"
    assert all(p["approved"] for p in last.json()["parties"])
    assert _events("plans.party_approved") == 3 and _events("plans.plan_agreed") == 1
    # frozen: every change answers 409 and says to make a new version
    region = _client(world, "region")
    goal = plan.goals.first()
    activity = plan.activities.first()
    assert goal is not None and activity is not None
    for method, path, body in [
        ("post", f"{URL}/{plan.pk}/goals", {"text": "Sent mål"}),
        ("patch", f"{URL}/goals/{goal.pk}", {"text": "Ändrat"}),
        (
            "post",
            f"{URL}/goals/{goal.pk}/indicators",
            {"indicator_code": "plan-andel", "target_value": 1, "target_year": 2027},
        ),
        ("patch", f"{URL}/activities/{activity.pk}", {"status": "ongoing"}),
        ("post", url, {"organisation": world.orgs["region"].pk}),
    ]:
        response = _send(region, method, path, body)
        assert response.status_code == 409, (path, response.content)
        assert "ny version" in response.json()["detail"]
    # but the frozen plan's rights still come first
    assert _send(outsider, "patch", f"{URL}/goals/{goal.pk}", {"text": "x"}).status_code == 403


def test_leave_with_a_reason(world: PlanWorld) -> None:
    plan = _joint(world)
    url = f"{URL}/{plan.pk}/leave"
    client = _client(world, "vasby")
    empty = _send(client, "post", url, {"organisation": world.orgs["vasby"].pk, "reason": ""})
    assert empty.status_code == 422 and empty.json()["field"] == "reason"
    blank = _send(client, "post", url, {"organisation": world.orgs["vasby"].pk, "reason": "  "})
    assert blank.status_code == 422 and "skäl" in blank.json()["detail"]
    unknown = _send(client, "post", url, {"organisation": 99999999, "reason": "x"})
    assert unknown.status_code == 422 and unknown.json()["field"] == "organisation"
    left = _send(
        client, "post", url, {"organisation": world.orgs["vasby"].pk, "reason": "Egen plan"}
    )
    assert left.status_code == 200, left.content
    [vasby] = [p for p in left.json()["parties"] if p["organisation"]["unit_code"] == "0114"]
    assert vasby["left_at"] and vasby["leave_reason"] == "Egen plan"
    assert _events("plans.party_left") == 1
    anonymous = _send(
        _client(), "post", url, {"organisation": world.orgs["vasby"].pk, "reason": "x"}
    )
    assert anonymous.status_code == 401


def test_new_version_and_compare(world: PlanWorld) -> None:
    plan = _joint(world)
    region = _client(world, "region", Role.ANALYST)
    draft = _send(region, "post", f"{URL}/{plan.pk}/new-version")
    assert draft.status_code == 422 and "utkast" in draft.json()["detail"]
    _agree(world, plan)
    assert (
        _send(_client(world, "stockholm"), "post", f"{URL}/{plan.pk}/new-version").status_code
        == 403
    )
    response = _send(region, "post", f"{URL}/{plan.pk}/new-version")
    assert response.status_code == 201, response.content
    copy = response.json()
    assert copy["version"] == 2 and copy["previous_id"] == plan.pk and copy["status"] == "draft"
    assert not any(p["approved"] for p in copy["parties"])
    assert _client().get(f"{URL}/{plan.pk}").json()["next_version_id"] == copy["id"]
    added = _send(region, "post", f"{URL}/{copy['id']}/goals", {"text": "Nytt mål i version 2"})
    assert added.status_code == 201
    again = _send(region, "post", f"{URL}/{plan.pk}/new-version")
    assert again.status_code == 409 and "nyare version" in again.json()["detail"]
    changes = _client().get(f"{URL}/{plan.pk}/compare/{copy['id']}").json()
    assert {"what": "goal", "how": "added", "label": "Nytt mål i version 2"}.items() <= changes[
        0
    ].items()
    assert changes[0]["how_label"] == "tillagd"
    backwards = _client().get(f"{URL}/{copy['id']}/compare/{plan.pk}").json()
    assert backwards == changes  # always from the older version to the newer
    unrelated = _plan(world)
    for other in (unrelated.pk, plan.pk):
        response = _client().get(f"{URL}/{plan.pk}/compare/{other}")
        assert response.status_code == 404 and "samma plan" in response.json()["detail"]
    assert _events("plans.version_created") == 1


def test_joint_agreed(world: PlanWorld) -> None:
    plan = _joint(world, visibility=Visibility.PARTIES)
    url = f"{URL}/joint-agreed"
    before = _client().get(url, {"lan": "01", "year": 2027}).json()
    assert before == {"lan": "01", "year": 2027, "agreed": False, "plan_id": None}
    _agree(world, plan)
    assert ActionPlan.objects.get(pk=plan.pk).status == PlanStatus.AGREED
    anonymous = _client().get(url, {"lan": "01", "year": 2027}).json()
    assert anonymous == {"lan": "01", "year": 2027, "agreed": True, "plan_id": None}
    party = _client(world, "stockholm", Role.VIEWER).get(url, {"lan": "01", "year": 2027}).json()
    assert party["agreed"] and party["plan_id"] == plan.pk
    assert not _client().get(url, {"lan": "01", "year": 2028}).json()["agreed"]
    assert not _client().get(url, {"lan": "12", "year": 2027}).json()["agreed"]
    unknown = _client().get(url, {"lan": "99", "year": 2027})
    assert unknown.status_code == 404 and "99" in unknown.json()["detail"]
    bad = _client().get(url, {"lan": "1", "year": 2027})
    assert bad.status_code == 422 and bad.json()["field"] == "lan"
    missing = _client().get(url, {"lan": "01"})
    assert missing.status_code == 422 and missing.json()["field"] == "year"


# --- changing and deleting ------------------------------------------------------------------


def test_patch_plan(world: PlanWorld) -> None:
    plan = _plan(world)
    services.create_goal(plan, text="Mål", start_year=2025, end_year=2026, by=SYSTEM)
    client = _client(world, "stockholm", Role.ANALYST)
    url = f"{URL}/{plan.pk}"
    response = _send(client, "patch", url, {"title": "Ny titel", "visibility": "parties"})
    assert response.status_code == 200, response.content
    assert response.json()["title"] == "Ny titel" and response.json()["visibility"] == "parties"
    assert response.json()["start_year"] == 2024  # not sent, not changed
    assert _events("plans.plan_updated") == 1
    narrow = _send(client, "patch", url, {"end_year": 2025})
    assert narrow.status_code == 422 and "Mål" in narrow.json()["detail"]
    null = _send(client, "patch", url, {"title": None})
    assert null.status_code == 422 and null.json()["field"] == "title"
    assert _send(client, "patch", url, {"visibility": "alla"}).json()["field"] == "visibility"
    past = _send(client, "patch", url, {"next_follow_up": "2020-01-01"})
    assert past.status_code == 422 and "passerat" in past.json()["detail"]
    for role in Role:
        for org in ("vasby", "malmo", "region"):
            if org == "stockholm":
                continue
            other = _client(world, org, role)
            assert _send(other, "patch", url, {"title": "x"}).status_code in {403, 404}
    services.agree_plan(plan, by=SYSTEM)
    frozen = _send(client, "patch", url, {"title": "Efteråt"})
    assert frozen.status_code == 409 and "ny version" in frozen.json()["detail"]
    # the next follow-up is scheduling, not content: it may change on an agreed plan
    later = (dt.date.today() + dt.timedelta(days=60)).isoformat()
    scheduled = _send(client, "patch", url, {"next_follow_up": later})
    assert scheduled.status_code == 200, scheduled.content
    assert scheduled.json()["next_follow_up"] == later
    cleared = _send(client, "patch", url, {"next_follow_up": None})
    assert cleared.status_code == 200 and cleared.json()["next_follow_up"] is None


def test_goal_indicator_patch_and_delete(world: PlanWorld) -> None:
    make_indicator_with_result("plan-andel", "0180", {2023: 40.0})
    plan = _plan(world)
    goal = services.create_goal(plan, text="Mål", by=SYSTEM)
    link = services.add_goal_indicator(
        goal, indicator_code="plan-andel", target_value=50, target_year=2027, by=SYSTEM
    )
    url = f"{URL}/goal-indicators/{link.pk}"
    client = _client(world, "stockholm")
    response = _send(client, "patch", url, {"target_value": 55.5, "kind": "process"})
    assert response.status_code == 200, response.content
    out = response.json()
    assert out["target_value"] == 55.5 and out["kind"] == "process"
    assert out["baseline_value"] == 40.0  # history, not changed
    outside = _send(client, "patch", url, {"target_year": 2030})
    assert outside.status_code == 422 and "målår" in outside.json()["detail"]
    assert _send(client, "patch", url, {"direction": None}).json()["field"] == "direction"
    denied = _send(_client(world, "stockholm", Role.VIEWER), "delete", url)
    assert denied.status_code == 403
    assert _send(_client(world, "malmo"), "delete", url).status_code == 403
    deleted = _send(client, "delete", url)
    assert deleted.status_code == 204
    assert not goal.indicators.exists()
    assert _events("plans.goal_indicator_updated") == 1
    assert _events("plans.goal_indicator_removed") == 1
    assert _send(client, "delete", url).status_code == 404


def test_delete_goal_and_activity(world: PlanWorld) -> None:
    plan = _plan(world)
    top = services.create_goal(plan, text="Mål", by=SYSTEM)
    sub = services.create_goal(plan, text="Delmål", kind=GoalKind.OPERATIVE, parent=top, by=SYSTEM)
    activity = services.create_activity(
        plan,
        title="Aktivitet",
        goals=[sub],
        start=dt.date(2025, 1, 1),
        end=dt.date(2025, 3, 1),
        by=SYSTEM,
    )
    client = _client(world, "stockholm", Role.ANALYST)
    has_children = _send(client, "delete", f"{URL}/goals/{top.pk}")
    assert has_children.status_code == 422 and "delmål" in has_children.json()["detail"]
    orphan = _send(client, "delete", f"{URL}/goals/{sub.pk}")
    assert orphan.status_code == 422 and "Aktivitet" in orphan.json()["detail"]
    moved = _send(client, "patch", f"{URL}/activities/{activity.pk}", {"goals": [top.pk]})
    assert moved.status_code == 200 and moved.json()["goal_ids"] == [top.pk]
    assert (
        _send(client, "patch", f"{URL}/activities/{activity.pk}", {"goals": None}).json()["field"]
        == "goals"
    )
    caseworker = _client(world, "stockholm", Role.CASEWORKER)
    assert _send(caseworker, "delete", f"{URL}/activities/{activity.pk}").status_code == 403
    assert _send(client, "delete", f"{URL}/activities/{activity.pk}").status_code == 204
    assert _send(client, "delete", f"{URL}/goals/{sub.pk}").status_code == 204
    assert _send(client, "delete", f"{URL}/goals/{top.pk}").status_code == 204
    assert not plan.goals.exists() and not plan.activities.exists()
    assert _events("plans.goal_deleted") == 2 and _events("plans.activity_deleted") == 1
    assert _send(client, "delete", f"{URL}/activities/{activity.pk}").status_code == 404


def test_patch_goal_parent_and_frozen_deletes(world: PlanWorld) -> None:
    plan = _joint(world)
    top, sub = list(plan.goals.order_by("pk"))
    client = _client(world, "region")
    other = _plan(world)
    foreign = services.create_goal(other, text="Annan plans mål", by=SYSTEM)
    wrong = _send(client, "patch", f"{URL}/goals/{top.pk}", {"parent": foreign.pk})
    assert wrong.status_code == 422 and wrong.json()["field"] == "parent"
    loop = _send(client, "patch", f"{URL}/goals/{top.pk}", {"kind": "operative", "parent": sub.pk})
    assert loop.status_code == 422 and "sig självt" in loop.json()["detail"]
    detach = _send(client, "patch", f"{URL}/goals/{sub.pk}", {"kind": "political", "parent": None})
    assert detach.status_code == 200, detach.content
    assert detach.json()["parent_id"] is None
    _agree(world, plan)
    link = sub.indicators.get()
    activity = plan.activities.get()
    for path in (f"goals/{top.pk}", f"goal-indicators/{link.pk}", f"activities/{activity.pk}"):
        response = _send(client, "delete", f"{URL}/{path}")
        assert response.status_code == 409, (path, response.content)


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("where", ["vasby", "malmo"])
def test_approve_leave_and_new_version_rights(world: PlanWorld, role: Role, where: str) -> None:
    """Approving and leaving: only the party's own coordinator (Malmö is no party of the
    län 01 plan); a new version: only the owner's editors, never a party."""
    plan = _joint(world)
    client = _client(world, where, role)
    org = world.orgs[where].pk
    approve = _send(client, "post", f"{URL}/{plan.pk}/approve", {"organisation": org})
    leave = _send(client, "post", f"{URL}/{plan.pk}/leave", {"organisation": org, "reason": "x"})
    if role == Role.COORDINATOR and where == "vasby":
        assert approve.status_code == 200, approve.content
        assert leave.status_code == 200, leave.content  # a party may leave after approving
    elif role == Role.COORDINATOR:
        assert approve.status_code == 422 and leave.status_code == 422  # not a party
    else:
        assert approve.status_code == 403 and leave.status_code == 403
    assert _send(client, "post", f"{URL}/{plan.pk}/new-version").status_code == 403
