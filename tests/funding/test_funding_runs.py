"""Allocation runs: permissions and audit, reproducibility, acceptance policies, scenarios."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from tests.accounts.factories import OrganisationFactory, member

from datasmart.accounts.audit import SYSTEM
from datasmart.accounts.models import AuditEvent, Role
from datasmart.funding import services
from datasmart.funding.models import Agreement, AllocationLine, AllocationRun
from datasmart.funding.services import FundingError, PostOverride
from datasmart.geo.models import Unit

pytestmark = pytest.mark.django_db

MSEK = 1_000_000


def in_region(role: Role):  # type: ignore[no-untyped-def]
    """A user with ``role`` in an organisation of Region Stockholm (a real unit: test
    factories' made-up kommuner have no population and would join the kommun posts)."""
    org = OrganisationFactory(unit=Unit.objects.get(code="01"), kind="region_psychiatry")
    return member(role, org)


def national(role: Role):  # type: ignore[no-untyped-def]
    """A user with ``role`` in SKR (the nation): a coordinator there administers agreements."""
    org = OrganisationFactory(unit=Unit.objects.get(code="00"), kind="skr")
    return member(role, org)


def test_a_region_coordinator_changes_no_national_money(a2020: Agreement):
    """MANAGE_FUNDING in a region is not MANAGE_FUNDING over the national agreement."""
    coordinator = in_region(Role.COORDINATOR)
    with pytest.raises(PermissionDenied):
        services.run_allocation(a2020, by=coordinator)
    with pytest.raises(PermissionDenied):
        services.set_acceptance(a2020, unit_code="0180", accepted=False, by=coordinator)
    with pytest.raises(PermissionDenied):
        services.scenario(a2020, population_year=2024, save=True, by=coordinator)
    assert AllocationRun.objects.count() == 0
    events = AuditEvent.objects.filter(action="auth.permission_denied", actor=coordinator)
    assert events.count() == 3
    assert {e.detail["rule"] for e in events} == {"funding_administrator"}


def test_viewer_cannot_run_allocation_and_the_denial_is_audited(a2020: Agreement):
    viewer = in_region(Role.VIEWER)
    with pytest.raises(PermissionDenied):
        services.run_allocation(a2020, by=viewer)
    assert AllocationRun.objects.count() == 0
    event = AuditEvent.objects.get(action="auth.permission_denied", actor=viewer)
    assert event.detail["permission"] == "manage_funding"
    with pytest.raises(PermissionDenied):
        services.set_acceptance(a2020, unit_code="0180", accepted=False, by=viewer)
    with pytest.raises(PermissionDenied):
        services.scenario(a2020, population_year=2024, save=True, by=viewer)
    assert AuditEvent.objects.filter(action="auth.permission_denied", actor=viewer).count() == 3


def test_coordinator_runs_allocation_with_snapshot_and_audit(a2020: Agreement):
    coordinator = national(Role.COORDINATOR)
    run = services.run_allocation(a2020, by=coordinator)
    assert run.created_by == coordinator and not run.is_scenario
    assert run.agreement_version == 1 and run.population_year == 2019
    assert run.total_sek == run.paid_sek == 1_716 * MSEK and run.withheld_sek == 0
    assert run.lines.count() == 4 * 21 + 2 * 290 + 3 * 21 + 21 + 2
    assert AllocationLine.objects.filter(run=run, unit__isnull=True).count() == 2  # SKR
    snapshot = run.inputs
    assert snapshot["population_year"] == 2019
    assert set(snapshot["populations"]) == {"region@2019", "kommun@2019", "region@2019:0-25"}
    assert sum(snapshot["populations"]["region@2019"].values()) == 10_327_589
    event = AuditEvent.objects.get(action="funding.allocation_run.create")
    assert event.actor == coordinator and event.target_id == str(run.pk)
    assert event.detail["result_sha256"] == run.result_sha256


def test_same_inputs_give_the_same_lines(a2020: Agreement):
    first = services.run_allocation(a2020, by=SYSTEM)
    second = services.run_allocation(a2020, by=SYSTEM)
    assert first.result_sha256 == second.result_sha256
    assert first.inputs == second.inputs
    lines = [
        list(r.lines.order_by("order").values_list("post_code", "recipient_code", "amount_sek"))
        for r in (first, second)
    ]
    assert lines[0] == lines[1]
    assert services.compute_lines(first.inputs) == services.run_lines(first)


def test_run_is_reproducible_from_its_snapshot_alone(a2020: Agreement):
    run = services.run_allocation(a2020, by=SYSTEM)
    # later changes to the agreement and its acceptances do not touch the stored decision
    a2020.posts.filter(code="regioner-traumavard").update(amount_sek=1)
    services.set_acceptance(a2020, unit_code="0180", accepted=False, by=SYSTEM)
    assert services.reproduce_run(run).matches
    tampered = run.lines.get(post_code="ungdomsmottagningar", recipient_code="01")
    tampered.amount_sek += 1
    tampered.save()
    result = services.reproduce_run(run)
    assert not result.matches
    assert result.differences == [("ungdomsmottagningar", "01", 35_062_412, 35_062_411)]


def test_withhold_and_redistribute_for_declining_kommuner(a2020: Agreement):
    for code in ("0114", "2403"):
        services.set_acceptance(a2020, unit_code=code, accepted=False, by=SYSTEM)
    assert AuditEvent.objects.filter(action="funding.acceptance.create").count() == 2

    held = services.preview(a2020, policy="withhold")
    assert held.total_sek == 1_716 * MSEK
    withheld = [ln for ln in held.lines if ln.withheld]
    assert {ln.recipient_code for ln in withheld} == {"0114", "2403"}
    assert held.paid_sek + held.withheld_sek == 1_716 * MSEK and held.withheld_sek > 0

    moved = services.preview(a2020, policy="redistribute")
    assert moved.paid_sek == 1_716 * MSEK and moved.withheld_sek == 0
    k = {ln.recipient_code: ln.amount_sek for ln in moved.lines if ln.post_code.startswith("kom")}
    assert k["0114"] == 0 and k["2403"] == 0
    full = {ln.recipient_code: ln.amount_sek for ln in held.lines if ln.post_code.startswith("kom")}
    assert k["0180"] > full["0180"]
    # region posts are untouched by kommun answers
    regions = [ln for ln in moved.lines if ln.recipient_level == "region"]
    assert regions == [ln for ln in held.lines if ln.recipient_level == "region"]


def test_unknown_policy_and_agreement_are_clear_errors(a2020: Agreement):
    with pytest.raises(FundingError, match="Okänd hantering 'drop'"):
        services.preview(a2020, policy="drop")
    with pytest.raises(
        FundingError, match=r"Ingen överenskommelse för år 2031\. Inlästa år: 2020, 2019"
    ):
        services.get_agreement(2031)


def test_scenario_population_year_keeps_totals_and_explains_fallback(a2020: Agreement):
    result = services.scenario(a2020, population_year=2024)
    assert result.base.population_year == 2019
    assert result.scenario.total_sek == result.base.total_sek == 1_716 * MSEK
    assert any("Ungdomsmottagningarna" in n and "använder 2019" in n for n in result.scenario.notes)
    per_post: dict[str, int] = {}
    for row in result.rows:
        per_post[row.post_code] = per_post.get(row.post_code, 0) + row.difference_sek
    assert set(per_post.values()) == {0}  # every post still adds up exactly
    youth = [r for r in result.rows if r.post_code == "ungdomsmottagningar"]
    assert all(r.difference_sek == 0 for r in youth)  # kept 2019
    stockholm = next(r for r in result.recipients if r.recipient_code == "0180")
    assert stockholm.difference_sek != 0
    assert AllocationRun.objects.count() == 0  # nothing saved


def test_scenario_saved_as_flagged_run_and_overrides(a2020: Agreement):
    coordinator = national(Role.COORDINATOR)
    overrides = {
        "lan-sammanhallen-vard": PostOverride(key_type="population_share", key_params={}),
        "skr-utvecklingsarbete": PostOverride(amount_sek=30 * MSEK),
    }
    result = services.scenario(a2020, overrides=overrides, save=True, by=coordinator)
    assert result.run is not None and result.run.is_scenario
    assert result.scenario.total_sek == 1_726 * MSEK
    gotland = next(
        r
        for r in result.rows
        if r.post_code == "lan-sammanhallen-vard" and r.recipient_code == "09"
    )
    assert gotland.base_sek == 5_549_031 and gotland.scenario_sek < 5 * MSEK
    compared = services.compare_runs(services.run_allocation(a2020, by=SYSTEM), result.run)
    assert [r.difference_sek for r in compared] == [r.difference_sek for r in result.rows]
    with pytest.raises(FundingError, match="Okänd post nope"):
        services.scenario(a2020, overrides={"nope": PostOverride(amount_sek=1)})


def test_run_rolls_back_when_audit_fails(a2020: Agreement, monkeypatch: pytest.MonkeyPatch):
    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("audit store unavailable")

    monkeypatch.setattr(services.runs, "record_event", boom)
    with pytest.raises(RuntimeError):
        services.run_allocation(a2020, by=SYSTEM)
    assert AllocationRun.objects.count() == 0 and AllocationLine.objects.count() == 0
