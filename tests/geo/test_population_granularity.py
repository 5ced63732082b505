"""Population in three granularities (one-year ages, five-year bands, totals): loaded from
the 2013–2021 band file and the 2011–2024 län totals, checked against each other, and every
query saying which granularity it used."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from django.conf import settings
from django.db.models import Sum
from django.test import Client
from typer.testing import CliRunner

from datasmart.cli import app
from datasmart.geo import services
from datasmart.geo.loaders import SPECS, load_reference_data
from datasmart.geo.models import DataLoad, PopulationBand, PopulationTotal
from datasmart.geo.population_checks import check_band_structure, check_population_identities
from datasmart.geo.validation import read_table
from tests.geo.test_loaders import assert_fails_unchanged, data_copy, edit  # noqa: F401

pytestmark = pytest.mark.django_db

BANDS = "population/lan_age5_sex_2013_2021.csv"
TOTALS = "population/lan_total_2011_2024.csv"


# --- the files and their identities ----------------------------------------------------


def test_bands_and_totals_are_stored() -> None:
    assert PopulationBand.objects.count() == 7182
    assert PopulationBand.objects.filter(age_to__isnull=True).count() == 21 * 2 * 9
    top = PopulationBand.objects.filter(age_to__isnull=True).first()
    assert top is not None and top.age_from == 90 and top.label == "90+"
    # 21 län + Riket for 14 years, plus the 290 kommun totals of 2024
    assert PopulationTotal.objects.filter(unit__level__in=["region", "nation"]).count() == 308
    assert PopulationTotal.objects.get(unit__code="00", year=2022).population == 10_521_556


def test_overlap_identities_hold_in_the_real_files() -> None:
    """Bands = one-year ages summed (2013–2015, and 2019 from kommuner); totals = sums."""
    base = Path(settings.DATA_DIR)
    tables = {name: read_table(spec, base)[0] for name, spec in SPECS.items()}
    assert all(t is not None for t in tables.values())
    assert check_band_structure(tables["population_lan_age5_sex"]) == []  # type: ignore[arg-type]
    assert check_population_identities(tables) == []  # type: ignore[arg-type]
    # and independently of the checker: 2014 Hallands län, bands vs one-year ages
    halland = services.get_unit("13")
    singles = services.population(halland, 2014, by=("age", "sex"), granularity="age")
    bands = services.population(halland, 2014, by=("age", "sex"), granularity="age_band")
    assert sum(r.population for r in singles) == sum(r.population for r in bands)
    summed: dict[tuple[str, str | None], int] = {}
    for r in singles:
        age = int(str(r.age_group).rstrip("+"))
        label = "90+" if age >= 90 else f"{age // 5 * 5}-{age // 5 * 5 + 4}"
        summed[(label, r.sex)] = summed.get((label, r.sex), 0) + r.population
    assert summed == {(str(r.age_group), r.sex): r.population for r in bands}


def test_band_mismatch_refused_whole(data_copy: Path) -> None:  # noqa: F811
    # Stockholm men 15-19 in 2013 (overlaps the one-year file) one person more
    text = (data_copy / BANDS).read_text(encoding="utf-8")
    line = next(ln for ln in text.splitlines() if ln.startswith("2013,2013-12-31,01,1,15-19,"))
    head, value = line.rsplit(",", 1)
    edit(data_copy, BANDS, line, f"{head},{int(value) + 1}")
    assert_fails_unchanged(
        data_copy,
        "lan_age5_sex_2013_2021.csv, rad 5, kolumn 'population'",
        "stämmer inte med ettårsklasserna i lan_age_sex summerade",
        "inget sparades",
    )


def test_band_year_without_overlap_checked_against_totals(data_copy: Path) -> None:  # noqa: F811
    """2017 has no one-year file: the län total still catches a changed band."""
    text = (data_copy / BANDS).read_text(encoding="utf-8")
    line = next(ln for ln in text.splitlines() if ln.startswith("2017,2017-12-31,13,2,0-4,"))
    head, value = line.rsplit(",", 1)
    edit(data_copy, BANDS, line, f"{head},{int(value) - 5}")
    assert_fails_unchanged(
        data_copy, "lan_total_2011_2024.csv, rad", "femårsgrupperna summerade", "year=2017"
    )


def test_riket_must_equal_sum_of_lan(data_copy: Path) -> None:  # noqa: F811
    edit(data_copy, TOTALS, "2011,2011-12-31,00,Riket,9482855", "2011,2011-12-31,00,Riket,9482856")
    assert_fails_unchanged(
        data_copy, "lan_total_2011_2024.csv, rad 2, kolumn 'population'", "länen summerade"
    )


def test_broken_band_file_refused_whole(data_copy: Path) -> None:  # noqa: F811
    edit(data_copy, BANDS, "2013,2013-12-31,01,1,5-9,5,9,", "2013,2013-12-31,01,1,5-9,5,x,")
    assert_fails_unchanged(data_copy, "lan_age5_sex_2013_2021.csv, rad 3, kolumn 'age_to'")


def test_band_label_must_match_bounds(data_copy: Path) -> None:  # noqa: F811
    edit(data_copy, BANDS, "2013,2013-12-31,01,1,5-9,5,9,", "2013,2013-12-31,01,1,5-10,5,9,")
    assert_fails_unchanged(
        data_copy, "rad 3, kolumn 'age_group': '5-10' stämmer inte med age_from/age_to (5-9)"
    )


def test_missing_band_refused(data_copy: Path) -> None:  # noqa: F811
    text = (data_copy / BANDS).read_text(encoding="utf-8")
    line = next(ln for ln in text.splitlines() if ln.startswith("2018,2018-12-31,05,2,40-44,"))
    edit(data_copy, BANDS, line + "\n", "")
    assert_fails_unchanged(data_copy, "län 05, kön 2, år 2018 har 18 av 19 åldersgrupper")


def test_closed_top_band_refused(data_copy: Path) -> None:  # noqa: F811
    path = data_copy / BANDS
    frame = pl.read_csv(path, infer_schema=False)
    frame = frame.with_columns(
        pl.when(pl.col("age_group") == "90+")
        .then(pl.lit("90-99"))
        .otherwise(pl.col("age_group"))
        .alias("age_group"),
        pl.when(pl.col("age_group") == "90+")
        .then(pl.lit("99"))
        .otherwise(pl.col("age_to"))
        .alias("age_to"),
    )
    frame.write_csv(path)
    assert_fails_unchanged(data_copy, "den översta åldersgruppen (90-99) ska vara öppen")


def test_broken_totals_file_refused_whole(data_copy: Path) -> None:  # noqa: F811
    edit(data_copy, TOTALS, "2012,2012-12-31,00,Riket,", "2012,2012-12-31,99,Riket,")
    assert_fails_unchanged(
        data_copy, "lan_total_2011_2024.csv, rad 24, kolumn 'lan_code': okänd länskod '99'"
    )


def test_rerun_is_idempotent_and_keeps_provenance() -> None:
    before = list(DataLoad.objects.values_list("dataset", "sha256", "loaded_at"))
    report = load_reference_data()
    assert not report.changed
    assert list(DataLoad.objects.values_list("dataset", "sha256", "loaded_at")) == before
    load = DataLoad.objects.get(dataset="population_lan_age5_sex")
    assert load.attribution == "Källa: Eurostat demo_r_pjangrp3 (SCB)"
    assert "CC BY 4.0" in load.licence and "demo_r_pjangrp3" in load.source
    assert DataLoad.objects.get(dataset="population_lan_total").attribution == "Källa: SCB"
    assert not DataLoad.objects.filter(attribution="").exists()


def test_provenance_filled_for_rows_recorded_without_it() -> None:
    DataLoad.objects.filter(dataset="counties").update(source="", licence="", attribution="")
    stamp = DataLoad.objects.get(dataset="counties").loaded_at
    assert not load_reference_data().changed
    load = DataLoad.objects.get(dataset="counties")
    assert load.attribution == "Källa: SCB" and load.loaded_at == stamp


# --- queries say which granularity they used -------------------------------------------


def test_finest_granularity_by_default() -> None:
    stockholm = services.get_unit("01")
    assert services.population(stockholm, 2014)[0].granularity == "age"
    assert services.population(stockholm, 2017)[0].granularity == "age_band"
    assert services.population(stockholm, 2022)[0].granularity == "total"
    # the same total whichever granularity is asked for where they overlap
    totals = {
        g: services.population(stockholm, 2014, granularity=g)[0].population
        for g in ("age", "age_band", "total")
    }
    assert len(set(totals.values())) == 1


def test_series_names_granularity_per_year() -> None:
    series = {y: (n, g) for y, n, g in services.population_series_detail(services.get_unit("00"))}
    assert series[2015][1] == "age" and series[2016][1] == "age_band"
    assert series[2019][1] == "age" and series[2020][1] == "age_band"
    assert series[2022] == (10_521_556, "total") and series[2024] == (10_587_710, "total")
    assert series[2021] == (10_452_326, "age_band")
    # no double counting: one row per year
    assert len(series) == len(services.population_series(services.get_unit("00")))


def test_band_year_by_age_gives_the_stored_bands() -> None:
    rows = services.population(services.get_unit("13"), 2017, by=("age",))
    assert [r.age_group for r in rows][:2] == ["0-4", "5-9"] and rows[-1].age_group == "90+"
    assert {r.granularity for r in rows} == {"age_band"}
    assert rows[0].attribution == "Källa: Eurostat demo_r_pjangrp3 (SCB)"
    assert sum(r.population for r in rows) == services.population_total(
        services.get_unit("13"), 2017
    )


def test_band_year_aligned_groups_are_summed() -> None:
    rows = services.population(
        services.get_unit("00"),
        2018,
        by=("sex",),
        age_bands=services.parse_age_bands("0-19,20-64,65+"),
    )
    assert [(r.age_group, r.sex) for r in rows][:2] == [("0-19", "1"), ("0-19", "2")]
    assert sum(r.population for r in rows) == 10_230_185


def test_band_year_refuses_groups_that_cut_a_band() -> None:
    with pytest.raises(services.PopulationNotAvailable, match="0-17"):
        services.population(
            services.get_unit("01"), 2017, age_bands=services.parse_age_bands("0-17,18+")
        )


def test_kommun_in_band_year_has_no_figure() -> None:
    with pytest.raises(services.PopulationNotAvailable, match="Tillgängliga år"):
        services.population(services.get_unit("0180"), 2017)


def test_asking_for_unavailable_granularity_says_what_exists() -> None:
    with pytest.raises(services.PopulationNotAvailable, match="bara som: åldersgrupper"):
        services.population(services.get_unit("01"), 2017, granularity="age")


def test_population_years_keep_meaning_one_year_ages() -> None:
    """Funding and pages read True as "one-year ages by sex"; band years are False."""
    years = services.population_years(services.get_unit("01"))
    assert years[2015] is True and years[2017] is False and years[2022] is False
    assert services.population_granularities(services.get_unit("01"))[2014] == [
        "age",
        "age_band",
        "total",
    ]


def test_sjukvardsregion_in_band_year_only_when_not_split() -> None:
    assert services.population(services.get_unit("norra"), 2017)[0].granularity == "age_band"
    with pytest.raises(services.PopulationNotAvailable):
        services.population(services.get_unit("vastra"), 2017)


def test_api_rows_name_granularity_and_source(client: Client) -> None:
    data = client.get("/api/population", {"unit": "01", "year": 2017, "by": "sex"}).json()
    assert {(r["granularity"], r["attribution"]) for r in data} == {
        ("age_band", "Källa: Eurostat demo_r_pjangrp3 (SCB)")
    }
    response = client.get("/api/population", {"unit": "01", "year": 2022, "format": "csv"})
    csv = b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]
    assert csv.splitlines()[0].endswith("granularity,attribution")
    assert ",total,Källa: SCB" in csv
    series = client.get("/api/population", {"unit": "00"}).json()
    assert {r["year"]: r["granularity"] for r in series}[2016] == "age_band"


def test_api_granularity_parameter(client: Client) -> None:
    ok = client.get("/api/population", {"unit": "01", "year": 2014, "granularity": "total"})
    assert ok.status_code == 200 and ok.json()[0]["granularity"] == "total"
    bad = client.get("/api/population", {"unit": "01", "year": 2017, "granularity": "age"})
    assert bad.status_code == 404
    assert "åldersgrupper" in bad.json()["detail"]
    wrong = client.get("/api/population", {"unit": "01", "year": 2017, "granularity": "x"})
    assert wrong.status_code == 422
    cut = client.get("/api/population", {"unit": "01", "year": 2017, "age_groups": "0-17"})
    assert cut.status_code == 404 and "0-17" in cut.json()["detail"]


def test_api_unit_lists_granularities(client: Client) -> None:
    data = client.get("/api/units/01").json()
    assert data["population_granularities"]["2017"] == ["age_band", "total"]
    assert 2017 not in data["population_years_by_age_sex"]


def test_cli_shows_granularity() -> None:
    result = CliRunner().invoke(
        app, ["population", "--unit", "01", "--year", "2017", "--format", "csv"]
    )
    assert result.exit_code == 0, result.output
    assert "age_band" in result.output and "Eurostat" in result.output
    result = CliRunner().invoke(
        app, ["population", "--unit", "01", "--year", "2017", "--granularity", "age"]
    )
    assert result.exit_code != 0 and "åldersgrupper" in result.output


def test_attribution_for_is_one_place() -> None:
    assert services.attribution_for(["kolada_barn_unga", "population_lan_total"]) == [
        "Källa: Kolada",
        "Källa: SCB",
    ]
    assert services.attribution_for(["indicators/kolada_psychiatry_region.csv"]) == [
        "Källa: Kolada"
    ]
    assert services.attribution_for(["no-such-dataset"]) == []
    prov = services.provenance_for(["population_lan_total"])[0]
    assert prov.sha256 and prov.licence.startswith("SCB")


def test_population_by_level_uses_bands_for_band_years() -> None:
    by_lan = services.population_by_level("region", 2018)
    assert sum(by_lan.values()) == 10_230_185
    assert PopulationBand.objects.filter(year=2018).aggregate(s=Sum("population"))["s"] == (
        10_230_185
    )


# --- denominators pick the best available year and say so ------------------------------


def test_denominator_exact_year_from_bands_when_they_fit() -> None:
    from datasmart.indicators.population import PopulationLookup, PopulationSpec

    lookup = PopulationLookup()
    unit = services.get_unit("01")
    found = lookup.denominator(unit.pk, 2017, PopulationSpec(65, None), sex="T")
    assert found is not None and found.year == 2017 and found.note == ""
    bands = services.population(unit, 2017, age_bands=services.parse_age_bands("65+"))
    assert found.persons == bands[0].population
    assert lookup.notes == []


def test_denominator_falls_back_to_nearest_earlier_year_and_says_so() -> None:
    from datasmart.indicators.population import PopulationLookup, PopulationSpec

    lookup = PopulationLookup()
    unit = services.get_unit("01")
    # 0-17 cuts the 15-19 band: 2017 cannot give it, 2015 (one-year ages) can
    found = lookup.denominator(unit.pk, 2017, PopulationSpec(0, 17), sex="2")
    assert found is not None and found.year == 2015
    assert "Nämnaren är befolkningen 2015" in found.note and "2017" in found.note
    assert lookup.notes and lookup.notes[0].startswith("Stockholm")
    expected = services.population(
        unit, 2015, by=("sex",), age_bands=services.parse_age_bands("0-17")
    )
    assert found.persons == next(r.population for r in expected if r.sex == "2")


def test_denominator_from_totals_only_for_everyone() -> None:
    from datasmart.indicators.population import PopulationLookup, PopulationSpec

    lookup = PopulationLookup()
    nation = services.get_unit("00")
    everyone = lookup.denominator(nation.pk, 2023, PopulationSpec(), sex="T")
    assert everyone is not None and (everyone.persons, everyone.year) == (10_551_707, 2023)
    women = lookup.denominator(nation.pk, 2023, PopulationSpec(), sex="2")
    assert women is not None and women.year == 2021 and women.note  # bands by sex, 2021


def test_denominator_later_year_only_when_no_earlier_one() -> None:
    from datasmart.indicators.population import PopulationLookup, PopulationSpec

    kommun = services.get_unit("0180")
    found = PopulationLookup().denominator(kommun.pk, 2017, PopulationSpec(0, 17), sex="T")
    assert found is not None and found.year == 2019 and "2019" in found.note
    assert PopulationLookup().denominator(kommun.pk, 2005, PopulationSpec(), sex="T") is None


def test_unit_page_names_granularity_and_source(client: Client) -> None:
    html = client.get("/enhet/01/").content.decode()
    assert "Källa: SCB; Källa: Eurostat demo_r_pjangrp3 (SCB)" in html
    assert "<td>åldersgrupper</td>" in html and "<td>endast total</td>" in html
