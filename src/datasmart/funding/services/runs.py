"""Allocation runs: the inputs snapshot, the largest-remainder computation, a live
:func:`preview`, a saved :func:`run_allocation` and its proof :func:`reproduce_run`.

Every table, CSV, Excel annex and API page of an allocation is made of the :class:`Line`
objects built here.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from django.db import transaction

from datasmart.accounts.audit import record_event
from datasmart.geo.models import Unit

from .. import allocation as engine
from ..keys import PopulationShare, key_from_json
from ..loaders import (
    SKR_CODE,
)
from ..models import (
    Acceptance,
    AcceptancePolicy,
    Agreement,
    AllocationLine,
    AllocationRun,
    KeyType,
)

if TYPE_CHECKING:
    from django.http import HttpRequest
from .common import (
    ENGINE,
    UNALLOCATED_NAME,
    FundingError,
    _band_of,
    _canonical,
    _is_system,
    _load_population,
    _require_manage,
    _table_name,
    population_problem,
    recipients_for,
)

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
