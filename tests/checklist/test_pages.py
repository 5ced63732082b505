"""Pages, report (page, one-page PDF), comparison (page, Excel), API and CLI."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from datasmart.accounts.audit import SYSTEM
from datasmart.accounts.models import Role
from datasmart.checklist import report, services
from datasmart.checklist.models import ChecklistRound
from datasmart.geo.models import Unit
from datasmart.plans import services as plans
from tests.checklist.checklist_support import ChecklistWorld, all_answers, make_world

pytestmark = pytest.mark.django_db
LONG = "Nämnden har fått en redovisning av förväntat antal i mars. " * 30


@pytest.fixture
def world(settings: Any) -> ChecklistWorld:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return make_world()


def _client(world: ChecklistWorld, org: str, role: Role) -> Client:
    c = Client()
    c.force_login(world.user(org, role))
    return c


def _submitted(unit: str = "0180", **overrides: str) -> ChecklistRound:
    answers = all_answers("partly", **overrides)
    for a in answers.values():
        a["comment"] = LONG
        a["evidence_url"] = f"/behov/enhet/{unit}/"
    services.save_answers(unit, 2026, answers, by=SYSTEM)
    return services.submit_round(unit, 2026, by=SYSTEM)


def test_index_lists_questions_with_sources_in_both_languages(world: ChecklistWorld) -> None:
    _submitted()
    page = Client().get(reverse("checklist:index")).content.decode()
    assert "Politikerchecklistan" in page and "Källa:" in page and "002 avsn. 5.1" in page
    assert "Stockholm" in page
    en = Client()
    en.cookies["django_language"] = "en"
    page = en.get(reverse("checklist:index")).content.decode()
    assert "Does the board know roughly how many" in page and "Source:" in page


def test_form_saves_and_submits_and_the_report_shows_the_evidence(world: ChecklistWorld) -> None:
    c = _client(world, "stockholm", Role.COORDINATOR)
    url = reverse("checklist:round", args=["0180", 2026])
    assert 'name="value_behov-nu"' in c.get(url).content.decode()
    body = {f"value_{q}": "yes" for q in all_answers()}
    body["value_mal-politiska"] = "kanske"
    r = c.post(url, body)
    assert r.status_code == 400
    assert "Fråga 3 (mal-politiska), fältet svar" in r.content.decode()
    assert not ChecklistRound.objects.exists()
    body["value_mal-politiska"] = "no"
    body["url_behov-nu"] = "/behov/enhet/0180/"
    body["submit"] = "1"
    r = c.post(url, body)
    assert r.status_code == 302 and r["Location"] == reverse(
        "checklist:report", args=["0180", 2026]
    )
    page = Client().get(r["Location"]).content.decode()
    assert "Inskickad" in page and 'href="/behov/enhet/0180/"' in page
    assert "Indikatorprofil för Stockholm" in page and "Överenskommen gemensam länsplan" in page
    # submitted: the form offers a new round instead of fields
    page = c.get(url).content.decode()
    assert 'name="value_behov-nu"' not in page and "Öppna en ny omgång" in page
    assert c.post(reverse("checklist:new_round", args=["0180", 2026])).status_code == 302
    assert ChecklistRound.objects.filter(unit__code="0180").count() == 2


def test_viewers_see_the_answers_but_no_form(world: ChecklistWorld) -> None:
    c = _client(world, "stockholm", Role.VIEWER)
    page = c.get(reverse("checklist:round", args=["0180", 2026])).content.decode()
    assert 'name="value_behov-nu"' not in page
    assert c.post(reverse("checklist:round", args=["0180", 2026]), {}).status_code == 403


def test_drafts_are_hidden_from_other_organisations(world: ChecklistWorld) -> None:
    services.save_answers("0180", 2026, all_answers("no"), by=SYSTEM)
    mine = _client(world, "stockholm", Role.VIEWER)
    other = _client(world, "malmo", Role.COORDINATOR)
    url = reverse("checklist:report", args=["0180", 2026])
    assert "Utkast" in mine.get(url).content.decode()
    assert "Enheten har inte svarat" in other.get(url).content.decode()
    assert "Enheten har inte svarat" in Client().get(url).content.decode()


def test_unknown_units_and_levels_are_404(world: ChecklistWorld) -> None:
    c = Client()
    assert c.get(reverse("checklist:round", args=["9999", 2026])).status_code == 404
    assert c.get(reverse("checklist:report", args=["00", 2026])).status_code == 404
    assert c.get(reverse("checklist:report", args=["0180", 1700])).status_code == 404


def test_platform_evidence_follows_the_plans(world: ChecklistWorld) -> None:
    unit = Unit.objects.get(code="0180")
    before = report.unit_report("0180", 2026, SYSTEM)
    plans_row = next(q for q in before["questions"] if q["code"] == "plan-lan")
    assert plans_row["platform"]["found"] is False
    plan = plans.create_joint_plan(
        "01", world.orgs["region"], title="Länsplan", start_year=2025, end_year=2028, by=SYSTEM
    )
    for party in plan.parties.select_related("organisation"):
        plans.approve(plan, party.organisation, by=SYSTEM)
    after = report.unit_report(unit.code, 2026, SYSTEM)
    plans_row = next(q for q in after["questions"] if q["code"] == "plan-lan")
    assert plans_row["platform"]["found"] is True
    assert plans_row["platform"]["url"] == reverse("plans:detail", args=[plan.pk])


def test_report_pdf_is_one_a4_page(world: ChecklistWorld) -> None:
    _submitted()
    r = Client().get(reverse("checklist:report_pdf", args=["0180", 2026]))
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    assert r.content.startswith(b"%PDF")
    data = report.unit_report("0180", 2026, SYSTEM)
    unit = Unit.objects.get(code="0180")
    html = report.print_html({"unit": unit, "year": 2026, "data": data}, "http://testserver/")
    assert len(data["questions"]) >= 15
    assert report.pdf_pages(html, "http://testserver/") == 1
    try:
        from pypdf import PdfReader
    except ImportError:
        return
    assert len(PdfReader(io.BytesIO(r.content)).pages) == 1


def test_comparison_counts_answers_across_the_lan(world: ChecklistWorld) -> None:
    _submitted("0180", **{"behov-nu": "yes"})
    _submitted("0114", **{"behov-nu": "no"})
    services.save_answers("01", 2026, all_answers(), by=SYSTEM)  # a draft does not count
    data = report.comparison("01", 2026)
    assert data["answered"] == 2 and data["units"][0]["code"] == "01"
    first = data["questions"][0]
    assert first["code"] == "behov-nu"
    assert first["counts"] == {"yes": 1, "partly": 0, "no": 1, "unknown": 0, "missing": 0}
    page = Client().get(reverse("checklist:compare") + "?lan=01&ar=2026").content.decode()
    assert "2 av" in page and "Upplands Väsby" in page
    x = Client().get(reverse("checklist:compare") + "?lan=01&ar=2026&format=xlsx")
    assert x.status_code == 200 and x.content[:2] == b"PK"
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(x.content))
    assert wb.sheetnames[:2] == ["Svar", "Antal"]
    bad = Client().get(reverse("checklist:compare") + "?lan=0180&ar=2026")
    assert "inte ett län" in bad.content.decode()


def test_api_questions_answers_submit_report_and_comparison(world: ChecklistWorld) -> None:
    api = "/api/checklist"
    q = Client().get(f"{api}/questions").json()
    assert q["version"] == "2026-1" and q["questions"][0]["source_ref"]
    c = _client(world, "stockholm", Role.ANALYST)
    body = {"answers": [{"question": k, **v} for k, v in all_answers().items()]}
    body["answers"][0]["value"] = "kanske"
    r = c.put(f"{api}/rounds/0180/2026/answers", body, content_type="application/json")
    assert r.status_code == 422 and "fältet svar" in r.json()["detail"]
    body["answers"][0]["value"] = "yes"
    r = c.put(f"{api}/rounds/0180/2026/answers", body, content_type="application/json")
    assert r.status_code == 200 and r.json()["status"] == "draft"
    assert Client().get(f"{api}/rounds?unit=0180").json() == []  # drafts are not public
    assert c.post(f"{api}/rounds/0180/2026/submit").json()["status"] == "submitted"
    rep = Client().get(f"{api}/rounds/0180/2026/report").json()
    assert rep["counts"]["yes"] == len(q["questions"]) and rep["round"]["number"] == 1
    assert c.post(f"{api}/rounds/0180/2026/new").status_code == 201
    cmp_ = Client().get(f"{api}/comparison?lan=01&year=2026").json()
    assert cmp_["answered"] == 1
    other = _client(world, "malmo", Role.COORDINATOR)
    r = other.put(f"{api}/rounds/0180/2026/answers", body, content_type="application/json")
    assert r.status_code == 403
    assert Client().post(f"{api}/rounds/0180/2026/submit").status_code == 401
    assert Client().get(f"{api}/rounds/9999/2026/report").status_code == 404


def test_cli_questions_and_report(world: ChecklistWorld, tmp_path: Any) -> None:
    from typer.testing import CliRunner

    from datasmart.cli import app

    _submitted()
    runner = CliRunner()
    out = runner.invoke(app, ["checklist", "questions", "--format", "json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.stdout)["questions"][0]["code"] == "behov-nu"
    out = runner.invoke(app, ["checklist", "report", "0180", "2026", "--format", "json"])
    assert out.exit_code == 0 and json.loads(out.stdout)["counts"]["partly"] == 16
    pdf = tmp_path / "r.pdf"
    out = runner.invoke(
        app, ["checklist", "report", "0180", "2026", "--format", "pdf", "--output", str(pdf)]
    )
    assert out.exit_code == 0, out.output
    assert pdf.read_bytes().startswith(b"%PDF")
    out = runner.invoke(app, ["checklist", "report", "0180", "1850"])
    assert out.exit_code == 2 and "Fältet år" in out.output
