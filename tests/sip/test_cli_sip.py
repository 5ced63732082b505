"""``datasmart sip …``: remind, purge (dry run changes nothing), publish-indicators,
export-fhir / import-fhir, and clear Swedish errors with exit code 2 for bad arguments."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from django.core import mail
from django.utils import timezone
from typer.testing import CliRunner

from datasmart.cli import app
from datasmart.indicators.models import Result
from datasmart.sip import services
from datasmart.sip.models import Person, PlanVersion, Sip, SipReminder
from tests.sip.sip_support import make_world
from tests.sip.statistics_support import KIRUNA, at, build_plan, kommun_org

pytestmark = pytest.mark.django_db
runner = CliRunner()
DAY = dt.timedelta(days=1)


def _sip(*args: str) -> object:
    return runner.invoke(app, ["sip", *args])


def _iso(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def test_sip_app_is_registered() -> None:
    result = _sip("--help")
    assert result.exit_code == 0
    for command in ("remind", "purge", "publish-indicators", "export-fhir", "import-fhir"):
        assert command in result.output


def test_remind_sends_once_and_reports_json() -> None:
    world = make_world()
    meeting_at = timezone.now() + 20 * DAY
    services.schedule_follow_up(
        world.owner_staff, world.sip.pk, expected_version=world.version, meeting_at=meeting_at
    )
    when = _iso(timezone.now() + 15 * DAY)
    first = _sip("remind", "--now", when, "--format", "json")
    assert first.exit_code == 0, first.output
    rows = json.loads(first.stdout)
    assert {r["kind"]: r["result"] for r in rows} == {"follow_up": "sent", "unanswered": "sent"}
    assert all(r["plan"].startswith("SIP ") for r in rows)
    sent = len(mail.outbox)
    again = _sip("remind", "--now", when, "--format", "json")
    assert {r["result"] for r in json.loads(again.stdout)} == {"already"}
    assert len(mail.outbox) == sent
    assert world.person_number not in first.output + again.output


def test_remind_dry_run() -> None:
    world = make_world()
    result = _sip("remind", "--dry-run", "--now", _iso(timezone.now() + 4 * DAY))
    assert result.exit_code == 0, result.output
    assert "dry_run" in result.output and mail.outbox == []
    assert not SipReminder.objects.exists() and world.sip.pk


def _closed_plan_due() -> Sip:
    world = make_world()
    services.close_sip(
        world.owner_staff, world.sip.pk, expected_version=world.version, reason="goals_met"
    )
    Sip.objects.filter(pk=world.sip.pk).update(retain_until=timezone.localdate() - DAY)
    return world.refresh()


def test_purge_dry_run_changes_nothing_then_purge_erases() -> None:
    sip = _closed_plan_due()
    before = (
        Sip.objects.get(pk=sip.pk).version,
        PlanVersion.objects.count(),
        Person.objects.count(),
    )
    dry = _sip("purge", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "1 planer skulle gallras" in dry.output and "Inget ändrades" in dry.output
    after = (
        Sip.objects.get(pk=sip.pk).version,
        PlanVersion.objects.count(),
        Person.objects.count(),
    )
    assert after == before
    assert Sip.objects.get(pk=sip.pk).erased_at is None

    real = _sip("purge")
    assert real.exit_code == 0, real.output
    assert "1 planer gallrades" in real.output
    erased = Sip.objects.get(pk=sip.pk)
    assert erased.erased_at is not None and erased.person_id is None
    assert "0 planer gallrades" in _sip("purge").output


def test_publish_indicators_command() -> None:
    kiruna = kommun_org(KIRUNA)
    for day in range(1, 8):
        build_plan(kiruna, at(2026, 3, day), first_held_after=2 * DAY)
    result = _sip("publish-indicators", "--now", "2026-06-15")
    assert result.exit_code == 0, result.output
    assert "observationer för 7 planer (2026-03–2026-06)" in result.output
    assert "9 indikatorer beräknade" in result.output
    assert Result.objects.filter(indicator__code="sip-started", period=202603).exists()
    again = _sip("publish-indicators", "--now", "2026-06-15")
    assert "Oförändrat" in again.output
    forced = _sip("publish-indicators", "--now", "2026-06-15", "--force")
    assert "9 indikatorer beräknade" in forced.output


def test_export_and_import_fhir(tmp_path: Path) -> None:
    world = make_world()
    owner = world.owner_staff
    out = tmp_path / "plan.json"
    exported = _sip(
        "export-fhir",
        str(world.sip.pk),
        "--user",
        owner.user.username,
        "--organisation",
        str(world.owner.pk),
        "--output",
        str(out),
    )
    assert exported.exit_code == 0, exported.output
    bundle = json.loads(out.read_text(encoding="utf-8"))
    assert bundle["resourceType"] == "Bundle"
    to_stdout = _sip(
        "export-fhir", str(world.sip.pk), "--user", owner.user.username,
        "--organisation", str(world.owner.pk),
    )  # fmt: skip
    assert json.loads(to_stdout.stdout)["resourceType"] == "Bundle"

    importer = world.outsider_staff
    imported = _sip(
        "import-fhir",
        str(out),
        "--user",
        importer.user.username,
        "--organisation",
        str(world.outsider.pk),
    )
    assert imported.exit_code == 0, imported.output
    assert "Planen importerad" in imported.output
    assert Sip.objects.filter(owner_organisation=world.outsider).count() == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["remind", "--now", "igår"], "Ogiltig tidpunkt"),
        (["remind", "--follow-up-days", "-1"], "--follow-up-days ska vara"),
        (["purge", "--now", "2026-13-01"], "Ogiltig tidpunkt"),
        (["publish-indicators", "--now", "x"], "Ogiltig tidpunkt"),
        (["export-fhir", "inte-ett-id", "--user", "u", "--organisation", "1"], "Ogiltigt plan-id"),
        (
            [
                "export-fhir",
                "00000000-0000-0000-0000-000000000000",
                "--user",
                "u",
                "--organisation",
                "abc",
            ],
            "Ogiltigt organisations-id",
        ),
        (
            [
                "export-fhir",
                "00000000-0000-0000-0000-000000000000",
                "--user",
                "ingen",
                "--organisation",
                "999999",
            ],
            "Ingen organisation",
        ),
        (["import-fhir", "/finns/inte.json", "--user", "u", "--organisation", "1"], "finns inte"),
    ],
)
def test_bad_arguments_give_a_swedish_message_and_exit_2(args: list[str], message: str) -> None:
    result = _sip(*args)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output


def test_fhir_errors_are_user_errors(tmp_path: Path) -> None:
    world = make_world()
    # Unknown user.
    unknown = _sip(
        "export-fhir", str(world.sip.pk), "--user", "ingen-alls",
        "--organisation", str(world.owner.pk),
    )  # fmt: skip
    assert unknown.exit_code == 2 and "Ingen användare" in unknown.output
    # An outsider may not see the plan: "not found", never a hint that it exists.
    outsider = _sip(
        "export-fhir", str(world.sip.pk), "--user", world.outsider_staff.user.username,
        "--organisation", str(world.outsider.pk),
    )  # fmt: skip
    assert outsider.exit_code == 2 and "finns inte" in outsider.output
    # A user acting for an organisation they do not belong to.
    foreign = _sip(
        "export-fhir", str(world.sip.pk), "--user", world.outsider_staff.user.username,
        "--organisation", str(world.owner.pk),
    )  # fmt: skip
    assert foreign.exit_code == 2 and "Traceback" not in foreign.output
    # A file that is not a bundle.
    junk = tmp_path / "junk.json"
    junk.write_text("{inte json", encoding="utf-8")
    bad = _sip(
        "import-fhir", str(junk), "--user", world.owner_staff.user.username,
        "--organisation", str(world.owner.pk),
    )  # fmt: skip
    assert bad.exit_code == 2 and "Traceback" not in bad.output
