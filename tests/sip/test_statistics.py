"""SIP statistics: counts on hand-built plans, month boundaries, plans without a first
meeting, closures, follow-ups, the median, geography of region-owned plans, and the
publication through the indicator engine (observations, results, idempotence, rights)."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from datasmart.accounts.models import AuditEvent, Role
from datasmart.geo.models import Unit
from datasmart.indicators.models import ImportBatch, Indicator, Observation, Result
from datasmart.indicators.periods import format_period, month_period, parse_period, period_index
from datasmart.indicators.results import query_results
from datasmart.sip import services
from datasmart.sip.stats.publish import (
    CLOSED_CODES,
    INDICATOR_CODES,
    count_sips,
    publish_sip_indicators,
)
from tests.accounts.factories import member, national_organisation
from tests.sip.sip_support import make_world
from tests.sip.statistics_support import (
    KIRUNA,
    LULEA,
    NORRBOTTEN,
    UMEA,
    FollowUp,
    at,
    build_plan,
    kommun_org,
    region_org,
)

pytestmark = pytest.mark.django_db

NOW = at(2026, 6, 15, 12)
DAY = dt.timedelta(days=1)


def unit_id(code: str) -> int:
    return int(Unit.objects.values_list("pk", flat=True).get(code=code))


def cell(frame: pl.DataFrame, code: str, period: int) -> dict[str, int] | None:
    rows = frame.filter((pl.col("kommun_id") == unit_id(code)) & (pl.col("period") == period))
    return rows.to_dicts()[0] if rows.height else None


def result(code: str, unit: str, period: int, level: str = "kommun") -> dict:
    rows = [r for r in query_results(code, level=level, period=period) if r["unit_code"] == unit]
    assert len(rows) == 1
    return rows[0]


# --- periods ----------------------------------------------------------------------------


def test_monthly_periods_round_trip() -> None:
    assert parse_period("2026-03") == parse_period("202603") == 202603
    assert parse_period("2023") == 2023
    assert format_period(202603) == "2026-03" and format_period(2023) == "2023"
    assert period_index(202701) - period_index(202612) == 1
    for bad in ("2026-13", "2026-00", "26-03", "x", "2101"):
        with pytest.raises(ValueError):
            parse_period(bad)


# --- counting ---------------------------------------------------------------------------


def test_counts_on_hand_built_plans() -> None:
    kiruna = kommun_org(KIRUNA)
    # March: 6 plans; first meetings after 5, 10, 30 days (within 30), 31 and 45 days
    # (late), one never held. April: 2 plans, both met in time.
    for days in (5, 10, 30, 31, 45):
        build_plan(kiruna, at(2026, 3, 2), first_held_after=days * DAY)
    build_plan(kiruna, at(2026, 3, 20))
    for _ in range(2):
        build_plan(kiruna, at(2026, 4, 7), first_held_after=3 * DAY)

    counts = count_sips(NOW, target_days=30)
    assert cell(counts.started, KIRUNA, 202603)["n"] == 6
    assert cell(counts.started, KIRUNA, 202604)["n"] == 2
    march = cell(counts.first_meeting, KIRUNA, 202603)
    assert (march["numerator"], march["denominator"]) == (3, 6)
    april = cell(counts.first_meeting, KIRUNA, 202604)
    assert (april["numerator"], april["denominator"]) == (2, 2)
    assert cell(counts.started, LULEA, 202603) is None  # zeros are filled when written
    # The median is over plans whose first meeting was held (5 in March).
    march_days = counts.days_to_first.filter(pl.col("period") == 202603)["days"].sort()
    assert march_days.to_list() == pytest.approx([5, 10, 30, 31, 45], abs=0.05)


def test_plan_without_first_meeting_counts_as_not_in_time_and_has_no_delay() -> None:
    kiruna = kommun_org(KIRUNA)
    build_plan(kiruna, at(2026, 2, 10))
    counts = count_sips(NOW, target_days=30)
    fm = cell(counts.first_meeting, KIRUNA, 202602)
    assert (fm["numerator"], fm["denominator"]) == (0, 1)
    assert counts.days_to_first.height == 0


def test_target_time_not_yet_passed_is_left_out_of_the_denominator() -> None:
    kiruna = kommun_org(KIRUNA)
    build_plan(kiruna, NOW - 10 * DAY, first_held_after=2 * DAY)  # met, but window open
    build_plan(kiruna, NOW - 40 * DAY)  # window closed, not met
    counts = count_sips(NOW, target_days=30)
    june = cell(counts.first_meeting, KIRUNA, 202606)
    may = cell(counts.first_meeting, KIRUNA, 202605)
    assert (june["numerator"], june["denominator"]) == (0, 0)
    assert (may["numerator"], may["denominator"]) == (0, 1)
    assert cell(counts.started, KIRUNA, 202606)["n"] == 1


def test_month_boundaries_are_swedish_calendar_months() -> None:
    kiruna = kommun_org(KIRUNA)
    # 23:59 on 31 March Swedish time is 21:59 UTC; 00:01 on 1 April is 22:01 UTC on 31 March.
    build_plan(kiruna, at(2026, 3, 31, 23, 59))
    build_plan(kiruna, at(2026, 4, 1, 0, 1))
    build_plan(kiruna, at(2026, 1, 1, 0, 0))  # first instant of January
    build_plan(kiruna, at(2025, 12, 31, 23, 59))
    counts = count_sips(NOW, target_days=30)
    assert cell(counts.started, KIRUNA, 202603)["n"] == 1
    assert cell(counts.started, KIRUNA, 202604)["n"] == 1
    assert cell(counts.started, KIRUNA, 202601)["n"] == 1
    assert cell(counts.started, KIRUNA, 202512)["n"] == 1


def test_closed_by_reason_by_month_of_closing() -> None:
    kiruna = kommun_org(KIRUNA)
    build_plan(kiruna, at(2026, 1, 5), closed_at=at(2026, 3, 1), closed_reason="goals_met")
    build_plan(kiruna, at(2026, 1, 5), closed_at=at(2026, 3, 31, 23), closed_reason="goals_met")
    build_plan(kiruna, at(2026, 2, 5), closed_at=at(2026, 4, 1, 1), closed_reason="moved")
    build_plan(kiruna, at(2026, 2, 5), closed_at=at(2026, 3, 2), closed_reason="person_ended")
    counts = count_sips(NOW)
    closed = {
        (r["period"], r["reason"]): r["n"]
        for r in counts.closed.filter(pl.col("kommun_id") == unit_id(KIRUNA)).to_dicts()
    }
    assert closed == {(202603, "goals_met"): 2, (202604, "moved"): 1, (202603, "person_ended"): 1}
    assert set(CLOSED_CODES) == {"goals_met", "person_ended", "consent_withdrawn", "moved", "other"}


def test_follow_up_held_by_month_scheduled() -> None:
    kiruna = kommun_org(KIRUNA)
    build_plan(
        kiruna,
        at(2026, 1, 5),
        first_held_after=5 * DAY,
        follow_ups=(FollowUp(at(2026, 3, 3)), FollowUp(at(2026, 3, 20), held=False)),
    )
    build_plan(kiruna, at(2026, 1, 6), follow_ups=(FollowUp(at(2026, 3, 10), held=False),))
    build_plan(kiruna, at(2026, 1, 7), follow_ups=(FollowUp(NOW + 5 * DAY, held=False),))
    counts = count_sips(NOW)
    march = cell(counts.follow_up, KIRUNA, 202603)
    # Two plans had follow-ups due in March; one of them held one (counted once).
    assert (march["numerator"], march["denominator"]) == (1, 2)
    assert cell(counts.follow_up, KIRUNA, 202606) is None  # not due yet


def test_region_owned_plan_counts_in_its_invited_kommun_or_is_unplaced() -> None:
    bup = region_org(NORRBOTTEN)
    build_plan(bup, at(2026, 3, 3), invited_kommun=kommun_org(LULEA))
    build_plan(bup, at(2026, 3, 4))  # no kommun involved yet
    counts = count_sips(NOW)
    assert cell(counts.started, LULEA, 202603)["n"] == 1
    assert counts.started["n"].sum() == 1
    assert counts.unplaced == 1


def test_plans_made_through_the_services_are_counted() -> None:
    world = make_world()  # Kiruna, started now, first meeting in ten days
    later = timezone.now() + 40 * DAY
    counts = count_sips(later)
    period = month_period(timezone.localdate(world.sip.started_at))
    assert cell(counts.started, KIRUNA, period)["n"] == 1
    fm = cell(counts.first_meeting, KIRUNA, period)
    assert (fm["numerator"], fm["denominator"]) == (0, 1)  # invited, not held
    services.close_sip(
        world.owner_staff, world.sip.pk, expected_version=world.version, reason="goals_met"
    )
    closed = count_sips(later).closed
    assert closed["n"].sum() == 1 and closed["reason"].to_list() == ["goals_met"]


# --- publishing -------------------------------------------------------------------------


def test_publish_writes_observations_and_results_for_every_indicator() -> None:
    kiruna, umea = kommun_org(KIRUNA), kommun_org(UMEA)
    for days in (2, 4, 6, 8, 40, 50):
        build_plan(kiruna, at(2026, 3, 2), first_held_after=days * DAY)
    for _ in range(7):
        build_plan(umea, at(2026, 3, 9), first_held_after=12 * DAY)
    report = publish_sip_indicators(now=NOW, target_days=30)
    assert not report.unchanged and report.plans == 13 and report.unplaced == 0
    assert report.months == [202603, 202604, 202605, 202606]
    assert [r.indicator for r in report.computed] == list(INDICATOR_CODES)
    assert all(r.ok for r in report.computed)
    # Every kommun has a figure every month (zeros included) for the counts.
    started = Indicator.objects.get(code="sip-started")
    assert Observation.objects.filter(indicator=started).count() == 290 * 4
    assert Observation.objects.filter(indicator=started, numerator__gt=0).count() == 2
    assert ImportBatch.objects.filter(dataset="sip").count() == 1

    assert result("sip-started", "00", 202603, "nation")["value"] == 13
    assert result("sip-started", LULEA, 202603)["value"] == 0
    # 4 of 6 met in time in Kiruna: a numerator below 5 is suppressed (primary), and so
    # is its region; Umeå and Västerbotten are hidden too (secondary), else Kiruna would
    # be the nation minus Umeå. sip-started is in the same disclosure group (its counts
    # are the share's denominators), so it hides the same cells (secondary there).
    for unit, level, reason in (
        (KIRUNA, "kommun", "primary"),
        (NORRBOTTEN, "region", "primary"),
        (UMEA, "kommun", "secondary"),
        ("24", "region", "secondary"),
    ):
        fm = result("sip-first-meeting-within-target", unit, 202603, level)
        assert fm["status"] == "suppressed" and fm["suppression"] == reason
        assert fm["numerator"] is fm["denominator"] is fm["value"] is None
        started_row = result("sip-started", unit, 202603, level)
        assert started_row["status"] == "suppressed" and started_row["suppression"] == "secondary"
        assert started_row["value"] is None
    nation_fm = result("sip-first-meeting-within-target", "00", 202603, "nation")
    assert (nation_fm["numerator"], nation_fm["denominator"]) == (11, 13)
    assert nation_fm["value"] == pytest.approx(100 * 11 / 13)
    assert result("sip-first-meeting-within-target", LULEA, 202603)["status"] == "not_applicable"
    # Median days: Kiruna 6 plans → median of 2,4,6,8,40,50 = 7; Umeå 12; the nation 12.
    assert result("sip-days-to-first-meeting", KIRUNA, 202603)["value"] == pytest.approx(7.0)
    assert result("sip-days-to-first-meeting", UMEA, 202603)["value"] == pytest.approx(12.0)
    assert result("sip-days-to-first-meeting", "00", 202603, "nation")["value"] == pytest.approx(12)


def test_publish_is_idempotent_and_force_rewrites() -> None:
    build_plan(kommun_org(KIRUNA), at(2026, 3, 2), first_held_after=3 * DAY)
    first = publish_sip_indicators(now=NOW)
    computed = Result.objects.filter(indicator__code="sip-started").values_list(
        "computed_at", flat=True
    )[0]
    again = publish_sip_indicators(now=NOW)
    assert again.unchanged and not again.computed and again.sha256 == first.sha256
    assert ImportBatch.objects.filter(dataset="sip").count() == 1
    forced = publish_sip_indicators(now=NOW, force=True)
    assert not forced.unchanged and ImportBatch.objects.filter(dataset="sip").count() == 2
    assert (
        Result.objects.filter(indicator__code="sip-started").values_list("computed_at", flat=True)[
            0
        ]
        >= computed
    )
    # A new plan changes the figures: published without force.
    build_plan(kommun_org(KIRUNA), at(2026, 4, 2))
    assert not publish_sip_indicators(now=NOW).unchanged


def test_publish_with_no_plans_writes_nothing_harmful() -> None:
    report = publish_sip_indicators(now=NOW)
    assert report.observations == 0 and report.months == []
    assert all(r.ok and r.rows == 0 for r in report.computed)


def test_publish_needs_edit_indicators_for_a_user() -> None:
    viewer = member(Role.VIEWER)
    with pytest.raises(PermissionDenied):
        publish_sip_indicators(viewer, now=NOW)
    # Publishing writes the SIP catalogue and every kommun's figures: a national job.
    kommun_analyst = member(Role.ANALYST, kommun_org(KIRUNA))
    with pytest.raises(PermissionDenied):
        publish_sip_indicators(kommun_analyst, now=NOW)
    analyst = member(Role.ANALYST, national_organisation())
    build_plan(kommun_org(KIRUNA), at(2026, 3, 2))
    publish_sip_indicators(analyst, now=NOW)
    batch = ImportBatch.objects.get(dataset="sip")
    assert batch.actor_username == analyst.username
    assert AuditEvent.objects.filter(action="indicators.compute").exists()


def test_observations_hold_no_personal_data() -> None:
    world = make_world()
    publish_sip_indicators(now=timezone.now() + 40 * DAY)
    texts = " ".join(
        str(v)
        for row in Observation.objects.filter(indicator__group="sip").values()
        for v in row.values()
    )
    batch = ImportBatch.objects.get(dataset="sip")
    for secret in (
        world.person_number,
        world.person_number.replace("-", ""),
        "Elsa",
        str(world.sip.pk),
    ):
        assert secret not in texts and secret not in batch.file_name
