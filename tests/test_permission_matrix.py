"""The permission matrix: every write endpoint and every page that accepts POST, tried as
every role in the object's own organisation and in another one, and anonymously.

Why: a kommun coordinator once could change national money and an analyst in any kommun
could overwrite every unit's observations, because rights were checked in some views and
not in others. Here every write route must have a declared rule (:data:`API_RULES` keyed
by ``METHOD /api/path`` from the OpenAPI schema, :data:`PAGE_RULES` keyed by URL name
from the URL resolver); a new write endpoint or POST page without a rule fails
:func:`test_every_api_write_has_a_rule` / :func:`test_every_post_page_has_a_rule`.

What is checked (fast, no browser): a case the rule denies is refused (401, 403, 404, or
a redirect to the sign-in page); a case the rule allows is not refused (it may still
answer 400/422 for the minimal body sent, or 409 for a stale version). Routes whose body
the API checks against a schema before the view runs get a valid body (:data:`VALID_BODIES`),
so that a denial is shown to come from the rights check and not from the schema: a denied
case must be refused with 401/403/404, an allowed one must not be refused nor answer the
schema's 422. Each request runs in a savepoint that is rolled back, so the cases do not
change each other's world.

"own" is the organisation that owns the target (the national organisation for an
agreement, the kommun for its survey answer or its observations, the plan's owner for a
SIP); "other" is an organisation of the same kind elsewhere.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from datasmart.accounts.audit import SYSTEM
from datasmart.accounts.models import Organisation, OrganisationKind, Role, User
from datasmart.geo.models import Unit
from tests.accounts.factories import OrganisationFactory, make_token, member

ALL_ROLES: frozenset[Role] = frozenset(Role)
NOBODY: frozenset[Role] = frozenset()
CASEWORKER = frozenset({Role.CASEWORKER})
COORDINATOR = frozenset({Role.COORDINATOR})
ANALYST = frozenset({Role.ANALYST})
ADMIN = frozenset({Role.ADMIN})

#: Denied: not signed in, forbidden, or not found (need-to-know: SIP answers 404).
DENIED_STATUS = frozenset({401, 403, 404})


@dataclass
class World:
    """Organisations (by key), users per organisation and role, and the objects the
    requests target. Built once per test; every request is rolled back."""

    orgs: dict[str, Organisation]
    users: dict[tuple[str, Role], User] = field(default_factory=dict)
    ids: dict[str, Any] = field(default_factory=dict)

    def user(self, org: str, role: Role) -> User:
        key = (org, role)
        if key not in self.users:
            self.users[key] = member(role, self.orgs[org], username=f"{org}-{role}")
        return self.users[key]


Request = Callable[[World], tuple[str, dict[str, Any]]]


@dataclass(frozen=True)
class Rule:
    """Who may: roles in the owning organisation (``own``), roles in another organisation
    of the same kind (``other``), and whether anonymous visitors may. ``area`` names the
    world the request needs; ``request`` builds ``(url, body)`` from it."""

    area: str
    own_org: str
    other_org: str
    own: frozenset[Role]
    request: Request
    other: frozenset[Role] = NOBODY
    anonymous: bool = False
    method: str = "post"
    #: the endpoint answers 404 for a made-up target even when allowed (e.g. a link secret)
    not_found_ok: bool = False
    #: extra set-up for this rule only (e.g. a saved allocation run for a payout)
    setup: Callable[[World], None] | None = None


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Any) -> None:
    """Every case signs in a new user; a slow password hash per user would dominate."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# --- worlds ----------------------------------------------------------------------------------


def _org(key: str, unit_code: str, kind: str) -> Organisation:
    org: Organisation = OrganisationFactory(
        name=f"Matris {key}", unit=Unit.objects.get(code=unit_code), kind=kind
    )
    return org


def _accounts_world() -> World:
    world = World(
        {
            "kommun": _org("kommun", "0180", OrganisationKind.KOMMUN_SOCIAL),
            "other_kommun": _org("other_kommun", "0114", OrganisationKind.KOMMUN_SOCIAL),
        }
    )
    owner = member(Role.VIEWER, world.orgs["kommun"], username="nyckelagare")
    token, _secret = make_token(owner)
    world.ids["token"] = token.pk
    return world


def _funding_world() -> World:
    from datasmart.funding import services
    from datasmart.funding.services import followup

    world = World(
        {
            "national": _org("national", "00", OrganisationKind.SKR),
            "kommun": _org("kommun", "0180", OrganisationKind.KOMMUN_SOCIAL),
            "other_kommun": _org("other_kommun", "0114", OrganisationKind.KOMMUN_SOCIAL),
        }
    )
    agreement = {r.agreement.year: r.agreement for r in services.load_agreements()}[2020]
    survey = followup.create_survey(
        agreement,
        code="matris",
        title="Matris",
        respondent_level="kommun",
        due_date=timezone.localdate() + dt.timedelta(days=30),
        questions=[{"code": "plan", "text": "Plan?", "type": "yesno"}],
        by=SYSTEM,
    )
    followup.save_response(survey, unit_code="0180", answers={"plan": True}, submit=True, by=SYSTEM)
    followup.add_condition(
        agreement, code="plan", text="Plan finns", recipient_level="kommun", by=SYSTEM
    )
    world.ids["agreement"] = agreement
    return world


def _saved_run(world: World) -> None:
    """A saved allocation run (only the payout rule needs one: computing it takes time)."""
    from datasmart.funding import services

    run = services.run_allocation(world.ids["agreement"], by=SYSTEM)
    world.ids["line"] = run.lines.filter(recipient_code="01").values_list("pk", flat=True)[0]


def _indicators_world() -> World:
    from datasmart.indicators.models import Indicator

    Indicator.objects.create(
        code="matris-andel",
        title_sv="Matris",
        type="proportion",
        multiplier=100,
        levels=["kommun", "region"],
        breakdowns=[],
        age_groups=[],
        first_period=2015,
        last_period=2024,
        group="test",
    )
    return World(
        {
            "kommun": _org("kommun", "0180", OrganisationKind.KOMMUN_SOCIAL),
            "other_kommun": _org("other_kommun", "0114", OrganisationKind.KOMMUN_SOCIAL),
        }
    )


def _sip_world() -> World:
    from tests.sip.sip_support import make_world

    sip = make_world()
    world = World({"owner": sip.owner, "bup": sip.bup, "outsider": sip.outsider})
    world.ids.update(
        sip=sip.sip.pk,
        version=sip.version,
        meeting=sip.meeting.pk if sip.meeting else 0,
        bup_participant=sip.participant("organisation").pk,
    )
    return world


