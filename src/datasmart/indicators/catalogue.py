"""The indicator catalogue as data: TOML files synced into :class:`Indicator` rows.

Each ``catalogue/*.toml`` file holds one group of indicators::

    [defaults]              # optional: values every indicator in the file starts from
    source = "…"
    attribution = "Källa: …"

    [[indicator]]
    code = "self-harm-inpatients"
    version = 1
    title_sv = "…"
    type = "rate"
    …

:func:`read_catalogue` validates every file and reports every problem (file, indicator,
field) before anything is written. :func:`sync_catalogue` writes in one transaction and is
idempotent. **Which wins, file or admin?** The file's ``version`` decides: a sync creates
missing indicators and overwrites an existing one only when the file's version is higher
than the stored one. An admin edit between releases leaves ``version`` as it is and sets
``locally_edited``; it stays until a file release raises the version.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from django.db import transaction

from datasmart.accounts.audit import SYSTEM, SystemActor, record_event
from datasmart.accounts.permissions import Permission
from datasmart.geo.services import InvalidParameter, parse_age_bands
from datasmart.geo.validation import DataLoadError, Problem

from .models import (
    BREAKDOWN_CHOICES,
    LEVEL_CHOICES,
    CiMethod,
    Indicator,
    IndicatorType,
    Polarity,
)

CATALOGUE_DIR: Final = Path(__file__).resolve().parent / "catalogue"
CODE_RE: Final = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")

TEXT_FIELDS: Final = (
    "title_sv",
    "title_en",
    "definition_sv",
    "definition_en",
    "numerator_definition",
    "denominator_definition",
    "source",
    "licence",
    "attribution",
    "quality_notes",
    "value_unit",
    "domain",
    "polarity_reason",
    "source_code",
)
#: Every field the catalogue owns (what a sync writes and compares).
MANAGED_FIELDS: Final = (
    *TEXT_FIELDS,
    "type",
    "multiplier",
    "polarity",
    "numerator_population",
    "denominator_population",
    "levels",
    "breakdowns",
    "age_groups",
    "first_period",
    "last_period",
    "value_min",
    "value_max",
    "ci_method",
    "observations_public",
    "disclosure_group",
    "targets",
    "group",
    "catalogue_file",
)
ALLOWED_KEYS: Final = frozenset({"code", "version", *MANAGED_FIELDS} - {"group", "catalogue_file"})
#: Empty (no group) or a slug shared by indicators that count the same population.
_DISCLOSURE_GROUP: Final = re.compile(r"(?:[a-z0-9]+(?:-[a-z0-9]+)*)?")
MAX_LENGTHS: Final = {"title_sv": 300, "title_en": 300, "licence": 200, "attribution": 300}
DEFAULT_CI: Final = {IndicatorType.PROPORTION: CiMethod.WILSON, IndicatorType.RATE: CiMethod.BYAR}


@dataclass(frozen=True)
class CatalogueEntry:
    """One validated indicator definition from a catalogue file."""

    code: str
    version: int
    file: str
    values: dict[str, Any]


def _problem(file: str, where: str | None, message: str) -> Problem:
    return Problem(file, None, where, message)


def _population_spec(
    value: Any, file: str, where: str
) -> tuple[dict[str, Any] | None, list[Problem]]:
    """Normalise ``{age_min, age_max, sex}`` (TOML has no null: leave keys out)."""
    if not isinstance(value, Mapping):
        return None, [_problem(file, where, "ska vara en tabell {age_min = …, age_max = …}")]
    problems: list[Problem] = []
    unknown = set(value) - {"age_min", "age_max", "sex"}
    if unknown:
        problems.append(_problem(file, where, f"okända nycklar: {', '.join(sorted(unknown))}"))
    age_min = value.get("age_min", 0)
    age_max = value.get("age_max")
    sex = value.get("sex")
    if not isinstance(age_min, int) or not 0 <= age_min <= 100:
        problems.append(_problem(file, f"{where}.age_min", "ska vara ett heltal 0–100"))
    if age_max is not None and (
        not isinstance(age_max, int) or not 0 <= age_max <= 100 or age_max < age_min
    ):
        problems.append(_problem(file, f"{where}.age_max", "ska vara ett heltal ≥ age_min, ≤ 100"))
    if sex is not None and sex not in ("1", "2"):
        problems.append(_problem(file, f"{where}.sex", "ska vara '1' eller '2' (utelämnad = båda)"))
    return {"age_min": age_min, "age_max": age_max, "sex": sex}, problems


def _targets(value: Any, kind: Any, bad: Any) -> list[dict[str, Any]]:
    """Validate ``targets = [{value = 80, label_sv = "…", label_en = "…"}]``.

    A target is a value a source names for the indicator (e.g. the förstärkt vårdgaranti's
    80 % for BUP assessments started within 30 days); each needs a Swedish label saying
    whose target it is, since a line without one invites reading it as a norm."""
    if not isinstance(value, list):
        bad("targets", "ska vara en lista med {value = …, label_sv = …, label_en = …}")
        return []
    out: list[dict[str, Any]] = []
    for i, item in enumerate(value):
        where = f"targets[{i}]"
        if not isinstance(item, Mapping):
            bad(where, "ska vara en tabell {value = …, label_sv = …, label_en = …}")
            continue
        unknown = set(item) - {"value", "label_sv", "label_en"}
        if unknown:
            bad(where, f"okända nycklar: {', '.join(sorted(unknown))}")
        number = item.get("value")
        if not isinstance(number, int | float) or isinstance(number, bool):
            bad(f"{where}.value", "ska vara ett tal")
            continue
        if kind == IndicatorType.PROPORTION and not 0 <= number <= 100:
            bad(f"{where}.value", "en andel i procent ska ligga mellan 0 och 100")
        label_sv = item.get("label_sv")
        label_en = item.get("label_en", "")
        if not isinstance(label_sv, str) or not label_sv.strip():
            bad(f"{where}.label_sv", "saknas: säg vems målet är och vad det gäller")
            continue
        if not isinstance(label_en, str):
            bad(f"{where}.label_en", "ska vara text")
            continue
        out.append(
            {"value": float(number), "label_sv": label_sv.strip(), "label_en": label_en.strip()}
        )
    return out


def _check_entry(
    raw: Mapping[str, Any], file: str, index: int
) -> tuple[CatalogueEntry | None, list[Problem]]:
    code = raw.get("code")
    label = f"indicator[{index}]" if not isinstance(code, str) else code
    problems: list[Problem] = []

    def bad(key: str, message: str) -> None:
        problems.append(_problem(file, f"{label}.{key}", message))

    for key in sorted(set(raw) - ALLOWED_KEYS):
        bad(key, "okänt fält")
    if not isinstance(code, str) or not CODE_RE.match(code):
        bad("code", "ska vara en kod med små bokstäver, siffror och bindestreck, t.ex. 'self-harm'")
    version = raw.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        bad("version", "ska vara ett heltal ≥ 1")
    values: dict[str, Any] = {}
    for key in TEXT_FIELDS:
        text = raw.get(key, "")
        if not isinstance(text, str):
            bad(key, "ska vara text")
            continue
        if key in MAX_LENGTHS and len(text) > MAX_LENGTHS[key]:
            bad(key, f"högst {MAX_LENGTHS[key]} tecken")
        values[key] = text.strip()
    if not values.get("title_sv"):
        bad("title_sv", "saknas")

    kind = raw.get("type")
    if kind not in IndicatorType.values:
        bad("type", f"ska vara en av {', '.join(IndicatorType.values)}")
    values["type"] = kind
    multiplier = raw.get("multiplier", 1)
    if not isinstance(multiplier, int | float) or isinstance(multiplier, bool) or multiplier <= 0:
        bad("multiplier", "ska vara ett tal > 0")
    values["multiplier"] = float(multiplier) if isinstance(multiplier, int | float) else 1.0

    polarity = raw.get("polarity", Polarity.NO_JUDGEMENT.value)
    if polarity not in Polarity.values:
        bad("polarity", f"ska vara en av {', '.join(Polarity.values)}")
    elif polarity != Polarity.NO_JUDGEMENT and not values.get("polarity_reason"):
        bad("polarity_reason", "motivera riktningen (higher/lower_is_better) med en mening")
    values["polarity"] = polarity

    ci = raw.get(
        "ci_method",
        DEFAULT_CI.get(IndicatorType(kind), CiMethod.NONE).value
        if kind in IndicatorType.values
        else "none",
    )
    if ci not in CiMethod.values:
        bad("ci_method", f"ska vara en av {', '.join(CiMethod.values)}")
    values["ci_method"] = ci

    for key in ("numerator_population", "denominator_population"):
        if key in raw:
            spec, found = _population_spec(raw[key], file, f"{label}.{key}")
            problems += found
            values[key] = spec
        else:
            values[key] = None
    if values["numerator_population"] is not None and values["denominator_population"] is None:
        bad("denominator_population", "krävs när numerator_population anges")
    if kind == IndicatorType.VALUE and (
        values["numerator_population"] is not None or values["denominator_population"] is not None
    ):
        bad("type", "typen value har ingen täljare eller nämnare")
    if values["denominator_population"] is not None and kind not in (
        IndicatorType.PROPORTION,
        IndicatorType.RATE,
    ):
        bad("denominator_population", "bara för typerna proportion och rate")

    levels = raw.get("levels")
    if (
        not isinstance(levels, list)
        or not levels
        or any(lv not in LEVEL_CHOICES for lv in levels)
        or len(set(levels)) != len(levels)
    ):
        bad("levels", f"ska vara en lista med någon av {', '.join(LEVEL_CHOICES)}")
    values["levels"] = list(levels) if isinstance(levels, list) else []
    breakdowns = raw.get("breakdowns", [])
    if not isinstance(breakdowns, list) or any(b not in BREAKDOWN_CHOICES for b in breakdowns):
        bad("breakdowns", "ska vara en lista med 'sex' och/eller 'age_group'")
    values["breakdowns"] = list(breakdowns) if isinstance(breakdowns, list) else []
    age_groups = raw.get("age_groups", [])
    if not isinstance(age_groups, list) or any(
        not isinstance(a, str) or not a or len(a) > 16 for a in age_groups
    ):
        bad("age_groups", "ska vara en lista med åldersgrupper som text, t.ex. ['0-17', '18+']")
        age_groups = []
    if age_groups and "age_group" not in values["breakdowns"]:
        bad("age_groups", "kräver 'age_group' i breakdowns")
    if values["denominator_population"] is not None:
        for group in age_groups:
            try:
                parse_age_bands(group)
            except InvalidParameter:
                bad("age_groups", f"'{group}' kan inte tolkas som åldrar för befolkningsnämnaren")
    values["age_groups"] = list(age_groups)

    for key in ("first_period", "last_period"):
        period = raw.get(key)
        if period is not None and (not isinstance(period, int) or not 1900 <= period <= 2100):
            bad(key, "ska vara ett årtal 1900–2100")
            period = None
        values[key] = period
    if (
        values["first_period"]
        and values["last_period"]
        and values["first_period"] > values["last_period"]
    ):
        bad("last_period", "ligger före first_period")
    for key in ("value_min", "value_max"):
        bound = raw.get(key)
        if bound is not None and (not isinstance(bound, int | float) or isinstance(bound, bool)):
            bad(key, "ska vara ett tal")
            bound = None
        values[key] = float(bound) if bound is not None else None

    public = raw.get("observations_public", True)
    if not isinstance(public, bool):
        bad("observations_public", "ska vara true eller false")
    values["observations_public"] = public is not False

    disclosure = raw.get("disclosure_group", "")
    if (
        not isinstance(disclosure, str)
        or len(disclosure) > 80
        or not _DISCLOSURE_GROUP.fullmatch(disclosure)
    ):
        bad("disclosure_group", "ska vara en kod: a–z, 0–9 och bindestreck, högst 80 tecken")
        disclosure = ""
    elif disclosure and kind == IndicatorType.VALUE:
        bad("disclosure_group", "typen value publicerar inga antal att skydda tillsammans")
    values["disclosure_group"] = disclosure

    values["targets"] = _targets(raw.get("targets", []), kind, bad)

    if problems:
        return None, problems
    values["group"] = Path(file).stem
    values["catalogue_file"] = file
    assert isinstance(code, str) and isinstance(version, int)
    return CatalogueEntry(code, version, file, values), []


def read_catalogue(directory: Path | None = None) -> list[CatalogueEntry]:
    """Read and validate every ``*.toml`` file; raise DataLoadError listing all problems."""
    base = directory or CATALOGUE_DIR
    files = sorted(base.glob("*.toml"))
    if not files:
        raise DataLoadError([Problem(str(base), None, None, "inga katalogfiler (*.toml)")])
    entries: list[CatalogueEntry] = []
    problems: list[Problem] = []
    seen: dict[str, str] = {}
    for path in files:
        name = f"catalogue/{path.name}"
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            problems.append(Problem(name, None, None, f"ogiltig TOML: {exc}"))
            continue
        unknown = set(data) - {"defaults", "indicator"}
        for key in sorted(unknown):
            problems.append(_problem(name, key, "okänd tabell (tillåtna: defaults, indicator)"))
        defaults = data.get("defaults", {})
        items = data.get("indicator", [])
        if not isinstance(defaults, dict) or not isinstance(items, list):
            problems.append(
                _problem(name, None, "[defaults] ska vara en tabell, [[indicator]] en lista")
            )
            continue
        for index, item in enumerate(items):
            entry, found = _check_entry({**defaults, **item}, name, index)
            problems += found
            if entry is None:
                continue
            if entry.code in seen:
                problems.append(
                    _problem(name, f"{entry.code}.code", f"koden finns redan i {seen[entry.code]}")
                )
                continue
            seen[entry.code] = name
            entries.append(entry)
    if problems:
        raise DataLoadError(problems)
    return entries


@dataclass
class SyncReport:
    """What a sync did, by indicator code."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    #: Same version in file and database but different content: bump the file's version
    #: (or, if an admin edited the row, this is expected and the admin edit stays).
    differs_without_new_version: list[str] = field(default_factory=list)
    #: The database holds a higher version than the file (a newer release was synced before).
    older_in_file: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated)


