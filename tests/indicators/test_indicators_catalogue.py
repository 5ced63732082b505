"""The TOML catalogue: validation, idempotent sync, which of file and admin wins."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from tests.accounts.factories import member, national_organisation, superuser

from datasmart.accounts.models import AuditEvent, Role
from datasmart.geo.validation import DataLoadError
from datasmart.indicators.catalogue import read_catalogue, sync_catalogue
from datasmart.indicators.models import Indicator


def _kolada_catalogue_rows() -> dict[str, dict[str, str]]:
    from django.conf import settings

    path = Path(settings.DATA_DIR) / "indicators" / "kolada_kpi_catalogue_2023-03-28.csv"
    with path.open(encoding="utf-8") as fh:
        return {r["kpi_id"]: r for r in csv.DictReader(fh) if r["in_extract"] == "1"}


def test_real_catalogue_is_valid() -> None:
    entries = read_catalogue()
    codes = [e.code for e in entries]
    assert len(codes) == len(set(codes)) == 52  # 43 from sources + 9 SIP (sip.toml)
    groups = {e.code: e.values["group"] for e in entries}
    assert sum(g == "kolada_barn_unga" for g in groups.values()) == 23
    assert sum(g == "adhd_medication" for g in groups.values()) == 5
    assert sum(g == "sip" for g in groups.values()) == 9
    assert sum(g == "suicide" for g in groups.values()) == 6
    assert sum(g == "kolada_psychiatry" for g in groups.values()) == 4
    public = {e.code for e in entries if e.values["observations_public"]}
    assert public == {c for c, g in groups.items() if g != "sip"}
    linked = {e.code: e.values["disclosure_group"] for e in entries if e.values["disclosure_group"]}
    assert linked == dict.fromkeys(
        ["sip-started", "sip-first-meeting-within-target"], "sip-started-plans"
    )
    for entry in entries:
        if entry.values["polarity"] != "no_judgement":
            assert entry.values["polarity_reason"], entry.code
        assert entry.values["attribution"].startswith("Källa:"), entry.code


#: Kolada KPIs whose title names a different unit than their values (see quality_notes).
UNIT_CORRECTED = frozenset({"U07417", "U07452"})


def test_kolada_titles_and_definitions_come_from_the_kpi_catalogue() -> None:
    kpis = _kolada_catalogue_rows()
    entries = {e.values["source_code"]: e for e in read_catalogue() if e.code.startswith("kolada")}
    assert set(entries) == set(kpis)
    for kpi_id, row in kpis.items():
        values = entries[kpi_id].values
        if kpi_id in UNIT_CORRECTED:
            # Kolada's title says per 1 000 but its values are per 100 000: the title says
            # what is shown and the quality note keeps Kolada's wording.
            assert "per 100 000" in values["title_sv"]
            assert "titeln säger antal/1000 inv" in values["quality_notes"]
        else:
            assert values["title_sv"] == row["title"]
        normalised = " ".join(row["description"].replace("\\n", " ").split())
        assert values["definition_sv"] == normalised
        assert values["attribution"] == "Källa: Kolada"
        assert values["type"] == "value"
        assert values["polarity_reason"]  # every KPI says why, also for no_judgement
        assert ("sex" in values["breakdowns"]) == (row["is_divided_by_gender"] == "1")


TOML = """
[defaults]
attribution = "Källa: test"
levels = ["kommun"]

[[indicator]]
code = "cat-one"
version = {version}
title_sv = "{title}"
type = "proportion"
multiplier = 100