def _plans_world() -> World:
    from datasmart.plans import services as plans

    world = World(
        {
            "region": _org("region", "01", OrganisationKind.REGION_PSYCHIATRY),
            "kommun": _org("kommun", "0180", OrganisationKind.KOMMUN_SOCIAL),
            "other_kommun": _org("other_kommun", "1280", OrganisationKind.KOMMUN_SOCIAL),
        }
    )
    plan = plans.create_joint_plan(
        "01", world.orgs["region"], title="Matris", start_year=2024, end_year=2027, by=SYSTEM
    )
    world.ids.update(plan=plan.pk, party=world.orgs["kommun"].pk)
    return world


def _party_post(name: str, **body: Any) -> Request:
    """A POST in the name of the party Stockholm (0180) to the joint plan of län 01."""

    def build(w: World) -> tuple[str, dict[str, Any]]:
        return reverse(name, args=[w.ids["plan"]]), {"organisation": w.ids["party"], **body}

    return build


#: Who edits a plan: the owner organisation's coordinators and analysts.
PLAN_EDITORS = frozenset({Role.COORDINATOR, Role.ANALYST})


def _plan_parts(w: World) -> None:
    """A goal followed by an indicator, and an activity, in the plans world's draft joint
    plan (for the editing pages of goals, indicators and activities)."""
    from datasmart.indicators.models import Indicator
    from datasmart.plans import services as plans
    from datasmart.plans.models import ActionPlan

    Indicator.objects.create(
        code="matris-plan",
        title_sv="Matris",
        type="proportion",
        multiplier=100,
        levels=["kommun", "region"],
        breakdowns=[],
        age_groups=[],
        first_period=2015,
        last_period=2024,
        group="test",
    )
    plan = ActionPlan.objects.get(pk=w.ids["plan"])
    goal = plans.create_goal(plan, text="Matrismål", by=SYSTEM)
    link = plans.add_goal_indicator(
        goal, indicator_code="matris-plan", target_value=1, target_year=2027, by=SYSTEM
    )
    activity = plans.create_activity(
        plan,
        title="Matrisaktivitet",
        goals=[goal],
        start=dt.date(2024, 1, 1),
        end=dt.date(2024, 12, 31),
        by=SYSTEM,
    )
    w.ids.update(goal=goal.pk, link=link.pk, activity=activity.pk)


def _plan_edit(name: str, *args: Any) -> Rule:
    """An editing page of the joint plan held by the region: the region's editors; a party
    kommun (which approves the plan) does not edit it."""
    return Rule(
        "plans",
        "region",
        "kommun",
        PLAN_EDITORS,
        lambda w: _named(name, "@plan", *args)(w),
        setup=_plan_parts if args else None,
    )


def _plan_edit_api(step: str) -> Rule:
    """A lifecycle step of the joint plan through the API: the region's editors (the
    body comes from :data:`VALID_BODIES`)."""
    return Rule(
        "plans",
        "region",
        "kommun",
        PLAN_EDITORS,
        lambda w: (f"{API}/plans/{w.ids['plan']}/{step}", {}),
    )


WORLDS: dict[str, Callable[[], World]] = {
    "accounts": _accounts_world,
    "funding": _funding_world,
    "indicators": _indicators_world,
    "sip": _sip_world,
    "plans": _plans_world,
    "kraftsamling": lambda: _kraftsamling_world(),
}


def _kraftsamling_world() -> World:
    from tests.kraftsamling.support import matrix_world

    world: World = matrix_world(World)
    return world


#: Kraftsamling: a participant's admin, analyst or coordinator changes the delarena.
KS_EDITORS = frozenset({Role.ADMIN, Role.ANALYST, Role.COORDINATOR})


def _ks(name: str, target: str, body: Callable[[World], dict[str, Any]]) -> Request:
    return lambda w: (reverse(name, args=[w.ids[target]]), body(w))


def _ks_api(path: str, body: Callable[[World], dict[str, Any]] | None = None) -> Request:
    return lambda w: (API + "/kraftsamling" + path.format(**w.ids), body(w) if body else {})


def _ks2(name: str, targets: tuple[str, str], body: dict[str, Any] | None = None) -> Request:
    """A Kraftsamling page of a part (goal, initiative, output) of a handslag or delarena."""
    return lambda w: (reverse(name, args=[w.ids[t] for t in targets]), body or {})


# --- request builders ----------------------------------------------------------------------


def _fixed(url: str, body: dict[str, Any] | None = None) -> Request:
    return lambda w: (url, body or {})


def _sip(path: str, body: dict[str, Any] | None = None) -> Request:
    def build(w: World) -> tuple[str, dict[str, Any]]:
        url = path.format(sip=w.ids["sip"], meeting=w.ids["meeting"])
        return url, {"expected_version": w.ids["version"], **(body or {})}

    return build


def _named(name: str, *args: Any, body: dict[str, Any] | None = None) -> Request:
    def build(w: World) -> tuple[str, dict[str, Any]]:
        resolved = [w.ids[a[1:]] if isinstance(a, str) and a.startswith("@") else a for a in args]
        return reverse(name, args=resolved), body or {}

    return build


def _import_file(w: World) -> tuple[str, dict[str, Any]]:
    content = (
        b"indicator,unit_code,period,sex,age_group,numerator,denominator,value,status\n"
        b"matris-andel,0180,2020,T,,4,10,,\n"
    )
    return "/api/indicator-imports", {
        "file": SimpleUploadedFile("matris.csv", content, content_type="text/csv")
    }


def _funding(own: frozenset[Role], request: Request, **kw: Any) -> Rule:
    """An administrators' action: the agreement is owned by the national organisation."""
    return Rule("funding", "national", "kommun", own, request, **kw)


def _recipient(request: Request, **kw: Any) -> Rule:
    """A recipient's action for Stockholm (0180): its own kommun's coordinators."""
    return Rule("funding", "kommun", "other_kommun", COORDINATOR, request, **kw)


def _plan(request: Request, **kw: Any) -> Rule:
    """A write to the plan: the owner organisation's caseworkers; others learn nothing."""
    return Rule("sip", "owner", "outsider", CASEWORKER, request, **kw)


def _plan_api(request: Request, **kw: Any) -> Rule:
    """As :func:`_plan`, through the API (the body comes from :data:`VALID_BODIES`)."""
    return _plan(request, **kw)


def _person(request: Request) -> Rule:
    """The person's own pages: no staff role may use them."""
    return Rule("sip", "owner", "outsider", NOBODY, request)


API = "/api"
SIP = "/api/sip/sips/{sip}"


def _needs_scenario(w: World) -> tuple[str, dict[str, Any]]:
    """Save a needs scenario for the kommun as its own organisation (issue #13 §3)."""
    body = {
        "organisation": w.orgs["kommun"].pk,
        "name": "matris",
        "prevalence_variant": "central",
        "projection_variant": "platform",
    }
    return reverse("needs:save_scenario", args=["0180"]), body


