"""Follow-up of plans on real-shaped indicator results: judgements, trend from the engine,
activities and overdue, changes since the last recorded follow-up, rights (every role,
own/party/other), audit, reports (PDF, Excel equal to the page), pages in sv/en, the
comparison across units, and clear errors for a bad year."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from datasmart.accounts.audit import SYSTEM
from datasmart.accounts.models import AuditEvent, Role
from datasmart.geo.models import Unit
from datasmart.indicators.services import Indicator, Result
from datasmart.plans import followup, services
from datasmart.plans.models import ActivityStatus, FollowUp
from datasmart.stats import proportion_trend
from tests.plans.plans_support import PlanWorld, make_plan_world

pytestmark = pytest.mark.django_db

EDITORS = {Role.COORDINATOR, Role.ANALYST}


def proportion_results(code: str, unit_code: str, series: dict[int, tuple[int, int]]) -> Any:
    """A proportion indicator (× 100) with stored results shaped like the engine's: value,
    Wilson interval, numerator and denominator per period."""
    import math

    indicator = Indicator.objects.filter(code=code).first() or Indicator.objects.create(
        code=code,
        title_sv=f"Andel {code}",
        type="proportion",
        multiplier=100,
        polarity="higher_is_better",
        levels=["kommun", "region"],
        breakdowns=[],
        age_groups=[],
        first_period=2015,
        last_period=2025,
        group="test",
    )
    unit = Unit.objects.get(code=unit_code)
    for period, (x, n) in series.items():
        p, z = x / n, 1.959963984540054
        centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
        suppressed = x < 3
        Result.objects.create(
            indicator=indicator,
            unit=unit,
            level=unit.level,
            period=period,
            numerator=None if suppressed else x,
            denominator=None if suppressed else n,
            value=None if suppressed else 100 * p,
            lower=None if suppressed else 100 * (centre - half),
            upper=None if suppressed else 100 * (centre + half),
            status="suppressed" if suppressed else "ok",
            computed_at=timezone.now(),
        )
    return indicator


@pytest.fixture
def world() -> PlanWorld:
    return make_plan_world()


RISING = {2020: (300, 1000), 2021: (330, 1000), 2022: (360, 1000), 2023: (390, 1000)}


def _agreed_plan(world: PlanWorld, *, series: dict[int, tuple[int, int]] | None = None) -> Any:
    """Stockholm's plan with one goal followed by a rising proportion (baseline 2021)."""
    base = {k: v for k, v in (series or RISING).items() if k <= 2021}
    proportion_results("fu-andel", "0180", base)
    plan = services.create_plan(
        world.orgs["stockholm"],
        title="Plan psykisk hälsa",
        start_year=2022,
        end_year=2026,
        by=SYSTEM,
    )
    goal = services.create_goal(plan, text="Fler unga får stöd i tid", by=SYSTEM)
    services.add_goal_indicator(
        goal, indicator_code="fu-andel", target_value=45, target_year=2026, by=SYSTEM
    )
    services.create_activity(
        plan,
        title="Utbilda skolpersonal",
        goals=[goal],
        start=dt.date(2022, 1, 1),
        end=dt.date(2023, 6, 30),
        status=ActivityStatus.ONGOING,
        by=SYSTEM,
    )
    services.create_activity(
        plan,
        title="Samverkansrutin",
        goals=[goal],
        start=dt.date(2022, 1, 1),
        end=dt.date(2022, 12, 31),
        status=ActivityStatus.DONE,
        by=SYSTEM,
    )
    services.agree_plan(plan, by=SYSTEM)
    later = {k: v for k, v in (series or RISING).items() if k > 2021}
    proportion_results("fu-andel", "0180", later)
    return plan


def test_follow_up_judges_from_the_results_and_the_engine_trend(world: PlanWorld) -> None:
    plan = _agreed_plan(world)
    report = followup.plan_follow_up(plan, 2023, SYSTEM, today=dt.date(2026, 12, 6))
    [row] = report.indicators
    assert row.baseline == pytest.approx(33.0) and row.baseline_period == 2021
    assert row.latest is not None and row.latest.period == 2023
    assert row.latest.value == pytest.approx(39.0)
    # straight line 33 → 45 over 2021–2026: 37.8 expected in 2023; 39 is ahead
    assert row.verdict.judgement == followup.Judgement.ON_TRACK
    assert row.verdict.reason == "ahead_of_path"
    assert row.expected_text == "37,8" and row.value_text == "39,0"
    # the trend is the engine's: Cochran–Armitage on the last periods (as stats computes it)
    assert row.trend is not None and row.trend["direction"] == "increasing"
    direct = proportion_trend([300, 330, 360, 390], [1000] * 4, [2020, 2021, 2022, 2023])
    assert row.trend["p_value"] == pytest.approx(float(direct.p_value))
    # activities: one ongoing past its end (overdue), one done
    assert [a["title"] for a in report.overdue] == ["Utbilda skolpersonal"]
    counts = {code: n for code, _l, n in report.activity_counts}
    assert counts == {"planned": 0, "ongoing": 1, "done": 1, "stopped": 0}
    # a past year sees only its own data: 2021 is the baseline → no new data
    old = followup.plan_follow_up(plan, 2022, SYSTEM)
    assert old.indicators[0].latest.period == 2022  # type: ignore[union-attr]
    assert followup.plan_follow_up(plan, 2022, SYSTEM).indicators[0].trend["last_period"] == 2022  # type: ignore[index]


