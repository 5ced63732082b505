"""Agreements as data: validating a specification, importing an agreement file or a
mapping, saving an edited specification, and the recipients' acceptance.

Writes take ``by=`` and check :func:`~datasmart.funding.rights.require_administrator`
first; each write and its audit event are one transaction.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.db import transaction

from datasmart.accounts.audit import SYSTEM, record_event
from datasmart.geo import services as geo
from datasmart.geo.models import Level, Unit

from ..loaders import (
    SKR_CODE,
    AgreementFileError,
    AgreementSpec,
    PostSpec,
    Problem,
    read_file,
    spec_from_mapping,
)
from ..models import (
    Acceptance,
    Agreement,
    KeyType,
    Post,
    RecipientLevel,
)

if TYPE_CHECKING:
    from django.http import HttpRequest
from .common import (
    AGREEMENTS_DIR,
    FundingError,
    _canonical,
    _require_manage,
    population_problem,
    recipients_for,
)

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
    from ..loaders import AGREEMENT_FIELDS

    return AGREEMENT_FIELDS


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