API_RULES: dict[str, Rule] = {
    # accounts: a token for oneself; someone else's token only as their organisation's admin
    "POST /api/tokens": Rule(
        "accounts",
        "kommun",
        "other_kommun",
        ALL_ROLES,
        _fixed(f"{API}/tokens", {"name": "matris"}),
        other=ALL_ROLES,
    ),
    "DELETE /api/tokens/{token_id}": Rule(
        "accounts",
        "kommun",
        "other_kommun",
        ADMIN,
        lambda w: (f"{API}/tokens/{w.ids['token']}", {}),
        method="delete",
    ),
    # indicators: an analyst imports for the units of their organisation (a 0180 row)
    "POST /api/indicator-imports": Rule(
        "indicators", "kommun", "other_kommun", ANALYST, _import_file, method="upload"
    ),
    # funding
    "POST /api/funding/agreements/{year}/runs": _funding(
        COORDINATOR, _fixed(f"{API}/funding/agreements/2020/runs", {"label": "matris"})
    ),
    "PUT /api/funding/agreements/{year}/surveys/{code}/responses/{unit}": _recipient(
        _fixed(
            f"{API}/funding/agreements/2020/surveys/matris/responses/0180",
            {"answers": {"plan": False}},
        ),
        method="put",
    ),
    "POST /api/funding/agreements/{year}/surveys": _funding(
        COORDINATOR, _fixed(f"{API}/funding/agreements/2020/surveys")
    ),
    "PUT /api/funding/agreements/{year}/surveys/{code}": _funding(
        COORDINATOR,
        _fixed(f"{API}/funding/agreements/2020/surveys/matris"),
        method="put",
    ),
    "POST /api/funding/agreements/{year}/surveys/{code}/responses/{unit}/reopen": _funding(
        COORDINATOR,
        _fixed(
            f"{API}/funding/agreements/2020/surveys/matris/responses/0180/reopen",
            {"reason": "matris"},
        ),
    ),
    # sip: starting needs the caseworker role (in one's own organisation, wherever it is)
    "POST /api/sip/sips": Rule(
        "sip",
        "owner",
        "outsider",
        CASEWORKER,
        _fixed(f"{API}/sip/sips"),
        other=CASEWORKER,
    ),
    "POST /api/sip/sips/fhir": Rule(
        "sip", "owner", "outsider", CASEWORKER, _fixed(f"{API}/sip/sips/fhir"), other=CASEWORKER
    ),
    "POST /api/sip/sips/{sip_id}/consents": _plan_api(_sip(f"{SIP}/consents")),
    "POST /api/sip/sips/{sip_id}/consents/withdraw": _plan_api(_sip(f"{SIP}/consents/withdraw")),
    "POST /api/sip/sips/{sip_id}/invitations": _plan_api(_sip(f"{SIP}/invitations")),
    "POST /api/sip/sips/{sip_id}/meetings": _plan_api(_sip(f"{SIP}/meetings")),
    "POST /api/sip/sips/{sip_id}/meetings/{meeting_id}/held": _plan_api(
        _sip(f"{SIP}/meetings/{{meeting}}/held")
    ),
    "PUT /api/sip/sips/{sip_id}/plan": _plan_api(_sip(f"{SIP}/plan"), method="put"),
    "POST /api/sip/sips/{sip_id}/close": _plan_api(_sip(f"{SIP}/close")),
    "POST /api/sip/sips/{sip_id}/links": _plan_api(_sip(f"{SIP}/links")),
    # a participating organisation answers its own invitation (BUP, with consent)
    "POST /api/sip/sips/participants/{participant_id}/response": Rule(
        "sip",
        "bup",
        "outsider",
        CASEWORKER,
        lambda w: (f"{API}/sip/sips/participants/{w.ids['bup_participant']}/response", {}),
    ),
    # --- plans API: add rules below this line
    # plans API: the owner's editors (coordinator, analyst) write; the plan is the region's
    # joint län plan, so "other" is the party kommun, which approves but does not edit
    "POST /api/plans": Rule(
        "plans", "kommun", "other_kommun", PLAN_EDITORS, _fixed(f"{API}/plans")
    ),
    "POST /api/plans/joint": Rule(
        "plans", "region", "kommun", PLAN_EDITORS, _fixed(f"{API}/plans/joint")
    ),
    "PATCH /api/plans/{plan_id}": Rule(
        "plans",
        "region",
        "kommun",
        PLAN_EDITORS,
        lambda w: (f"{API}/plans/{w.ids['plan']}", {}),
        method="patch",
    ),
    "POST /api/plans/{plan_id}/goals": Rule(
        "plans",
        "region",
        "kommun",
        PLAN_EDITORS,
        lambda w: (f"{API}/plans/{w.ids['plan']}/goals", {}),
    ),
    "PATCH /api/plans/goals/{goal_id}": Rule(
        "plans",
        "region",
        "kommun",
        PLAN_EDITORS,
        lambda w: (f"{API}/plans/goals/{w.ids['goal']}", {}),
        method="patch",
        setup=_plan_parts,
    ),
    "DELETE /api/plans/goals/{goal_id}": Rule(
        "plans",
        "region",
        "kommun",
        PLAN_EDITORS,
        lambda w: (f"{API}/plans/goals/{w.ids['goal']}", {}),
        method="delete",
        setup=_plan_parts,
    ),
    "POST /api/plans/goals/{goal_id}/indicators": Rule(
        "plans",
        "region",
        "kommun",
        PLAN_EDITORS,
        lambda w: (f"{API}/plans/goals/{w.ids['goal']}/indicators", {}),
        setup=_plan_parts,
    ),
    "PATCH /api/plans/goal-indicators/{indicator_id}": Rule(
        "plans",
        "region",
        "kommun",
        PLAN_EDITORS,
        lambda w: (f"{API}/plans/goal-indicators/{w.ids['link']}", {}),
        method="patch",
        setup=_plan_parts,
    ),
    "DELETE /api/plans/goal-indicators/{indicator_id}": Rule(
        "plans",
        "region",
        "kommun",
        PLAN_EDITORS,
        lambda w: (f"{API}/plans/goal-indicators/{w.ids['link']}", {}),
        method="delete",
        setup=_plan_parts,
    ),
    "POST /api/plans/{plan_id}/activities": Rule(
        "plans",
        "region",
        "kommun",
        PLAN_EDITORS,
        lambda w: (f"{API}/plans/{w.ids['plan']}/activities", {}),
        setup=_plan_parts,
    ),
    "PATCH /api/plans/activities/{activity_id}": Rule(
        "plans",
        "region",
        "kommun",
        PLAN_EDITORS,
        lambda w: (f"{API}/plans/activities/{w.ids['activity']}", {}),
        method="patch",
        setup=_plan_parts,
    ),
    "DELETE /api/plans/activities/{activity_id}": Rule(
        "plans",
        "region",
        "kommun",
        PLAN_EDITORS,
        lambda w: (f"{API}/plans/activities/{w.ids['activity']}", {}),
        method="delete",
        setup=_plan_parts,
    ),
    "POST /api/plans/{plan_id}/new-version": Rule(
        "plans",
        "region",
        "kommun",
        PLAN_EDITORS,
        lambda w: (f"{API}/plans/{w.ids['plan']}/new-version", {}),
    ),
    # a party approves or leaves in its own name (its coordinator; Malmö is no party)
    "POST /api/plans/{plan_id}/approve": Rule(
        "plans",
        "kommun",
        "other_kommun",
        COORDINATOR,
        lambda w: (f"{API}/plans/{w.ids['plan']}/approve", {}),
    ),
    "POST /api/plans/{plan_id}/leave": Rule(
        "plans",
        "kommun",
        "other_kommun",
        COORDINATOR,
        lambda w: (f"{API}/plans/{w.ids['plan']}/leave", {}),
    ),
    # lifecycle: the owner's editors (also of a joint plan; the party kommun may not); the
    # world's plan is a draft, so an allowed case answers 409
    "POST /api/plans/{plan_id}/activate": _plan_edit_api("activate"),
    "POST /api/plans/{plan_id}/followed-up": _plan_edit_api("followed-up"),
    "POST /api/plans/{plan_id}/close": _plan_edit_api("close"),
    # --- plans follow-up API: add rules below this line
    # recording a follow-up: editors (coordinator, analyst) of the owner or of a party
    # (Stockholm is a party to the län plan; Malmö is not); the draft answers 409 when allowed
    "POST /api/plans/{plan_id}/follow-ups": Rule(
        "plans",
        "kommun",
        "other_kommun",
        frozenset({Role.COORDINATOR, Role.ANALYST}),
        lambda w: (f"{API}/plans/{w.ids['plan']}/follow-ups", {}),
    ),
    # --- kraftsamling API: add rules below this line
    "POST /api/kraftsamling/delarenor": Rule(
        "kraftsamling", "kommun", "utomstaende", ALL_ROLES, _ks_api("/delarenor")
    ),
    "POST /api/kraftsamling/delarenor/{delarena_id}/participants": Rule(
        "kraftsamling",
        "kommun",
        "utomstaende",
        KS_EDITORS,
        _ks_api("/delarenor/{delarena}/participants"),
    ),
    "POST /api/kraftsamling/delarenor/{delarena_id}/participants/{organisation_id}/leave": Rule(
        "kraftsamling",
        "kommun",
        "utomstaende",
        KS_EDITORS,
        _ks_api("/delarenor/{delarena}/participants/{region}/leave"),
    ),
    "POST /api/kraftsamling/delarenor/{delarena_id}/outputs": Rule(
        "kraftsamling",
        "kommun",
        "utomstaende",
        KS_EDITORS,
        _ks_api("/delarenor/{delarena}/outputs"),
    ),
    "POST /api/kraftsamling/delarenor/{delarena_id}/handslag": Rule(
        "kraftsamling",
        "kommun",
        "utomstaende",
        KS_EDITORS,
        _ks_api("/delarenor/{delarena}/handslag"),
    ),
    "POST /api/kraftsamling/handslag/{handslag_id}/goals": Rule(
        "kraftsamling", "kommun", "utomstaende", KS_EDITORS, _ks_api("/handslag/{handslag}/goals")
    ),
    "POST /api/kraftsamling/handslag/{handslag_id}/activities": Rule(
        "kraftsamling",
        "kommun",
        "utomstaende",
        KS_EDITORS,
        _ks_api("/handslag/{handslag}/activities"),
    ),
    "POST /api/kraftsamling/handslag/{handslag_id}/signatures": Rule(
        "kraftsamling",
        "kommun",
        "utomstaende",
        COORDINATOR,
        _ks_api("/handslag/{handslag}/signatures"),
    ),
    # correcting a draft handslag and workshop outputs: a participant's editors
    "PATCH /api/kraftsamling/delarenor/{delarena_id}/outputs/{output_id}": Rule(
        "kraftsamling",
        "kommun",
        "utomstaende",
        KS_EDITORS,
        _ks_api("/delarenor/{delarena}/outputs/{output}"),
        method="patch",
    ),
    "DELETE /api/kraftsamling/delarenor/{delarena_id}/outputs/{output_id}": Rule(
        "kraftsamling",
        "kommun",
        "utomstaende",
        KS_EDITORS,
        _ks_api("/delarenor/{delarena}/outputs/{output}"),
        method="delete",
    ),
    "PATCH /api/kraftsamling/handslag/{handslag_id}/goals/{goal_id}": Rule(
        "kraftsamling",
        "kommun",
        "utomstaende",
        KS_EDITORS,
        _ks_api("/handslag/{handslag}/goals/{goal}"),
        method="patch",
    ),
    "DELETE /api/kraftsamling/handslag/{handslag_id}/goals/{goal_id}": Rule(
        "kraftsamling",
        "kommun",
        "utomstaende",
        KS_EDITORS,
        _ks_api("/handslag/{handslag}/goals/{spare_goal}"),
        method="delete",
    ),
    "PATCH /api/kraftsamling/handslag/{handslag_id}/activities/{activity_id}": Rule(
        "kraftsamling",
        "kommun",
        "utomstaende",
        KS_EDITORS,
        _ks_api("/handslag/{handslag}/activities/{activity}"),
        method="patch",
    ),
    "DELETE /api/kraftsamling/handslag/{handslag_id}/activities/{activity_id}": Rule(
        "kraftsamling",
        "kommun",
        "utomstaende",
        KS_EDITORS,
        _ks_api("/handslag/{handslag}/activities/{activity}"),
        method="delete",
    ),
    # --- checklist API: add rules below this line
    # checklist: admin, coordinator and analyst of the unit's own kommun organisation answer
    "PUT /api/checklist/rounds/{unit_code}/{year}/answers": Rule(
        "plans",
        "kommun",
        "other_kommun",
        frozenset({Role.ADMIN, Role.COORDINATOR, Role.ANALYST}),
        _fixed(f"{API}/checklist/rounds/0180/2026/answers"),
        method="put",
    ),
    "POST /api/checklist/rounds/{unit_code}/{year}/submit": Rule(
        "plans",
        "kommun",
        "other_kommun",
        frozenset({Role.ADMIN, Role.COORDINATOR, Role.ANALYST}),
        _fixed(f"{API}/checklist/rounds/0180/2026/submit"),
    ),
    "POST /api/checklist/rounds/{unit_code}/{year}/new": Rule(
        "plans",
        "kommun",
        "other_kommun",
        frozenset({Role.ADMIN, Role.COORDINATOR, Role.ANALYST}),
        _fixed(f"{API}/checklist/rounds/0180/2026/new"),
    ),
}


