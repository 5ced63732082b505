"""The ADHD file's ATC codes agree with its substance names and the catalogue (issue #11)."""

from __future__ import annotations

import csv
import tomllib
from pathlib import Path

from django.conf import settings

from datasmart.indicators.loaders import ADHD_SUBSTANCES

CATALOGUE = Path(__file__).resolve().parents[2] / "src/datasmart/indicators/catalogue"


def test_adhd_file_pairs_every_substance_with_the_catalogue_atc_code() -> None:
    """docs/indicators.md used to say four of five pairs were wrong; every row's
    ``atc_code`` is the ``source_code`` of the indicator its substance name maps to."""
    with (CATALOGUE / "adhd_medication.toml").open("rb") as fh:
        source_code = {i["code"]: i["source_code"] for i in tomllib.load(fh)["indicator"]}
    path = Path(settings.DATA_DIR) / "indicators" / "adhd_medication_region_2006_2024.csv"
    with path.open(encoding="utf-8") as fh:
        pairs = {(r["atc_code"], r["substance"]) for r in csv.DictReader(fh)}
    assert {name for _code, name in pairs} == set(ADHD_SUBSTANCES)
    assert pairs == {(source_code[ADHD_SUBSTANCES[name]], name) for _code, name in pairs}
    assert ("N06BA04", "Metylfenidat") in pairs
