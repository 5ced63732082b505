"""Queries on units and population shared by pages, API and CLI.

Population comes in three granularities, stored side by side where sources overlap
(:class:`~datasmart.geo.models.Granularity`): one-year ages, age bands, totals. A query uses
the finest one the data has for the unit and year unless told otherwise, and every row it
returns names the granularity used and the source to attribute.

Population is stored only at the finest level a source gives, so every figure above it is
computed here by summing the finest complete level below the unit:

- a kommun: its own rows;
- a region/län: its own rows when the source is by län (1968–2015), else its kommuner;
- a sjukvårdsregion: its kommuner; from län rows only when none of its län is split
  (Halland is split between Västra and Södra, so those two have no figures for län-only years);
- the nation: all kommuner, or all län.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db.models import Q, QuerySet, Sum
from django.utils.translation import gettext as _

from datasmart.geo import kommungrupper
from datasmart.geo.cache import cached
from datasmart.geo.datasets import POPULATION_DATASETS, dataset_info
from datasmart.geo.models import (
    GRANULARITY_ORDER,
    LEVEL_ORDER,
    ComparatorGroup,
    DataLoad,
    Granularity,
    Level,
    PopulationBand,
    PopulationCount,
    PopulationTotal,
    Unit,
)


class GeoError(Exception):
    """Base for errors users can act on; the message is safe to show."""


class UnitNotFound(GeoError):
    def __init__(self, code: str) -> None:
        self.code = code
        super().__init__(_("Ingen enhet med koden '%(code)s' finns.") % {"code": code})


class PopulationNotAvailable(GeoError):
    """The data has no population for this unit and year (or not with that breakdown)."""


class InvalidParameter(GeoError):
    """A query parameter is malformed; ``field`` names it."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(f"{field}: {message}")


BREAKDOWNS = ("age", "sex")


@dataclass(frozen=True)
class AgeBand:
    """Ages ``low`` to ``high`` inclusive; ``high`` None means "and older"."""

    low: int
    high: int | None

    @property
    def label(self) -> str:
        return f"{self.low}+" if self.high is None else f"{self.low}-{self.high}"

    def contains(self, age: int) -> bool:
        return age >= self.low and (self.high is None or age <= self.high)


FIVE_YEAR_BANDS = (*tuple(AgeBand(a, a + 4) for a in range(0, 100, 5)), AgeBand(100, None))


def parse_age_bands(spec: str) -> tuple[AgeBand, ...]:
    """Parse ``"0-17,18-64,65+"`` (or ``"5y"`` for five-year bands) into ordered bands.

    Bands must not overlap; gaps are allowed (ages outside every band are left out).
    """
    spec = spec.strip()
    if spec in {"5y", "5"}:
        return FIVE_YEAR_BANDS
    bands: list[AgeBand] = []
    for part in (p.strip() for p in spec.split(",")):
        try:
            if part.endswith("+") or part.endswith("-"):
                band = AgeBand(int(part[:-1]), None)
            elif "-" in part:
                low, high = part.split("-", 1)
                band = AgeBand(int(low), int(high))
            else:
                band = AgeBand(int(part), int(part))
        except ValueError:
            raise InvalidParameter(
                "age_groups",
                _("'%(part)s' är ingen åldersgrupp (skriv t.ex. 0-17,18-64,65+)") % {"part": part},
            ) from None
        if band.low < 0 or band.low > 100 or (band.high is not None and band.high < band.low):
            raise InvalidParameter(
                "age_groups", _("'%(part)s' är inget giltigt åldersintervall") % {"part": part}
            )
        bands.append(band)
    bands.sort(key=lambda b: b.low)
    for prev, cur in itertools.pairwise(bands):
        if prev.high is None or prev.high >= cur.low:
            raise InvalidParameter(
                "age_groups",
                _("åldersgrupperna %(a)s och %(b)s överlappar") % {"a": prev.label, "b": cur.label},
            )
    return tuple(bands)