# --- valid bodies for the routes whose body schema is checked before the view --------------

Body = Callable[[World], dict[str, Any]]


def _later(days: int = 20) -> str:
    at = timezone.localtime() + dt.timedelta(days=days)
    return at.replace(hour=10, minute=0, second=0, microsecond=0).isoformat()


def _survey_body(w: World) -> dict[str, Any]:
    due = timezone.localdate() + dt.timedelta(days=30)
    return {
        "title": "Matris, ändrad",
        "due_date": due.isoformat(),
        "questions": [{"code": "plan", "text": "Plan?", "type": "yesno"}],
    }


def _start_body(w: World) -> dict[str, Any]:
    from tests.sip.sip_support import personnummer

    return {
        "person_id": personnummer(dt.date(2012, 5, 17), 901),
        "display_name": "Matris Person",
        "need": "Stöd i skolan",
    }


def _plan_body(w: World) -> dict[str, Any]:
    from tests.sip.sip_support import plan_content

    content = plan_content(w.orgs["owner"], w.orgs["bup"]).model_dump(mode="json")
    return {"content": content}


#: Route (as in :data:`API_RULES`) -> a body the schema accepts, so the request reaches the
#: view and its rights check. ``expected_version`` is added by :func:`_sip`.
VALID_BODIES: dict[str, Body] = {
    "POST /api/funding/agreements/{year}/surveys": lambda w: {
        **_survey_body(w),
        "code": "matris-ny",
        "respondent_level": "kommun",
    },
    "PUT /api/funding/agreements/{year}/surveys/{code}": _survey_body,
    "POST /api/sip/sips": _start_body,
    "POST /api/sip/sips/{sip_id}/consents": lambda w: {
        "given_by": "guardian",
        "guardian_name": "Per Exempel",
        "organisation_ids": [w.orgs["bup"].pk],
    },
    "POST /api/sip/sips/{sip_id}/consents/withdraw": lambda w: {},
    "POST /api/sip/sips/{sip_id}/invitations": lambda w: {
        "participants": [{"kind": "relative", "name": "Moster Exempel"}],
        "meeting_at": _later(),
    },
    "POST /api/sip/sips/{sip_id}/meetings": lambda w: {"meeting_at": _later(30)},
    "POST /api/sip/sips/{sip_id}/meetings/{meeting_id}/held": lambda w: {
        "held_at": timezone.now().isoformat()
    },
    "PUT /api/sip/sips/{sip_id}/plan": _plan_body,
    "POST /api/sip/sips/{sip_id}/close": lambda w: {"reason": "goals_met", "note": "Matris"},
    "POST /api/sip/sips/{sip_id}/links": lambda w: {"valid_days": 7},
    "POST /api/sip/sips/participants/{participant_id}/response": lambda w: {"accept": True},
    # --- plans API: add bodies below this line
    "POST /api/plans": lambda w: {
        "owner": w.orgs["kommun"].pk,
        "title": "Matris",
        "start_year": 2025,
        "end_year": 2026,
    },
    "POST /api/plans/joint": lambda w: {
        "lan": "01",
        "owner": w.orgs["region"].pk,
        "title": "Matris",
        "start_year": 2025,
        "end_year": 2026,
    },
    "PATCH /api/plans/{plan_id}": lambda w: {"title": "Matris, ändrad"},
    "POST /api/plans/{plan_id}/goals": lambda w: {"text": "Matrismål 2"},
    "PATCH /api/plans/goals/{goal_id}": lambda w: {"text": "Matrismål, ändrat"},
    "POST /api/plans/goals/{goal_id}/indicators": lambda w: {
        "indicator_code": "matris-plan",
        "target_value": 2,
        "target_year": 2027,
    },
    "PATCH /api/plans/goal-indicators/{indicator_id}": lambda w: {"target_value": 3},
    "POST /api/plans/{plan_id}/activities": lambda w: {
        "title": "Matrisaktivitet 2",
        "goals": [w.ids["goal"]],
        "start": "2024-02-01",
        "end": "2024-03-01",
    },
    "PATCH /api/plans/activities/{activity_id}": lambda w: {"status": "ongoing"},
    "POST /api/plans/{plan_id}/approve": lambda w: {"organisation": w.ids["party"]},
    "POST /api/plans/{plan_id}/leave": lambda w: {"organisation": w.ids["party"], "reason": "Skäl"},
    "POST /api/plans/{plan_id}/activate": lambda w: {"early": True},
    "POST /api/plans/{plan_id}/close": lambda w: {"reason": "Matris"},
    # --- plans follow-up API: add bodies below this line
    "POST /api/plans/{plan_id}/follow-ups": lambda w: {"year": 2025, "note": "Matris"},
    # --- kraftsamling API: add bodies below this line
    "POST /api/kraftsamling/delarenor": lambda w: {
        "organisation_id": w.ids["kommun"],
        "name": "Matris",
        "areas": ["A"],
    },
    "POST /api/kraftsamling/delarenor/{delarena_id}/participants": lambda w: {
        "organisation_id": w.ids["outsider"]
    },
    "POST /api/kraftsamling/delarenor/{delarena_id}/participants/{organisation_id}/leave": (
        lambda w: {"reason": "Matris"}
    ),
    "POST /api/kraftsamling/delarenor/{delarena_id}/outputs": lambda w: {
        "stage": 1,
        "organisation_id": w.ids["kommun"],
        "held_on": "2026-01-01",
        "text": "x",
    },
    "POST /api/kraftsamling/delarenor/{delarena_id}/handslag": lambda w: {
        "organisation_id": w.ids["kommun"],
        "start_year": 2026,
        "end_year": 2028,
    },
    "POST /api/kraftsamling/handslag/{handslag_id}/goals": lambda w: {
        "text": "Matris",
        "goal_number": 1,
    },
    "POST /api/kraftsamling/handslag/{handslag_id}/activities": lambda w: {
        "title": "Matris",
        "goal_ids": [w.ids["goal"]],
        "organisation_id": w.ids["kommun"],
        "start": "2026-02-01",
        "end": "2026-12-31",
    },
    "POST /api/kraftsamling/handslag/{handslag_id}/signatures": lambda w: {
        "organisation_id": w.ids["kommun"]
    },
    "PATCH /api/kraftsamling/delarenor/{delarena_id}/outputs/{output_id}": lambda w: {
        "text": "Matris, rättad",
        "status": "done",
    },
    "PATCH /api/kraftsamling/handslag/{handslag_id}/goals/{goal_id}": lambda w: {
        "text": "Matrismål, rättat",
        "area": "C",
    },
    "PATCH /api/kraftsamling/handslag/{handslag_id}/activities/{activity_id}": lambda w: {
        "title": "Matrisinitiativ, rättat",
        "organisation_id": w.ids["kommun"],
        "end": "2027-12-31",
    },
    # --- checklist API: add bodies below this line
    "PUT /api/checklist/rounds/{unit_code}/{year}/answers": lambda w: {
        "answers": [{"question": "behov-nu", "value": "yes"}]
    },
}

