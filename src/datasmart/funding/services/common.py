"""What every funding service shares: the constants, the errors, the rights shortcut, the
agreement lookup and the recipients with their population.

Sits at the bottom of :mod:`datasmart.funding.services`; the other service modules import
it, it imports none of them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from django.db.models import QuerySet

from datasmart.accounts.audit import SystemActor
from datasmart.geo import services as geo
from datasmart.geo.models import Level, Unit

from ..loaders import (
    SKR_CODE,
)
from ..models import (
    Agreement,
    KeyType,
    RecipientLevel,
)
from ..rights import require_administrator
from ..texts import age_band

if TYPE_CHECKING:
    from django.http import HttpRequest


AGREEMENTS_DIR: Final = Path(__file__).resolve().parent.parent / "agreements"
ENGINE: Final = "largest_remainder/1"
SKR_NAME: Final = "Sveriges Kommuner och Regioner (SKR)"
UNALLOCATED_NAME: Final = "Ej fördelat (källan anger inte fördelningen per mottagare)"
GEO_LEVEL: Final = {
    RecipientLevel.REGION: Level.REGION,
    RecipientLevel.LAN: Level.REGION,
    RecipientLevel.KOMMUN: Level.KOMMUN,
}


class FundingError(ValueError):
    """Invalid input to a funding action; the message is meant for the user (Swedish)."""


class AgreementNotFound(FundingError, LookupError):
    def __init__(self, year: object) -> None:
        years = ", ".join(str(y) for y in Agreement.objects.values_list("year", flat=True))
        super().__init__(
            f"Ingen överenskommelse för år {year}. Inlästa år: {years or 'inga'} "
            "(läs in med `datasmart funding load`)."
        )


def _is_system(by: Any) -> bool:
    return isinstance(by, SystemActor)


def _require_manage(by: Any, request: HttpRequest | None = None) -> None:
    """Only the agreement's administrators write (see :mod:`datasmart.funding.rights`)."""
    require_administrator(by, request=request)


def get_agreement(year: int | str) -> Agreement:
    """The agreement for ``year`` or :class:`AgreementNotFound`."""
    try:
        return Agreement.objects.get(year=int(year))
    except (Agreement.DoesNotExist, ValueError):
        raise AgreementNotFound(year) from None


def list_agreements() -> QuerySet[Agreement]:
    return Agreement.objects.order_by("-year")


# --------------------------------------------------------------------------- recipients


@dataclass(frozen=True)
class Recipient:
    code: str
    name: str


def recipients_for(level: str) -> list[Recipient]:
    """Who receives a post of ``level``: the 21 regions/län, the 290 kommuner, or SKR."""
    if level in (RecipientLevel.SKR, RecipientLevel.ADMINISTRATION):
        return [Recipient(SKR_CODE, SKR_NAME)]
    if level == RecipientLevel.MIXED:
        return []
    geo_level = GEO_LEVEL[RecipientLevel(level)]
    units = Unit.objects.filter(level=geo_level).order_by("code")
    if level == RecipientLevel.LAN:
        return [Recipient(u.code, u.official_name or u.name) for u in units]
    return [Recipient(u.code, u.name) for u in units]


def _years_text(years: Iterable[int]) -> str:
    """``[1968, 1969, …, 2015, 2019]`` → ``"1968–2015, 2019"``."""
    ys = sorted(set(years))
    if not ys:
        return "inga"
    parts: list[str] = []
    start = prev = ys[0]
    for y in [*ys[1:], None]:
        if y is not None and y == prev + 1:
            prev = y
            continue
        parts.append(str(start) if start == prev else f"{start}–{prev}")
        if y is not None:
            start = prev = y
    return ", ".join(parts)


def population_problem(
    level: str, year: int, band: tuple[int | None, int | None] | None
) -> str | None:
    """Why ``year`` cannot give the population a post of ``level`` needs, or None."""
    geo_level = GEO_LEVEL[RecipientLevel(level)]
    first = Unit.objects.filter(level=geo_level).order_by("code").first()
    if first is None:
        return "det finns inga enheter inlästa (kör `datasmart data load`)"
    years = geo.population_years(first)
    what = "kommun" if geo_level == Level.KOMMUN else "region/län"
    if year not in years:
        return (
            f"ingen befolkning per {what} för {year}; "
            f"år med befolkning per {what}: {_years_text(years)}"
        )
    if band is not None and not years[year]:
        detailed = [y for y, has_age in years.items() if has_age]
        return (
            f"nyckeln behöver befolkning {age_band(*band)} men för {year} finns bara "
            f"totalbefolkning per {what}; år med åldersuppgifter: {_years_text(detailed)}"
        )
    return None


def _band_of(key_type: str, params: Mapping[str, Any]) -> tuple[int | None, int | None] | None:
    if key_type != KeyType.POPULATION_SHARE:
        return None
    lo, hi = params.get("age_min"), params.get("age_max")
    return (lo, hi) if lo is not None or hi is not None else None


def _table_name(level: str, year: int, band: tuple[int | None, int | None] | None) -> str:
    geo_level = GEO_LEVEL[RecipientLevel(level)].value
    name = f"{geo_level}@{year}"
    if band is not None:
        lo, hi = band
        name += f":{lo if lo is not None else 0}-{hi if hi is not None else ''}"
    return name


def _load_population(
    level: str, year: int, band: tuple[int | None, int | None] | None, codes: Sequence[str]
) -> dict[str, int]:
    geo_level = GEO_LEVEL[RecipientLevel(level)]
    if band is None:
        values = geo.population_by_level(geo_level, year)
        return {c: int(values[c]) for c in codes if c in values}
    lo, hi = band
    out: dict[str, int] = {}
    for unit in Unit.objects.filter(level=geo_level, code__in=codes):
        try:
            rows = geo.population(unit, year, by=("age",))
        except geo.PopulationNotAvailable:
            continue
        total = 0
        for r in rows:
            age = int(str(r.age_group).rstrip("+"))
            if (lo is None or age >= lo) and (hi is None or age <= hi):
                total += r.population
        out[unit.code] = total
    return out


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
