"""Computed results: compute_indicator/compute_all, queries, profile, export, audit."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from indicators_support import make_indicator, write_csv
from tests.accounts.factories import member, national_organisation

from datasmart.accounts.audit import SYSTEM
from datasmart.accounts.models import AuditEvent, Role
from datasmart.geo.models import Unit
from datasmart.indicators import results
from datasmart.indicators.imports import import_observations
from datasmart.indicators.models import Indicator, Result

MISSING = "2580"  # no data in 2023


def _rows(code: str, period: int, small: str = "0115") -> list[str]:
    rows = []
    kommuner = Unit.objects.filter(level="kommun").order_by("code").values_list("code", flat=True)
    for i, unit in enumerate(kommuner):
        if unit == MISSING and period == 2023:
            rows.append(f"{code},{unit},{period},T,,,,,missing")
            continue
        num = 3 if unit == small else 40 + (i % 20) * 3
        rows.append(f"{code},{unit},{period},T,,{num},{200 + (i % 20) * 10},,")
    return rows


@pytest.fixture
def computed(tmp_path: Path, db: Any) -> Indicator:
    ind = make_indicator(
        "res-prop",
        levels=["kommun"],
        breakdowns=[],
        age_groups=[],
        polarity="lower_is_better",
        ci_method="wilson",
        domain="A",
    )
    lines = _rows("res-prop", 2022) + _rows("res-prop", 2023)
    import_observations(write_csv(tmp_path, "res.csv", lines), by=SYSTEM)
    results.compute_indicator(ind, by=SYSTEM)
    return ind


def test_compute_stores_every_level_and_audits(computed: Indicator) -> None:
    levels = set(Result.objects.filter(indicator=computed).values_list("level", flat=True))
    assert levels == {"nation", "sjukvardsregion", "region", "kommun"}
    assert AuditEvent.objects.filter(action="indicators.compute").exists()
    before = Result.objects.filter(indicator=computed).count()
    report = results.compute_indicator(computed, by=SYSTEM)  # replaces, never duplicates
    assert report.ok and report.rows == before == Result.objects.filter(indicator=computed).count()
    assert report.periods == [2022, 2023]


def test_query_results_latest_period_and_suppression(computed: Indicator) -> None:
    rows = results.query_results(computed)
    assert len(rows) == 290  # every kommun, missing ones filled in
    by_code = {r["unit_code"]: r for r in rows}
    ok = by_code["1480"]
    assert ok["period"] == 2023 and ok["status"] == "ok"
    assert ok["value"] == pytest.approx(ok["numerator"] / ok["denominator"] * 100)
    assert ok["lower"] < ok["value"] < ok["upper"]
    small = by_code["0115"]
    assert small["status"] == "suppressed"
    assert small["value"] is None and small["numerator"] is None and small["lower"] is None
    assert by_code[MISSING]["status"] == "missing" and by_code["2580"]["value"] is None
    assert ok["vs_nation"] is not None and ok["rank"] is not None


def test_filters_and_series(computed: Indicator) -> None:
    f = results.available_filters(computed)
    assert f["periods"] == [2022, 2023] and f["sexes"] == ["T"] and f["age_groups"] == [""]
    assert f["levels"] == ["nation", "sjukvardsregion", "region", "kommun"]
    series = results.national_series(computed, "T", "")
    assert [p for p, *_ in series] == [2022, 2023]
    _, value, lower, upper = series[0]
    assert value is not None and lower is not None and upper is not None
    assert lower <= value <= upper
    assert series[1] == (2023, None, None, None)  # a kommun is missing: no national sum
    unit = results.unit_series(computed, "0115", "T", "")
    assert [r["status"] for r in unit] == ["suppressed", "suppressed"]
    assert all(r["value"] is None for r in unit)


def test_unit_profile(computed: Indicator) -> None:
    prof = results.unit_profile("1480")
    row = next(r for r in prof if r["code"] == "res-prop")
    assert row["period"] == 2023 and row["polarity"] == "lower_is_better"
    assert row["min"] <= row["q1"] <= row["median"] <= row["q3"] <= row["max"]
    assert 280 <= row["n"] <= 288  # suppressed, secondary and missing kommuner left out
    assert row["national_value"] is None  # 2023: the nation is missing
    old = next(r for r in results.unit_profile("1480", 2022) if r["code"] == "res-prop")
    assert old["national_value"] is not None and old["vs_nation"] is not None


def test_compute_needs_edit_right(computed: Indicator) -> None:
    viewer = member(Role.VIEWER, username="vera")
    with pytest.raises(PermissionDenied):
        results.compute_indicator(computed, by=viewer)
    with pytest.raises(PermissionDenied):
        results.compute_all(by=viewer)
    with pytest.raises(PermissionDenied):  # an analyst for one organisation's units only
        results.compute_indicator(computed, by=member(Role.ANALYST, username="kommun-ana"))
    analyst = member(Role.ANALYST, national_organisation(), username="ana")
    assert results.compute_indicator(computed, by=analyst).ok
    event = AuditEvent.objects.filter(action="indicators.compute").order_by("-id").first()
    assert event is not None and event.actor_id == analyst.pk


def test_export_formats(computed: Indicator, tmp_path: Path) -> None:
    rows = results.export_rows(computed, level="kommun")
    for fmt in ("csv", "json", "xlsx"):
        path = tmp_path / f"out.{fmt}"
        assert results.write_export(rows, fmt, path) == 290
    text = (tmp_path / "out.csv").read_text(encoding="utf-8")
    line = next(ln for ln in text.splitlines() if ln.startswith("res-prop,0115,"))
    assert ",suppressed," in line and ",3.0," not in line and ",3," not in line
    data = json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))
    assert data[0]["indicator"] == "res-prop"


def test_stale_results_are_recomputed_after_an_import(
    computed: Indicator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datasmart.indicators import cli

    assert "res-prop" not in results.stale_indicators()
    line = "res-prop,1480,2023,T,,99,200,,"
    import_observations(write_csv(tmp_path, "new.csv", [line]), by=SYSTEM)
    assert "res-prop" in results.stale_indicators()
    # Only ours: other tests' committed real data may be stale too (and slow to compute).
    monkeypatch.setattr(results, "stale_indicators", lambda: ["res-prop"])
    reports = cli.compute_stale(quiet=True)
    assert [r.indicator for r in reports] == ["res-prop"] and reports[0].ok
    monkeypatch.undo()
    assert "res-prop" not in results.stale_indicators()
    row = results.query_results(computed, unit="1480")[0]
    assert row["numerator"] == 99 or row["status"] == "suppressed"


def test_age_groups_sort_by_first_age() -> None:
    ages = ["20-24", "", "5-9", "10-14", "65+"]
    assert sorted(ages, key=results._age_key) == ["", "5-9", "10-14", "20-24", "65+"]


def _export_line(path: Path, code: str, unit: str) -> dict[str, str]:
    import csv

    with path.open(encoding="utf-8-sig", newline="") as fh:
        return next(
            r for r in csv.DictReader(fh) if r["indicator"] == code and r["unit_code"] == unit
        )


def test_export_denominator_of_suppressed_rows_follows_the_engine(
    computed: Indicator, tmp_path: Path
) -> None:
    """Issue #11: a suppressed proportion hides its denominator (it counts the
    numerator's people); a suppressed rate keeps its population, as the engine and
    docs/methods/indicators.md say — the export used to blank both."""
    rate = make_indicator(
        "res-rate", type="rate", multiplier=100_000, levels=["kommun"], breakdowns=[],
        age_groups=[], polarity="lower_is_better", ci_method="byar",
    )  # fmt: skip
    import_observations(write_csv(tmp_path, "rate.csv", _rows("res-rate", 2023)), by=SYSTEM)
    results.compute_indicator(rate, by=SYSTEM)
    for ind in (computed, rate):
        results.write_export(results.export_rows(ind, level="kommun"), "csv", tmp_path / "e.csv")
        row = _export_line(tmp_path / "e.csv", ind.code, "0115")
        assert (row["status"], row["numerator"], row["value"]) == ("suppressed", "", "")
        assert row["denominator"] == ("" if ind.type == "proportion" else "210.0")
    shown = results.query_results(rate, unit="0115")[0]
    assert (shown["status"], shown["numerator"], shown["denominator"]) == (
        "suppressed",
        None,
        210.0,
    )


def test_source_privacy_is_exported_as_suppressed(db: Any, tmp_path: Path) -> None:
    """Kolada's "Privacy" (observation status ``suppressed_at_source``) leaves the engine
    and the export as status ``suppressed`` (stored reason ``at_source``): the export
    knows only ok, missing, suppressed and not_applicable (docs/indicators.md)."""
    ind = make_indicator(
        "res-value", type="value", levels=["kommun"], breakdowns=[], age_groups=[],
        value_min=0, value_max=100,
    )  # fmt: skip
    lines = ["res-value,0115,2023,T,,,,,suppressed_at_source", "res-value,0114,2023,T,,,,12.5,"]
    import_observations(write_csv(tmp_path, "v.csv", lines), by=SYSTEM)
    results.compute_indicator(ind, by=SYSTEM)
    rows = {r["unit_code"]: r for r in results.export_rows(ind, level="kommun")}
    assert (rows["0115"]["status"], rows["0115"]["value"]) == ("suppressed", None)
    assert rows["0114"]["status"] == "ok"
    assert {r["status"] for r in rows.values()} <= {"ok", "missing", "suppressed", "not_applicable"}
    assert "suppression" not in rows["0115"]  # "primary" would bound the hidden count
    stored = Result.objects.get(indicator=ind, unit__code="0115", period=2023)
    assert (stored.status, stored.suppression) == ("suppressed", "at_source")