PAGE_RULES: dict[str, Rule] = {
    # needs: only analysts of the owning organisation save scenarios
    "needs:save_scenario": Rule("indicators", "kommun", "other_kommun", ANALYST, _needs_scenario),
    # public pages
    "set_language": Rule(
        "accounts",
        "kommun",
        "other_kommun",
        ALL_ROLES,
        _fixed("/i18n/setlang/"),
        other=ALL_ROLES,
        anonymous=True,
    ),
    "accounts:login": Rule(
        "accounts",
        "kommun",
        "other_kommun",
        ALL_ROLES,
        _named("accounts:login"),
        other=ALL_ROLES,
        anonymous=True,
    ),
    "accounts:logout": Rule(
        "accounts",
        "kommun",
        "other_kommun",
        ALL_ROLES,
        _named("accounts:logout"),
        other=ALL_ROLES,
        anonymous=True,
    ),
    "sip:redeem": Rule(
        "sip",
        "owner",
        "outsider",
        ALL_ROLES,
        _named("sip:redeem", "x" * 43),
        other=ALL_ROLES,
        anonymous=True,
        not_found_ok=True,
    ),
    # accounts
    "accounts:tokens": Rule(
        "accounts",
        "kommun",
        "other_kommun",
        ALL_ROLES,
        _named("accounts:tokens", body={"name": "matris"}),
        other=ALL_ROLES,
    ),
    "accounts:revoke_token": Rule(
        "accounts", "kommun", "other_kommun", ADMIN, _named("accounts:revoke_token", "@token")
    ),
    # funding: administrators (national) and recipients (their own kommun)
    "funding:run_create": _funding(COORDINATOR, _named("funding:run_create", 2020)),
    "funding:condition_create": _funding(
        COORDINATOR,
        _named(
            "funding:condition_create",
            2020,
            body={"code": "ny", "text": "Nytt villkor", "recipient_level": "kommun"},
        ),
    ),
    "funding:condition": _funding(
        COORDINATOR,
        _named("funding:condition", 2020, "plan", body={"unit": "0180", "status": "partly"}),
    ),
    "funding:payout_set": _funding(
        COORDINATOR,
        _named("funding:payout_set", 2020, "@line", body={"status": "held"}),
        setup=_saved_run,
    ),
    "funding:survey_create": _funding(COORDINATOR, _named("funding:survey_create", 2020)),
    "funding:survey_edit": _funding(COORDINATOR, _named("funding:survey_edit", 2020, "matris")),
    "funding:reopen": _funding(
        COORDINATOR, _named("funding:reopen", 2020, "matris", "0180", body={"reason": "x"})
    ),
    "funding:answer": _recipient(
        _named("funding:answer", 2020, "matris", "0180", body={"action": "spara"})
    ),
    # sip: staff pages
    "sip:start": Rule(
        "sip", "owner", "outsider", CASEWORKER, _named("sip:start"), other=CASEWORKER
    ),
    "sip:choose_organisation": Rule(
        "sip",
        "owner",
        "outsider",
        ALL_ROLES,
        _named("sip:choose_organisation"),
        other=ALL_ROLES,
    ),
    "sip:consent": _plan(_named("sip:consent", "@sip")),
    "sip:withdraw_consent": _plan(_named("sip:withdraw_consent", "@sip")),
    "sip:invite": _plan(_named("sip:invite", "@sip")),
    "sip:edit": _plan(_named("sip:edit", "@sip")),
    "sip:meeting_held": _plan(_named("sip:meeting_held", "@sip", "@meeting")),
    "sip:follow_up": _plan(_named("sip:follow_up", "@sip")),
    "sip:close": _plan(_named("sip:close", "@sip")),
    "sip:create_link": _plan(_named("sip:create_link", "@sip")),
    "sip:answer": Rule(
        "sip",
        "bup",
        "outsider",
        CASEWORKER,
        _named("sip:answer", "@sip", "@bup_participant"),
    ),
    # sip: the person's pages (a person's session, never a staff role)
    # ending one's own link session is harmless for anyone (it only signs that session out)
    "sip:leave": Rule(
        "sip",
        "owner",
        "outsider",
        ALL_ROLES,
        _named("sip:leave"),
        other=ALL_ROLES,
        anonymous=True,
    ),
    "sip:person_respond": _person(_named("sip:person_respond", "@sip")),
    "sip:person_withdraw": _person(_named("sip:person_withdraw", "@sip")),
    "sip:person_end": _person(_named("sip:person_end", "@sip")),
    # plans: a party approves or leaves a joint län plan in its own name (its coordinator)
    "plans:approve": Rule(
        "plans", "kommun", "other_kommun", COORDINATOR, _party_post("plans:approve")
    ),
    "plans:leave": Rule(
        "plans", "kommun", "other_kommun", COORDINATOR, _party_post("plans:leave", reason="Skäl")
    ),
    # --- plans pages (create/edit): add rules below this line
    # any organisation's editors create a plan of their own organisation
    "plans:create": Rule(
        "plans",
        "kommun",
        "other_kommun",
        PLAN_EDITORS,
        _named("plans:create"),
        other=PLAN_EDITORS,
    ),
    # a joint län plan is held by the region's organisation: a kommun does not start one
    "plans:create_joint": Rule(
        "plans", "region", "kommun", PLAN_EDITORS, _named("plans:create_joint")
    ),
    "plans:edit": _plan_edit("plans:edit"),
    "plans:goal_create": _plan_edit("plans:goal_create"),
    "plans:goal_edit": _plan_edit("plans:goal_edit", "@goal"),
    "plans:goal_delete": _plan_edit("plans:goal_delete", "@goal"),
    "plans:indicator_add": _plan_edit("plans:indicator_add", "@goal"),
    "plans:indicator_edit": _plan_edit("plans:indicator_edit", "@link"),
    "plans:indicator_remove": _plan_edit("plans:indicator_remove", "@link"),
    "plans:activity_create": _plan_edit("plans:activity_create"),
    "plans:activity_edit": _plan_edit("plans:activity_edit", "@activity"),
    "plans:activity_delete": _plan_edit("plans:activity_delete", "@activity"),
    "plans:new_version": _plan_edit("plans:new_version"),
    "plans:activate": _plan_edit("plans:activate"),
    "plans:followed_up": _plan_edit("plans:followed_up"),
    "plans:close": Rule(
        "plans",
        "region",
        "kommun",
        PLAN_EDITORS,
        _named("plans:close", "@plan", body={"reason": "Matris"}),
    ),
    # --- plans follow-up: add rules below this line
    "plans:follow_up_record": Rule(
        "plans",
        "kommun",
        "other_kommun",
        frozenset({Role.COORDINATOR, Role.ANALYST}),
        _named("plans:follow_up_record", "@plan", body={"year": "2025"}),
    ),
    # --- plans reminders, comparison, links: add rules below this line
    # --- kraftsamling: add rules below this line
    # any signed-in member creates a delarena in its own organisation's name
    "kraftsamling:create": Rule(
        "kraftsamling",
        "kommun",
        "utomstaende",
        ALL_ROLES,
        _fixed("/kraftsamling/delarena/ny/", {"name": "Matris", "areas": ["A"]}),
        other=ALL_ROLES,
    ),
    # a participant's admin, analyst or coordinator changes the delarena and its handslag
    "kraftsamling:add_participant": Rule(
        "kraftsamling",
        "kommun",
        "utomstaende",
        KS_EDITORS,
        _ks(
            "kraftsamling:add_participant", "delarena", lambda w: {"participant": w.ids["outsider"]}
        ),
    ),
    "kraftsamling:remove_participant": Rule(
        "kraftsamling",
        "kommun",
        "utomstaende",
        KS_EDITORS,
        _ks(
            "kraftsamling:remove_participant",
            "delarena",
            lambda w: {"participant": w.ids["region"]},
        ),
    ),
    "kraftsamling:record_output": Rule(
        "kraftsamling",
        "kommun",
        "utomstaende",
        KS_EDITORS,
        _ks(
            "kraftsamling:record_output",
            "delarena",
            lambda w: {"stage": "1", "held_on": "2026-01-01", "text": "Matris"},
        ),
    ),
    "kraftsamling:create_handslag": Rule(
        "kraftsamling",
        "kommun",
        "utomstaende",
        KS_EDITORS,
        _ks(
            "kraftsamling:create_handslag",
            "delarena",
            lambda w: {"start_year": "2026", "end_year": "2028"},
        ),
    ),
    "kraftsamling:add_goal": Rule(
        "kraftsamling",
        "kommun",
        "utomstaende",
        KS_EDITORS,
        _ks("kraftsamling:add_goal", "handslag", lambda w: {"text": "Matris", "goal_number": "1"}),
    ),
    "kraftsamling:add_activity": Rule(
        "kraftsamling",
        "kommun",
        "utomstaende",
        KS_EDITORS,
        _ks(
            "kraftsamling:add_activity",
            "handslag",
            lambda w: {
                "title": "Matris",
                "goals": [w.ids["goal"]],
                "start": "2026-02-01",
                "end": "2026-12-31",
            },
        ),
    ),
    "kraftsamling:update_output": Rule(
        "kraftsamling",
        "kommun",
        "utomstaende",
        KS_EDITORS,
        _ks2(
            "kraftsamling:update_output",
            ("delarena", "output"),
            {"stage": "2", "held_on": "2026-02-01", "text": "Matris", "status": "done"},
        ),
    ),
    "kraftsamling:delete_output": Rule(
        "kraftsamling",
        "kommun",
        "utomstaende",
        KS_EDITORS,
        _ks2("kraftsamling:delete_output", ("delarena", "output")),
    ),
    "kraftsamling:update_goal": Rule(
        "kraftsamling",
        "kommun",
        "utomstaende",
        KS_EDITORS,
        _ks2(
            "kraftsamling:update_goal",
            ("handslag", "goal"),
            {"text": "Matris", "goal_number": "2", "area": "D"},
        ),
    ),
    "kraftsamling:delete_goal": Rule(
        "kraftsamling",
        "kommun",
        "utomstaende",
        KS_EDITORS,
        _ks2("kraftsamling:delete_goal", ("handslag", "spare_goal")),
    ),
    "kraftsamling:update_activity": Rule(
        "kraftsamling",
        "kommun",
        "utomstaende",
        KS_EDITORS,
        lambda w: (
            reverse("kraftsamling:update_activity", args=[w.ids["handslag"], w.ids["activity"]]),
            {
                "title": "Matris",
                "goals": [w.ids["goal"]],
                "who": w.ids["kommun"],
                "start": "2026-02-01",
                "end": "2026-12-31",
            },
        ),
    ),
    "kraftsamling:delete_activity": Rule(
        "kraftsamling",
        "kommun",
        "utomstaende",
        KS_EDITORS,
        _ks2("kraftsamling:delete_activity", ("handslag", "activity")),
    ),
    # signing in the organisation's name: its coordinator
    "kraftsamling:sign": Rule(
        "kraftsamling",
        "kommun",
        "utomstaende",
        COORDINATOR,
        _ks("kraftsamling:sign", "handslag", lambda w: {}),
    ),
    # --- checklist: add rules below this line
    # checklist: admin, coordinator and analyst of the unit's own kommun organisation answer
    "checklist:round": Rule(
        "plans",
        "kommun",
        "other_kommun",
        frozenset({Role.ADMIN, Role.COORDINATOR, Role.ANALYST}),
        _named("checklist:round", "0180", 2026),
    ),
    "checklist:submit": Rule(
        "plans",
        "kommun",
        "other_kommun",
        frozenset({Role.ADMIN, Role.COORDINATOR, Role.ANALYST}),
        _named("checklist:submit", "0180", 2026),
    ),
    "checklist:new_round": Rule(
        "plans",
        "kommun",
        "other_kommun",
        frozenset({Role.ADMIN, Role.COORDINATOR, Role.ANALYST}),
        _named("checklist:new_round", "0180", 2026),
    ),
}