def parse_breakdown(spec: str | None) -> tuple[str, ...]:
    """Parse ``"age,sex"`` into a tuple of known breakdown names."""
    if not spec:
        return ()
    parts = tuple(dict.fromkeys(p.strip() for p in spec.split(",") if p.strip()))
    unknown = [p for p in parts if p not in BREAKDOWNS]
    if unknown:
        raise InvalidParameter(
            "by", _("okänd uppdelning '%(u)s' (tillåtna: age, sex)") % {"u": ", ".join(unknown)}
        )
    return parts


def parse_level(value: str | None) -> Level | None:
    if value is None or value == "":
        return None
    try:
        return Level(value)
    except ValueError:
        raise InvalidParameter(
            "level",
            _("okänd nivå '%(v)s' (tillåtna: %(ok)s)")
            % {"v": value, "ok": ", ".join(lv.value for lv in LEVEL_ORDER)},
        ) from None


# --- units -----------------------------------------------------------------------------


def list_units(
    *, level: Level | str | None = None, parent_code: str | None = None
) -> QuerySet[Unit]:
    """Units ordered by level then code, optionally filtered by level and parent."""
    qs = Unit.objects.select_related("parent").order_by("code")
    if level:
        qs = qs.filter(level=parse_level(str(level)))
    if parent_code:
        parent = get_unit(parent_code)
        qs = qs.filter(parent=parent) | (
            qs.filter(sjukvardsregion=parent, level=Level.KOMMUN, region__is_split=True)
            if parent.level == Level.SJUKVARDSREGION
            else qs.none()
        )
    return qs.order_by("code")


def get_unit(code: str) -> Unit:
    """The unit with ``code`` or :class:`UnitNotFound`."""
    try:
        return Unit.objects.select_related("parent", "region", "sjukvardsregion").get(code=code)
    except Unit.DoesNotExist:
        raise UnitNotFound(code) from None


def ancestors(unit: Unit) -> list[Unit]:
    """From the nation down to the unit's parent (a kommun in split Halland also lists
    its sjukvårdsregion, reached through the kommun rather than its region)."""
    chain: list[Unit] = []
    if unit.level == Level.KOMMUN and unit.region and unit.region.is_split:
        chain = [u for u in [unit.sjukvardsregion] if u]
    node = unit.parent
    while node is not None:
        chain.append(node)
        node = node.parent
    chain.reverse()
    return sorted(chain, key=lambda u: LEVEL_ORDER.index(Level(u.level)))


def children(unit: Unit) -> list[Unit]:
    """Units directly below; a sjukvårdsregion also lists kommuner of a split län it shares."""
    kids = list(unit.children.order_by("code"))
    if unit.level == Level.SJUKVARDSREGION:
        kids += list(
            Unit.objects.filter(sjukvardsregion=unit, region__is_split=True).order_by("code")
        )
    return kids


def units_within(unit: Unit) -> QuerySet[Unit]:
    """The unit itself and every unit below it: the area an organisation of ``unit`` is
    responsible for (a region: its län and kommuner; a sjukvårdsregion: its regions and
    every kommun whose sjukvårdsregion it is, also in split Halland; the nation: all)."""
    if unit.level == Level.NATION:
        return Unit.objects.all()
    if unit.level == Level.SJUKVARDSREGION:
        return Unit.objects.filter(
            Q(pk=unit.pk) | Q(parent=unit, level=Level.REGION) | Q(sjukvardsregion=unit)
        )
    if unit.level == Level.REGION:
        return Unit.objects.filter(Q(pk=unit.pk) | Q(region=unit, level=Level.KOMMUN))
    return Unit.objects.filter(pk=unit.pk)