def test_suppressed_and_few_events_cannot_be_judged(world: PlanWorld) -> None:
    series = {2020: (300, 1000), 2021: (330, 1000), 2022: (2, 10)}
    plan = _agreed_plan(world, series=series)
    row = followup.plan_follow_up(plan, 2022, SYSTEM).indicators[0]
    assert (row.verdict.judgement, row.verdict.reason) == ("cannot_judge", "suppressed")
    proportion_results("fu-andel", "0180", {2023: (8, 12)})
    row = followup.plan_follow_up(plan, 2023, SYSTEM).indicators[0]
    assert row.verdict.reason == "too_few_events"


def test_recording_and_changes_since_the_last_follow_up(world: PlanWorld) -> None:
    plan = _agreed_plan(world, series={k: v for k, v in RISING.items() if k <= 2022})
    user = world.user("stockholm", Role.ANALYST)
    first = followup.record_follow_up(plan, 2022, note="Första", by=user)
    assert first.snapshot["indicators"][0]["judgement"] == "on_track"
    assert first.made_by_name == user.get_username()
    event = AuditEvent.objects.get(action="plans.follow_up_recorded")
    assert event.organisation == plan.owner.name
    proportion_results("fu-andel", "0180", {2023: (300, 1000)})  # fell back below baseline
    report = followup.plan_follow_up(plan, 2023, user)
    assert report.previous == first
    assert report.indicators[0].verdict.judgement == "not_on_track"
    assert "På väg mot målet" in report.indicators[0].change
    assert any("Inte på väg mot målet" in line for line in report.changes)


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("where", ["stockholm", "malmo"])
def test_record_rights_by_role(world: PlanWorld, role: Role, where: str) -> None:
    plan = _agreed_plan(world)
    user = world.user(where, role)
    denials = AuditEvent.objects.filter(action="auth.permission_denied").count()
    if where == "stockholm" and role in EDITORS:
        followup.record_follow_up(plan, 2023, by=user)
        assert FollowUp.objects.filter(plan=plan).count() == 1
    else:
        with pytest.raises(PermissionDenied):
            followup.record_follow_up(plan, 2023, by=user)
        assert not FollowUp.objects.exists()
        assert AuditEvent.objects.filter(action="auth.permission_denied").count() == denials + 1


def test_a_party_records_a_joint_plan_and_a_draft_is_refused(world: PlanWorld) -> None:
    plan = services.create_joint_plan(
        "01", world.orgs["region"], title="Länsplan", start_year=2024, end_year=2027, by=SYSTEM
    )
    party_analyst = world.user("stockholm", Role.ANALYST)
    with pytest.raises(services.PlanError, match="utkast"):
        followup.record_follow_up(plan, 2024, by=party_analyst)
    for org in ("region", "stockholm", "vasby"):
        services.approve(plan, world.orgs[org], by=world.user(org, Role.COORDINATOR))
    plan.refresh_from_db()
    assert plan.status == "agreed"
    followup.record_follow_up(plan, 2024, note="Länet", by=party_analyst)
    with pytest.raises(PermissionDenied):
        followup.record_follow_up(plan, 2024, by=world.user("malmo", Role.COORDINATOR))


@pytest.mark.parametrize("year", ["abc", "1999", "2050", ""])
def test_bad_year_is_a_clear_error(world: PlanWorld, year: str) -> None:
    plan = _agreed_plan(world)
    with pytest.raises(services.PlanError, match="Fältet år"):
        followup.plan_follow_up(plan, year, SYSTEM)
    client = Client()
    response = client.get(reverse("plans:follow_up", args=[plan.pk]), {"ar": year or "x"})
    assert response.status_code == 400
    assert "Fältet år" in response.content.decode()


def _page_indicator_cells(html: str) -> dict[str, str]:
    import re

    body = html.split('id="followup-indicators"', 1)[1]
    cells = re.findall(r'<td class="num value">([^<]*)', body)
    return {"value": cells[0].strip()}


