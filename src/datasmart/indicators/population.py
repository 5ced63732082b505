"""Numerators and denominators taken from the population in :mod:`datasmart.geo`.

An indicator may say where its denominator (and, for pure population indicators such as
"share aged 0–17", also its numerator) comes from::

    denominator_population = { age_min = 0, age_max = 17 }   # sex left out = as the row

Figures come from :func:`datasmart.geo.services.population` (31 December, one-year ages,
computed up the geography by geo's own rules, cached), so indicators and population pages
never disagree. Population is available for 1968–2015 by län (and units above) and for
2019 by kommun (and above); 2024 has totals only, without ages, and is not used.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from datasmart.accounts.audit import SYSTEM, SystemActor, record_event
from datasmart.accounts.permissions import Permission
from datasmart.geo.models import DataLoad, Level, PopulationBand, PopulationCount, Unit
from datasmart.geo.services import (
    AgeBand,
    InvalidParameter,
    PopulationNotAvailable,
    parse_age_bands,
)
from datasmart.geo.services import population as geo_population

from .models import ImportKind, Indicator, Observation, ObservationStatus
from .writes import CleanRow, write_batch


class PopulationSpecError(ValueError):
    """An indicator's population specification cannot be used (message for the user)."""


@dataclass(frozen=True)
class PopulationSpec:
    """Ages ``age_min``…``age_max`` (None = and older), one sex or both (None)."""

    age_min: int = 0
    age_max: int | None = None
    sex: str | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> PopulationSpec | None:
        if data is None:
            return None
        return cls(int(data.get("age_min") or 0), data.get("age_max"), data.get("sex"))

    def band(self, age_group: str = "") -> AgeBand | None:
        """The ages to count for a row with ``age_group`` ("" = the spec's own range).

        None when the row's age group lies outside the spec's range.
        """
        low, high = self.age_min, self.age_max
        if age_group:
            try:
                parsed = parse_age_bands(age_group)
            except InvalidParameter:
                return None
            if len(parsed) != 1:
                return None
            low = max(low, parsed[0].low)
            if parsed[0].high is not None:
                high = parsed[0].high if high is None else min(high, parsed[0].high)
        if high is not None and high < low:
            return None
        return AgeBand(low, high)

    def sexes(self, row_sex: str) -> tuple[str, ...] | None:
        """SCB sex codes to sum for a row of ``row_sex`` (T, 1, 2); None if impossible."""
        if self.sex is None:
            return ("1", "2") if row_sex == "T" else (row_sex,)
        return (self.sex,) if row_sex in ("T", self.sex) else None


Cell = tuple[int, int | None, str]
"""``(age_from, age_to, sex)``: one-year ages have ``age_from == age_to``, a band its bounds,
an open top band ``age_to`` None; a total is ``(0, None, "T")``."""

MAX_FALLBACK_YEARS = 5
"""How far a denominator may move from the asked year (nearest earlier first, then later)."""


def _age_bounds(label: str) -> tuple[int, int | None]:
    if label.endswith("+"):
        return int(label[:-1]), None
    if "-" in label:
        low, high = label.split("-", 1)
        return int(low), int(high)
    return int(label), int(label)


def population_cells(unit: Unit, year: int) -> dict[Cell, int] | None:
    """Population cells for a unit and year at the finest granularity geo has: one-year
    ages by sex, else age bands by sex, else the total alone. None when there is none."""
    try:
        rows = geo_population(unit, year, by=("age", "sex"))
    except PopulationNotAvailable:
        try:
            rows = geo_population(unit, year)
        except PopulationNotAvailable:
            return None
        return {(0, None, "T"): rows[0].population}
    cells: dict[Cell, int] = {}
    for row in rows:
        if row.age_group is None or row.sex is None:
            return None
        low, high = _age_bounds(row.age_group)
        cells[(low, high, row.sex)] = row.population
    return cells


def count_population(
    cells: Mapping[Cell, int], spec: PopulationSpec, *, sex: str, age_group: str = ""
) -> int | None:
    """Persons in ``cells`` matching ``spec`` for a row with ``sex`` and ``age_group``.

    None when the cells cannot give it: a wanted age range that cuts a stored band in two
    (e.g. 0–17 from five-year bands), or ages or one sex from a total.
    """
    band = spec.band(age_group)
    sexes = spec.sexes(sex)
    if band is None or sexes is None:
        return None
    want_high = band.high if band.high is not None else 10**6
    total = 0
    for (low, high, s), n in cells.items():
        if s == "T":
            if sexes != ("1", "2") or band.low != 0 or band.high is not None:
                return None
            total += n
            continue
        if s not in sexes:
            continue
        cell_high = high if high is not None else 10**6
        if cell_high < band.low or low > want_high:
            continue  # outside the wanted ages
        if low < band.low or cell_high > want_high:
            return None  # the wanted ages cut this cell
        total += n
    return total


@dataclass(frozen=True)
class Denominator:
    """A population denominator and, when it is not the asked year's, why (``note``)."""

    persons: int
    year: int
    note: str = ""


