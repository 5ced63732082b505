"""No stored value may break a page: every model is filled with hostile but valid strings
and every page of the URL map is rendered.

One condition code (``Å Ä ! <b>``) once made ``/medel/2020/rapportering/`` answer 500 for
everyone. This test builds one of everything through the real services (a SIP plan, the
agreements with a run, a condition, a survey with an answer, payouts, an indicator with
results, tokens, audit rows), then overwrites **every free-text field of every model** of
the project (found by iterating the apps' models, so a new model is covered without
touching this file) with long words, long URLs, markup, quotes, emoji and right-to-left
text, and GETs **every route of the URL map** (pages, the admin for every registered
model, the API's GET endpoints) as the users who can see it. No answer may be a 500, and
the markup must arrive escaped. A new route whose parameters this test cannot fill fails
the test, so it cannot be forgotten.

"Valid" means what the model allows: codes, slugs, identity digests, user names, e-mail
addresses and choice fields keep their real values (their format is checked on the way
in, see ``funding.services.followup.check_code``); everything a person types is hostile.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.apps import apps
from django.contrib import admin
from django.db import IntegrityError, models, transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from datasmart.accounts.audit import SYSTEM, record_event
from datasmart.accounts.models import AppendOnlyError, Organisation, Role
from datasmart.funding import services as funding
from datasmart.funding.models import Survey
from datasmart.funding.services import followup
from datasmart.geo.models import Unit
from datasmart.indicators import results
from datasmart.indicators.imports import import_observations
from datasmart.indicators.models import Indicator
from datasmart.plans import services as plans
from datasmart.sip import services as sip_services
from tests.accounts.factories import make_token, member
from tests.sip.sip_support import SipWorld, make_world

pytestmark = pytest.mark.django_db

MARK = "<b>ds-hostile</b>"
WORD = "Långtord" + "x" * 192  # one 200-character word
URL = "https://example.org/" + "väg/" * 45
#: Markup and quotes first, so even a short field keeps the marker that must be escaped.
HOSTILE = f"{MARK}\"'& 😀🧠 مرحبا עברית {URL} {WORD}"
#: Fields whose value is a format, not text a person typed (checked where they are written).
KEEP = {
    "code",
    "password",
    "username",
    "email",
    "org_number",
    "action",
    "target_type",
    "target_id",
    "kind",
    "edition",
    "group",
    "domain",
    "level",
    "sex",
    "age_group",
    "status",
    "suppression",
    "aggregated_from",
    "funnel_zone",
    "dataset",
    "path",
    "source_file",
    "catalogue_file",
    "indicator_codes",
    "disclosure_group",
    "id_digest",
    "id_masked",
    "id_encrypted",
    "subject_key",
    "name_key",
    "search_name",
}
KEEP_SUFFIXES = ("_code", "_sha256", "_username", "_key", "_digest")
INDICATOR = "fientlig-test"


def hostile_fields(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    """The free-text fields of ``model`` that a person could have typed."""
    out = []
    for field in model._meta.get_fields():
        if not isinstance(field, models.CharField | models.TextField):
            continue
        if isinstance(field, models.SlugField | models.EmailField | models.URLField):
            continue
        if field.choices or not field.editable or field.unique or field.primary_key:
            continue
        if field.name in KEEP or field.name.endswith(KEEP_SUFFIXES) or field.name.startswith("vs_"):
            continue
        if field.max_length is not None and field.max_length < len(MARK) + 4:
            continue
        out.append(field)
    return out


def project_models() -> list[type[models.Model]]:
    return [m for m in apps.get_models() if m.__module__.startswith("datasmart.")]


def fill_every_model() -> dict[str, list[str]]:
    """Overwrite every hostile field of every row; returns ``{model: [fields]}``.

    Append-only tables (audit log, SIP access log, plan versions) refuse updates, so a
    copy of their newest row is appended with the hostile text instead."""
    filled: dict[str, list[str]] = {}
    for model in project_models():
        fields = hostile_fields(model)
        first = model._base_manager.order_by("-pk").first()
        if not fields or first is None:
            continue
        values = {f.name: HOSTILE[: f.max_length] if f.max_length else HOSTILE * 2 for f in fields}
        try:
            with transaction.atomic():
                model._base_manager.update(**values)
        except AppendOnlyError:
            first.pk = None
            for name, value in values.items():
                setattr(first, name, value)
            try:
                with transaction.atomic():
                    first.save()
            except (IntegrityError, AppendOnlyError):
                continue  # e.g. a plan version number that must be unique
        filled[model._meta.label] = sorted(values)
    return filled


def _indicator() -> Indicator:
    ind = Indicator.objects.create(
        code=INDICATOR,
        title_sv="Fientlig",
        type="proportion",
        multiplier=100,
        levels=["kommun"],
        breakdowns=[],
        age_groups=[],
        first_period=2022,
        last_period=2023,
        group="test",
        polarity="higher_is_better",
        ci_method="wilson",
        domain="A",
    )
    lines = ["indicator,unit_code,period,sex,age_group,numerator,denominator,value,status"]
    kommuner = Unit.objects.filter(level="kommun").order_by("code").values_list("code", flat=True)
    for period in (2022, 2023):
        for i, code in enumerate(kommuner):
            num = 3 if code == "0180" else 40 + (i % 20) * 3
            lines.append(f"{INDICATOR},{code},{period},T,,{num},{200 + (i % 20) * 10},,")
    import_observations(("\n".join(lines) + "\n").encode(), by=SYSTEM, file_name="f.csv")
    results.compute_indicator(ind, by=SYSTEM)
    return ind


def build_world() -> dict[str, Any]:
    """One of everything, through the real services."""
    world: SipWorld = make_world()
    agreements = {r.agreement.year: r.agreement for r in funding.load_agreements()}
    a2020 = agreements[2020]
    run = funding.run_allocation(a2020, by=SYSTEM)
    line = run.lines.filter(unit__isnull=False).first()
    followup.set_payout(line, status="held", by=SYSTEM)
    condition = followup.add_condition(
        a2020, code="plan", text="Villkor", recipient_level="kommun", by=SYSTEM
    )
    followup.assess(condition, unit_code="0180", status="partly", note="Not", by=SYSTEM)
    survey = followup.create_survey(
        a2020,
        code="enkat",
        title="Enkät",
        respondent_level="kommun",
        due_date=timezone.localdate() + dt.timedelta(days=10),
        questions=[
            {"code": "fritext", "text": HOSTILE, "type": "text", "help": HOSTILE},
            {"code": "val", "text": HOSTILE, "type": "choice", "choices": [MARK, WORD]},
        ],
        by=SYSTEM,
    )
    followup.save_response(
        survey, unit_code="0180", answers={"fritext": HOSTILE, "val": WORD}, submit=True, by=SYSTEM
    )
    sip_services.create_invitation_link(world.owner_staff, world.sip.pk, None)
    make_token(world.root, name="nyckel")
    record_event("test.hostile", actor=world.root, detail={"text": HOSTILE})
    indicator = _indicator()
    plan = plans.create_plan(world.owner, title="Plan", start_year=2024, end_year=2027, by=SYSTEM)
    goal = plans.create_goal(plan, text="Mål", by=SYSTEM)
    plans.add_goal_indicator(
        goal, indicator_code=indicator.code, target_value=1, target_year=2026, by=SYSTEM
    )
    plans.create_activity(
        plan,
        title="Aktivitet",
        goals=[goal],
        start=dt.date(2024, 1, 1),
        end=dt.date(2024, 12, 31),
        by=SYSTEM,
    )
    from datasmart.checklist import services as checklist

    checklist_org = Organisation.objects.create(
        name="Checklista Stockholm", kind="kommun_social", unit=Unit.objects.get(code="0180")
    )
    checklist.save_answers(
        "0180",
        2020,
        {
            q.code: {"value": "yes", "comment": "Kommentar", "evidence_url": "/behov/"}
            for q in checklist.questions()
        },
        by=SYSTEM,
        organisation=checklist_org,
    )
    checklist.submit_round("0180", 2020, by=SYSTEM)
    from tests.kraftsamling.support import make_world as kraftsamling_world

    kraftsamling = kraftsamling_world(filled=True)
    return {
        "kraftsamling": kraftsamling,
        "plan": plan,
        "world": world,
        "run": run,
        "line": line,
        "condition": condition,
        "survey": survey,
        "indicator": indicator,
    }


def walk(
    patterns: list[Any], prefix: str = "", namespace: str = ""
) -> Iterator[tuple[str, str, list[str]]]:
    """``(route, name, parameter names)`` for every route of the URL map."""
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = f"{namespace}:{p.namespace}" if p.namespace else namespace
            yield from walk(p.url_patterns, prefix + str(p.pattern), ns.strip(":"))
        elif isinstance(p, URLPattern):
            route = prefix + str(p.pattern)
            name = f"{namespace}:{p.name}".strip(":") if p.name else ""
            params = re.findall(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>", route)
            yield route, name, [a or b for a, b in params]


def fill_route(route: str, values: dict[str, str]) -> str:
    """The route with every parameter replaced (Django ``<conv:name>`` or regex groups)."""
    url = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: values[m.group(1)], route)
    url = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: values[m.group(1)], url)
    return "/" + url.lstrip("^").rstrip("$").replace("\\", "")


@pytest.fixture
def hostile(db: Any) -> dict[str, Any]:
    built = build_world()
    built["filled"] = fill_every_model()
    return built


def _clients(built: dict[str, Any]) -> dict[str, Client]:
    world: SipWorld = built["world"]
    root = Client()
    root.force_login(world.root)
    caseworker = Client()
    caseworker.force_login(world.owner_staff.user)
    reporter_org = Organisation.objects.create(
        name="Stockholm – socialtjänst", kind="kommun_social", unit=Unit.objects.get(code="0180")
    )
    reporter = Client()
    reporter.force_login(member(Role.COORDINATOR, reporter_org, username="rapportor"))
    _link, secret = sip_services.create_invitation_link(world.owner_staff, world.sip.pk, None)
    person = Client()
    assert person.post(reverse("sip:redeem", args=[secret])).status_code == 302
    return {
        "anonymous": Client(),
        "superuser": root,
        "caseworker": caseworker,
        "reporter": reporter,
        "person": person,
    }


def test_hostile_strings_break_no_page(hostile: dict[str, Any]) -> None:
    filled = hostile["filled"]
    # every model that holds free text was filled (a new model is picked up by itself)
    for label in ("geo.Unit", "accounts.Organisation", "funding.Condition", "sip.Sip"):
        assert label in filled, (label, sorted(filled))
    world: SipWorld = hostile["world"]
    survey: Survey = hostile["survey"]
    values = {
        "year": "2020",
        "unit_code": "0180",
        "sip_id": str(world.sip.pk),
        "token_id": str(world.root.api_tokens.first().pk),
        "line_id": str(hostile["line"].pk),
        "run_id": str(hostile["run"].pk),
        "name": "world_110m",
        "secret": "okand-lank",
        "unit": "0180",
        "participant_id": str(world.participant("organisation").pk),
        "meeting_id": str(world.meeting.pk),
        "number": "1",
        "org_id": str(world.owner.pk),
        "plan_id": str(hostile["plan"].pk),
        # the plan's goal, goal indicator and activity (editing pages and API); comparing a
        # plan with itself answers 404 (not versions of one plan), never 500
        "goal_id": str(hostile["plan"].goals.get().pk),
        "link_id": str(hostile["plan"].goals.get().indicators.get().pk),
        "indicator_id": str(hostile["plan"].goals.get().indicators.get().pk),
        "activity_id": str(hostile["plan"].activities.get().pk),
        "other_id": str(hostile["plan"].pk),
        "delarena_id": str(hostile["kraftsamling"].delarena.pk),
        "handslag_id": str(hostile["kraftsamling"].handslag.pk),
        "organisation_id": str(hostile["kraftsamling"].orgs["kommun"].pk),
        "output_id": str(hostile["kraftsamling"].delarena.outputs.first().pk),
    }
    codes = {
        "funding:condition": hostile["condition"].code,
        "indicators:detail": INDICATOR,
    }
    urls: list[tuple[str, str]] = []
    unfilled: list[str] = []
    for route, name, params in walk(get_resolver().url_patterns):
        if route.startswith("admin/"):
            continue  # below, per registered model
        sample = {
            **values,
            "code": codes.get(name, survey.code if "funding" in name else INDICATOR),
        }
        if route.startswith("api/"):
            sample["code"] = survey.code if "/surveys/" in route else INDICATOR
            sample["unit_code"] = "0180"
        missing = [p for p in params if p not in sample]
        if missing:
            unfilled.append(f"{route} ({name}): {missing}")
            continue
        urls.append((name, fill_route(route, sample)))
    assert not unfilled, "routes this test cannot fill; add a sample value: " + "; ".join(unfilled)
    for model in admin.site._registry:
        opts = model._meta
        base = f"admin:{opts.app_label}_{opts.model_name}"
        urls.append((base, reverse(f"{base}_changelist")))
        obj = model._default_manager.first()
        if obj is not None:
            urls.append((base, reverse(f"{base}_change", args=[obj.pk])))
    urls.append(("admin:index", reverse("admin:index")))

    clients = _clients(hostile)
    escaped_pages = 0
    failures: list[str] = []
    for (_name, url), (who, client) in itertools.product(urls, clients.items()):
        # each user where they see something the others do not (keeps the test fast)
        if who == "person" and "/min-plan/" not in url:
            continue
        if who == "caseworker" and not url.startswith(("/sip/", "/api/sip/")):
            continue
        if who == "reporter" and not url.startswith("/medel/"):
            continue
        if who == "anonymous" and url.startswith(("/admin/", "/sip/", "/api/sip/", "/medel/")):
            continue  # sign-in redirects (checked elsewhere)
        response = client.get(url)
        if response.status_code >= 500:
            failures.append(f"{who} {url}: {response.status_code}")
            continue
        if getattr(response, "streaming", False):
            continue
        body = response.content.decode("utf-8", "replace")
        if response.get("Content-Type", "").startswith("text/html"):
            if MARK in body:
                failures.append(f"{who} {url}: unescaped markup")
            if "&lt;b&gt;ds-hostile&lt;/b&gt;" in body:
                escaped_pages += 1
    assert not failures, failures
    # the hostile text really was on the pages (escaped), not just absent
    assert escaped_pages > 40, escaped_pages