@pytest.mark.parametrize("language", ["sv", "en"])
def test_pages_and_reports(world: PlanWorld, language: str) -> None:
    from openpyxl import load_workbook

    plan = _agreed_plan(world)
    client = Client(headers={"accept-language": language})
    client.cookies["django_language"] = language
    page = client.get(reverse("plans:follow_up", args=[plan.pk]), {"ar": "2023"})
    assert page.status_code == 200
    html = page.content.decode()
    rule = "Bedömningsregel" if language == "sv" else "Judgement rule"
    assert rule in html
    shown = _page_indicator_cells(html)["value"]
    assert shown == ("39,0" if language == "sv" else "39.0")
    # anonymous readers of a public plan see no record button
    assert reverse("plans:follow_up_record", args=[plan.pk]) not in html
    pdf = client.get(reverse("plans:follow_up_pdf", args=[plan.pk]), {"ar": "2023"})
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    xlsx = client.get(reverse("plans:follow_up_xlsx", args=[plan.pk]), {"ar": "2023"})
    assert xlsx.status_code == 200
    ws = load_workbook(io.BytesIO(xlsx.content)).worksheets[0]
    header = [c.value for c in ws[1]]
    row = [c.value for c in ws[2]]
    value = row[11]
    assert float(shown.replace(",", ".")) == value
    assert row[7] == 2021 and row[9] == 2026 and len(header) == len(row)


def test_record_page_and_detail_link(world: PlanWorld) -> None:
    plan = _agreed_plan(world)
    client = Client()
    client.force_login(world.user("stockholm", Role.COORDINATOR))
    page = client.get(reverse("plans:follow_up", args=[plan.pk]), {"ar": "2023"})
    assert reverse("plans:follow_up_record", args=[plan.pk]) in page.content.decode()
    response = client.post(
        reverse("plans:follow_up_record", args=[plan.pk]), {"year": "2023", "note": "Bra"}
    )
    assert response.status_code == 302 and FollowUp.objects.get().note == "Bra"
    bad = client.post(reverse("plans:follow_up_record", args=[plan.pk]), {"year": "x"})
    assert bad.status_code == 302 and FollowUp.objects.count() == 1
    other = Client()
    other.force_login(world.user("malmo", Role.COORDINATOR))
    denied = other.post(reverse("plans:follow_up_record", args=[plan.pk]), {"year": "2023"})
    assert denied.status_code == 403


def test_hidden_plan_is_not_shown(world: PlanWorld) -> None:
    plan = _agreed_plan(world)
    plan.visibility = "parties"
    plan.save()
    outsider = Client()
    outsider.force_login(world.user("malmo", Role.ANALYST))
    for name in ("plans:follow_up", "plans:follow_up_pdf", "plans:follow_up_xlsx"):
        assert outsider.get(reverse(name, args=[plan.pk])).status_code == 403
    assert Client().get(reverse("plans:follow_up", args=[99999])).status_code == 404


def test_compare_units_across_a_lan(world: PlanWorld) -> None:
    plan = _agreed_plan(world)
    proportion_results("fu-andel", "0114", {2021: (200, 1000)})
    vasby = services.create_plan(
        world.orgs["vasby"], title="Väsbys plan", start_year=2022, end_year=2026, by=SYSTEM
    )
    goal = services.create_goal(vasby, text="Fler får stöd", by=SYSTEM)
    services.add_goal_indicator(
        goal, indicator_code="fu-andel", target_value=30, target_year=2026, by=SYSTEM
    )
    proportion_results("fu-andel", "0114", {2023: (190, 1000)})
    result = followup.compare_units("fu-andel", "01", SYSTEM, year=2023)
    by_unit = {r.unit_code: r for r in result.rows}
    assert set(by_unit) == {"0180", "0114"}
    assert by_unit["0180"].verdict.judgement == "on_track"
    assert by_unit["0114"].verdict.judgement == "not_on_track"
    assert followup.compare_units("fu-andel", "12", SYSTEM, year=2023).rows == []
    page = Client().get(
        reverse("plans:compare_units"), {"indikator": "fu-andel", "lan": "01", "ar": "2023"}
    )
    assert page.status_code == 200
    html = page.content.decode()
    assert "cmp-figure" in html and plan.title in html and "Väsbys plan" in html
    for bad in ({"indikator": "finns-inte", "lan": "01"}, {"indikator": "fu-andel", "lan": "99"}):
        response = Client().get(reverse("plans:compare_units"), bad)
        assert response.status_code == 400 and "Fältet" in response.content.decode()
    assert Client().get(reverse("plans:compare_units")).status_code == 200
