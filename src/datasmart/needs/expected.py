"""Expected number of people per condition: prevalence × population, now, in 5 and in
10 years, for every unit of a level, with a low–high range.

Formula (for unit *u*, year *t*, basis figure *e* = condition, age band *A_e*, sex set
*S_e*, shares p_low ≤ p_central ≤ p_high)::

    N_e(u, t)        = Σ_{s∈S_e} Σ_{a∈A_e} P(u, t, s, a)            population in the band
    E_central(u,t,e) = p_central,e · N_e(u, t)
    E_low(u,t,e)     = p_low,e  · N_e(u, t) · (1 − ε(t))
    E_high(u,t,e)    = p_high,e · N_e(u, t) · (1 + ε(t))

where ε(t) is the projection's backtest error for the horizon t − base (the mean absolute
percentage error of the platform's five-year kommun backtest, scaled linearly with the
horizon: ε = MAPE₅ · h / 5; 0 for the base year, and 0 when no backtest is available,
which is then said). A figure without a published low or high uses the central share for
it and is marked ``range_unknown``. This is the standard prevalence-based needs estimate
(e.g. Socialstyrelsen's and SKR's behovsanalys guidance; source 000 "Behovsanalys":
prevalence by age and sex × population); the figures are "sannolikt i underkant".

All units, years and figures are computed at once: ``N = einsum('yusa,esa->yue')`` over
the population cube and a 0/1 band mask, then broadcast with the share vectors (no Python
loop over units or ages).

Population: the projection service (:func:`datasmart.needs.services.projection_rows`,
the platform's Hamilton–Perry projection or an imported scenario) from the latest year
with one-year ages; if it cannot answer, the current population is used for every year
and ``projected`` is False (pages then say "ingen framskrivning: nuvarande befolkning").
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.utils.translation import gettext as _

from datasmart.geo import services as geo
from datasmart.geo.cache import cached
from datasmart.geo.models import Level, Unit
from datasmart.needs import conditions
from datasmart.needs.models import PrevalenceEstimate
from datasmart.needs.prevalence import MAX_AGE, basis_estimates

logger = logging.getLogger(__name__)

N_AGES = MAX_AGE + 1  # 0..99 and 100+
HORIZONS = (0, 5, 10)
VARIANTS = ("low", "central", "high")
_AGE = re.compile(r"(\d+)")


@dataclass
class PopulationCube:
    """Population [year, unit, sex(1,2), age 0..100] for the units of one level."""

    level: str
    codes: list[str]
    names: list[str]
    years: list[int]
    data: np.ndarray
    base_year: int
    projected: bool
    scenario: str
    note: str = ""
    error: dict[int, float] = field(default_factory=dict)  # year -> ε
    error_known: bool = False


def _units(level: str, unit: str | None) -> list[Unit]:
    if unit:
        obj = geo.get_unit(unit)
        return [obj]
    return list(Unit.objects.filter(level=level).order_by("code"))


def base_year() -> int:
    """The latest year with kommun population by one-year age and sex (the base of the
    projection; 'now' on the pages)."""
    try:
        from datasmart.needs.services import kommun_age_years

        years = kommun_age_years()
    except Exception:  # the projection service is optional
        years = []
    return max(years) if years else 2019


def _current_cube(units: list[Unit], year: int) -> np.ndarray:
    cube = np.zeros((len(units), 2, N_AGES))
    for i, u in enumerate(units):
        try:
            rows = geo.population(u, year, by=("age", "sex"))
        except geo.GeoError:
            continue
        for r in rows:
            if r.sex not in ("1", "2") or r.age_group is None:
                continue
            m = _AGE.match(r.age_group)
            if m:
                cube[i, int(r.sex) - 1, min(int(m.group(1)), MAX_AGE)] += r.population
    return cube


def backtest_error() -> float | None:
    """MAPE of the platform's five-year kommun backtest (2019 → 2024), or None if the
    projection service or its reference files are not available. Cached per data version."""

    def compute() -> float | None:
        try:
            from django.conf import settings

            from datasmart.needs import backtest
            from datasmart.needs.services import default_parameters

            ref = backtest.read_reference(settings.DATA_DIR)
            return float(backtest.kommun_backtest(ref, default_parameters(2019, 5)).method.mape)
        except Exception as exc:
            logger.info("no projection backtest for expected cases: %s", exc)
            return None

    return cached("needs-backtest-mape", (), compute)


def population_cube(
    level: str, unit: str | None = None, *, scenario: str = "platform"
) -> PopulationCube:
    """Population now, +5 and +10 for every unit of ``level`` (or one unit)."""
    lvl = geo.parse_level(level) or Level.KOMMUN
    key = (lvl.value, unit or "", scenario)
    return cached("needs-cube", key, lambda: _population_cube(lvl.value, unit, scenario))


def _population_cube(level: str, unit: str | None, scenario: str) -> PopulationCube:
    units = _units(level, unit)
    codes = [u.code for u in units]
    names = [u.name for u in units]
    base = base_year()
    years = [base + h for h in HORIZONS]
    try:
        from datasmart.needs.services import projection_rows

        rows = projection_rows(
            base_year=base,
            years=max(HORIZONS),
            level=level,
            unit=unit,
            by="age,sex",
            scenario=scenario,
        )
        index = {c: i for i, c in enumerate(codes)}
        y_index = {y: i for i, y in enumerate(years)}
        data = np.zeros((len(years), len(codes), 2, N_AGES))
        yi = np.array([y_index.get(r["year"], -1) for r in rows])
        ui = np.array([index.get(r["unit_code"], -1) for r in rows])
        keep = (yi >= 0) & (ui >= 0)
        si = np.array([int(r["sex"]) - 1 for r in rows])
        ai = np.minimum(np.array([r["age"] for r in rows]), MAX_AGE)
        pop = np.array([r["population"] for r in rows], dtype=float)
        np.add.at(data, (yi[keep], ui[keep], si[keep], ai[keep]), pop[keep])
        if scenario != "platform":
            _fill_imported_gaps(data, units, years, yi[keep], scenario)
        mape = backtest_error()
        error = {y: (mape or 0.0) * h / 5 for y, h in zip(years, HORIZONS, strict=True)}
        return PopulationCube(
            level,
            codes,
            names,
            years,
            data,
            base,
            True,
            scenario,
            error=error,
            error_known=mape is not None,
        )
    except Exception as exc:
        # an imported scenario that cannot answer is an error to show, never a silent
        # switch to today's population under the imported scenario's name
        if isinstance(exc, geo.UnitNotFound) or scenario != "platform":
            raise
        logger.info("expected cases without projection: %s", exc)
    current = _current_cube(units, base)
    data = np.broadcast_to(current, (len(years), *current.shape)).copy()
    return PopulationCube(
        level,
        codes,
        names,
        years,
        data,
        base,
        False,
        scenario,
        note=_("Ingen framskrivning tillgänglig: nuvarande befolkning (%(y)s) används för alla år.")
        % {"y": base},
        error={y: 0.0 for y in years},
    )


def _fill_imported_gaps(
    data: np.ndarray, units: list[Unit], years: list[int], filled: np.ndarray, scenario: str
) -> None:
    """An imported projection usually starts after the platform's base year (SCB's
    befolkningsframskrivning begins with the year after its last observed one): the base
    year is then the observed population, as for the platform's own projection. Any other
    year the file lacks is refused by name rather than left as zero."""
    have = set(filled.tolist())
    for i, year in enumerate(years):
        if i in have:
            continue
        if i == 0:
            data[0] = _current_cube(units, year)
            continue
        from datasmart.needs.services import NeedsError

        raise NeedsError(
            "scenario",
            _("scenariot '%(s)s' har inga siffror för %(y)d") % {"s": scenario, "y": year},
        )


@dataclass
class Basis:
    """The basis figures as arrays: band mask [e, sex, age] and shares [e, variant]."""

    estimates: list[PrevalenceEstimate]
    mask: np.ndarray
    shares: np.ndarray
    range_unknown: np.ndarray


def basis(condition: str | None = None) -> Basis:
    ests = [
        e
        for e in basis_estimates()
        if e.central is not None and (condition is None or e.condition == condition)
    ]
    ests.sort(
        key=lambda e: (
            conditions.CORE_CODES.index(e.condition)
            if e.condition in conditions.CORE_CODES
            else 99,
            e.age_from or 0,
            e.sex,
        )
    )
    mask = np.zeros((len(ests), 2, N_AGES))
    shares = np.zeros((len(ests), 3))
    unknown = np.zeros(len(ests), dtype=bool)
    for i, e in enumerate(ests):
        sexes = [0, 1] if e.sex == "T" else [int(e.sex) - 1]
        end = (e.age_to if e.age_to is not None else MAX_AGE) + 1
        for s in sexes:
            mask[i, s, e.age_from : end] = 1.0
        low = e.low if e.low is not None else e.central
        high = e.high if e.high is not None else e.central
        shares[i] = (low, e.central, high)
        unknown[i] = e.low is None or e.high is None
    return Basis(ests, mask, shares, unknown)


def expected_arrays(cube: PopulationCube, b: Basis) -> tuple[np.ndarray, np.ndarray]:
    """(N [year, unit, e], E [year, unit, e, variant]) — see the module formula."""
    n = np.einsum("yusa,esa->yue", cube.data, b.mask)
    eps = np.array([cube.error.get(y, 0.0) for y in cube.years])
    factor = np.stack([1.0 - eps, np.ones_like(eps), 1.0 + eps], axis=1)  # [year, variant]
    e = n[..., None] * b.shares[None, None, :, :] * factor[:, None, None, :]
    return n, e


def expected_rows(
    level: str = "kommun",
    unit: str | None = None,
    *,
    condition: str | None = None,
    scenario: str = "platform",
    horizon: int | None = None,
) -> dict[str, Any]:
    """Expected cases per unit, year, condition, age band and sex (API, pages, exports)."""
    if condition and conditions.resolve(condition) is None:
        raise geo.InvalidParameter("condition", _("okänt tillstånd '%(c)s'") % {"c": condition})
    if horizon is not None and horizon not in HORIZONS:
        raise geo.InvalidParameter("horizon", _("horisonten måste vara 0, 5 eller 10 år"))
    cube = population_cube(level, unit, scenario=scenario)
    b = basis(conditions.resolve(condition) if condition else None)
    n, e = expected_arrays(cube, b)
    rows: list[dict[str, Any]] = []
    for yi, year in enumerate(cube.years):
        h = HORIZONS[yi]
        if horizon is not None and h != horizon:
            continue
        for ui, code in enumerate(cube.codes):
            for ei, est in enumerate(b.estimates):
                rows.append(
                    {
                        "unit_code": code,
                        "unit_name": cube.names[ui],
                        "year": year,
                        "horizon": h,
                        "condition": est.condition,
                        "age_band": est.age_band,
                        "sex": est.sex,
                        "population": round(float(n[yi, ui, ei])),
                        "expected_low": round(float(e[yi, ui, ei, 0]), 1),
                        "expected_central": round(float(e[yi, ui, ei, 1]), 1),
                        "expected_high": round(float(e[yi, ui, ei, 2]), 1),
                        "share_low": float(b.shares[ei, 0]),
                        "share_central": float(b.shares[ei, 1]),
                        "share_high": float(b.shares[ei, 2]),
                        "range_unknown": bool(b.range_unknown[ei]),
                        "range_is_judgement": est.range_is_judgement,
                        "period_type": est.period_type,
                        "estimate_id": est.pk,
                    }
                )
    return {
        "base_year": cube.base_year,
        "years": cube.years,
        "projected": cube.projected,
        "scenario": cube.scenario,
        "note": cube.note,
        "projection_error_known": cube.error_known,
        "projection_error": {str(k): v for k, v in cube.error.items()},
        "rows": rows,
    }


def condition_summary(level: str, unit: str, *, scenario: str = "platform") -> dict[str, Any]:
    """For one unit: per condition and horizon, the sum over its basis figures (bands do
    not overlap, so the sum counts nobody twice), with the ages covered."""
    cube = population_cube(level, unit, scenario=scenario)
    b = basis()
    n, e = expected_arrays(cube, b)  # noqa: RUF059
    out: dict[str, dict[str, Any]] = {}
    for ei, est in enumerate(b.estimates):
        entry = out.setdefault(
            est.condition,
            {
                "condition": est.condition,
                "label": conditions.label(est.condition),
                "bands": [],
                "values": {h: [0.0, 0.0, 0.0] for h in HORIZONS},
                "range_unknown": False,
                "judgement": False,
            },
        )
        entry["bands"].append(f"{est.age_band} {conditions.sex_label(est.sex)}")
        entry["range_unknown"] |= bool(b.range_unknown[ei])
        entry["judgement"] |= est.range_is_judgement
        for yi, h in enumerate(HORIZONS):
            for v in range(3):
                entry["values"][h][v] += float(e[yi, 0, ei, v])
    return {"cube": cube, "conditions": list(out.values())}


def available_scenarios() -> list[str]:
    """Projection variants a needs scenario may name: the platform's own and every
    imported one (from the projection service, if present)."""
    try:
        from datasmart.needs.services import scenarios

        return [s["scenario"] for s in scenarios()]
    except Exception:
        return ["platform"]
