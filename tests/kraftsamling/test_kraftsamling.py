"""Kraftsamling: reference data against source 003, rights per role, the handslag as a
plan, pages in Swedish and English, the PDF, the API and the CLI."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.template.loader import render_to_string
from django.test import Client
from typer.testing import CliRunner

from datasmart.accounts.audit import SYSTEM
from datasmart.accounts.models import AuditEvent, Role
from datasmart.cli import app
from datasmart.kraftsamling import reference, services
from datasmart.kraftsamling.models import (
    Area,
    Delarena,
    Handslag,
    HandslagStatus,
    KraftsamlingGoal,
    WorkshopOutput,
    WorkshopStage,
)
from datasmart.plans import services as plans
from tests.kraftsamling.support import KsWorld, make_world

pytestmark = pytest.mark.django_db

SOURCES = settings.DATA_DIR.parent / "sources"
EDITORS = {Role.ADMIN, Role.ANALYST, Role.COORDINATOR}


def _source_text() -> str:
    files = sorted(Path(SOURCES).glob("003_*.txt"))
    if not files:
        pytest.skip("source 003 is not available here")
    return " ".join(files[0].read_text(encoding="utf-8").split())


# --- reference data --------------------------------------------------------------------


def test_reference_data_matches_source_003() -> None:
    text = _source_text()
    goals = list(KraftsamlingGoal.objects.order_by("number"))
    assert [g.number for g in goals] == [1, 2, 3]
    for g in goals:
        assert f"{g.number}. {g.title}" in text, g.title
        assert "003" in g.source_ref
    areas = list(Area.objects.order_by("letter").prefetch_related("goals"))
    assert [a.letter for a in areas] == list("ABCDEFGHI")
    for a in areas:
        assert f"{a.letter}. {a.title}" in text, a.title
        assert [g.number for g in a.goals.all()] == [
            {"A": 1, "B": 1, "C": 1}.get(a.letter, 0) or {"D": 2, "E": 2, "F": 2}.get(a.letter, 3)
        ]
    stages = list(WorkshopStage.objects.order_by("number"))
    assert [s.number for s in stages] == [1, 2, 3, 4, 5]
    for s in stages:
        assert f"Verkstad {s.number}. {s.title.split(' (')[0]}" in text.replace(". ", ". "), s.title
    # the proposed national delarenor named in the goals' descriptions are in the source
    for _n, _t, _e, proposals in reference.GOALS:
        for p in proposals:
            assert p in text, p
    assert "3-5-årig genomförandeplan" in text and "ca 5-10 sidor" in text


def test_reference_loader_is_idempotent() -> None:
    assert services.load_reference() == 0
    assert KraftsamlingGoal.objects.count() == 3 and Area.objects.count() == 9


# --- rights ------------------------------------------------------------------------------


def test_any_member_creates_a_delarena_and_becomes_convenor() -> None:
    w = make_world()
    for role in Role:
        user = w.user("utomstaende", role)
        d = services.create_delarena(
            w.orgs["utomstaende"], name=f"Arena {role}", area_letters=["A"], by=user
        )
        assert d.participants.get().role == "convenor"
    with pytest.raises(PermissionDenied):
        services.create_delarena(
            w.orgs["kommun"],
            name="Inte min",
            area_letters=["A"],
            by=w.user("utomstaende", Role.ADMIN),
        )


@pytest.mark.parametrize("role", list(Role))
def test_participant_editors_change_the_delarena_others_do_not(role: Role) -> None:
    w = make_world()
    d = w.delarena
    own = w.user("foretag", role)  # a business taking part
    outsider = w.user("utomstaende", role)
    with pytest.raises(PermissionDenied):
        services.add_participant(d, w.orgs["utomstaende"], by=outsider)
    assert AuditEvent.objects.filter(action="auth.permission_denied").exists()
    if role in EDITORS:
        services.add_participant(d, w.orgs["utomstaende"], by=own)
        services.record_output(
            d,
            stage_number=1,
            organisation=w.orgs["foretag"],
            text="Problem",
            by=own,
            held_on=dt.date(2026, 3, 1),
        )
        assert AuditEvent.objects.filter(action="kraftsamling.output_recorded").exists()
    else:
        with pytest.raises(PermissionDenied):
            services.add_participant(d, w.orgs["utomstaende"], by=own)
        with pytest.raises(PermissionDenied):
            services.record_output(
                d,
                stage_number=1,
                organisation=w.orgs["foretag"],
                text="x",
                by=own,
                held_on=dt.date(2026, 3, 1),
            )


def test_an_organisation_that_left_no_longer_edits() -> None:
    w = make_world()
    coordinator = w.user("kommun", Role.COORDINATOR)
    services.remove_participant(w.delarena, w.orgs["kommun"], reason="Byter fokus", by=SYSTEM)
    with pytest.raises(PermissionDenied):
        services.add_participant(w.delarena, w.orgs["utomstaende"], by=coordinator)
    # taking it back
    services.add_participant(w.delarena, w.orgs["kommun"], by=SYSTEM)
    services.add_participant(w.delarena, w.orgs["utomstaende"], by=coordinator)


def test_output_in_another_organisations_name_is_refused() -> None:
    w = make_world()
    analyst = w.user("kommun", Role.ANALYST)
    with pytest.raises(PermissionDenied):
        services.record_output(
            w.delarena,
            stage_number=2,
            organisation=w.orgs["region"],
            text="x",
            by=analyst,
            held_on=dt.date(2026, 3, 1),
        )


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"stage_number": 6}, "verkstad"),
        ({"text": "", "document": ""}, "resultat"),
        ({"status": "klar"}, "status"),
        ({"held_on": dt.date(1990, 1, 1)}, "datum"),
    ],
)
def test_bad_outputs_are_refused_naming_the_field(kwargs: dict, field: str) -> None:
    w = make_world()
    args = {
        "stage_number": 1,
        "organisation": w.orgs["kommun"],
        "text": "Bra",
        "held_on": dt.date(2026, 1, 1),
        "by": SYSTEM,
        **kwargs,
    }
    with pytest.raises(services.KraftsamlingError, match=f"Fältet {field}"):
        services.record_output(w.delarena, **args)
    assert not WorkshopOutput.objects.exists()


def test_last_participant_cannot_be_removed_and_duplicates_are_refused() -> None:
    w = make_world()
    with pytest.raises(services.KraftsamlingError, match="deltar redan"):
        services.add_participant(w.delarena, w.orgs["kommun"], by=SYSTEM)
    for key in ("region", "kommun", "foretag", "forening"):
        services.remove_participant(w.delarena, w.orgs[key], by=SYSTEM)
    with pytest.raises(services.KraftsamlingError, match="sista deltagaren"):
        services.remove_participant(w.delarena, w.orgs["myndighet"], by=SYSTEM)


def test_bad_delarena_is_refused_whole() -> None:
    w = make_world()
    before = Delarena.objects.count()
    for kwargs, field in [
        ({"name": " ", "area_letters": ["A"]}, "namn"),
        ({"name": "X", "area_letters": ["A", "Q"]}, "områden"),
        ({"name": "X", "area_letters": []}, "områden"),
        ({"name": "X" * 201, "area_letters": ["A"]}, "namn"),
    ]:
        with pytest.raises(services.KraftsamlingError, match=f"Fältet {field}"):
            services.create_delarena(w.orgs["kommun"], by=SYSTEM, **kwargs)
    assert Delarena.objects.count() == before


# --- the handslag ---------------------------------------------------------------------------


@pytest.mark.parametrize(("start", "end"), [(2026, 2027), (2026, 2031), (2029, 2026)])
def test_handslag_is_three_to_five_years(start: int, end: int) -> None:
    w = make_world()
    plans_before = plans.visible_plans(SYSTEM).count()
    with pytest.raises(services.KraftsamlingError, match="Fältet"):
        services.create_handslag(
            w.delarena, organisation=w.orgs["myndighet"], start_year=start, end_year=end, by=SYSTEM
        )
    assert plans.visible_plans(SYSTEM).count() == plans_before
    assert not Handslag.objects.exists()


def test_handslag_plan_goals_activities_and_signatures() -> None:
    w = make_world(with_handslag=True)
    h = w.handslag
    plan = h.plan
    assert plan.owner == w.orgs["myndighet"] and (plan.start_year, plan.end_year) == (2026, 2029)
    analyst = w.user("forening", Role.ANALYST)  # civil society edits the handslag too
    goal = services.add_goal(h, text="Fler får stöd tidigt", area_letter="G", by=analyst)
    link = goal.kraftsamling
    assert link.area.letter == "G" and link.kraftsamling_goal.number == 3
    with pytest.raises(services.KraftsamlingError, match="Fältet Kraftsamlingsmål"):
        services.add_goal(h, text="Utan koppling", by=analyst)
    with pytest.raises(services.KraftsamlingError, match="Fältet start"):
        services.add_activity(
            h,
            title="För tidigt",
            goal_ids=[goal.pk],
            organisation=w.orgs["forening"],
            start=dt.date(2025, 1, 1),
            end=dt.date(2026, 6, 1),
            by=analyst,
        )
    with pytest.raises(services.KraftsamlingError, match="Fältet organisation"):
        services.add_activity(
            h,
            title="Utomstående",
            goal_ids=[goal.pk],
            organisation=w.orgs["utomstaende"],
            start=dt.date(2026, 1, 1),
            end=dt.date(2026, 6, 1),
            by=analyst,
        )
    with pytest.raises(services.KraftsamlingError, match="Fältet mål"):
        services.add_activity(
            h,
            title="Utan mål",
            goal_ids=[],
            organisation=w.orgs["forening"],
            start=dt.date(2026, 1, 1),
            end=dt.date(2026, 6, 1),
            by=analyst,
        )
    assert not plan.activities.exists()
    activity = services.add_activity(
        h,
        title="Utbilda stödpersoner",
        goal_ids=[goal.pk],
        organisation=w.orgs["forening"],
        start=dt.date(2026, 2, 1),
        end=dt.date(2027, 6, 30),
        kind="spread",
        how="Kurser",
        by=analyst,
    )
    assert activity.kraftsamling.organisation == w.orgs["forening"]
    # signing: each participant's coordinator, in its own name
    for role in set(Role) - {Role.COORDINATOR}:
        with pytest.raises(PermissionDenied):
            services.sign(h, w.orgs["kommun"], by=w.user("kommun", role))
    with pytest.raises(PermissionDenied):
        services.sign(h, w.orgs["kommun"], by=w.user("region", Role.COORDINATOR))
    with pytest.raises(services.KraftsamlingError, match="deltar inte"):
        services.sign(h, w.orgs["utomstaende"], by=w.user("utomstaende", Role.COORDINATOR))
    keys = ["myndighet", "region", "kommun", "foretag", "forening"]
    for key in keys[:-1]:
        services.sign(h, w.orgs[key], by=w.user(key, Role.COORDINATOR))
    h.refresh_from_db()
    assert h.status == HandslagStatus.DRAFT
    with pytest.raises(services.KraftsamlingError, match="undertecknats"):
        services.add_goal(h, text="Sent", goal_number=1, by=analyst)
    services.sign(h, w.orgs["forening"], by=w.user("forening", Role.COORDINATOR))
    h.refresh_from_db()
    plan = plans.get_plan(plan.pk, SYSTEM)
    assert h.status == HandslagStatus.SIGNED and plan.status == "agreed"
    with pytest.raises(services.KraftsamlingError, match="redan undertecknat"):
        services.sign(h, w.orgs["kommun"], by=w.user("kommun", Role.COORDINATOR))


def test_signing_needs_content() -> None:
    w = make_world(with_handslag=True)
    with pytest.raises(services.KraftsamlingError, match="minst ett mål"):
        services.sign(w.handslag, w.orgs["kommun"], by=SYSTEM)


def test_a_second_handslag_is_refused() -> None:
    w = make_world(with_handslag=True)
    with pytest.raises(services.KraftsamlingError, match="redan ett handslag"):
        services.create_handslag(
            w.delarena, organisation=w.orgs["kommun"], start_year=2026, end_year=2028, by=SYSTEM
        )


# --- documents ---------------------------------------------------------------------------


def test_filled_handslag_pdf_opens_with_five_to_ten_pages() -> None:
    from weasyprint import HTML

    w = make_world(filled=True)
    doc = services.handslag_document(w.handslag)
    html = render_to_string("kraftsamling/handslag_print.html", doc)
    pages = len(HTML(string=html).render().pages)
    assert 5 <= pages <= 10, pages
    response = Client().get(f"/kraftsamling/handslag/{w.handslag.pk}/handslag.pdf")
    assert response.status_code == 200 and response.content.startswith(b"%PDF-")
    markdown = services.handslag_markdown(doc)
    for heading in ("Vilka", "Vad", "När", "Underskrifter"):
        assert f"## {heading}" in markdown
    assert "KS foretag" in markdown and "Initiativ 5.3" in markdown


def test_markdown_escapes_markup() -> None:
    w = make_world(with_handslag=True)
    Delarena.objects.filter(pk=w.delarena.pk).update(name="<script>*x*</script>")
    doc = services.handslag_document(services.get_handslag(w.handslag.pk))
    assert "<script>" not in services.handslag_markdown(doc)


# --- pages -----------------------------------------------------------------------------------


def _client(w: KsWorld, org: str | None = None, role: Role = Role.COORDINATOR, en: bool = False):
    client = Client()
    if org:
        client.force_login(w.user(org, role))
    if en:
        client.cookies["django_language"] = "en"
    return client


def test_pages_in_swedish_and_english() -> None:
    w = make_world(filled=True)
    urls = [
        "/kraftsamling/",
        f"/kraftsamling/delarena/{w.delarena.pk}/",
        f"/kraftsamling/handslag/{w.handslag.pk}/",
    ]
    for url in urls:
        sv = _client(w).get(url)
        en = _client(w, en=True).get(url)
        assert sv.status_code == en.status_code == 200, url
        assert "Skyddsnät" in sv.content.decode() or "skyddsnät" in sv.content.decode()
        assert "safety net" in en.content.decode(), url
    sv = _client(w).get("/kraftsamling/").content.decode()
    assert "Ett mer hälsofrämjande samhälle och levnadssätt" in sv and "Verkstad 5" in sv
    en = _client(w, en=True).get("/kraftsamling/").content.decode()
    assert "A more health-promoting society and way of life" in en and "Workshop 5" in en
    page = _client(w).get(f"/kraftsamling/delarena/{w.delarena.pk}/").content.decode()
    for group in ("Myndigheter", "Näringsliv", "Regioner/kommuner", "Civilsamhälle"):
        assert group in page


def test_create_delarena_page_and_bad_input() -> None:
    w = make_world()
    client = _client(w, "utomstaende", Role.VIEWER)
    assert client.get("/kraftsamling/delarena/ny/").status_code == 200
    before = Delarena.objects.count()
    bad = client.post("/kraftsamling/delarena/ny/", {"name": "Ny arena", "areas": ["Z"]})
    assert bad.status_code == 200 and "Fältet områden" in bad.content.decode()
    assert Delarena.objects.count() == before
    ok = client.post("/kraftsamling/delarena/ny/", {"name": "Ny arena", "areas": ["B", "C"]})
    assert ok.status_code == 302
    assert Delarena.objects.get(name="Ny arena").created_by_organisation == w.orgs["utomstaende"]
    assert Client().get("/kraftsamling/delarena/ny/").status_code == 302  # sign-in first


def test_forms_on_the_delarena_page() -> None:
    w = make_world()
    client = _client(w, "region", Role.ANALYST)
    url = f"/kraftsamling/delarena/{w.delarena.pk}/"
    r = client.post(url + "verkstad/", {"stage": "1", "held_on": "inte ett datum", "text": "x"})
    assert r.status_code == 302
    assert "Fältet datum" in client.get(url).content.decode()
    client.post(url + "verkstad/", {"stage": "1", "held_on": "2026-02-01", "text": "Problemet"})
    assert WorkshopOutput.objects.filter(organisation=w.orgs["region"]).count() == 1
    r = client.post(url + "handslag/", {"start_year": "2026", "end_year": "2027"})
    assert "Fältet sista år" in client.get(url).content.decode()
    r = client.post(url + "handslag/", {"start_year": "2026", "end_year": "2028", "vision": "V"})
    h = Handslag.objects.get(delarena=w.delarena)
    assert r.status_code == 302 and h.plan.owner == w.orgs["region"]
    viewer = _client(w, "region", Role.VIEWER)
    assert (
        viewer.post(url + "deltagare/", {"participant": w.orgs["utomstaende"].pk}).status_code
        == 403
    )


# --- API and CLI -------------------------------------------------------------------------------


def test_api_reads_and_writes() -> None:
    w = make_world()
    client = _client(w, "kommun", Role.COORDINATOR)
    goals = client.get("/api/kraftsamling/goals").json()
    assert [g["number"] for g in goals] == [1, 2, 3] and goals[2]["areas"] == ["G", "H", "I"]
    assert len(client.get("/api/kraftsamling/areas").json()) == 9
    r = client.post(
        "/api/kraftsamling/delarenor",
        {"organisation_id": w.orgs["kommun"].pk, "name": "API-arena", "areas": ["E"]},
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    new = r.json()["id"]
    r = client.post(
        f"/api/kraftsamling/delarenor/{new}/handslag",
        {"organisation_id": w.orgs["kommun"].pk, "start_year": 2026, "end_year": 2032},
        content_type="application/json",
    )
    assert r.status_code == 422 and "Fältet sista år" in r.json()["detail"]
    r = client.post(
        f"/api/kraftsamling/delarenor/{w.delarena.pk}/participants",
        {"organisation_id": w.orgs["utomstaende"].pk},
        content_type="application/json",
    )
    assert r.status_code == 201
    outsider = _client(w, "utomstaende", Role.VIEWER)
    r = outsider.post(
        f"/api/kraftsamling/delarenor/{w.delarena.pk}/outputs",
        {
            "stage": 1,
            "organisation_id": w.orgs["utomstaende"].pk,
            "held_on": "2026-01-01",
            "text": "x",
        },
        content_type="application/json",
    )
    assert r.status_code == 403
    assert client.get("/api/kraftsamling/delarenor/999999").status_code == 404


def test_cli_list_and_handslag(tmp_path: Path) -> None:
    w = make_world(filled=True)
    runner = CliRunner()
    listed = runner.invoke(app, ["kraftsamling", "list"])
    assert listed.exit_code == 0 and "Hela samhällets suicidprevention" in listed.output
    out = tmp_path / "h.pdf"
    done = runner.invoke(
        app, ["kraftsamling", "handslag", str(w.handslag.pk), "--output", str(out)]
    )
    assert done.exit_code == 0, done.output
    assert out.read_bytes().startswith(b"%PDF-")
    md = tmp_path / "h.md"
    assert (
        runner.invoke(
            app, ["kraftsamling", "handslag", str(w.handslag.pk), "-o", str(md)]
        ).exit_code
        == 0
    )
    assert re.search(r"^# Handslag", md.read_text(encoding="utf-8"))
    bad = runner.invoke(
        app, ["kraftsamling", "handslag", str(w.handslag.pk), "-o", str(tmp_path / "h.doc")]
    )
    assert bad.exit_code == 2
    missing = runner.invoke(app, ["kraftsamling", "handslag", "999999", "-o", str(out)])
    assert missing.exit_code == 2