def kommungrupp_of(
    unit: Unit, edition: str | None = None, *, year: int | None = None
) -> ComparatorGroup | None:
    """The kommun's SKR kommungrupp in ``edition``; without one, in the edition in force
    for ``year`` (:func:`datasmart.geo.kommungrupper.edition_for_period`; no year = the
    latest edition, the one in force today)."""
    chosen = kommungrupper.check_edition(edition) or kommungrupper.edition_for_period(year)
    return unit.groups.filter(kind="kommungrupp", edition=chosen).first()


def search_units(query: str, *, limit: int = 20) -> list[Unit]:
    """Units whose name or code matches ``query`` (case-insensitive, å/ä/ö-aware).

    Names are stored case-folded (``search_name``) so the match does not depend on the
    database's collation; prefix matches rank before matches inside the name.
    """
    q = query.strip().casefold()
    if not q:
        return []
    qs = Unit.objects.filter(Q(search_name__contains=q) | Q(code__startswith=q))
    found = list(qs[: limit * 3])
    found.sort(
        key=lambda u: (
            not (u.search_name.startswith(q) or u.code.startswith(q)),
            LEVEL_ORDER.index(Level(u.level)),
            u.name,
        )
    )
    return found[:limit]


# --- population ------------------------------------------------------------------------

_MODELS: dict[Granularity, type[PopulationCount | PopulationBand | PopulationTotal]] = {
    Granularity.AGE: PopulationCount,
    Granularity.AGE_BAND: PopulationBand,
    Granularity.TOTAL: PopulationTotal,
}


def parse_granularity(value: str | None) -> Granularity | None:
    """``age``, ``age_band`` or ``total`` (None/empty = the finest available)."""
    if value is None or value == "":
        return None
    try:
        return Granularity(value)
    except ValueError:
        raise InvalidParameter(
            "granularity",
            _("okänd granularitet '%(v)s' (tillåtna: %(ok)s)")
            % {"v": value, "ok": ", ".join(g.value for g in GRANULARITY_ORDER)},
        ) from None


def _leaf_units(unit: Unit, year: int, granularity: Granularity) -> list[int] | None:
    """Ids of the finest units whose stored rows of ``granularity`` add up to ``unit``."""
    model = _MODELS[granularity]
    if unit.level == Level.KOMMUN:
        kommuner = [unit.id]
    elif unit.level == Level.REGION:
        if model.objects.filter(unit=unit, year=year).exists():
            return [unit.id]
        kommuner = list(unit.kommuner.values_list("id", flat=True))
    elif unit.level == Level.SJUKVARDSREGION:
        kommuner = list(
            Unit.objects.filter(sjukvardsregion=unit, level=Level.KOMMUN).values_list(
                "id", flat=True
            )
        )
    else:
        kommuner = list(Unit.objects.filter(level=Level.KOMMUN).values_list("id", flat=True))
    if model.objects.filter(unit_id__in=kommuner[:1], year=year).exists():
        return kommuner
    if unit.level == Level.KOMMUN:
        return None
    # fall back to län rows
    if unit.level == Level.NATION:
        lan = Unit.objects.filter(level=Level.REGION)
    elif unit.level == Level.SJUKVARDSREGION:
        if Unit.objects.filter(sjukvardsregion=unit, region__is_split=True).exists():
            return None  # a split län cannot be divided without kommun figures
        lan = Unit.objects.filter(parent=unit, level=Level.REGION)
    else:
        return None
    ids = list(lan.values_list("id", flat=True))
    if ids and model.objects.filter(unit_id__in=ids[:1], year=year).exists():
        return ids
    return None


def _population_granularities(unit: Unit) -> dict[int, list[str]]:
    years: dict[int, list[str]] = {}
    for granularity in GRANULARITY_ORDER:
        model = _MODELS[granularity]
        for y in model.objects.values_list("year", flat=True).distinct().order_by():
            if _leaf_units(unit, y, granularity):
                years.setdefault(int(y), []).append(granularity.value)
    return dict(sorted(years.items()))  # granularities appended finest first


