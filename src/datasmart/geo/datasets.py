"""The one table of reference datasets: who published each file, under which licence, and
the attribution text shown wherever its figures are.

Why one table: the licences require attribution (Kolada: "Källa: Kolada"; Eurostat: source
acknowledgement) and SCB, Socialstyrelsen and NASP ask to be cited, so every page, API answer
and export showing figures must name the source. Keeping the facts here, keyed by the
dataset key the loaders use (geo's :data:`~datasmart.geo.loaders.SPECS` names and the
indicator loaders' ``Source.dataset`` / ``ImportBatch.dataset``), means a loader copies them
into :class:`~datasmart.geo.models.DataLoad` and every view asks
:func:`datasmart.geo.services.attribution_for` instead of writing its own text. The facts are
taken from each folder's ``SOURCE.md`` in the shared data.

Attribution texts are Swedish source strings; "Källa" is translated at display time
(:func:`datasmart.geo.services.attribution_for`), the publisher names are proper names.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DatasetInfo:
    """Provenance facts of one dataset (what ``SOURCE.md`` says, in short)."""

    relpath: str
    source: str
    licence: str
    publisher: str  # shown as "Källa: <publisher>"

    @property
    def attribution(self) -> str:
        return f"Källa: {self.publisher}"


_SCB = "SCB"
_SCB_CC0 = "SCB: CC0 (öppna data)"

DATASETS: dict[str, DatasetInfo] = {
    # geography and groupings
    "sjukvardsregioner": DatasetInfo(
        "sjukvardsregioner/sjukvardsregioner.csv",
        "Förordning (1982:777) om sjukvårdsregioner, ändrad 1997:927",
        "författningstext, fri",
        "SFS 1982:777",
    ),
    "counties": DatasetInfo(
        "geography/counties.csv", "SCB:s länsindelning (sjbrg/swedish-geodata)", _SCB_CC0, _SCB
    ),
    "lan_sjukvardsregion": DatasetInfo(
        "sjukvardsregioner/lan_sjukvardsregion.csv",
        "Förordning (1982:777) om sjukvårdsregioner",
        "författningstext, fri",
        "SFS 1982:777",
    ),
    "municipalities": DatasetInfo(
        "geography/municipalities.csv",
        "SCB:s kommunindelning (sjbrg/swedish-geodata)",
        _SCB_CC0,
        _SCB,
    ),
    "kommun_sjukvardsregion": DatasetInfo(
        "sjukvardsregioner/kommun_sjukvardsregion.csv",
        "Förordning (1982:777) om sjukvårdsregioner",
        "författningstext, fri",
        "SFS 1982:777",
    ),
    "kommungrupper_groups": DatasetInfo(
        "kommungrupper/kommungrupper_2017_groups.csv",
        "SKR:s kommungruppsindelning 2017",
        "offentlig klassificering, ingen licens angiven",
        "SKR",
    ),
    "kommungrupper": DatasetInfo(
        "kommungrupper/kommungrupper_2017.csv",
        "SKR:s kommungruppsindelning 2017",
        "offentlig klassificering, ingen licens angiven",
        "SKR",
    ),
    "kommungrupper_2023_groups": DatasetInfo(
        "kommungrupper/kommungrupper_2023_groups.csv",
        "SKR:s kommungruppsindelning 2023 (andrahandskopia)",
        "offentlig klassificering, ingen licens angiven",
        "SKR",
    ),
    "kommungrupper_2023": DatasetInfo(
        "kommungrupper/kommungrupper_2023.csv",
        "SKR:s kommungruppsindelning 2023 (andrahandskopia)",
        "offentlig klassificering, ingen licens angiven",
        "SKR",
    ),
    # population (SCB BE0101, folkmängd 31 december)
    "population_kommun_age_sex": DatasetInfo(
        "population/kommun_age_sex_2019.csv",
        "SCB BE0101 Folkmängd efter region, ålder och kön 2019",
        _SCB_CC0,
        _SCB,
    ),
    "population_lan_age_sex": DatasetInfo(
        "population/lan_age_sex_1968_2015.csv",
        "SCB BE0101N1 Folkmängd efter region, civilstånd, ålder och kön 1968–2015",
        _SCB_CC0,
        _SCB,
    ),
    "population_kommun_total": DatasetInfo(
        "population/kommun_total_2024.csv",
        "SCB befkommun6824 (folkmängd per kommun), kolumn 2024",
        _SCB_CC0,
        _SCB,
    ),
    "population_lan_age5_sex": DatasetInfo(
        "population/lan_age5_sex_2013_2021.csv",
        "Eurostat demo_r_pjangrp3 (källa: SCB BE0101), femårsgrupper 2013–2021",
        "Eurostat: fri återanvändning med källhänvisning (CC BY 4.0); SCB: CC0",
        "Eurostat demo_r_pjangrp3 (SCB)",
    ),
    "population_lan_total": DatasetInfo(
        "population/lan_total_2011_2024.csv",
        "SCB BE0101 Folkmängd den 31 december, län och riket 2011–2024",
        _SCB_CC0,
        _SCB,
    ),
    # indicators (keys are the indicator loaders' dataset names)
    "self_harm_lan": DatasetInfo(
        "indicators/self_harm_inpatient_lan_2023.csv",
        "Socialstyrelsen, patientregistret",
        "fri användning (ingen CC-licens angiven)",
        "Socialstyrelsen",
    ),
    "psychiatric_inpatients": DatasetInfo(
        "indicators/psychiatric_inpatients_riket_1988_2023.csv",
        "Socialstyrelsen, patientregistret",
        "fri användning (ingen CC-licens angiven)",
        "Socialstyrelsen",
    ),
    "self_harm_riket_rates": DatasetInfo(
        "indicators/self_harm_inpatient_riket_rates_2001_2023.csv",
        "Socialstyrelsen, patientregistret",
        "fri användning (ingen CC-licens angiven)",
        "Socialstyrelsen",
    ),
    "adhd_medication": DatasetInfo(
        "indicators/adhd_medication_region_2006_2024.csv",
        "Socialstyrelsen, läkemedelsregistret",
        "fri användning (ingen CC-licens angiven)",
        "Socialstyrelsen",
    ),
    "kolada_barn_unga": DatasetInfo(
        "indicators/kolada_barn_unga_kommun_2010_2024.csv",
        "Kolada (RKA)",
        "CC BY 4.0, källhänvisning krävs",
        "Kolada",
    ),
    "kolada_psychiatry_region": DatasetInfo(
        "indicators/kolada_psychiatry_region.csv",
        "SKR (Väntetider i vården), SCB, via Kolada (RKA)",
        "CC BY 4.0, källhänvisning krävs",
        "Kolada",
    ),
    "kolada_suicide_25plus": DatasetInfo(
        "indicators/kolada_N61603_suicide_rate_25plus_region_2016_2024.csv",
        "Folkhälsomyndigheten via Kolada (N61603)",
        "CC BY 4.0, källhänvisning krävs",
        "Kolada",
    ),
    "nasp_suicide_15plus": DatasetInfo(
        "indicators/nasp_lan_suicide_rate_15plus_2018_2022.csv",
        "NASP (Karolinska institutet), Socialstyrelsens dödsorsaksregister",
        "ingen licens angiven; citera NASP",
        "NASP",
    ),
    "nasp_suicide_agestd": DatasetInfo(
        "indicators/nasp_lan_suicide_rate_agestd_2006_2016.csv",
        "NASP (Karolinska institutet)",
        "ingen licens angiven; citera NASP",
        "NASP",
    ),
    "riket_suicide_counts": DatasetInfo(
        "indicators/riket_suicide_counts_by_age_sex.csv",
        "NASP, Folkhälsomyndigheten",
        "ingen licens angiven",
        "NASP, Folkhälsomyndigheten",
    ),
    "riket_suicide_2019": DatasetInfo(
        "indicators/riket_suicide_2019_counts_rates_age_sex.csv",
        "Folkhälsomyndigheten",
        "ingen licens angiven",
        "Folkhälsomyndigheten",
    ),
    "prevalence_estimates": DatasetInfo(
        "prevalence/prevalence_estimates.csv",
        "Publicerade skattningar (JAMA Psychiatry 2020, Socialstyrelsen, "
        "Folkhälsomyndigheten, SBU); se citering per rad",
        "fakta med källhänvisning",
        "se citering per skattning",
    ),
    "projections_total": DatasetInfo(
        "projections/halland_riket_total_2000_2040.csv",
        "SCB (observerat, riksprognos), Region Halland (egen prognos)",
        "ingen licens angiven",
        "SCB, Region Halland",
    ),
    "projections_agegroups": DatasetInfo(
        "projections/halland_riket_agegroups_2000_2040.csv",
        "SCB (observerat, riksprognos), Region Halland (egen prognos)",
        "ingen licens angiven",
        "SCB, Region Halland",
    ),
}

POPULATION_DATASETS = {
    "age": ("population_lan_age_sex", "population_kommun_age_sex"),
    "age_band": ("population_lan_age5_sex",),
    "total": ("population_lan_total", "population_kommun_total"),
}
"""Which datasets a population figure of each granularity can come from (for attribution)."""


def dataset_info(key: str) -> DatasetInfo | None:
    """The facts for a dataset key, or for a file path relative to the data folder."""
    if key in DATASETS:
        return DATASETS[key]
    return next((d for d in DATASETS.values() if d.relpath == key), None)
