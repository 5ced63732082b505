"""Business actions for agreement funding: import, acceptance, allocation runs, scenarios.

Writes are keyword-only functions taking the acting user as ``by=`` (``SYSTEM`` for the CLI
and the loader). They check first that ``by`` administers agreements
(:func:`datasmart.funding.rights.require_administrator`: ``MANAGE_FUNDING`` in a national
organisation; a denial is audited and raises ``PermissionDenied``), then write the
change and its audit event in one ``transaction.atomic`` block. Bad input raises
:class:`FundingError` (a ``ValueError``) or :class:`~datasmart.funding.loaders.AgreementFileError`
with a Swedish message naming the post and field; nothing is saved then.

Reading (``preview``, ``scenario``, ``compare_runs``) checks nothing: pages, API and CLI
check ``VIEW_FUNDING`` before calling. One query path serves them all: every table, CSV,
Excel annex and API page of an allocation is made of :class:`Line` objects from
:func:`preview` (live) or :func:`run_lines` (a saved run).

The allocation itself is computed by :func:`compute_lines` from an *inputs snapshot* only
(posts, keys, recipients, population weights, declined recipients, policy). The snapshot
is stored on every :class:`~datasmart.funding.models.AllocationRun`, so
:func:`reproduce_run` can recompute a decision years later and prove it gives the same
kronor, even after the population tables or the agreement have changed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from django.db import transaction
from django.db.models import QuerySet

from datasmart.accounts.audit import SYSTEM, SystemActor, record_event
from datasmart.geo import services as geo
from datasmart.geo.models import Level, Unit

from . import allocation as engine
from .keys import PopulationShare, key_from_json
from .loaders import (
    SKR_CODE,
    AgreementFileError,
    AgreementSpec,
    PostSpec,
    Problem,
    read_file,
    spec_from_mapping,
)
from .models import (
    Acceptance,
    AcceptancePolicy,
    Agreement,
    AllocationLine,
    AllocationRun,
    KeyType,
    Post,
    RecipientLevel,
)
from .rights import require_administrator
from .texts import age_band, explain_key

if TYPE_CHECKING:
    from django.http import HttpRequest

__all__ = [
    "AGREEMENTS_DIR",
    "AgreementNotFound",
    "Allocation",
    "FundingError",
    "ImportResult",
    "Line",
    "Scenario",
    "build_inputs",
    "compare_runs",
    "compute_lines",
    "get_agreement",
    "import_agreement",
    "load_agreements",
    "preview",
    "reproduce_run",
    "run_allocation",
    "run_lines",
    "save_spec",
    "scenario",
    "set_acceptance",
    "validate_spec",
]

AGREEMENTS_DIR: Final = Path(__file__).resolve().parent / "agreements"
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


# --------------------------------------------------------------------------- validation


def validate_spec(spec: AgreementSpec) -> list[Problem]:
    """Checks against the database: unit codes, recipients, sums of fixed amounts and the
    population year (every population key must be computable for it)."""
    problems: list[Problem] = []
    recipients: dict[str, set[str]] = {}

    def codes(level: str) -> set[str]:
        if level not in recipients:
            recipients[level] = {r.code for r in recipients_for(level)}
        return recipients[level]

    needs_population = [p for p in spec.posts if p.is_population_key]
    for post in spec.posts:
        problems += _validate_post(post, codes(post.recipient_level))
    if needs_population and spec.population_year is None:
        names = ", ".join(p.code for p in needs_population)
        problems.append(
            Problem("population_year", f"saknas men behövs för befolkningsnycklarna i {names}")
        )
    elif spec.population_year is not None:
        for post in needs_population:
            problem = population_problem(post.recipient_level, spec.population_year, post.age_band)
            if problem:
                problems.append(Problem(f"{post.where}: population_year", problem))
    known_units = codes(RecipientLevel.KOMMUN) | codes(RecipientLevel.REGION)
    seen: set[str] = set()
    for acc in spec.acceptances:
        if acc.unit not in known_units:
            problems.append(
                Problem(f"{acc.where}.unit", f"okänd kod {acc.unit!r} (ingen kommun eller region)")
            )
        if acc.unit in seen:
            problems.append(Problem(f"{acc.where}.unit", f"{acc.unit} förekommer två gånger"))
        seen.add(acc.unit)
    return problems


def _validate_post(post: PostSpec, codes: set[str]) -> list[Problem]:
    where = post.where or post.code
    level_name = {"region": "region", "lan": "län", "kommun": "kommun"}.get(
        post.recipient_level, post.recipient_level
    )
    problems: list[Problem] = []
    params = post.key_params
    if post.key_type == KeyType.FIXED_AMOUNTS:
        exceptions = params.get("exceptions") or {}
        unknown = sorted(set(exceptions) - codes)
        for code in unknown:
            problems.append(
                Problem(
                    f"{where}.key_params.exceptions",
                    f"okänd kod {code!r} (ingen {level_name} bland postens mottagare)",
                )
            )
        if not unknown:
            default = int(params["default"])
            total = sum(int(exceptions.get(c, default)) for c in codes)
            if total != post.amount_sek:
                problems.append(
                    Problem(
                        f"{where}.key_params",
                        f"de fasta beloppen summerar till {total} kr för {len(codes)} mottagare "
                        f"men posten är {post.amount_sek} kr",
                    )
                )
    elif post.key_type == KeyType.FIXED_PLUS_POPULATION:
        fixed = int(params["fixed_per_recipient"])
        if fixed * len(codes) > post.amount_sek:
            problems.append(
                Problem(
                    f"{where}.key_params.fixed_per_recipient",
                    f"{len(codes)} × {fixed} kr = {fixed * len(codes)} kr är mer än posten "
                    f"{post.amount_sek} kr",
                )
            )
    elif post.key_type == KeyType.DIRECT_AMOUNT:
        code = str(params["recipient_code"])
        if code not in codes:
            problems.append(
                Problem(
                    f"{where}.key_params.recipient_code",
                    f"okänd mottagare {code!r} för {post.recipient_level}"
                    + (f" (skriv {SKR_CODE!r})" if SKR_CODE in codes else ""),
                )
            )
    return problems


# --------------------------------------------------------------------------- import


@dataclass(frozen=True)
class ImportResult:
    agreement: Agreement
    status: str  # "created" | "updated" | "unchanged"
    source: str


def _spec_content(spec: AgreementSpec) -> dict[str, Any]:
    fields = spec.fields()
    fields["decision_date"] = fields["decision_date"].isoformat() if spec.decision_date else None
    return {
        **fields,
        "posts": [
            {
                "code": p.code,
                "name": p.name,
                "amount_sek": p.amount_sek,
                "recipient_level": p.recipient_level,
                "purpose": p.purpose,
                "key_type": p.key_type,
                "key_params": p.key_params,
            }
            for p in spec.posts
        ],
        "acceptances": sorted(
            [[a.unit, a.accepted, a.date.isoformat() if a.date else None] for a in spec.acceptances]
        ),
    }


def _agreement_content(agreement: Agreement, units: Iterable[str]) -> dict[str, Any]:
    fields = {name: getattr(agreement, name) for name in spec_fields()}
    dd = agreement.decision_date
    fields["decision_date"] = dd.isoformat() if dd else None
    wanted = set(units)
    return {
        **fields,
        "posts": [
            {
                "code": p.code,
                "name": p.name,
                "amount_sek": p.amount_sek,
                "recipient_level": p.recipient_level,
                "purpose": p.purpose,
                "key_type": p.key_type,
                "key_params": p.key_params,
            }
            for p in agreement.posts.order_by("order", "id")
        ],
        "acceptances": sorted(
            [
                [a.unit.code, a.accepted, a.date.isoformat() if a.date else None]
                for a in agreement.acceptances.select_related("unit")
                if a.unit.code in wanted
            ]
        ),
    }


def spec_fields() -> tuple[str, ...]:
    from .loaders import AGREEMENT_FIELDS

    return AGREEMENT_FIELDS


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def save_spec(
    spec: AgreementSpec,
    *,
    by: Any,
    request: HttpRequest | None = None,
    source_file: str = "",
    source_sha256: str = "",
) -> ImportResult:
    """Create the agreement for ``spec.year`` or update it (new version) if it differs.

    Validates against the database first; on any problem raises
    :class:`AgreementFileError` and saves nothing. Acceptances in the spec are set; other
    recorded acceptances are kept.
    """
    _require_manage(by, request)
    problems = validate_spec(spec)
    if problems:
        raise AgreementFileError(spec.source_name or str(spec.year), problems)
    units = {u.code: u for u in Unit.objects.filter(code__in=[a.unit for a in spec.acceptances])}
    with transaction.atomic():
        existing = Agreement.objects.select_for_update().filter(year=spec.year).first()
        new_content = _spec_content(spec)
        if existing is not None:
            old_content = _agreement_content(existing, units)
            if _canonical(old_content) == _canonical(new_content):
                if source_sha256 and existing.source_sha256 != source_sha256:
                    existing.source_sha256 = source_sha256
                    existing.source_file = source_file
                    existing.save(update_fields=["source_sha256", "source_file", "updated_at"])
                    record_event(
                        "funding.agreement.update",
                        actor=by,
                        target=existing,
                        detail={"year": spec.year, "fields": ["source_sha256"]},
                        request=request,
                    )
                return ImportResult(existing, "unchanged", spec.source_name)
            agreement = existing
            for name, value in spec.fields().items():
                setattr(agreement, name, value)
            agreement.version = existing.version + 1
            status = "updated"
        else:
            agreement = Agreement(**spec.fields())
            status = "created"
        agreement.source_file = source_file
        agreement.source_sha256 = source_sha256
        agreement.save()
        _replace_posts(agreement, spec.posts)
        for acc in spec.acceptances:
            Acceptance.objects.update_or_create(
                agreement=agreement,
                unit=units[acc.unit],
                defaults={"accepted": acc.accepted, "date": acc.date},
            )
        record_event(
            f"funding.agreement.{'create' if status == 'created' else 'update'}",
            actor=by,
            target=agreement,
            detail={
                "year": agreement.year,
                "version": agreement.version,
                "total_sek": agreement.total_sek,
                "posts": len(spec.posts),
                "source": source_file or spec.source_name,
            },
            request=request,
        )
    return ImportResult(agreement, status, spec.source_name)


def _replace_posts(agreement: Agreement, posts: Sequence[PostSpec]) -> None:
    existing = {p.code: p for p in agreement.posts.all()}
    keep: set[str] = set()
    for order, spec in enumerate(posts):
        values = {
            "name": spec.name,
            "amount_sek": spec.amount_sek,
            "recipient_level": spec.recipient_level,
            "purpose": spec.purpose,
            "key_type": spec.key_type,
            "key_params": spec.key_params,
            "order": order,
        }
        post = existing.get(spec.code)
        if post is None:
            Post.objects.create(agreement=agreement, code=spec.code, **values)
        else:
            for name, value in values.items():
                setattr(post, name, value)
            post.save()
        keep.add(spec.code)
    agreement.posts.exclude(code__in=keep).delete()


def import_agreement(
    path: Path | str,
    *,
    by: Any,
    meta: Mapping[str, Any] | None = None,
    request: HttpRequest | None = None,
) -> ImportResult:
    """Read, check and save an agreement file (TOML, JSON or CSV with ``meta``)."""
    path = Path(path)
    _require_manage(by, request)
    spec = read_file(path, meta=meta)
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    return save_spec(spec, by=by, request=request, source_file=path.name, source_sha256=sha)


def import_mapping(
    data: Mapping[str, Any], *, by: Any, request: HttpRequest | None = None, source: str = "api"
) -> ImportResult:
    """Check and save an agreement given as a mapping (an API body)."""
    _require_manage(by, request)
    return save_spec(spec_from_mapping(data, source=source), by=by, request=request)


def load_agreements(directory: Path | str | None = None, *, by: Any = SYSTEM) -> list[ImportResult]:
    """Load every ``*.toml`` / ``*.json`` in ``directory`` (default: the bundled files).

    Idempotent: a file whose hash matches the stored agreement is skipped without a write;
    a changed file updates the agreement and raises its version. All files are checked
    before any is saved, and they are saved in one transaction: all or nothing.
    """
    folder = Path(directory) if directory else AGREEMENTS_DIR
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in (".toml", ".json"))
    results: list[ImportResult] = []
    todo: list[tuple[Path, str, AgreementSpec]] = []
    problems: list[Problem] = []
    for path in files:
        sha = hashlib.sha256(path.read_bytes()).hexdigest()
        current = Agreement.objects.filter(source_file=path.name, source_sha256=sha).first()
        if current is not None:
            results.append(ImportResult(current, "unchanged", path.name))
            continue
        try:
            spec = read_file(path)
        except AgreementFileError as exc:
            problems += [Problem(f"{path.name}: {p.where}", p.message) for p in exc.problems]
            continue
        problems += [Problem(f"{path.name}: {p.where}", p.message) for p in validate_spec(spec)]
        todo.append((path, sha, spec))
    if problems:
        raise AgreementFileError(str(folder), problems)
    with transaction.atomic():
        for path, sha, spec in todo:
            results.append(save_spec(spec, by=by, source_file=path.name, source_sha256=sha))
    return sorted(results, key=lambda r: r.agreement.year)


def set_acceptance(
    agreement: Agreement,
    *,
    unit_code: str,
    accepted: bool,
    date: Any = None,
    by: Any,
    request: HttpRequest | None = None,
) -> Acceptance:
    """Record whether a kommun or region accepted the agreement (audited)."""
    _require_manage(by, request)
    unit = geo.get_unit(unit_code)
    if unit.level not in (Level.KOMMUN, Level.REGION):
        raise FundingError(f"{unit.name} ({unit.code}) är ingen kommun eller region.")
    with transaction.atomic():
        acc, created = Acceptance.objects.update_or_create(
            agreement=agreement, unit=unit, defaults={"accepted": accepted, "date": date}
        )
        record_event(
            "funding.acceptance.create" if created else "funding.acceptance.update",
            actor=by,
            target=acc,
            detail={"year": agreement.year, "unit": unit.code, "accepted": accepted},
            request=request,
        )
    return acc


# --------------------------------------------------------------------------- computing


@dataclass(frozen=True)
class Line:
    """One post × recipient of an allocation (live or from a saved run)."""

    post_code: str
    post_name: str
    recipient_level: str
    recipient_code: str
    recipient_name: str
    amount_sek: int
    withheld: bool = False
    population: int | None = None

    @property
    def paid_sek(self) -> int:
        return 0 if self.withheld else self.amount_sek

    @property
    def lan_code(self) -> str:
        """The län a recipient lies in ('' for SKR and unallocated rows)."""
        code = self.recipient_code
        return code[:2] if code.isdigit() and len(code) in (2, 4) else ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "post": self.post_code,
            "post_name": self.post_name,
            "recipient_level": self.recipient_level,
            "recipient_code": self.recipient_code,
            "recipient_name": self.recipient_name,
            "population": self.population,
            "amount_sek": self.amount_sek,
            "withheld": self.withheld,
            "paid_sek": self.paid_sek,
        }


LINE_COLUMNS: Final = (
    "post",
    "post_name",
    "recipient_level",
    "recipient_code",
    "recipient_name",
    "population",
    "amount_sek",
    "withheld",
    "paid_sek",
)


@dataclass(frozen=True)
class PostOverride:
    """A scenario change to one post: a new amount and/or a new key."""

    amount_sek: int | None = None
    key_type: str | None = None
    key_params: Mapping[str, Any] | None = None


def build_inputs(
    agreement: Agreement,
    *,
    population_year: int | None = None,
    policy: str | None = None,
    overrides: Mapping[str, PostOverride] | None = None,
    keep_year_when_missing: bool = False,
) -> dict[str, Any]:
    """The full, self-contained input snapshot for one allocation of ``agreement``.

    ``population_year`` defaults to the agreement's. With ``keep_year_when_missing``
    (scenarios), a post whose key cannot be computed for that year keeps the agreement's
    year and says so in ``notes``; otherwise :class:`FundingError` names the post.
    """
    policy = policy or agreement.acceptance_policy
    if policy not in AcceptancePolicy.values:
        raise FundingError(
            f"Okänd hantering {policy!r} (tillåtna: {', '.join(AcceptancePolicy.values)})."
        )
    year = population_year if population_year is not None else agreement.population_year
    overrides = dict(overrides or {})
    posts = list(agreement.posts.order_by("order", "id"))
    unknown = sorted(set(overrides) - {p.code for p in posts})
    if unknown:
        raise FundingError(
            f"Okänd post {', '.join(unknown)} i {agreement.year} års överenskommelse."
        )
    recipients: dict[str, dict[str, str]] = {}
    populations: dict[str, dict[str, int]] = {}
    post_inputs: list[dict[str, Any]] = []
    notes: list[str] = []
    for post in posts:
        ov = overrides.get(post.code, PostOverride())
        amount = post.amount_sek if ov.amount_sek is None else int(ov.amount_sek)
        if amount < 0:
            raise FundingError(f"Post {post.code}: beloppet {amount} kr är negativt.")
        key_type = ov.key_type or post.key_type
        params = dict(ov.key_params if ov.key_params is not None else post.key_params)
        if ov.key_type and ov.key_params is None and ov.key_type != post.key_type:
            params = {}
        if key_type != KeyType.UNSPECIFIED:
            try:
                key_from_json(key_type, params)
            except ValueError as exc:
                raise FundingError(f"Post {post.code}: {exc}") from None
        level = post.recipient_level
        if level not in recipients:
            recipients[level] = {r.code: r.name for r in recipients_for(level)}
        codes = list(recipients[level])
        entry: dict[str, Any] = {
            "code": post.code,
            "name": post.name,
            "amount_sek": amount,
            "recipient_level": level,
            "key_type": key_type,
            "key_params": params,
            "recipients": codes if key_type != KeyType.UNSPECIFIED else [],
            "population_table": None,
            "population_year": None,
        }
        if key_type in (KeyType.POPULATION_SHARE, KeyType.FIXED_PLUS_POPULATION):
            band = _band_of(key_type, params)
            post_year = year
            if post_year is None:
                raise FundingError(
                    f"Post {post.code}: befolkningsår saknas (ange --population-year)."
                )
            problem = population_problem(level, post_year, band)
            if problem and keep_year_when_missing and agreement.population_year is not None:
                fallback = agreement.population_year
                if population_problem(level, fallback, band) is None:
                    notes.append(f"{post.name}: {problem}; använder {fallback} i stället.")
                    post_year, problem = fallback, None
            if problem:
                raise FundingError(f"Post {post.code} ({post.name}): {problem}.")
            table = _table_name(level, post_year, band)
            if table not in populations:
                populations[table] = _load_population(level, post_year, band, codes)
            missing = [c for c in codes if c not in populations[table]]
            if missing:
                raise FundingError(
                    f"Post {post.code}: ingen befolkning {post_year} för {', '.join(missing[:5])}."
                )
            entry["population_table"] = table
            entry["population_year"] = post_year
        post_inputs.append(entry)
    fell_back = [p for p in post_inputs if p["population_year"] not in (None, year)]
    if fell_back and all(
        p["population_year"] != year for p in post_inputs if p["population_table"]
    ):
        raise FundingError(
            f"Befolkningen {year} kan inte användas för någon post: {notes[0].split(': ', 1)[1]}"
        )
    declined = sorted(
        Acceptance.objects.filter(agreement=agreement, accepted=False).values_list(
            "unit__code", flat=True
        )
    )
    return {
        "engine": ENGINE,
        "agreement": {
            "year": agreement.year,
            "title": agreement.title,
            "version": agreement.version,
            "total_sek": agreement.total_sek,
        },
        "population_year": year,
        "policy": policy,
        "posts": post_inputs,
        "recipients": recipients,
        "populations": populations,
        "declined": declined,
        "notes": notes,
    }


def _engine_key(key_type: str, params: Mapping[str, Any]) -> Any:
    key = key_from_json(key_type, params)
    if isinstance(key, PopulationShare) and key.has_age_band:
        # the snapshot's table already holds the population in the age band
        return PopulationShare()
    return key


def compute_lines(inputs: Mapping[str, Any]) -> list[Line]:
    """The allocation from an inputs snapshot alone (pure: no database).

    Every post adds up to its amount exactly (largest remainder, see
    ``docs/methods/allocation.md``); unspecified posts give one unallocated line.
    """
    if inputs.get("engine") != ENGINE:
        raise FundingError(f"Okänd beräkningsmotor {inputs.get('engine')!r}.")
    declined = set(inputs.get("declined") or ())
    populations = inputs["populations"]
    lines: list[Line] = []
    for p in inputs["posts"]:
        names = inputs["recipients"][p["recipient_level"]]
        if p["key_type"] == KeyType.UNSPECIFIED:
            lines.append(
                Line(
                    p["code"],
                    p["name"],
                    p["recipient_level"],
                    "",
                    UNALLOCATED_NAME,
                    p["amount_sek"],
                )
            )
            continue
        table = p["population_table"]
        recipients = tuple(p["recipients"])
        post = engine.Post(
            p["code"],
            p["amount_sek"],
            _engine_key(p["key_type"], p["key_params"]),
            recipients,
            table,
        )
        accepted = {c for c in recipients if c not in declined}
        tables = {table: populations[table]} if table else None
        try:
            rows = engine.allocate(
                [post],
                tables,
                accepted=None if len(accepted) == len(recipients) else accepted,
                policy=inputs["policy"],
            )
        except ValueError as exc:
            raise FundingError(str(exc)) from None
        weights = populations[table] if table else {}
        lines += [
            Line(
                p["code"],
                p["name"],
                p["recipient_level"],
                r.recipient_code,
                names.get(r.recipient_code, r.recipient_code),
                r.amount_sek,
                r.withheld,
                weights.get(r.recipient_code),
            )
            for r in rows
        ]
    return lines


def lines_sha256(lines: Iterable[Line]) -> str:
    """A fingerprint of the kronor: post, recipient, amount and withheld of every line."""
    payload = [[ln.post_code, ln.recipient_code, ln.amount_sek, ln.withheld] for ln in lines]
    return hashlib.sha256(_canonical(payload).encode()).hexdigest()


@dataclass(frozen=True)
class Allocation:
    """A computed allocation: its inputs snapshot and lines."""

    agreement: Agreement
    inputs: dict[str, Any]
    lines: list[Line]
    run: AllocationRun | None = None

    @property
    def population_year(self) -> int | None:
        year: int | None = self.inputs.get("population_year")
        return year

    @property
    def policy(self) -> str:
        return str(self.inputs["policy"])

    @property
    def total_sek(self) -> int:
        return sum(ln.amount_sek for ln in self.lines)

    @property
    def paid_sek(self) -> int:
        return sum(ln.paid_sek for ln in self.lines)

    @property
    def withheld_sek(self) -> int:
        return sum(ln.amount_sek for ln in self.lines if ln.withheld)

    @property
    def notes(self) -> list[str]:
        return list(self.inputs.get("notes") or [])


def preview(
    agreement: Agreement,
    *,
    population_year: int | None = None,
    policy: str | None = None,
    overrides: Mapping[str, PostOverride] | None = None,
    keep_year_when_missing: bool = False,
) -> Allocation:
    """Compute the allocation without saving anything."""
    inputs = build_inputs(
        agreement,
        population_year=population_year,
        policy=policy,
        overrides=overrides,
        keep_year_when_missing=keep_year_when_missing,
    )
    return Allocation(agreement, inputs, compute_lines(inputs))


def run_allocation(
    agreement: Agreement,
    *,
    population_year: int | None = None,
    policy: str | None = None,
    by: Any,
    request: HttpRequest | None = None,
    label: str = "",
    is_scenario: bool = False,
    overrides: Mapping[str, PostOverride] | None = None,
) -> AllocationRun:
    """Compute and save an allocation run with its inputs snapshot (``MANAGE_FUNDING``)."""
    _require_manage(by, request)
    result = preview(
        agreement,
        population_year=population_year,
        policy=policy,
        overrides=overrides,
        keep_year_when_missing=is_scenario,
    )
    return _save_run(result, by=by, request=request, label=label, is_scenario=is_scenario)


def _save_run(
    result: Allocation, *, by: Any, request: HttpRequest | None, label: str, is_scenario: bool
) -> AllocationRun:
    agreement = result.agreement
    user = None if _is_system(by) else by
    posts = {p.code: p for p in agreement.posts.all()}
    codes = {ln.recipient_code for ln in result.lines if ln.recipient_code != SKR_CODE}
    units = dict(Unit.objects.filter(code__in=codes).values_list("code", "id"))
    with transaction.atomic():
        run = AllocationRun.objects.create(
            agreement=agreement,
            agreement_version=agreement.version,
            population_year=result.population_year,
            policy=result.policy,
            is_scenario=is_scenario,
            label=label[:200],
            created_by=user,
            created_by_username=by.get_username() if hasattr(by, "get_username") else "",
            inputs=result.inputs,
            total_sek=result.total_sek,
            paid_sek=result.paid_sek,
            withheld_sek=result.withheld_sek,
            result_sha256=lines_sha256(result.lines),
        )
        AllocationLine.objects.bulk_create(
            [
                AllocationLine(
                    run=run,
                    post=posts.get(ln.post_code),
                    post_code=ln.post_code,
                    unit_id=units.get(ln.recipient_code),
                    recipient_code=ln.recipient_code,
                    recipient_name=ln.recipient_name[:200],
                    population=ln.population,
                    amount_sek=ln.amount_sek,
                    withheld=ln.withheld,
                    order=i,
                )
                for i, ln in enumerate(result.lines)
            ],
            batch_size=1000,
        )
        record_event(
            "funding.allocation_run.create",
            actor=by,
            target=run,
            detail={
                "year": agreement.year,
                "agreement_version": agreement.version,
                "population_year": result.population_year,
                "policy": result.policy,
                "scenario": is_scenario,
                "total_sek": result.total_sek,
                "paid_sek": result.paid_sek,
                "withheld_sek": result.withheld_sek,
                "lines": len(result.lines),
                "result_sha256": run.result_sha256,
            },
            request=request,
        )
    return run


def run_lines(run: AllocationRun) -> list[Line]:
    """The stored lines of a run (with post names from its inputs snapshot)."""
    posts = {p["code"]: p for p in run.inputs["posts"]}
    return [
        Line(
            ln.post_code,
            posts.get(ln.post_code, {}).get("name", ln.post_code),
            posts.get(ln.post_code, {}).get("recipient_level", ""),
            ln.recipient_code,
            ln.recipient_name,
            ln.amount_sek,
            ln.withheld,
            ln.population,
        )
        for ln in run.lines.order_by("order")
    ]


def run_allocation_result(run: AllocationRun) -> Allocation:
    return Allocation(run.agreement, run.inputs, run_lines(run), run)


@dataclass(frozen=True)
class Reproduction:
    matches: bool
    differences: list[tuple[str, str, int, int]]  # post, recipient, stored, recomputed


def reproduce_run(run: AllocationRun) -> Reproduction:
    """Recompute a run from its inputs snapshot and compare with the stored lines."""
    stored = {(ln.post_code, ln.recipient_code): ln for ln in run_lines(run)}
    again = {(ln.post_code, ln.recipient_code): ln for ln in compute_lines(run.inputs)}
    diffs = []
    for key in sorted(set(stored) | set(again)):
        a, b = stored.get(key), again.get(key)
        a_val = (a.amount_sek, a.withheld) if a else (0, False)
        b_val = (b.amount_sek, b.withheld) if b else (0, False)
        if a_val != b_val:
            diffs.append((key[0], key[1], a_val[0], b_val[0]))
    return Reproduction(not diffs, diffs)


# --------------------------------------------------------------------------- comparisons


@dataclass(frozen=True)
class DiffRow:
    """Paid kronor in base and scenario for one post × recipient (or one recipient)."""

    post_code: str
    post_name: str
    recipient_level: str
    recipient_code: str
    recipient_name: str
    base_sek: int
    scenario_sek: int
    base_population: int | None = None
    scenario_population: int | None = None

    @property
    def difference_sek(self) -> int:
        return self.scenario_sek - self.base_sek

    @property
    def difference_share(self) -> float | None:
        return self.difference_sek / self.base_sek if self.base_sek else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "post": self.post_code,
            "post_name": self.post_name,
            "recipient_level": self.recipient_level,
            "recipient_code": self.recipient_code,
            "recipient_name": self.recipient_name,
            "base_sek": self.base_sek,
            "scenario_sek": self.scenario_sek,
            "difference_sek": self.difference_sek,
            "base_population": self.base_population,
            "scenario_population": self.scenario_population,
        }


DIFF_COLUMNS: Final = (
    "post",
    "post_name",
    "recipient_level",
    "recipient_code",
    "recipient_name",
    "base_sek",
    "scenario_sek",
    "difference_sek",
    "base_population",
    "scenario_population",
)


def compare_lines(base: Sequence[Line], other: Sequence[Line]) -> list[DiffRow]:
    """Side by side on *paid* kronor, per post and recipient (engine's compare_allocations)."""
    info = {(ln.post_code, ln.recipient_code): ln for ln in [*other, *base]}
    base_pop = {(ln.post_code, ln.recipient_code): ln.population for ln in base}
    other_pop = {(ln.post_code, ln.recipient_code): ln.population for ln in other}

    def rows(lines: Sequence[Line]) -> list[engine.AllocationRow]:
        return [
            engine.AllocationRow(ln.post_code, ln.recipient_code, ln.amount_sek, ln.withheld)
            for ln in lines
        ]

    out = []
    for c in engine.compare_allocations(rows(base), rows(other)):
        ln = info[(c.post, c.recipient_code)]
        out.append(
            DiffRow(
                c.post,
                ln.post_name,
                ln.recipient_level,
                c.recipient_code,
                ln.recipient_name,
                c.base_sek,
                c.scenario_sek,
                base_pop.get((c.post, c.recipient_code)),
                other_pop.get((c.post, c.recipient_code)),
            )
        )
    return out


def by_recipient(rows: Sequence[DiffRow]) -> list[DiffRow]:
    """Sum the rows over posts: one row per recipient (SKR and unallocated included)."""
    acc: dict[str, list[Any]] = {}
    for r in rows:
        key = r.recipient_code
        if key not in acc:
            acc[key] = [r.recipient_level, r.recipient_name, 0, 0]
        acc[key][2] += r.base_sek
        acc[key][3] += r.scenario_sek
    return [
        DiffRow("", "", level, code, name, base, new)
        for code, (level, name, base, new) in sorted(
            acc.items(), key=lambda kv: (len(kv[0]), kv[0])
        )
    ]


def compare_runs(a: AllocationRun, b: AllocationRun) -> list[DiffRow]:
    """Two saved runs side by side (``a`` is the base)."""
    return compare_lines(run_lines(a), run_lines(b))


@dataclass
class Scenario:
    base: Allocation
    scenario: Allocation
    rows: list[DiffRow] = field(default_factory=list)
    run: AllocationRun | None = None

    @property
    def recipients(self) -> list[DiffRow]:
        return by_recipient(self.rows)

    @property
    def changed(self) -> list[DiffRow]:
        return [r for r in self.rows if r.difference_sek]


def scenario(
    agreement: Agreement,
    *,
    population_year: int | None = None,
    policy: str | None = None,
    overrides: Mapping[str, PostOverride] | None = None,
    base_population_year: int | None = None,
    save: bool = False,
    by: Any = None,
    request: HttpRequest | None = None,
    label: str = "",
) -> Scenario:
    """What changes if the population year, policy, amounts or keys change.

    The base is the agreement as decided (its population year, unless
    ``base_population_year``). Posts whose key cannot be computed for the scenario's
    population year keep the agreement's year (listed in ``scenario.notes``). Nothing is
    saved unless ``save``; then the scenario is stored as a run flagged ``is_scenario``
    (``MANAGE_FUNDING``).
    """
    if save:
        if by is None:
            raise FundingError("Ange vem som sparar scenariot.")
        _require_manage(by, request)
    base = preview(agreement, population_year=base_population_year)
    other = preview(
        agreement,
        population_year=population_year,
        policy=policy,
        overrides=overrides,
        keep_year_when_missing=True,
    )
    result = Scenario(base, other, compare_lines(base.lines, other.lines))
    if save:
        result.run = _save_run(other, by=by, request=request, label=label, is_scenario=True)
    return result


# --------------------------------------------------------------------------- explanations


def post_explanations(
    agreement: Agreement, population_year: int | None = None
) -> list[dict[str, Any]]:
    """Every post with its key in plain Swedish (for pages and the API)."""
    year = population_year if population_year is not None else agreement.population_year
    names: dict[str, str] = {}
    counts: dict[str, int] = {}
    out = []
    for post in agreement.posts.order_by("order", "id"):
        level = post.recipient_level
        if level not in counts:
            rec = recipients_for(level)
            counts[level] = len(rec)
            names.update({r.code: r.name for r in rec if level != RecipientLevel.REGION})
        out.append(
            {
                "post": post,
                "code": post.code,
                "name": post.name,
                "amount_sek": post.amount_sek,
                "recipient_level": level,
                "recipient_level_label": RecipientLevel(level).label,
                "recipients": counts[level] if post.key_type != KeyType.UNSPECIFIED else 0,
                "purpose": post.purpose,
                "key_type": post.key_type,
                "key_type_label": KeyType(post.key_type).label,
                "key_params": post.key_params,
                "key_explained": explain_key(
                    post.key_type,
                    post.key_params,
                    level=level,
                    population_year=year,
                    amount_sek=post.amount_sek,
                    n_recipients=counts[level],
                    names=names,
                ),
            }
        )
    return out


def level_summary(agreement: Agreement) -> list[dict[str, Any]]:
    """Sum of the posts per recipient level, in the order levels first appear."""
    acc: dict[str, int] = {}
    for post in agreement.posts.order_by("order", "id"):
        acc[post.recipient_level] = acc.get(post.recipient_level, 0) + post.amount_sek
    return [
        {"level": lv, "label": RecipientLevel(lv).label, "amount_sek": amount}
        for lv, amount in acc.items()
    ]


def filter_lines(
    lines: Iterable[Line],
    *,
    post: str | None = None,
    level: str | None = None,
    lan: str | None = None,
) -> list[Line]:
    """Lines of one post, one recipient level and/or one län (a län's kommuner and the
    län/region itself). Unknown values raise :class:`FundingError`."""
    lines = list(lines)
    if post:
        codes = {ln.post_code for ln in lines}
        if post not in codes:
            raise FundingError(f"Okänd post {post!r} (finns: {', '.join(sorted(codes))}).")
        lines = [ln for ln in lines if ln.post_code == post]
    if level:
        if level not in RecipientLevel.values:
            raise FundingError(
                f"Okänd mottagarnivå {level!r} (tillåtna: {', '.join(RecipientLevel.values)})."
            )
        lines = [ln for ln in lines if ln.recipient_level == level]
    if lan:
        if not (len(lan) == 2 and lan.isdigit()):
            raise FundingError(f"Länskoden {lan!r} ska vara två siffror, t.ex. 01.")
        lines = [ln for ln in lines if ln.lan_code == lan]
    return lines