def population_granularities(unit: Unit) -> dict[int, list[str]]:
    """Years with a population figure for ``unit``, mapped to the granularities the data
    gives for it, finest first (``age``, ``age_band``, ``total``); cached."""
    return cached("granularities", (unit.code,), lambda: _population_granularities(unit))


def _population_years(unit: Unit) -> dict[int, bool]:
    return {
        y: Granularity.AGE.value in found for y, found in population_granularities(unit).items()
    }


@dataclass(frozen=True)
class PopulationRow:
    """One population figure. ``granularity`` names what it was computed from (one-year
    ages, age bands or totals) and ``attribution`` its source, so no caller can show it
    without saying so."""

    year: int
    unit_code: str
    age_group: str | None
    sex: str | None
    population: int
    granularity: str = Granularity.AGE.value
    attribution: str = ""


def population(
    unit: Unit,
    year: int,
    *,
    by: Sequence[str] = (),
    age_bands: Sequence[AgeBand] | None = None,
    granularity: Granularity | str | None = None,
) -> list[PopulationRow]:
    """Population of ``unit`` on 31 Dec ``year``, optionally by age (one-year or bands) and sex.

    Uses the finest granularity the data has for the unit and year (one-year ages, then
    age bands, then totals) unless ``granularity`` asks for one; every row says which
    one was used. Computed once per data version and cached (see
    :mod:`datasmart.geo.cache`). Raises :class:`PopulationNotAvailable` when the data
    cannot give the figure (also when asked age groups cut through the stored age bands).
    """
    bands = tuple(age_bands) if age_bands else None
    wanted = parse_granularity(str(granularity)) if granularity else None
    key = (
        unit.code,
        year,
        ",".join(by),
        ",".join(b.label for b in bands or ()),
        wanted.value if wanted else "",
    )
    result = cached(
        "population", key, lambda: _population_or_error(unit, year, tuple(by), bands, wanted)
    )
    if isinstance(result, PopulationNotAvailable):
        raise result
    return result


def _population_or_error(
    unit: Unit,
    year: int,
    by: tuple[str, ...],
    bands: tuple[AgeBand, ...] | None,
    granularity: Granularity | None = None,
) -> list[PopulationRow] | PopulationNotAvailable:
    """The computation, with "not available" as a cacheable value rather than a raise."""
    try:
        return _population(unit, year, by=by, age_bands=bands, granularity=granularity)
    except PopulationNotAvailable as exc:
        return exc


def population_years(unit: Unit) -> dict[int, bool]:
    """Years with a population figure for ``unit``, mapped to whether one-year ages by sex
    are available (years with age bands only map to False; see
    :func:`population_granularities` for the full picture)."""
    return cached("years", (unit.code,), lambda: _population_years(unit))


def _stored_bands(leaves: list[int], year: int) -> list[AgeBand]:
    pairs = (
        PopulationBand.objects.filter(unit_id__in=leaves[:1], year=year)
        .values_list("age_from", "age_to")
        .distinct()
        .order_by("age_from")
    )
    return [AgeBand(int(low), None if high is None else int(high)) for low, high in pairs]


def _band_misfits(requested: Sequence[AgeBand], stored: Sequence[AgeBand]) -> list[str]:
    """Labels of requested groups that would cut a stored band in two."""
    bad: list[str] = []
    for r in requested:
        for s in stored:
            s_high = s.high if s.high is not None else 10**6
            r_high = r.high if r.high is not None else 10**6
            overlaps = r.low <= s_high and r_high >= s.low
            inside = r.low <= s.low and s_high <= r_high
            if overlaps and not inside:
                bad.append(r.label)
                break
    return bad


def _granularity_label(granularity: Granularity) -> str:
    return str(granularity.label)