# --- enumerating the routes ------------------------------------------------------------------

WRITE_METHODS = ("post", "put", "patch", "delete")


def api_write_operations() -> set[str]:
    """``METHOD /api/path`` of every write operation in the OpenAPI schema."""
    from datasmart.api.router import api

    schema = api.get_openapi_schema(path_prefix=f"{API}/")
    return {
        f"{method.upper()} {path}"
        for path, operations in schema["paths"].items()
        for method in operations
        if method in WRITE_METHODS
    }


def _patterns(
    patterns: list[Any], namespace: str | None = None
) -> Iterator[tuple[str | None, str, Any]]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            ns = pattern.namespace or namespace
            if ns in ("admin", "api"):  # Django's admin; the API is enumerated from OpenAPI
                continue
            yield from _patterns(pattern.url_patterns, ns)
        elif isinstance(pattern, URLPattern):
            yield namespace, str(pattern.pattern), pattern


def _allowed_methods(callback: Any) -> set[str] | None:
    """The methods a view accepts: a class-based view's handlers, or the list Django's
    ``require_http_methods`` keeps in its closure; ``None`` when the view does not say
    (then it is assumed to accept POST)."""
    view_class = getattr(callback, "view_class", None)
    if view_class is not None:
        return {m.upper() for m in view_class.http_method_names if hasattr(view_class, m)}
    seen: set[int] = set()
    func = callback
    while func is not None and id(func) not in seen:
        seen.add(id(func))
        for cell in getattr(func, "__closure__", None) or ():
            try:
                value = cell.cell_contents
            except ValueError:
                continue
            if (
                isinstance(value, list | tuple)
                and value
                and all(isinstance(v, str) and v.isupper() for v in value)
            ):
                return set(value)
        func = getattr(func, "__wrapped__", None)
    return None


