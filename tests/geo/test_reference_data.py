"""Checks that must hold against the real Swedish reference data."""

from __future__ import annotations

import pytest

from datasmart.geo import services
from datasmart.geo.models import ComparatorGroup, Level, Unit

pytestmark = pytest.mark.django_db


def test_counts_per_level() -> None:
    assert Unit.objects.filter(level=Level.KOMMUN).count() == 290
    assert Unit.objects.filter(level=Level.REGION).count() == 21
    assert Unit.objects.filter(level=Level.SJUKVARDSREGION).count() == 6
    assert Unit.objects.filter(level=Level.NATION).count() == 1


def test_every_kommun_in_exactly_one_lan_and_sjukvardsregion() -> None:
    for kommun in Unit.objects.filter(level=Level.KOMMUN).select_related(
        "region", "sjukvardsregion"
    ):
        assert kommun.region is not None and kommun.region.level == Level.REGION
        assert kommun.region.code == kommun.code[:2]
        assert kommun.parent_id == kommun.region_id
        assert kommun.sjukvardsregion is not None
        assert kommun.sjukvardsregion.level == Level.SJUKVARDSREGION


def test_halland_split() -> None:
    halland = services.get_unit("13")
    assert halland.is_split and halland.parent is not None and halland.parent.code == "00"
    by_svr = {k.code: k.sjukvardsregion.code for k in halland.kommuner.all()}  # type: ignore[union-attr]
    assert by_svr == {
        "1384": "vastra",
        "1383": "vastra",
        "1382": "vastra",
        "1380": "sodra",
        "1315": "sodra",
        "1381": "sodra",
    }


def test_kommuner_per_sjukvardsregion() -> None:
    counts = {
        svr.code: Unit.objects.filter(sjukvardsregion=svr, level=Level.KOMMUN).count()
        for svr in Unit.objects.filter(level=Level.SJUKVARDSREGION)
    }
    assert counts == {
        "uppsala_orebro": 80,
        "vastra": 52,
        "sodra": 49,
        "norra": 44,
        "sydostra": 38,
        "stockholm": 27,
    }


def test_population_of_sweden_2019() -> None:
    assert services.population_total(services.get_unit("00"), 2019) == 10_327_589


@pytest.mark.parametrize(
    ("year", "total"), [(1968, 7_931_193), (2000, 8_882_792), (2015, 9_851_017), (2024, 10_587_710)]
)
def test_population_of_sweden_other_years(year: int, total: int) -> None:
    assert services.population_total(services.get_unit("00"), year) == total


def test_aggregation_is_consistent_across_levels() -> None:
    for year in (2019, 2024, 2015):
        nation = services.population_by_level("nation", year)["00"]
        assert sum(services.population_by_level("region", year).values()) == nation
    assert sum(services.population_by_level("sjukvardsregion", 2019).values()) == 10_327_589
    assert sum(services.population_by_level("kommun", 2019).values()) == 10_327_589


def test_sjukvardsregion_2024_matches_source() -> None:
    got = services.population_by_level("sjukvardsregion", 2024)
    assert got == {
        "stockholm": 2_534_278,
        "uppsala_orebro": 2_153_475,
        "vastra": 1_975_020,
        "sodra": 1_932_075,
        "sydostra": 1_088_807,
        "norra": 904_055,
    }


def test_split_region_has_no_figures_from_lan_only_years() -> None:
    with pytest.raises(services.PopulationNotAvailable):
        services.population_total(services.get_unit("vastra"), 2000)
    assert services.population_total(services.get_unit("norra"), 2000) > 0


def test_halland_by_sex_and_age_sums_to_total() -> None:
    halland = services.get_unit("13")
    assert services.population_total(halland, 2019) == 333_848
    rows = services.population(halland, 2019, by=("age", "sex"))
    assert len(rows) == 202
    assert sum(r.population for r in rows) == 333_848


def test_kommungrupper() -> None:
    groups = {g.code: g.members.count() for g in ComparatorGroup.objects.filter(edition="2017")}
    assert groups == {
        "A1": 3,
        "A2": 43,
        "B3": 21,
        "B4": 52,
        "B5": 35,
        "C6": 29,
        "C7": 52,
        "C8": 40,
        "C9": 15,
    }


def test_search_is_case_and_diacritic_aware() -> None:
    assert [u.code for u in services.search_units("malmö")][:1] == ["1280"]
    assert [u.code for u in services.search_units("MALMÖ")][:1] == ["1280"]
    codes = {u.code for u in services.search_units("örebro")}
    assert {"18", "1880"} <= codes
    assert services.search_units("1280")[0].code == "1280"
    assert services.search_units("   ") == []


def test_age_bands() -> None:
    bands = services.parse_age_bands("65+,0-17,18-64")
    assert [b.label for b in bands] == ["0-17", "18-64", "65+"]
    rows = services.population(services.get_unit("00"), 2019, age_bands=bands)
    assert sum(r.population for r in rows) == 10_327_589
    with pytest.raises(services.InvalidParameter, match="överlappar"):
        services.parse_age_bands("0-17,15-20")
    with pytest.raises(services.InvalidParameter, match="ingen åldersgrupp"):
        services.parse_age_bands("barn")