def _population(
    unit: Unit,
    year: int,
    *,
    by: Sequence[str] = (),
    age_bands: Sequence[AgeBand] | None = None,
    granularity: Granularity | None = None,
) -> list[PopulationRow]:
    """Compute the population (uncached); see :func:`population`.

    Raises :class:`PopulationNotAvailable` when the data cannot give the figure.
    """
    by = tuple(by)
    for b in by:
        if b not in BREAKDOWNS:
            raise InvalidParameter("by", _("okänd uppdelning '%(b)s'") % {"b": b})
    if age_bands and "age" not in by:
        by = (*by, "age")
    candidates = [granularity] if granularity else list(GRANULARITY_ORDER)
    band_problem: PopulationNotAvailable | None = None
    for g in candidates:
        if by and g == Granularity.TOTAL:
            continue
        leaves = _leaf_units(unit, year, g)
        if leaves is None:
            continue
        if g == Granularity.TOTAL:
            total = PopulationTotal.objects.filter(unit_id__in=leaves, year=year).aggregate(
                n=Sum("population")
            )["n"]
            return [_row(year, unit, None, None, int(total or 0), g)]
        if g == Granularity.AGE:
            return _age_rows(unit, year, leaves, by, age_bands)
        stored = _stored_bands(leaves, year)
        if age_bands and tuple(age_bands) != FIVE_YEAR_BANDS:
            misfits = _band_misfits(age_bands, stored)
            if misfits:
                band_problem = PopulationNotAvailable(
                    _(
                        "För %(year)s finns befolkningen bara i åldersgrupperna %(stored)s; "
                        "%(bad)s går inte att bilda av dem (välj gränser som följer grupperna)."
                    )
                    % {
                        "year": year,
                        "stored": ", ".join(b.label for b in stored),
                        "bad": ", ".join(misfits),
                    }
                )
                continue
            return _band_rows(unit, year, leaves, by, age_bands)
        return _band_rows(unit, year, leaves, by, stored if "age" in by else None)
    if band_problem is not None:
        raise band_problem
    available = population_granularities(unit).get(year, [])
    if granularity and available:
        raise PopulationNotAvailable(
            _("För %(year)s finns inte befolkningen som %(g)s, bara som: %(ok)s.")
            % {
                "year": year,
                "g": _granularity_label(granularity),
                "ok": ", ".join(_granularity_label(Granularity(a)) for a in available),
            }
        )
    if by and available:
        raise PopulationNotAvailable(
            _("För %(year)s finns bara totalbefolkning, ingen uppdelning på ålder och kön.")
            % {"year": year}
        )
    raise _no_population(unit, year)


def _row(
    year: int,
    unit: Unit,
    age_label: str | None,
    sex: str | None,
    n: int,
    granularity: Granularity,
) -> PopulationRow:
    return PopulationRow(
        year,
        unit.code,
        age_label,
        sex,
        n,
        granularity.value,
        "; ".join(population_attribution(granularity)),
    )


def _age_rows(
    unit: Unit,
    year: int,
    leaves: list[int],
    by: tuple[str, ...],
    age_bands: Sequence[AgeBand] | None,
) -> list[PopulationRow]:
    """Rows from one-year ages, summed into ``age_bands`` when given."""
    g = Granularity.AGE
    group = [f for f in ("age", "sex") if f in by]
    qs = PopulationCount.objects.filter(unit_id__in=leaves, year=year)
    if not group:
        total = qs.aggregate(n=Sum("population"))["n"]
        return [_row(year, unit, None, None, int(total or 0), g)]
    cells = qs.values(*group).annotate(n=Sum("population")).order_by(*group)
    rows: dict[tuple[str | None, str | None], int] = {}
    for cell in cells:
        age_label: str | None = None
        if "age" in group:
            age = int(cell["age"])
            if age_bands:
                band = next((b for b in age_bands if b.contains(age)), None)
                if band is None:
                    continue
                age_label = band.label
            else:
                age_label = "100+" if age == 100 else str(age)
        key = (age_label, cell.get("sex"))
        rows[key] = rows.get(key, 0) + int(cell["n"])
    order = {b.label: i for i, b in enumerate(age_bands or [])}

    def sort_key(item: tuple[tuple[str | None, str | None], int]) -> tuple[int, str]:
        (age_label, sex), _n = item
        if age_label is None:
            pos = 0
        elif age_bands:
            pos = order[age_label]
        else:
            pos = int(age_label.rstrip("+"))
        return (pos, sex or "")

    return [_row(year, unit, a, s, n, g) for (a, s), n in sorted(rows.items(), key=sort_key)]