def post_pages() -> set[str]:
    """URL names of every page (outside the admin and the API) that accepts POST."""
    names: set[str] = set()
    for namespace, route, pattern in _patterns(get_resolver().url_patterns):
        methods = _allowed_methods(pattern.callback)
        if methods is not None and "POST" not in methods:
            continue
        name = pattern.name or route
        names.add(f"{namespace}:{name}" if namespace else name)
    return names


def test_every_api_write_has_a_rule() -> None:
    operations = api_write_operations()
    assert operations, "the OpenAPI schema lists no write operations"
    missing = sorted(operations - set(API_RULES))
    stale = sorted(set(API_RULES) - operations)
    assert not missing, f"API writes without a permission rule in API_RULES: {missing}"
    assert not stale, f"API_RULES for operations that no longer exist: {stale}"


def test_schema_checked_writes_have_a_valid_body() -> None:
    """A write whose body the API checks against a required schema, tried with a body the
    schema refuses, would show only that the schema answers 422 before the view (and its
    rights check) runs. Each such route has a valid body in :data:`VALID_BODIES`, unless
    the rule's own request already sends one (the fixed bodies of the other rules)."""
    from datasmart.api.router import api

    schema = api.get_openapi_schema(path_prefix=f"{API}/")
    required = {
        f"{method.upper()} {path}"
        for path, operations in schema["paths"].items()
        for method, op in operations.items()
        if method in WRITE_METHODS and (op.get("requestBody") or {}).get("required")
    }
    assert not sorted(set(VALID_BODIES) - set(API_RULES)), "VALID_BODIES for unknown routes"
    sip_and_surveys = {k for k in required if "/sip/" in k or "/surveys" in k}
    assert sorted(sip_and_surveys - set(VALID_BODIES) - OWN_VALID_BODY) == []


