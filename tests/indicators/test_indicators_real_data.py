"""The real indicator data from DATASMART_DATA_DIR/indicators, loaded once per test DB."""

from __future__ import annotations

import csv
import hashlib
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db.models import Count, Sum
from indicators_support import real_data_fixture  # noqa: F401

from datasmart.indicators.loaders import load_real_indicators
from datasmart.indicators.models import ImportBatch, Indicator, Observation

pytestmark = [pytest.mark.slow, pytest.mark.django_db]

INDICATORS = Path(settings.DATA_DIR) / "indicators"


def _read(name: str) -> list[dict[str, str]]:
    with (INDICATORS / name).open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _count(code_prefix: str) -> int:
    return Observation.objects.filter(indicator__code__startswith=code_prefix).count()


def test_observation_counts_per_group(real_data: Any) -> None:
    assert _count("self-harm-inpatients") == 63  # 21 län × 3, Riket not stored
    assert _count("psychiatric-inpatients") == 756
    assert _count("self-harm-inpatient-rate-national") == 621
    assert _count("adhd-medication-") == 25_080
    assert _count("kolada-") == 138_910
    assert _count("population-share-0-17") == 4_698
    # 65+ is also computed from the five-year bands (2016-2018, 2020-2021: 5 years x (21 län
    # + 4 unsplit sjukvårdsregioner + Riket) x 3 sexes); 0-17 cuts the 15-19 band, so not.
    assert _count("population-share-65plus") == 4_698 + 5 * 26 * 3
    per_group = dict(
        Indicator.objects.values_list("group").annotate(n=Count("observations")).order_by()
    )
    assert per_group["kolada_barn_unga"] == 138_910
    assert per_group["suicide"] == 626  # 110 + 242 + 198 + 22 + 42 + 12
    assert per_group["kolada_psychiatry"] == 972


def test_self_harm_lan_sum_to_riket(real_data: Any) -> None:
    qs = Observation.objects.filter(indicator__code="self-harm-inpatients", period=2023)
    assert not qs.filter(unit__level="nation").exists()
    assert qs.values("unit").distinct().count() == 21
    sums = dict(qs.values_list("sex").annotate(n=Sum("numerator")).order_by())
    assert sums == {"1": 2142, "2": 4047, "T": 6189}
    riket = {
        r["sex"]: float(r["patients"])
        for r in _read("self_harm_inpatient_lan_2023.csv")
        if r["lan_code"] == "00"
    }
    assert sums == riket
    stockholm = qs.get(unit__code="01", sex="T")
    assert (stockholm.numerator, stockholm.denominator, stockholm.value) == (1150, 2454642, 46.85)


def test_psychiatric_age_groups_sum_to_all_ages(real_data: Any) -> None:
    qs = Observation.objects.filter(indicator__code="psychiatric-inpatients")
    assert set(qs.values_list("unit__code", flat=True)) == {"00"}
    totals = {(o.period, o.sex): o.numerator for o in qs.filter(age_group="")}
    parts: Counter[tuple[int, str]] = Counter()
    for o in qs.exclude(age_group=""):
        parts[(o.period, o.sex)] += o.numerator or 0
    assert len(totals) == 36 * 3 and len(parts) == 36 * 2
    assert all(parts[k] == totals[k] for k in parts)


def test_self_harm_rates_and_missing_cells(real_data: Any) -> None:
    qs = Observation.objects.filter(indicator__code="self-harm-inpatient-rate-national")
    assert qs.filter(status="missing").count() == 17
    assert not qs.filter(status="missing", value__isnull=False).exists()
    assert set(qs.filter(status="missing").values_list("age_group", flat=True)) == {"0-4"}
    assert not qs.exclude(numerator=None).exists()


def test_adhd_substances(real_data: Any) -> None:
    codes = Indicator.objects.filter(group="adhd_medication").values_list("code", flat=True)
    assert len(codes) == 5
    per = dict(
        Observation.objects.filter(indicator__group="adhd_medication")
        .values_list("indicator__code")
        .annotate(n=Count("id"))
        .order_by()
    )
    assert set(per.values()) == {19 * 22 * 3 * 4}
    ritalin = Observation.objects.get(
        indicator__code="adhd-medication-methylphenidate",
        unit__code="00",
        period=2024,
        sex="T",
        age_group="10-14",
    )
    assert ritalin.value == 50.9 and ritalin.numerator is None
    assert Indicator.objects.get(code="adhd-medication-methylphenidate").source_code == "N06BA04"


def test_kolada(real_data: Any) -> None:
    kpis = {
        r["kpi_id"] for r in _read("kolada_kpi_catalogue_2023-03-28.csv") if r["in_extract"] == "1"
    }
    assert len(kpis) == 23
    kolada = Indicator.objects.filter(group="kolada_barn_unga")
    assert {i.source_code for i in kolada} == kpis
    assert {i.attribution for i in kolada} == {"Källa: Kolada"}
    statuses = dict(
        Observation.objects.filter(indicator__group="kolada_barn_unga")
        .values_list("status")
        .annotate(n=Count("id"))
        .order_by()
    )
    assert statuses == {
        "ok": 134_700,
        "missing": 2_188,
        "suppressed_at_source": 1_090,
        "not_applicable": 932,
    }
    source = Counter(r["gender"] for r in _read("kolada_barn_unga_kommun_2010_2024.csv"))
    sexes = Counter(
        dict(
            Observation.objects.filter(indicator__group="kolada_barn_unga")
            .values_list("sex")
            .annotate(n=Count("id"))
            .order_by()
        )
    )
    assert (sexes["1"], sexes["2"], sexes["T"]) == (source["M"], source["K"], source["T"])
    assert (
        Observation.objects.filter(indicator__group="kolada_barn_unga")
        .values("unit")
        .distinct()
        .count()
        == 290
    )


def test_batches_record_the_file_hashes(real_data: Any) -> None:
    for name, dataset in [
        ("kolada_barn_unga_kommun_2010_2024.csv", "kolada_barn_unga"),
        ("self_harm_inpatient_lan_2023.csv", "self_harm_lan"),
    ]:
        batch = ImportBatch.objects.filter(dataset=dataset).latest("created_at")
        assert batch.sha256 == hashlib.sha256((INDICATORS / name).read_bytes()).hexdigest()
        assert batch.kind == "reference" and batch.user is None


def test_second_load_changes_nothing(real_data: Any) -> None:
    batches = ImportBatch.objects.count()
    observations = Observation.objects.count()
    report = load_real_indicators()
    assert not report.changed
    assert {d.status for d in report.datasets} == {"unchanged"}
    assert ImportBatch.objects.count() == batches and Observation.objects.count() == observations