def _band_rows(
    unit: Unit,
    year: int,
    leaves: list[int],
    by: tuple[str, ...],
    groups: Sequence[AgeBand] | None,
) -> list[PopulationRow]:
    """Rows from stored age bands, each summed into the ``groups`` containing it (the
    caller has checked that no group cuts a band)."""
    g = Granularity.AGE_BAND
    fields = (["age_from"] if "age" in by else []) + (["sex"] if "sex" in by else [])
    qs = PopulationBand.objects.filter(unit_id__in=leaves, year=year)
    if not fields:
        total = qs.aggregate(n=Sum("population"))["n"]
        return [_row(year, unit, None, None, int(total or 0), g)]
    rows: dict[tuple[int, str | None], int] = {}
    position = {b.label: i for i, b in enumerate(groups or [])}
    for cell in qs.values(*fields).annotate(n=Sum("population")).order_by(*fields):
        pos = -1
        if groups is not None:
            found = next((b for b in groups if b.contains(int(cell["age_from"]))), None)
            if found is None:
                continue
            pos = position[found.label]
        key = (pos, cell.get("sex"))
        rows[key] = rows.get(key, 0) + int(cell["n"])
    labels = [b.label for b in groups or []]
    return [
        _row(year, unit, labels[pos] if pos >= 0 else None, sex, n, g)
        for (pos, sex), n in sorted(rows.items(), key=lambda kv: (kv[0][0], kv[0][1] or ""))
    ]


def population_attribution(granularity: Granularity | str) -> list[str]:
    """Attribution texts for population figures of ``granularity`` (see :func:`attribution_for`)."""
    return attribution_for(POPULATION_DATASETS[Granularity(granularity).value])


def attribution_for(dataset_keys: Iterable[str]) -> list[str]:
    """The attribution texts to show with figures from ``dataset_keys``, in order, once each.

    Keys are the loaders' dataset names (or file paths under the data folder); the facts
    come from the one table :data:`datasmart.geo.datasets.DATASETS`. "Källa" is translated;
    the publisher is a proper name. Unknown keys are skipped (nothing is invented).
    """
    texts: list[str] = []
    for key in dataset_keys:
        info = dataset_info(key)
        if info is None:
            continue
        text = _("Källa: %(publisher)s") % {"publisher": info.publisher}
        if text not in texts:
            texts.append(text)
    return texts


@dataclass(frozen=True)
class Provenance:
    """What is known about one loaded dataset, for a provenance listing."""

    dataset: str
    file: str
    source: str
    licence: str
    attribution: str
    sha256: str | None
    loaded_at: object | None


def provenance_for(dataset_keys: Iterable[str]) -> list[Provenance]:
    """Source, licence, attribution and (when loaded) file hash and time of each dataset."""
    keys = list(dict.fromkeys(dataset_keys))
    loads = {d.dataset: d for d in DataLoad.objects.filter(dataset__in=keys)}
    out: list[Provenance] = []
    for key in keys:
        info = dataset_info(key)
        if info is None:
            continue
        load = loads.get(key)
        out.append(
            Provenance(
                key,
                info.relpath,
                info.source,
                info.licence,
                _("Källa: %(publisher)s") % {"publisher": info.publisher},
                load.sha256 if load else None,
                load.loaded_at if load else None,
            )
        )
    return out


