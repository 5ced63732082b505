"""Need against care delivered: expected cases beside an indicator that counts care
delivered to (about) the same group. Indicative only — the definitions never match
exactly, and they are shown side by side.

For a pair (condition *c*, indicator *i*) and unit *u* in the year compared (below)::

    expected  E  = Σ_e p_e · N_e(u)  over the basis figures of c, ages limited to the
                   indicator's ages                            (see :mod:`.expected`)
    delivered D  = the indicator's count of persons: its numerator, or for a rate
                   published without counts Σ_g rate_g / multiplier · P(u, g) over its
                   age groups g (population of the year compared: the cube year
                   nearest before the indicator's period, base, +5 or +10)
    coverage     = D / E_central   (with D / E_high … D / E_low as its range)
    gap per 10 000 inhabitants = (E − D) / P_total(u) · 10 000

A coverage below 1 says fewer people received this care than the prevalence figures
predict; it is not a measure of unmet need by itself (treatment is not indicated for
everyone with a diagnosis, and the register figures behind prevalence are floors).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from datasmart.needs import conditions
from datasmart.needs.expected import MAX_AGE, basis, population_cube


@dataclass(frozen=True)
class GapPair:
    condition: str
    indicator: str
    levels: tuple[str, ...]
    age_from: int
    age_to: int
    mode: str  # "rate_by_age" | "numerator" | "numerator_12_months"
    why: Promise


GAP_PAIRS: tuple[GapPair, ...] = (
    GapPair(
        "adhd",
        "adhd-medication-methylphenidate",
        ("region", "nation"),
        5,
        24,
        "rate_by_age",
        gettext_lazy(
            "Patienter 5–24 år med uthämtat metylfenidat mot förväntat antal med ADHD 5–24 år (ålder 5 saknar prevalensuppgift). Alla med ADHD behandlas inte med läkemedel, och andra substanser finns."  # noqa: E501
        ),
    ),
    GapPair(
        "psychosis",
        "psychiatric-inpatients",
        ("nation",),
        0,
        MAX_AGE,
        "numerator",
        gettext_lazy(
            "Alla slutenvårdade med psykiatrisk huvuddiagnos (F00–F99) mot förväntat antal med schizofreni: olika grupper, bara en grov storleksjämförelse."  # noqa: E501
        ),
    ),
    GapPair(
        "any_mental",
        "sip-started",
        ("kommun", "region", "nation"),
        0,
        24,
        "numerator_12_months",
        gettext_lazy(
            "SIP:ar startade i datasmart de senaste tolv månaderna mot förväntat antal barn och unga 0–24 år med psykisk ohälsa; bara en del av dem behöver en SIP."  # noqa: E501
        ),
    ),
)


def _age_groups_population(cube_data: np.ndarray, age_group: str) -> float:
    """Population of one indicator age group ('5-9', '85+', '0') in [sex, age] data."""
    text = age_group.strip()
    if text.endswith("+"):
        start, end = int(text[:-1]), MAX_AGE
    elif "-" in text:
        a, b = text.split("-", 1)
        start, end = int(a), int(b)
    else:
        start = end = int(text)
    return float(cube_data[:, start : end + 1].sum())


def population_year_index(years: list[int], period: int | None) -> int:
    """Index of the cube year to compare with an indicator period: the latest cube year
    not after the period's year (a month ``YYYYMM`` counts as its year), else the first.

    Why: a 2024 rate multiplied by the 2019 population, or 2024 care against 2019
    expected cases, compares two different years; the cube holds base, +5 and +10."""
    if period is None:
        return 0
    year = period // 100 if period > 9999 else period
    best = 0
    for i, y in enumerate(years):
        if y <= year:
            best = i
    return best


def _title(ind: Any) -> str:
    """The indicator's title in the page's language (English when the catalogue has it)."""
    from django.utils.translation import get_language

    return str(ind.title_en if get_language() == "en" and ind.title_en else ind.title_sv)


def _delivered(
    pair: GapPair, unit_code: str, cube_data: np.ndarray, years: list[int]
) -> tuple[float | None, int | None, str, int]:
    """(persons who received the care, period, indicator title, cube year index)."""
    from datasmart.indicators.services import Indicator, Result

    try:
        ind = Indicator.objects.get(code=pair.indicator)
    except Indicator.DoesNotExist:
        return None, None, "", 0
    results = Result.objects.filter(indicator=ind, unit__code=unit_code, status="ok")
    if pair.mode == "rate_by_age":
        rows = list(
            results.filter(sex="T").exclude(age_group="").values("period", "age_group", "value")
        )
        if not rows:
            rows = list(
                results.exclude(age_group="")
                .exclude(sex="T")
                .values("period", "age_group", "value", "sex")
            )
        if not rows:
            return None, None, _title(ind), 0
        period = max(r["period"] for r in rows)
        yi = population_year_index(years, period)
        pop = cube_data[yi, 0]
        total = 0.0
        for r in rows:
            if r["period"] != period or r["value"] is None:
                continue
            if "sex" in r:
                sex = int(r["sex"])  # type: ignore[misc]
                total += (
                    r["value"]
                    / ind.multiplier
                    * _age_groups_population(pop[sex - 1 : sex], r["age_group"])
                )
            else:
                total += r["value"] / ind.multiplier * _age_groups_population(pop, r["age_group"])
        return total, period, _title(ind), yi
    cell = results.filter(sex="T", age_group="")
    latest = cell.order_by("-period").first()
    if latest is None or latest.numerator is None:
        return None, None, _title(ind), 0
    yi = population_year_index(years, latest.period)
    if pair.mode == "numerator_12_months":
        periods = sorted({p for p in cell.values_list("period", flat=True)}, reverse=True)[:12]
        total = sum(r.numerator or 0.0 for r in cell.filter(period__in=periods))
        return float(total), latest.period, _title(ind), yi
    return float(latest.numerator), latest.period, _title(ind), yi


def gap_rows(level: str, unit: str) -> list[dict[str, Any]]:
    """One row per pair that applies to ``level``: expected (low/central/high), delivered,
    coverage and gap per 10 000 inhabitants, with both definitions. Missing delivered
    figures give a row with ``delivered = None`` (shown as 'saknas'), never zero.

    Expected cases, the population behind a published rate and the inhabitants of the
    gap are all taken in the same year (``year``: the cube year nearest before the
    indicator's period, see :func:`population_year_index`)."""
    cube = population_cube(level, unit)
    rows = []
    for pair in GAP_PAIRS:
        if level not in pair.levels:
            continue
        delivered, period, title, yi = _delivered(pair, unit, cube.data, cube.years)
        pop = cube.data[yi, 0]  # the year compared, [sex, age]
        total = float(pop.sum())
        b = basis(pair.condition)
        limit = np.zeros_like(b.mask)
        limit[:, :, pair.age_from : pair.age_to + 1] = 1.0
        n = np.einsum("sa,esa->e", pop, b.mask * limit)
        expected = (n[:, None] * b.shares).sum(axis=0) if len(b.estimates) else np.zeros(3)
        row: dict[str, Any] = {
            "condition": pair.condition,
            "condition_label": conditions.label(pair.condition),
            "indicator": pair.indicator,
            "indicator_title": title,
            "period": period,
            "base_year": cube.base_year,
            "year": cube.years[yi],
            "projected_year": yi > 0 and cube.projected,
            "ages": f"{pair.age_from}–{pair.age_to if pair.age_to < MAX_AGE else ''}",
            "expected_low": float(expected[0]),
            "expected_central": float(expected[1]),
            "expected_high": float(expected[2]),
            "delivered": delivered,
            "coverage": None,
            "coverage_low": None,
            "coverage_high": None,
            "gap_per_10000": None,
            "gap_per_10000_low": None,
            "gap_per_10000_high": None,
            "definition_need": "; ".join(
                f"{e.age_band} {conditions.sex_label(e.sex)}: {conditions.measure_label(e.measure)}"
                for e in b.estimates
            ),
            "why": str(pair.why),
            "indicative": True,
        }
        if delivered is not None and expected[1] > 0:
            row["coverage"] = delivered / expected[1]
            row["coverage_low"] = delivered / expected[2] if expected[2] > 0 else None
            row["coverage_high"] = delivered / expected[0] if expected[0] > 0 else None
            if total > 0:
                row["gap_per_10000"] = (expected[1] - delivered) / total * 10000
                row["gap_per_10000_low"] = (expected[0] - delivered) / total * 10000
                row["gap_per_10000_high"] = (expected[2] - delivered) / total * 10000
        rows.append(row)
    return rows


def indicative_label() -> str:
    return _("Indikativt: definitionerna för behov och vård skiljer sig, se bredvid.")