def fallback_note(asked: int, used: int) -> str:
    """The note shown with a result whose denominator is another year's population."""
    return _(
        "Nämnaren är befolkningen %(used)s: för %(asked)s finns ingen befolkning med den "
        "ålders- och könsindelning som behövs."
    ) % {"used": used, "asked": asked}


class PopulationLookup:
    """Population cells per (unit, year), fetched once per lookup object."""

    def __init__(self, units: Mapping[int, Unit] | None = None) -> None:
        self._units: dict[int, Unit] = dict(units or {})
        self._cells: dict[tuple[int, int], dict[Cell, int] | None] = {}
        self.notes: list[str] = []
        """One note per denominator taken from another year (unit, years), in order."""

    def cells(self, unit_id: int, year: int) -> dict[Cell, int] | None:
        key = (unit_id, year)
        if key not in self._cells:
            unit = self._units.get(unit_id)
            if unit is None:
                unit = self._units[unit_id] = Unit.objects.get(pk=unit_id)
            self._cells[key] = population_cells(unit, year)
        return self._cells[key]

    def count(
        self, unit_id: int, year: int, spec: PopulationSpec, *, sex: str, age_group: str = ""
    ) -> int | None:
        """Persons for exactly ``year`` (no fallback), or None."""
        cells = self.cells(unit_id, year)
        if cells is None:
            return None
        return count_population(cells, spec, sex=sex, age_group=age_group)

    def denominator(
        self, unit_id: int, year: int, spec: PopulationSpec, *, sex: str, age_group: str = ""
    ) -> Denominator | None:
        """The best available denominator for ``year``.

        The asked year when the data gives the needed ages and sex for it; otherwise the
        nearest earlier year that does, then the nearest later one, at most
        :data:`MAX_FALLBACK_YEARS` away, with a note saying so (also appended to
        :attr:`notes`). Why earlier first: a denominator from before the event is what a
        register would have had; the population changes by well under 2 % a year, which a
        reader can weigh once told.
        """
        for offset in [
            0,
            *(-k for k in range(1, MAX_FALLBACK_YEARS + 1)),
            *range(1, MAX_FALLBACK_YEARS + 1),
        ]:
            n = self.count(unit_id, year + offset, spec, sex=sex, age_group=age_group)
            if n is not None and n > 0:
                if offset == 0:
                    return Denominator(n, year)
                unit = self._units.get(unit_id)
                note = fallback_note(year, year + offset)
                if unit is not None:
                    note = f"{unit.name} ({unit.code}) {year}: {note}"
                self.notes.append(note)
                return Denominator(n, year + offset, fallback_note(year, year + offset))
        return None


def years_with_age_data() -> dict[int, set[str]]:
    """``{year: levels stored by age × sex}``: one-year ages (kommun 2019, region
    1968–2015) or age bands (region 2013–2021); a spec a band cuts gives no row there."""
    found: dict[int, set[str]] = {}
    for model in (PopulationCount, PopulationBand):
        for year, level in model.objects.values_list("year", "unit__level").distinct().order_by():
            found.setdefault(int(year), set()).add(str(level))
    return dict(sorted(found.items()))


#: Which levels can be computed from the level that is stored.
_COMPUTABLE_FROM = {
    Level.KOMMUN.value: {"kommun", "region", "sjukvardsregion", "nation"},
    Level.REGION.value: {"region", "sjukvardsregion", "nation"},
}


def population_rows(indicator: Indicator, lookup: PopulationLookup | None = None) -> list[CleanRow]:
    """Observations of a pure population indicator for every unit and year with age data.

    Units at the indicator's levels; sexes T, 1 and 2 when it is broken down by sex.
    """
    num_spec = PopulationSpec.from_json(indicator.numerator_population)
    den_spec = PopulationSpec.from_json(indicator.denominator_population)
    if num_spec is None or den_spec is None:
        raise PopulationSpecError(
            f"{indicator.code}: numerator_population och denominator_population krävs"
        )
    units = {u.pk: u for u in Unit.objects.filter(level__in=indicator.levels)}
    lookup = lookup or PopulationLookup(units)
    sexes = ("T", "1", "2") if "sex" in indicator.breakdowns else ("T",)
    rows: list[CleanRow] = []
    for year, stored in years_with_age_data().items():
        if indicator.first_period and year < indicator.first_period:
            continue
        if indicator.last_period and year > indicator.last_period:
            continue
        levels = set().union(*(_COMPUTABLE_FROM.get(level, set()) for level in stored))
        for unit in sorted(units.values(), key=lambda u: u.code):
            if unit.level not in levels:
                continue
            cells = lookup.cells(unit.pk, year)
            if cells is None:
                continue  # e.g. a split sjukvårdsregion in a län-only year
            for sex in sexes:
                num = count_population(cells, num_spec, sex=sex)
                den = count_population(cells, den_spec, sex=sex)
                if num is None or den is None or den == 0:
                    continue
                rows.append(
                    CleanRow(
                        indicator.pk,
                        unit.pk,
                        year,
                        sex,
                        "",
                        float(num),
                        float(den),
                        num / den * indicator.multiplier,
                        ObservationStatus.OK,
                    )
                )
    return rows


