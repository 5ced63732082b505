"""Loading the needs data (issue #13): the shared set-up and ``datasmart needs load`` load
prevalence and the published projections through one service, idempotently."""

from __future__ import annotations

from typing import Any

import pytest
from typer.testing import CliRunner

from datasmart.accounts.models import AuditEvent
from datasmart.cli import app
from datasmart.needs.loading import load_needs_data
from datasmart.needs.models import PrevalenceEstimate, PublishedProjectionPoint

pytestmark = pytest.mark.django_db
runner = CliRunner()


def _events() -> int:
    return AuditEvent.objects.filter(action__startswith="needs.").count()


def test_second_load_writes_nothing_and_audits_nothing() -> None:
    first = load_needs_data()
    assert first.changed and PrevalenceEstimate.objects.exists()
    counts = (PrevalenceEstimate.objects.count(), PublishedProjectionPoint.objects.count())
    ids = set(PublishedProjectionPoint.objects.values_list("pk", flat=True))
    events = _events()
    second = load_needs_data()
    assert not second.changed
    assert second.prevalence.unchanged == counts[0]
    assert (PrevalenceEstimate.objects.count(), PublishedProjectionPoint.objects.count()) == counts
    assert set(PublishedProjectionPoint.objects.values_list("pk", flat=True)) == ids
    assert _events() == events


def test_cli_needs_load_prints_what_it_loaded() -> None:
    result = runner.invoke(app, ["needs", "load"])
    assert result.exit_code == 0, result.output
    assert "Prevalens" in result.output and "nya" in result.output
    assert "halland_riket_total 328 rader" in result.output
    again = runner.invoke(app, ["needs", "load"])
    assert "oförändrade)" in again.output


def test_cli_needs_load_refuses_a_missing_folder(tmp_path: Any) -> None:
    result = runner.invoke(app, ["needs", "load", "--data-dir", str(tmp_path)])
    assert result.exit_code == 2
    assert "prevalence_estimates.csv" in result.output
    assert not PrevalenceEstimate.objects.exists()


def test_setup_loads_the_needs_data(monkeypatch: pytest.MonkeyPatch) -> None:
    """``datasmart setup`` (and so ``make run``/``serve``) loads the needs data; the
    slow parts it shares with other domains are stubbed here."""
    import django.core.management

    from datasmart import cli
    from datasmart.funding import services as funding
    from datasmart.geo import loaders
    from datasmart.indicators import cli as indicators_cli

    class _Report:
        changed = False

    monkeypatch.setattr(django.core.management, "call_command", lambda *a, **k: None)
    monkeypatch.setattr(loaders, "load_reference_data", lambda: _Report())
    monkeypatch.setattr(indicators_cli, "load_real", lambda **k: None)
    monkeypatch.setattr(funding, "load_agreements", lambda: None)
    cli._setup_platform()
    assert PrevalenceEstimate.objects.filter(use_in_needs=True).exists()
    assert PublishedProjectionPoint.objects.exists()