def _differs(indicator: Indicator, values: Mapping[str, Any]) -> bool:
    return any(getattr(indicator, key) != value for key, value in values.items())


def sync_catalogue(directory: Path | None = None, *, by: Any = SYSTEM) -> SyncReport:
    """Create or update :class:`Indicator` rows from the catalogue files (idempotent).

    A user ``by`` needs ``EDIT_INDICATORS`` in a national organisation: the catalogue is
    shared by every unit (:func:`datasmart.indicators.rights.require_national`; a denial is
    audited); ``SYSTEM`` is the CLI.
    """
    if not isinstance(by, SystemActor):
        from .rights import require_national

        require_national(by, Permission.EDIT_INDICATORS, what="Att ändra indikatorkatalogen")
    entries = read_catalogue(directory)
    report = SyncReport()
    with transaction.atomic():
        existing = {i.code: i for i in Indicator.objects.select_for_update()}
        for entry in entries:
            current = existing.get(entry.code)
            if current is None:
                Indicator.objects.create(code=entry.code, version=entry.version, **entry.values)
                report.created.append(entry.code)
            elif entry.version > current.version:
                for key, value in entry.values.items():
                    setattr(current, key, value)
                current.version = entry.version
                current.locally_edited = False
                current.save()
                report.updated.append(entry.code)
            else:
                report.unchanged.append(entry.code)
                if entry.version < current.version:
                    report.older_in_file.append(entry.code)
                elif _differs(current, entry.values):
                    report.differs_without_new_version.append(entry.code)
        if report.changed:
            record_event(
                "indicators.catalogue.sync",
                actor=by,
                target_type="indicators.indicator",
                detail={"created": report.created, "updated": report.updated},
            )
    return report