def population_fingerprint(indicators: Iterable[Indicator]) -> str:
    """A SHA-256 over the loaded population files and the indicators' definitions.

    Stands in for a file hash: a population-based load is unchanged while both are.
    """
    digest = hashlib.sha256()
    for dataset, sha in (
        DataLoad.objects.filter(dataset__startswith="population")
        .order_by("dataset")
        .values_list("dataset", "sha256")
    ):
        digest.update(f"{dataset}={sha};".encode())
    for ind in sorted(indicators, key=lambda i: i.code):
        digest.update(
            f"{ind.code}:{ind.version}:{ind.numerator_population}:{ind.denominator_population}:"
            f"{ind.levels}:{ind.breakdowns}:{ind.multiplier};".encode()
        )
    return digest.hexdigest()


@dataclass
class FillReport:
    """What :func:`fill_from_population` did for one indicator."""

    indicator: str
    mode: str  # "computed" (numerator and denominator) or "denominators"
    rows: int = 0
    unchanged: bool = False
    not_available: list[tuple[str, int]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    """Denominators taken from another year than the observation's (see
    :meth:`PopulationLookup.denominator`)."""


def fill_from_population(
    indicator: Indicator | str, *, by: Any = SYSTEM, force: bool = False
) -> FillReport:
    """Fill an indicator's population-based figures from :mod:`datasmart.geo`.

    - Numerator and denominator from the population (``numerator_population`` set):
      replaces all observations of the indicator with one per unit, year (and sex) that has
      population by age; idempotent (a batch fingerprint of the population data and the
      definition; ``force`` recomputes anyway).
    - Denominator only (``denominator_population``): fills the denominator, and the value,
      of every ``ok`` observation that has none, where the population exists.

    A user ``by`` needs ``IMPORT_DATA`` in a national organisation: the fill writes every
    unit's figures (:func:`datasmart.indicators.rights.require_national`; a denial is
    audited). One transaction; audited.
    """
    if not isinstance(by, SystemActor):
        from .rights import require_national

        require_national(by, Permission.IMPORT_DATA, what="Att fylla i från befolkningen")
    if isinstance(indicator, str):
        indicator = Indicator.objects.get(code=indicator)
    if indicator.denominator_population is None:
        raise PopulationSpecError(
            f"{indicator.code}: indikatorn har ingen nämnare från befolkningen"
        )
    if indicator.numerator_population is not None:
        return _fill_computed(indicator, by=by, force=force)
    return _fill_denominators(indicator, by=by)


def population_dataset(indicator: Indicator) -> str:
    return f"population:{indicator.code}"


def _fill_computed(indicator: Indicator, *, by: Any, force: bool) -> FillReport:
    report = FillReport(indicator.code, "computed")
    fingerprint = population_fingerprint([indicator])
    last = (
        indicator.batches.filter(dataset=population_dataset(indicator))
        .order_by("-created_at", "-id")
        .first()
    )
    if not force and last is not None and last.sha256 == fingerprint:
        report.unchanged = True
        report.rows = last.row_count
        return report
    rows = population_rows(indicator)
    with transaction.atomic():
        write_batch(
            rows=rows,
            indicators=[indicator],
            file_name="datasmart.geo: befolkning",
            sha256=fingerprint,
            kind=ImportKind.REFERENCE,
            dataset=population_dataset(indicator),
            by=by,
            replace_all=True,
        )
    report.rows = len(rows)
    return report


def _fill_denominators(indicator: Indicator, *, by: Any) -> FillReport:
    report = FillReport(indicator.code, "denominators")
    spec = PopulationSpec.from_json(indicator.denominator_population)
    assert spec is not None
    lookup = PopulationLookup({})
    with transaction.atomic():
        todo = list(
            Observation.objects.select_for_update()
            .filter(indicator=indicator, status=ObservationStatus.OK, denominator__isnull=True)
            .select_related("unit")
        )
        changed: list[Observation] = []
        for obs in todo:
            found = lookup.denominator(
                obs.unit_id, obs.period, spec, sex=obs.sex, age_group=obs.age_group
            )
            if found is None:
                report.not_available.append((obs.unit.code, obs.period))
                continue
            obs.denominator = float(found.persons)
            obs.denominator_year = found.year if found.year != obs.period else None
            if obs.numerator is not None:
                obs.value = obs.numerator / obs.denominator * indicator.multiplier
            changed.append(obs)
        Observation.objects.bulk_update(
            changed, ["denominator", "denominator_year", "value"], batch_size=1000
        )
        report.rows = len(changed)
        report.notes = list(lookup.notes)
        if changed:
            record_event(
                "indicators.population_fill",
                actor=by,
                target=indicator,
                detail={
                    "rows": len(changed),
                    "not_available": len(report.not_available),
                    "denominator_fallbacks": len(report.notes),
                },
            )
    return report