def _no_population(unit: Unit, year: int) -> PopulationNotAvailable:
    years = ", ".join(str(y) for y in population_years(unit)) or "-"
    return PopulationNotAvailable(
        _("Ingen befolkning för %(name)s (%(code)s) år %(year)s. Tillgängliga år: %(years)s.")
        % {"name": unit.name, "code": unit.code, "year": year, "years": years}
    )


def population_total(unit: Unit, year: int) -> int:
    return population(unit, year)[0].population


def population_series(unit: Unit) -> list[tuple[int, int]]:
    """(year, total) for every year the data gives ``unit`` a figure (cached)."""
    return [(y, n) for y, n, _g in population_series_detail(unit)]


def population_series_detail(unit: Unit) -> list[tuple[int, int, str]]:
    """(year, total, granularity) for every year: each year's total is summed from the
    finest granularity stored for it (one-year ages, else bands, else totals); cached."""
    return cached("series", (unit.code,), lambda: _population_series(unit))


def _population_series(unit: Unit) -> list[tuple[int, int, str]]:
    out: list[tuple[int, int, str]] = []
    stored = {
        g: set(_MODELS[g].objects.values_list("year", flat=True).distinct().order_by())
        for g in GRANULARITY_ORDER
    }
    # Group years that share a leaf set to keep this to a handful of queries.
    by_leaves: dict[tuple[Granularity, tuple[int, ...]], list[int]] = {}
    for y in sorted(set().union(*stored.values())):
        for g in GRANULARITY_ORDER:
            if y in stored[g]:
                leaves = _leaf_units(unit, y, g)
                if leaves:
                    by_leaves.setdefault((g, tuple(leaves)), []).append(y)
                    break
    for (g, leaf_ids), years in by_leaves.items():
        sums = (
            _MODELS[g]
            .objects.filter(unit_id__in=list(leaf_ids), year__in=years)
            .values("year")
            .annotate(n=Sum("population"))
        )
        out += [(int(s["year"]), int(s["n"]), g.value) for s in sums]
    return sorted(out)


def population_by_level(level: Level | str, year: int) -> dict[str, int]:
    """Total population of every unit of ``level`` in ``year`` in a few grouped queries.

    Used for maps and tables, where one query per unit would be too slow; cached.
    """
    parsed = parse_level(str(level)) or Level.KOMMUN
    return cached("by_level", (parsed.value, year), lambda: _population_by_level(parsed, year))


def _population_by_level(level: Level, year: int) -> dict[str, int]:
    group_field = {
        Level.KOMMUN: "unit__code",
        Level.REGION: "unit__region__code",
        Level.SJUKVARDSREGION: "unit__sjukvardsregion__code",
        Level.NATION: None,
    }[level]
    for model in (PopulationCount, PopulationBand, PopulationTotal):
        kommun_rows = model.objects.filter(year=year, unit__level=Level.KOMMUN)
        if kommun_rows.exists():
            if group_field is None:
                total = kommun_rows.aggregate(n=Sum("population"))["n"]
                return {"00": int(total or 0)}
            sums = kommun_rows.values(group_field).annotate(n=Sum("population"))
            return {s[group_field]: int(s["n"]) for s in sums}
        lan_rows = model.objects.filter(year=year, unit__level=Level.REGION)
        if lan_rows.exists():
            if level == Level.KOMMUN:
                return {}
            if level == Level.NATION:
                return {"00": int(lan_rows.aggregate(n=Sum("population"))["n"] or 0)}
            if level == Level.REGION:
                sums = lan_rows.values("unit__code").annotate(n=Sum("population"))
                return {s["unit__code"]: int(s["n"]) for s in sums}
            sums = (
                lan_rows.filter(unit__is_split=False)
                .values("unit__parent__code")
                .annotate(n=Sum("population"))
            )
            split_svr = set(
                Unit.objects.filter(region__is_split=True).values_list(
                    "sjukvardsregion__code", flat=True
                )
            )
            return {
                s["unit__parent__code"]: int(s["n"])
                for s in sums
                if s["unit__parent__code"] not in split_svr
            }
    return {}