[[indicator]]
code = "cat-two"
version = 1
title_sv = "Två"
type = "value"
polarity = "higher_is_better"
polarity_reason = "Mer är bättre."
"""


def _write(directory: Path, version: int = 1, title: str = "Ett") -> Path:
    directory.mkdir(exist_ok=True)
    (directory / "test.toml").write_text(
        TOML.format(version=version, title=title), encoding="utf-8"
    )
    return directory


def test_sync_is_idempotent_and_file_version_decides(tmp_path: Path, db: Any) -> None:
    folder = _write(tmp_path / "cat")
    first = sync_catalogue(folder)
    assert first.created == ["cat-one", "cat-two"] and first.changed
    one = Indicator.objects.get(code="cat-one")
    assert one.ci_method == "wilson" and one.group == "test" and one.levels == ["kommun"]
    assert one.catalogue_file == "catalogue/test.toml"
    stamp = one.updated_at
    events = AuditEvent.objects.filter(action="indicators.catalogue.sync").count()

    again = sync_catalogue(folder)
    assert not again.changed and again.unchanged == ["cat-one", "cat-two"]
    assert Indicator.objects.get(code="cat-one").updated_at == stamp
    assert AuditEvent.objects.filter(action="indicators.catalogue.sync").count() == events

    # An admin edit between releases survives a sync of the same version …
    one.title_sv = "Ändrad i admin"
    one.locally_edited = True
    one.save()
    kept = sync_catalogue(_write(folder, version=1, title="Ett"))
    assert kept.differs_without_new_version == ["cat-one"]
    assert Indicator.objects.get(code="cat-one").title_sv == "Ändrad i admin"
    # … and the next file version wins.
    newer = sync_catalogue(_write(folder, version=2, title="Ett, version 2"))
    assert newer.updated == ["cat-one"]
    one.refresh_from_db()
    assert (one.title_sv, one.version, one.locally_edited) == ("Ett, version 2", 2, False)
    older = sync_catalogue(_write(folder, version=1, title="Gammal"))
    assert older.older_in_file == ["cat-one"] and one.title_sv == "Ett, version 2"


def test_real_catalogue_sync_twice_changes_nothing(db: Any) -> None:
    sync_catalogue()
    second = sync_catalogue()
    assert not second.changed and len(second.unchanged) == 52
    assert not second.differs_without_new_version


@pytest.mark.parametrize(
    ("body", "where", "words"),
    [
        ('code = "x1"\nversion = 1\ntitle_sv = "X"\ntype = "ratio"', "x1.type", "ska vara en av"),
        ('code = "x1"\nversion = 0\ntitle_sv = "X"\ntype = "rate"', "x1.version", "heltal"),
        ('code = "X 1"\nversion = 1\ntitle_sv = "X"\ntype = "rate"', "X 1.code", "små bokstäver"),
        ('code = "x1"\nversion = 1\ntype = "rate"', "x1.title_sv", "saknas"),
        (
            'code = "x1"\nversion = 1\ntitle_sv = "X"\ntype = "rate"\ncolour = 1',
            "x1.colour",
            "okänt",
        ),
        (
            'code = "x1"\nversion = 1\ntitle_sv = "X"\ntype = "rate"\npolarity = "lower_is_better"',
            "x1.polarity_reason",
            "motivera",
        ),
        (
            'code = "x1"\nversion = 1\ntitle_sv = "X"\ntype = "value"\n'
            "denominator_population = { age_min = 0 }",
            "x1.type",
            "ingen täljare",
        ),
        (
            'code = "x1"\nversion = 1\ntitle_sv = "X"\ntype = "rate"\nlevels = ["län"]',
            "x1.levels",
            "lista",
        ),
        (
            'code = "x1"\nversion = 1\ntitle_sv = "X"\ntype = "count"\ndisclosure_group = "A B"',
            "x1.disclosure_group",
            "ska vara en kod",
        ),
        (
            'code = "x1"\nversion = 1\ntitle_sv = "X"\ntype = "value"\ndisclosure_group = "g"',
            "x1.disclosure_group",
            "inga antal",
        ),
    ],
)
def test_bad_catalogue_entries_are_reported(
    tmp_path: Path, db: Any, body: str, where: str, words: str
) -> None:
    if "levels" not in body:
        body += '\nlevels = ["kommun"]'
    (tmp_path / "bad.toml").write_text(f"[[indicator]]\n{body}\n", encoding="utf-8")
    before = Indicator.objects.count()
    with pytest.raises(DataLoadError) as caught:
        sync_catalogue(tmp_path)
    assert any(
        p.file == "catalogue/bad.toml" and p.column == where and words in p.message
        for p in caught.value.problems
    ), caught.value.problems
    assert Indicator.objects.count() == before


def test_duplicate_codes_and_broken_toml(tmp_path: Path, db: Any) -> None:
    _write(tmp_path)
    (tmp_path / "copy.toml").write_text(
        '[[indicator]]\ncode = "cat-one"\nversion = 1\ntitle_sv = "X"\ntype = "count"\n'
        'levels = ["kommun"]\n',
        encoding="utf-8",
    )
    (tmp_path / "zz_broken.toml").write_text("[[indicator]\ncode = ", encoding="utf-8")
    with pytest.raises(DataLoadError) as caught:
        read_catalogue(tmp_path)
    messages = [str(p) for p in caught.value.problems]
    assert any("cat-one.code" in m and "finns redan" in m for m in messages), messages
    assert any("zz_broken.toml" in m and "ogiltig TOML" in m for m in messages), messages


def test_sync_needs_edit_indicators(tmp_path: Path, db: Any) -> None:
    viewer = member(Role.VIEWER, username="lasare")
    with pytest.raises(PermissionDenied):
        sync_catalogue(_write(tmp_path), by=viewer)
    assert AuditEvent.objects.filter(action="auth.permission_denied", actor=viewer).exists()
    kommun_analyst = member(Role.ANALYST, username="kommunanalytiker")
    with pytest.raises(PermissionDenied, match="hela landet"):  # the shared catalogue
        sync_catalogue(_write(tmp_path), by=kommun_analyst)
    analyst = member(Role.ANALYST, national_organisation(), username="analytiker")
    assert sync_catalogue(_write(tmp_path), by=analyst).created == ["cat-one", "cat-two"]


def test_admin_edit_marks_locally_edited_and_is_audited(
    tmp_path: Path, db: Any, settings: Any
) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    sync_catalogue(_write(tmp_path))
    one = Indicator.objects.get(code="cat-one")
    client = Client()
    client.force_login(superuser(username="rot"))
    url = f"/admin/indicators/indicator/{one.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {k: v for k, v in form.initial.items() if k in form.fields and v is not None}
    data.update(
        title_sv="Nytt namn",
        levels='["kommun"]',
        breakdowns="[]",
        age_groups="[]",
        numerator_population="null",
        denominator_population="null",
    )
    response = client.post(url, data)
    assert response.status_code == 302, response.content[:2000]
    one.refresh_from_db()
    assert one.title_sv == "Nytt namn" and one.locally_edited and one.version == 1
    assert AuditEvent.objects.filter(
        action="indicators.indicator.update", target_id=str(one.pk)
    ).exists()
    # staff without EDIT_INDICATORS may look but not change
    viewer = member(Role.VIEWER, username="personal", is_staff=True)
    client.force_login(viewer)
    assert client.get(url).status_code == 200
    assert client.post(url, {**data, "title_sv": "Av läsaren"}).status_code == 403
    one.refresh_from_db()
    assert one.title_sv == "Nytt namn"
