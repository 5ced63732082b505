"""Suicide and psychiatry indicators from DATASMART_DATA_DIR/indicators (issue 12).

Loaded with ``load_real_indicators(only=…)`` inside each test's transaction (about 1 700
rows), so these tests do not wait for the 140 000 Kolada rows of the full load.
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from indicators_support import counts
from test_pages import mount_indicator_pages

from datasmart.accounts.audit import SYSTEM
from datasmart.geo.validation import DataLoadError
from datasmart.indicators import charts, engine_disclosure, results
from datasmart.indicators.catalogue import read_catalogue
from datasmart.indicators.loaders import SOURCES, load_real_indicators
from datasmart.indicators.models import ImportBatch, Indicator, Observation

pytestmark = pytest.mark.django_db

INDICATORS = Path(settings.DATA_DIR) / "indicators"
MINE = (
    "nasp_suicide_15plus",
    "nasp_suicide_agestd",
    "kolada_suicide_25plus",
    "riket_suicide_counts",
    "riket_suicide_2019",
    "kolada_psychiatry_region",
)
FILES = {s.dataset: s.relpath for s in SOURCES if s.dataset in MINE}
CERTAIN = ("suicide-rate-25plus-kolada", "suicide-deaths-certain-national")
CERTAIN += ("suicide-rate-certain-national-2019",)
BOTH = (
    "suicide-rate-15plus-nasp",
    "suicide-rate-agestd-nasp",
    "suicide-deaths-certain-uncertain-national",
)


def _obs(code: str, unit: str, period: int, sex: str = "T", age: str = "") -> Observation:
    return Observation.objects.get(
        indicator__code=code, unit__code=unit, period=period, sex=sex, age_group=age
    )


@pytest.fixture
def loaded(db: Any) -> Any:
    return load_real_indicators(only=MINE)


# --- catalogue ---------------------------------------------------------------------------


def test_each_suicide_indicator_names_one_definition() -> None:
    """Certain (X60–X84) and certain + uncertain (+ Y10–Y34) are never one indicator."""
    entries = {e.code: e.values for e in read_catalogue()}
    for code in CERTAIN:
        text = entries[code]["title_sv"] + entries[code]["definition_sv"]
        assert "säkra" in text and "X60–X84" in text and "osäkra" not in text.split("(")[1]
        assert "Y10–Y34 (" not in text and "säkra och osäkra" not in text, code
    for code in BOTH:
        text = entries[code]["title_sv"] + entries[code]["definition_sv"]
        assert "säkra och osäkra" in text and "Y10–Y34" in text, code
    for code in (*CERTAIN, *BOTH):
        assert entries[code]["attribution"].startswith("Källa: "), code


def test_bup_target_is_the_vardgaranti_80_percent() -> None:
    """Source 001: 90 % is the first-visit target, 80 % the one for started assessment or
    treatment — which is what U79119 measures; only the 80 % line is drawn."""
    entries = {e.code: e.values for e in read_catalogue()}
    bup = entries["bup-started-within-30-days"]
    assert [t["value"] for t in bup["targets"]] == [80.0]
    assert "förstärkta vårdgarantin för BUP" in bup["targets"][0]["label_sv"]
    assert "90 %" in bup["quality_notes"] and "första besöket" in bup["quality_notes"]
    assert [c for c, e in entries.items() if e["targets"]] == ["bup-started-within-30-days"]


def test_a_target_without_label_is_refused(tmp_path: Path) -> None:
    (tmp_path / "x.toml").write_text(
        '[[indicator]]\ncode = "x"\nversion = 1\ntitle_sv = "X"\ntype = "value"\n'
        'levels = ["region"]\ntargets = [{value = 80}, {value = "hög", label_sv = "Y"}]\n',
        encoding="utf-8",
    )
    with pytest.raises(DataLoadError) as exc:
        read_catalogue(tmp_path)
    text = str(exc.value)
    assert "x.targets[0].label_sv" in text and "x.targets[1].value" in text


# --- the real data -----------------------------------------------------------------------


def test_rows_per_indicator(loaded: Any) -> None:
    per = {
        code: Observation.objects.filter(indicator__code=code).count() for code in (*CERTAIN, *BOTH)
    }
    assert per == {
        "suicide-rate-15plus-nasp": 110,
        "suicide-rate-agestd-nasp": 242,
        "suicide-rate-25plus-kolada": 198,
        "suicide-deaths-certain-national": 22,
        "suicide-deaths-certain-uncertain-national": 42,
        "suicide-rate-certain-national-2019": 12,
    }
    psych = Observation.objects.filter(
        indicator__code__in=[
            "bup-started-within-30-days",
            "adult-psychiatry-first-visit-90-days",
            "psychiatry-overcrowding",
            "psychiatry-cost-per-inhabitant",
        ]
    )
    assert psych.count() == 972
    datasets = set(ImportBatch.objects.values_list("dataset", flat=True))
    assert set(MINE) <= datasets


def test_riket_is_the_sources_own_value(loaded: Any) -> None:
    assert _obs("suicide-rate-15plus-nasp", "00", 2018).value == 18.8
    assert _obs("suicide-rate-15plus-nasp", "01", 2018).value == 18.7
    assert _obs("suicide-rate-agestd-nasp", "00", 2006).value == 15.8
    assert _obs("suicide-rate-25plus-kolada", "00", 2016).value == 15.3
    assert _obs("bup-started-within-30-days", "00", 2016).value == 81.1
    assert _obs("psychiatry-cost-per-inhabitant", "00", 2011).value == 2085
    assert _obs("psychiatry-cost-per-inhabitant", "00", 2025).value == 3251
    assert not Observation.objects.filter(
        indicator__code="psychiatry-cost-per-inhabitant", unit__code="09"
    ).exists()  # Gotland missing in the source


def test_national_counts_keep_the_definitions_apart(loaded: Any) -> None:
    certain = "suicide-deaths-certain-national"
    both = "suicide-deaths-certain-uncertain-national"
    assert _obs(certain, "00", 2023).numerator == 1328
    assert _obs(both, "00", 2023).numerator == 1617
    assert _obs(both, "00", 2023, "1").numerator == 1132
    assert _obs(certain, "00", 2019, "1", "15+").numerator == 869
    assert _obs(both, "00", 2022, "T", "15+").numerator == 1555
    assert not Observation.objects.filter(indicator__code=certain, period__in=[2021, 2022]).exists()
    parts = Observation.objects.filter(
        indicator__code=both, period=2023, sex="T", age_group__in=["0-14", "15-24", "25-44"]
    )
    rest = Observation.objects.filter(
        indicator__code=both, period=2023, sex="T", age_group__in=["45-64", "65+"]
    )
    assert sum(o.numerator for o in parts) + sum(o.numerator for o in rest) == 1617


def test_2019_rates_carry_the_derived_denominator(loaded: Any) -> None:
    men = _obs("suicide-rate-certain-national-2019", "00", 2019, "1", "15+")
    assert (men.numerator, men.denominator, men.value) == (869, 4228710, 20.55)


def test_bup_zero_is_stored_as_missing(loaded: Any) -> None:
    qs = Observation.objects.filter(indicator__code="bup-started-within-30-days")
    missing = set(qs.filter(status="missing").values_list("unit__code", "period"))
    assert missing == {("23", 2016), ("23", 2017), ("04", 2023)}
    assert not qs.filter(status="missing", value__isnull=False).exists()
    # overcrowding's 0 is a real value
    zero = Observation.objects.get(
        indicator__code="psychiatry-overcrowding", unit__code="09", period=2018
    )
    assert (zero.status, zero.value) == ("ok", 0)


def test_second_load_is_unchanged(loaded: Any) -> None:
    before = counts()
    report = load_real_indicators(only=MINE)
    assert {d.status for d in report.datasets} == {"unchanged"}
    assert counts() == before


def test_unknown_dataset_name_is_refused(db: Any) -> None:
    with pytest.raises(DataLoadError, match="okänd datamängd"):
        load_real_indicators(only=["nasp_suicide"])


# --- broken copies are refused whole -----------------------------------------------------


def _copy(tmp_path: Path) -> Path:
    (tmp_path / "indicators").mkdir()
    for rel in FILES.values():
        shutil.copy(INDICATORS / Path(rel).name, tmp_path / rel)
    return tmp_path


def _edit(path: Path, line: int, column: str, value: str) -> None:
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
        fields = list(rows[0])
    rows[line - 2][column] = value
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


BROKEN = [
    ("nasp_suicide_15plus", 5, "suicide_rate_per_100000", "22,5", "suicide_rate_per_100000"),
    ("nasp_suicide_15plus", 3, "age_group", "25+", "age_group"),
    ("nasp_suicide_agestd", 7, "rate_type", "crude", "rate_type"),
    ("kolada_suicide_25plus", 4, "lan_code", "99", "lan_code"),
    ("riket_suicide_counts", 6, "definition", "X60-X84", "definition"),
    ("riket_suicide_counts", 9, "deaths", "12.5", "deaths"),
    ("riket_suicide_2019", 2, "rate_per_100000", "171.3", "rate_per_100000"),
    ("kolada_psychiatry_region", 10, "kpi_id", "U99999", "kpi_id"),
    ("kolada_psychiatry_region", 400, "value", "-3", "value"),
]


@pytest.mark.parametrize(("dataset", "line", "column", "value", "named"), BROKEN)
def test_a_broken_copy_is_refused_whole(
    tmp_path: Path, db: Any, dataset: str, line: int, column: str, value: str, named: str
) -> None:
    base = _copy(tmp_path)
    _edit(base / FILES[dataset], line, column, value)
    before = counts()
    with pytest.raises(DataLoadError) as exc:
        load_real_indicators(base, only=MINE)
    problems = exc.value.problems
    assert counts()[:2] == before[:2]  # no observation, no batch of any file
    assert any(
        p.file == FILES[dataset] and p.row == line and p.column == named for p in problems
    ), [str(p) for p in problems]


def test_a_missing_column_is_named(tmp_path: Path, db: Any) -> None:
    base = _copy(tmp_path)
    path = base / FILES["riket_suicide_2019"]
    text = path.read_text(encoding="utf-8").replace("mean_population_derived", "population", 1)
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DataLoadError) as exc:
        load_real_indicators(base, only=MINE)
    assert [(p.file, p.row, p.column) for p in exc.value.problems] == [
        (FILES["riket_suicide_2019"], 1, "mean_population_derived")
    ]


# --- results, charts, pages --------------------------------------------------------------


def test_published_rates_compute_without_the_disclosure_audit(
    loaded: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A value indicator has no count to protect: computing it must not run the LP audit
    (which made ``compute`` slow)."""

    def forbidden(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("disclosure audit run for published rates")

    monkeypatch.setattr(engine_disclosure, "audit_pattern", forbidden)
    monkeypatch.setattr(engine_disclosure, "linked_suppression", forbidden)
    for code in ("bup-started-within-30-days", "suicide-rate-15plus-nasp"):
        results.compute_indicator(code, by=SYSTEM)
    nation = results.query_results(
        Indicator.objects.get(code="bup-started-within-30-days"),
        level="nation",
        period=2016,
        sex="T",
        age_group="",
    )
    assert nation[0]["value"] == 81.1
    regions = results.query_results(
        Indicator.objects.get(code="suicide-rate-15plus-nasp"),
        level="region",
        period=2022,
        sex="T",
        age_group="",
    )
    assert len(regions) == 21 and all(r["lower"] is None for r in regions)


def test_trend_figure_draws_targets() -> None:
    fig = charts.trend_figure(
        [(2016, 81.1, None, None), (2025, 50.0, None, None)],
        value_label="%",
        targets=[(80.0, "Mål 80 %")],
    )
    line = fig["data"][-1]
    assert line["x"] == [2016, 2025] and line["y"] == [80.0, 80.0]
    assert line["name"] == "Mål 80 %" and line["line"]["dash"] == "dash"


def test_bup_page_shows_target_attribution_and_no_ci_reason(loaded: Any, settings: Any) -> None:
    settings.ROOT_URLCONF = mount_indicator_pages()
    results.compute_indicator("bup-started-within-30-days", by=SYSTEM)
    html = Client().get("/indikatorer/bup-started-within-30-days/").content.decode()
    assert "Källa: Kolada" in html
    assert 'id="targets"' in html and "målet 80 % i den förstärkta vårdgarantin för BUP" in html
    legend = "M\\u00e5l 80 %"  # the chart's legend entry, in the figure's JSON
    assert legend in html and "M\\u00e5l 80,0" not in html
    assert 'id="no-ci-reason"' in html and "inget konfidensintervall kan beräknas" in html
    english = Client()
    english.cookies["django_language"] = "en"
    html_en = english.get("/indikatorer/bup-started-within-30-days/").content.decode()
    assert "Dashed line: the 80 % target of the reinforced care guarantee" in html_en
    assert "Target 80 %" in html_en and "No confidence interval can" in html_en
    assert '<p class="note attribution">Source: Kolada</p>' in html_en


def test_region_profile_names_the_sources(loaded: Any, settings: Any) -> None:
    settings.ROOT_URLCONF = mount_indicator_pages()
    for code in ("bup-started-within-30-days", "suicide-rate-15plus-nasp"):
        results.compute_indicator(code, by=SYSTEM)
    html = Client().get("/indikatorer/profil/13/").content.decode()
    sources = html.split('id="profile-sources">', 1)[1].split("</p>", 1)[0]
    assert sources.startswith("Källor: ") and "Kolada" in sources and "NASP" in sources
