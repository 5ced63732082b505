"""Small numbers: a kommun with 3 SIPs shows no count anywhere that leaves the system —
results, the indicator page, the API's JSON and CSV (the page's download), profiles —
and the raw observations are never served."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from typing import Any

import pytest
from django.test import Client
from ninja.testing import TestClient

from datasmart.accounts.models import Role
from datasmart.indicators.api import router
from datasmart.indicators.imports import import_observations
from datasmart.indicators.models import Result
from datasmart.indicators.results import query_results, unit_profile
from datasmart.sip.stats.publish import INDICATOR_CODES, publish_sip_indicators
from tests.accounts.factories import make_token, member
from tests.sip.statistics_support import KIRUNA, NORRBOTTEN, at, build_plan, kommun_org

pytestmark = pytest.mark.django_db

NOW = at(2026, 6, 15, 12)
MARCH = 202603
api = TestClient(router)


@pytest.fixture
def three_in_kiruna() -> None:
    """Three plans in Kiruna in March 2026 and none anywhere else: every level is 3."""
    kiruna = kommun_org(KIRUNA)
    for day in (2, 9, 16):
        build_plan(
            kiruna,
            at(2026, 3, day),
            first_held_after=dt.timedelta(days=4),
            closed_at=at(2026, 3, 28),
            closed_reason="goals_met",
        )
    publish_sip_indicators(now=NOW)


@pytest.fixture
def headers() -> dict[str, str]:
    _token, secret = make_token(member(Role.VIEWER))
    return {"Authorization": f"Bearer {secret}"}


def _no_small_numbers(rows: list[dict[str, Any]], *names: str) -> None:
    for row in rows:
        for name in names:
            value = row.get(name)
            if value in (None, ""):
                continue
            assert not 0 < float(value) < 5, (name, row)


def test_results_hide_the_three_at_every_level(three_in_kiruna: None) -> None:
    for level, unit in (("kommun", KIRUNA), ("region", NORRBOTTEN), ("nation", "00")):
        row = next(
            r for r in query_results("sip-started", level=level, period=MARCH)
            if r["unit_code"] == unit
        )  # fmt: skip
        assert row["status"] == "suppressed" and row["suppression"] == "primary"
        assert row["numerator"] is None and row["value"] is None
    # Nothing stored for any SIP indicator carries a count of 1–4.
    stored = list(
        Result.objects.filter(indicator__code__in=INDICATOR_CODES).values(
            "numerator", "denominator", "value", "lower", "upper", "status"
        )
    )
    assert stored
    _no_small_numbers([r for r in stored if r["status"] == "ok"], "numerator")
    for r in stored:
        if r["status"] == "suppressed":
            assert r["numerator"] is r["value"] is r["lower"] is r["upper"] is None
    assert not Result.objects.filter(
        indicator__code__in=INDICATOR_CODES, numerator__gt=0, numerator__lt=5
    ).exists()
    assert not Result.objects.filter(
        indicator__code__in=INDICATOR_CODES, denominator__gt=0, denominator__lt=5
    ).exists()


def test_api_values_json_and_csv_show_no_count(
    three_in_kiruna: None, headers: dict[str, str]
) -> None:
    for code in INDICATOR_CODES:
        for level in ("kommun", "region", "sjukvardsregion", "nation"):
            res = api.get(
                f"/indicators/{code}/values?level={level}&period={MARCH}&limit=1000",
                headers=headers,
            )
            assert res.status_code == 200, res.content
            items = res.json()["items"]
            _no_small_numbers(items, "numerator", "denominator")
            if code == "sip-started" or code.startswith("sip-closed-goals"):
                _no_small_numbers(items, "value")
            res = api.get(
                f"/indicators/{code}/values?level={level}&period={MARCH}&format=csv",
                headers=headers,
            )
            assert res.status_code == 200
            rows = list(csv.DictReader(io.StringIO(res.content.decode("utf-8-sig"))))
            assert rows
            _no_small_numbers(rows, "numerator", "denominator")
            kiruna = [r for r in rows if r["unit_code"] == KIRUNA]
            if level == "kommun" and code == "sip-started":
                assert kiruna[0]["status"] == "suppressed" and kiruna[0]["value"] == ""


def test_raw_observations_are_never_served(three_in_kiruna: None, headers: dict[str, str]) -> None:
    for fmt in ("json", "csv"):
        res = api.get(f"/indicators/sip-started/observations?format={fmt}", headers=headers)
        assert res.status_code == 403
        assert "inte offentliga" in res.json()["detail"]
        assert b"2584" not in res.content


def test_imports_into_sip_indicators_are_refused(tmp_path: Any) -> None:
    from datasmart.accounts.audit import SYSTEM
    from datasmart.geo.validation import DataLoadError
    from datasmart.indicators.catalogue import sync_catalogue

    sync_catalogue()
    path = tmp_path / "sip.csv"
    path.write_text(
        "indicator,unit_code,period,numerator\nsip-started,2584,2026,3\n", encoding="utf-8"
    )
    with pytest.raises(DataLoadError, match="räknas fram av datasmart"):
        import_observations(path, by=SYSTEM)


def test_profile_and_page_show_no_count(three_in_kiruna: None) -> None:
    profile = {r["code"]: r for r in unit_profile(KIRUNA, MARCH)}
    assert profile["sip-started"]["value"] is None
    assert profile["sip-started"]["status"] == "suppressed"
    client = Client()
    client.force_login(member(Role.VIEWER))
    page = client.get(f"/indikatorer/sip-started/?level=kommun&period={MARCH}")
    assert page.status_code == 200
    html = page.content.decode()
    row = re.search(r'<tr class="status-suppressed">\s*<th scope="row"><a [^>]*>Kiruna</a>.*?</tr>',
                    html, re.S)  # fmt: skip
    assert row is not None, "Kiruna's row is shown as suppressed"
    assert not re.search(r">\s*3\s*<", row.group(0))
    nation = client.get(f"/indikatorer/sip-started/?level=nation&period={MARCH}")
    assert nation.status_code == 200
    assert not re.search(r'class="num value">\s*3\s*<', nation.content.decode())


def test_monthly_periods_read_as_months_on_the_page(three_in_kiruna: None) -> None:
    client = Client()
    client.force_login(member(Role.VIEWER))
    html = client.get(f"/indikatorer/sip-started/?level=kommun&period={MARCH}").content.decode()
    assert '<option value="202603" selected>2026-03</option>' in html
    assert "kommuner 2026-03," in html  # the table caption
    assert '"tickformat":"%Y-%m","type":"date"' in html.replace(" ", "")  # trend chart