#: Schema-checked routes whose rule already sends a valid body (or, for the FHIR import,
#: a raw document the view reads itself).
OWN_VALID_BODY = {
    "PUT /api/funding/agreements/{year}/surveys/{code}/responses/{unit}",
    "POST /api/funding/agreements/{year}/surveys/{code}/responses/{unit}/reopen",
    "POST /api/sip/sips/fhir",
}


def test_every_post_page_has_a_rule() -> None:
    pages = post_pages()
    assert "funding:run_create" in pages and "funding:reporting" not in pages  # sanity
    missing = sorted(pages - set(PAGE_RULES))
    stale = sorted(set(PAGE_RULES) - pages)
    assert not missing, f"POST pages without a permission rule in PAGE_RULES: {missing}"
    assert not stale, f"PAGE_RULES for pages that no longer exist: {stale}"


# --- the matrix ------------------------------------------------------------------------------


def _send(client: Client, rule: Rule, url: str, body: dict[str, Any], *, api: bool) -> Any:
    if rule.method == "upload":
        return client.post(url, body)
    if not api:
        return client.post(url, body)
    send = getattr(client, rule.method)
    return send(url, body, content_type="application/json")


def _schema_rejected(response: Any) -> bool:
    """A 422 from the API's schema validation of the body (``errors[].loc`` = body)."""
    if response.status_code != 422:
        return False
    try:
        errors = response.json().get("errors") or []
    except ValueError:
        return False
    return bool(errors) and all((e.get("loc") or [""])[0] == "body" for e in errors)


def _refused(response: Any, *, api: bool) -> bool:
    if response.status_code in DENIED_STATUS:
        return True
    if not api and response.status_code == 302:
        return str(reverse("accounts:login")) in response.get("Location", "")
    return False


def _cases(rule: Rule) -> Iterator[tuple[str, str | None, Role | None, bool]]:
    """(label, organisation key, role, allowed) for anonymous and every role × own/other."""
    yield "anonymous", None, None, rule.anonymous
    for role in Role:
        yield f"{role}@own", rule.own_org, role, role in rule.own
        yield f"{role}@other", rule.other_org, role, role in rule.other


def _run(rule: Rule, *, api: bool, body: Body | None = None) -> list[str]:
    world = WORLDS[rule.area]()
    if rule.setup is not None:
        rule.setup(world)
    wrong: list[str] = []
    for label, org, role, allowed in _cases(rule):
        client = Client()
        if org is not None and role is not None:
            client.force_login(world.user(org, role))
        url, data = rule.request(world)
        if body is not None:
            data = {**data, **body(world)}
        savepoint = transaction.savepoint()
        try:
            response = _send(client, rule, url, data, api=api)
        finally:
            transaction.savepoint_rollback(savepoint)
        refused = _refused(response, api=api)
        if allowed and refused and not (rule.not_found_ok and response.status_code == 404):
            wrong.append(f"{label}: allowed but refused with {response.status_code}")
        elif allowed and body is not None and _schema_rejected(response):
            wrong.append(f"{label}: the body of VALID_BODIES is not valid: {response.json()}")
        elif not allowed and not refused:
            wrong.append(f"{label}: should be refused, got {response.status_code}")
    return wrong


@pytest.mark.django_db
@pytest.mark.parametrize("key", sorted(API_RULES))
def test_api_write_matrix(key: str) -> None:
    wrong = _run(API_RULES[key], api=True, body=VALID_BODIES.get(key))
    assert not wrong, f"{key}:\n  " + "\n  ".join(wrong)


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(PAGE_RULES))
def test_post_page_matrix(name: str) -> None:
    wrong = _run(PAGE_RULES[name], api=False)
    assert not wrong, f"{name}:\n  " + "\n  ".join(wrong)
