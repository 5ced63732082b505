"""Reading agreement files (TOML, JSON or CSV) into a checked :class:`AgreementSpec`.

This module checks everything that needs no database: types, required fields, negative
amounts, unknown key types and parameters, duplicate post codes, and that the posts add up
to the total. :func:`datasmart.funding.services.validate_spec` adds the checks against the
database (unit codes, recipients, population years). Every problem is collected and
reported together, each with where it is (``posts[3] (ungdomsmottagningar).amount_sek`` or
``rad 4, kolumn amount_sek``); nothing is saved unless there are none.

File layout (TOML; JSON has the same keys)::

    year = 2020
    title = "Förslag till överenskommelse om psykisk hälsa 2020"
    status = "proposal"                 # draft | proposal | decided
    total_sek = 1_716_000_000
    population_year = 2019              # optional
    acceptance_policy = "withhold"      # withhold | redistribute

    [[posts]]
    code = "ungdomsmottagningar"
    name = "Ungdomsmottagningar"
    amount_sek = 150_000_000
    recipient_level = "region"          # region | kommun | lan | skr | administration
    key_type = "population_share"
    key_params = { age_min = 0, age_max = 25 }

    [[acceptances]]                     # optional: recipients that answered
    unit = "0180"
    accepted = true

A CSV file holds the posts only (one row per post, columns ``code, name, amount_sek,
recipient_level, key_type, purpose`` and the key parameters ``age_min, age_max,
fixed_per_recipient, default, exceptions, recipient_code``, with ``exceptions`` written
``01=2000000;12=2000000``); the agreement's own fields are passed as ``meta``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .keys import KEY_PARAMS, key_from_json
from .models import AcceptancePolicy, AgreementStatus, KeyType, RecipientLevel

SKR_CODE = "SKR"
MAX_SEK = 10**15  # a thousand billion kronor: anything larger is a typing error
AGREEMENT_FIELDS = (
    "year",
    "title",
    "total_sek",
    "parties",
    "decision_date",
    "status",
    "population_year",
    "population_year_reason",
    "acceptance_policy",
    "acceptance_summary",
    "source",
    "notes",
)
POST_FIELDS = (
    "code",
    "name",
    "amount_sek",
    "recipient_level",
    "purpose",
    "key_type",
    "key_params",
)
CSV_KEY_COLUMNS = (
    "age_min",
    "age_max",
    "fixed_per_recipient",
    "default",
    "exceptions",
    "recipient_code",
)


@dataclass(frozen=True)
class Problem:
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


class AgreementFileError(ValueError):
    """An agreement file (or spec) has problems; ``problems`` lists every one."""

    def __init__(self, source: str, problems: list[Problem]) -> None:
        self.source = source
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"{source}: {len(problems)} problem, inget sparat:\n{lines}")


@dataclass
class PostSpec:
    code: str
    name: str
    amount_sek: int
    recipient_level: str
    key_type: str
    key_params: dict[str, Any]
    purpose: str = ""
    where: str = ""

    @property
    def is_population_key(self) -> bool:
        return self.key_type in ("population_share", "fixed_plus_population")

    @property
    def age_band(self) -> tuple[int | None, int | None] | None:
        if self.key_type != "population_share":
            return None
        lo, hi = self.key_params.get("age_min"), self.key_params.get("age_max")
        return (lo, hi) if lo is not None or hi is not None else None


@dataclass
class AcceptanceSpec:
    unit: str
    accepted: bool
    date: dt.date | None = None
    where: str = ""


@dataclass
class AgreementSpec:
    year: int
    title: str
    total_sek: int
    status: str = AgreementStatus.DRAFT.value
    parties: str = ""
    decision_date: dt.date | None = None
    population_year: int | None = None
    population_year_reason: str = ""
    acceptance_policy: str = AcceptancePolicy.WITHHOLD.value
    acceptance_summary: dict[str, Any] = field(default_factory=dict)
    source: str = ""
    notes: str = ""
    posts: list[PostSpec] = field(default_factory=list)
    acceptances: list[AcceptanceSpec] = field(default_factory=list)
    source_name: str = ""

    def fields(self) -> dict[str, Any]:
        """The agreement's own fields, as model keyword arguments."""
        return {name: getattr(self, name) for name in AGREEMENT_FIELDS}


# --------------------------------------------------------------------------- values


class _Collector:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, where: str, message: str) -> None:
        self.problems.append(Problem(where, message))


def _int(
    value: Any, where: str, out: _Collector, *, required: bool = True, negative_ok: bool = False
) -> int | None:
    if value is None or value == "":
        if required:
            out.add(where, "saknas")
        return None
    if isinstance(value, str):
        text = value.strip().replace("\u00a0", "").replace(" ", "").replace("_", "")
        try:
            value = int(text)
        except ValueError:
            out.add(where, f"{value!r} är inget heltal")
            return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        out.add(where, f"{value!r} är inget heltal (belopp anges i hela kronor)")
        return None
    if value < 0 and not negative_ok:
        out.add(where, f"{value} är negativt")
        return None
    if value > MAX_SEK:
        out.add(where, f"{value} är orimligt stort")
        return None
    return value


def _text(value: Any, where: str, out: _Collector, *, required: bool = False) -> str:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            out.add(where, "saknas")
        return ""
    if not isinstance(value, str):
        out.add(where, f"{value!r} är ingen text")
        return ""
    return value.strip()


def _choice(value: Any, where: str, out: _Collector, choices: list[str], default: str) -> str:
    if value is None or value == "":
        return default
    if value not in choices:
        out.add(where, f"{value!r} är inget giltigt värde (tillåtna: {', '.join(choices)})")
        return default
    return str(value)


def _date(value: Any, where: str, out: _Collector) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        out.add(where, f"{value!r} är inget datum (skriv ÅÅÅÅ-MM-DD)")
        return None


def _bool(value: Any, where: str, out: _Collector) -> bool | None:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower() if value is not None else ""
    if text in {"true", "ja", "1", "yes"}:
        return True
    if text in {"false", "nej", "0", "no"}:
        return False
    out.add(where, f"{value!r} är inte ja/nej (true/false)")
    return None


# --------------------------------------------------------------------------- spec


def spec_from_mapping(
    data: Mapping[str, Any], *, source: str = "överenskommelsen"
) -> AgreementSpec:
    """Check a parsed file (or API body) and return the spec, or raise
    :class:`AgreementFileError` listing every problem found."""
    out = _Collector()
    if not isinstance(data, Mapping):
        raise AgreementFileError(source, [Problem("", "filen ska innehålla en tabell/ett objekt")])
    unknown = sorted(set(data) - set(AGREEMENT_FIELDS) - {"posts", "acceptances"})
    for name in unknown:
        out.add(name, "okänt fält")
    year = _int(data.get("year"), "year", out)
    if year is not None and not 1900 <= year <= 2200:
        out.add("year", f"{year} är inget rimligt år")
    title = _text(data.get("title"), "title", out, required=True)
    total = _int(data.get("total_sek"), "total_sek", out)
    pop_year = _int(data.get("population_year"), "population_year", out, required=False)
    summary = data.get("acceptance_summary") or {}
    if not isinstance(summary, Mapping):
        out.add("acceptance_summary", "ska vara en tabell, t.ex. kommun = [288, 290]")
        summary = {}
    for level, counts in summary.items():
        ok = (
            isinstance(counts, list)
            and len(counts) == 2
            and all(isinstance(n, int) and not isinstance(n, bool) for n in counts)
            and 0 <= counts[0] <= counts[1]
        )
        if not ok:
            out.add(
                f"acceptance_summary.{level}",
                f"{counts!r}: skriv [antal som tackat ja, antal mottagare], t.ex. [288, 290]",
            )
    spec = AgreementSpec(
        year=year or 0,
        title=title,
        total_sek=total or 0,
        status=_choice(
            data.get("status"), "status", out, AgreementStatus.values, AgreementStatus.DRAFT
        ),
        parties=_text(data.get("parties"), "parties", out),
        decision_date=_date(data.get("decision_date"), "decision_date", out),
        population_year=pop_year,
        population_year_reason=_text(
            data.get("population_year_reason"), "population_year_reason", out
        ),
        acceptance_policy=_choice(
            data.get("acceptance_policy"),
            "acceptance_policy",
            out,
            AcceptancePolicy.values,
            AcceptancePolicy.WITHHOLD,
        ),
        acceptance_summary=dict(summary),
        source=_text(data.get("source"), "source", out),
        notes=_text(data.get("notes"), "notes", out),
        source_name=source,
    )
    posts = data.get("posts")
    if not isinstance(posts, list) or not posts:
        out.add("posts", "minst en post behövs")
        posts = []
    seen: dict[str, str] = {}
    for i, raw in enumerate(posts):
        post = _post(raw, i, out)
        if post is None:
            continue
        if post.code in seen:
            out.add(post.where, f"koden {post.code!r} används redan i {seen[post.code]}")
        seen.setdefault(post.code, post.where)
        spec.posts.append(post)
    for i, raw in enumerate(data.get("acceptances") or []):
        where = f"acceptances[{i}]"
        if not isinstance(raw, Mapping):
            out.add(where, "ska vara en tabell med unit och accepted")
            continue
        unit = _text(raw.get("unit"), f"{where}.unit", out, required=True)
        accepted = _bool(raw.get("accepted"), f"{where}.accepted", out)
        date = _date(raw.get("date"), f"{where}.date", out)
        if unit and accepted is not None:
            spec.acceptances.append(AcceptanceSpec(unit, accepted, date, where))
    _check_sums(spec, out, total is not None)
    if out.problems:
        raise AgreementFileError(source, out.problems)
    return spec


def _post(raw: Any, i: int, out: _Collector) -> PostSpec | None:
    where = f"posts[{i}]"
    if not isinstance(raw, Mapping):
        out.add(where, "ska vara en tabell")
        return None
    code = raw.get("code")
    if isinstance(code, str) and code.strip():
        where = f"posts[{i}] ({code.strip()})"
    for name in sorted(set(raw) - set(POST_FIELDS) - {"where"}):
        out.add(f"{where}.{name}", "okänt fält")
    code_text = _text(code, f"{where}.code", out, required=True)
    if code_text and not all(c.isalnum() or c in "-_" for c in code_text):
        out.add(f"{where}.code", f"{code_text!r}: använd bara bokstäver, siffror, - och _")
    name = _text(raw.get("name"), f"{where}.name", out, required=True)
    amount = _int(raw.get("amount_sek"), f"{where}.amount_sek", out)
    level = _choice(
        raw.get("recipient_level"), f"{where}.recipient_level", out, RecipientLevel.values, ""
    )
    if not raw.get("recipient_level"):
        out.add(f"{where}.recipient_level", "saknas")
    key_type = _choice(raw.get("key_type"), f"{where}.key_type", out, KeyType.values, "")
    if not raw.get("key_type"):
        out.add(f"{where}.key_type", "saknas")
    params = raw.get("key_params") or {}
    if not isinstance(params, Mapping):
        out.add(f"{where}.key_params", "ska vara en tabell")
        params = {}
    params = dict(params)
    if key_type and key_type != KeyType.UNSPECIFIED:
        required, optional = KEY_PARAMS[key_type]
        bad = False
        for pname in sorted(set(params) - set(required) - set(optional)):
            out.add(f"{where}.key_params.{pname}", f"ingen parameter för {key_type}")
            bad = True
        for pname in required:
            if params.get(pname) in (None, ""):
                out.add(f"{where}.key_params.{pname}", f"saknas (behövs för {key_type})")
                bad = True
        for pname in ("age_min", "age_max", "fixed_per_recipient", "default"):
            value = params.get(pname)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
                out.add(f"{where}.key_params.{pname}", f"{value!r} är inget heltal")
                bad = True
            elif isinstance(value, int) and value < 0:
                out.add(f"{where}.key_params.{pname}", f"{value} är negativt")
                bad = True
        exceptions = params.get("exceptions")
        if exceptions is not None and not isinstance(exceptions, Mapping):
            out.add(f"{where}.key_params.exceptions", "ska vara en tabell kod = belopp")
            bad = True
        elif isinstance(exceptions, Mapping):
            for code, value in exceptions.items():
                if isinstance(value, bool) or not isinstance(value, int):
                    out.add(f"{where}.key_params.exceptions.{code}", f"{value!r} är inget heltal")
                    bad = True
                elif value < 0:
                    out.add(f"{where}.key_params.exceptions.{code}", f"{value} är negativt")
                    bad = True
        if not bad:
            try:
                key_from_json(key_type, params)
            except ValueError as exc:
                out.add(f"{where}.key_params", str(exc).removeprefix("key_params").lstrip(".: "))
    elif key_type == KeyType.UNSPECIFIED and params:
        out.add(f"{where}.key_params", "en ospecificerad nyckel har inga parametrar")
    if key_type == "fixed_amounts":
        params["exceptions"] = {str(k): v for k, v in (params.get("exceptions") or {}).items()}
    if level in (RecipientLevel.SKR, RecipientLevel.ADMINISTRATION) and key_type not in (
        "",
        KeyType.DIRECT_AMOUNT,
    ):
        out.add(f"{where}.key_type", f"poster till {level} betalas som direct_amount till SKR")
    if level == RecipientLevel.MIXED and key_type not in ("", KeyType.UNSPECIFIED):
        out.add(f"{where}.key_type", "en post till blandade mottagare kan bara vara unspecified")
    if amount is None or not code_text or not name or not level or not key_type:
        return None
    return PostSpec(
        code=code_text,
        name=name,
        amount_sek=amount,
        recipient_level=level,
        key_type=key_type,
        key_params=params,
        purpose=_text(raw.get("purpose"), f"{where}.purpose", out),
        where=where,
    )


def _check_sums(spec: AgreementSpec, out: _Collector, have_total: bool) -> None:
    if not have_total or not spec.posts:
        return
    posts_sum = sum(p.amount_sek for p in spec.posts)
    if posts_sum != spec.total_sek:
        diff = posts_sum - spec.total_sek
        parts = " + ".join(f"{p.code} {p.amount_sek}" for p in spec.posts)
        out.add(
            "total_sek",
            f"posterna summerar till {posts_sum} kr men totalen är {spec.total_sek} kr "
            f"({'+' if diff > 0 else ''}{diff} kr); poster: {parts}",
        )
    for p in spec.posts:
        if p.key_type == "fixed_plus_population" and "fixed_per_recipient" in p.key_params:
            fixed = p.key_params["fixed_per_recipient"]
            if isinstance(fixed, int) and fixed > p.amount_sek:
                out.add(
                    f"{p.where}.key_params.fixed_per_recipient",
                    f"{fixed} kr per mottagare är mer än hela posten {p.amount_sek} kr",
                )


# --------------------------------------------------------------------------- files


def read_file(path: Path | str, *, meta: Mapping[str, Any] | None = None) -> AgreementSpec:
    """Read and check an agreement file; the format follows the suffix (.toml, .json, .csv)."""
    path = Path(path)
    name = path.name
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise AgreementFileError(name, [Problem("", f"kan inte läsas: {exc.strerror}")]) from None
    return parse_bytes(raw, name, meta=meta)


def parse_bytes(raw: bytes, name: str, *, meta: Mapping[str, Any] | None = None) -> AgreementSpec:
    suffix = Path(name).suffix.lower()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise AgreementFileError(name, [Problem("", "filen är inte UTF-8")]) from None
    data: Any
    if suffix == ".toml":
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise AgreementFileError(name, [Problem("", f"ogiltig TOML: {exc}")]) from None
    elif suffix == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise AgreementFileError(
                name, [Problem(f"rad {exc.lineno}", f"ogiltig JSON: {exc.msg}")]
            ) from None
    elif suffix == ".csv":
        return _from_csv(text, name, meta or {})
    else:
        raise AgreementFileError(
            name, [Problem("", f"okänt filformat {suffix or '(inget)'}: använd .toml, .json, .csv")]
        )
    if meta and isinstance(data, dict):
        data = {**data, **{k: v for k, v in meta.items() if v is not None}}
    return spec_from_mapping(data, source=name)


def _from_csv(text: str, name: str, meta: Mapping[str, Any]) -> AgreementSpec:
    sample = text[:4096]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    columns = [c.strip() for c in reader.fieldnames or []]
    problems: list[Problem] = []
    required = ("code", "name", "amount_sek", "recipient_level", "key_type")
    for col in required:
        if col not in columns:
            problems.append(Problem(f"kolumn {col}", "saknas i rubrikraden"))
    for col in columns:
        if col not in (*required, "purpose", *CSV_KEY_COLUMNS):
            problems.append(Problem(f"kolumn {col}", "okänd kolumn"))
    for field_name in ("year", "title", "total_sek"):
        if meta.get(field_name) in (None, ""):
            problems.append(
                Problem(field_name, "en CSV-fil innehåller bara poster: ange även detta fält")
            )
    if problems:
        raise AgreementFileError(name, problems)
    posts: list[dict[str, Any]] = []
    for line_no, row in enumerate(reader, start=2):
        row = {(k or "").strip(): (v or "").strip() for k, v in row.items()}
        params: dict[str, Any] = {}
        for col in ("age_min", "age_max", "fixed_per_recipient", "default"):
            if row.get(col):
                params[col] = row[col]
        if row.get("recipient_code"):
            params["recipient_code"] = row["recipient_code"]
        if row.get("exceptions"):
            exc: dict[str, Any] = {}
            for part in row["exceptions"].split(";"):
                code, sep, amount = part.partition("=")
                if not sep:
                    problems.append(
                        Problem(f"rad {line_no}, kolumn exceptions", f"{part!r}: skriv kod=belopp")
                    )
                    continue
                exc[code.strip()] = amount.strip()
            params["exceptions"] = exc
        params = _csv_ints(params, line_no, problems)
        posts.append(
            {
                "code": row.get("code"),
                "name": row.get("name"),
                "amount_sek": row.get("amount_sek"),
                "recipient_level": row.get("recipient_level"),
                "key_type": row.get("key_type"),
                "purpose": row.get("purpose", ""),
                "key_params": params,
            }
        )
    try:
        spec = spec_from_mapping({**dict(meta), "posts": posts}, source=name)
    except AgreementFileError as exc:
        problems += [_csv_where(p) for p in exc.problems]
        raise AgreementFileError(name, problems) from None
    if problems:
        raise AgreementFileError(name, problems)
    return spec


def _csv_ints(params: dict[str, Any], line_no: int, problems: list[Problem]) -> dict[str, Any]:
    out = _Collector()
    result: dict[str, Any] = {}
    for key, value in params.items():
        where = f"rad {line_no}, kolumn {key}"
        if key == "recipient_code":
            result[key] = value
        elif key == "exceptions":
            result[key] = {c: _int(v, f"{where} ({c})", out) for c, v in value.items()}
        else:
            result[key] = _int(value, where, out)
    problems += out.problems
    return result


def _csv_where(problem: Problem) -> Problem:
    """``posts[2] (x).amount_sek`` → ``rad 4, kolumn amount_sek`` (row 1 is the header)."""
    where = problem.where
    if where.startswith("posts["):
        idx = int(where[6 : where.index("]")])
        rest = where[where.index("]") + 1 :]
        column = rest.rsplit(".", 1)[1] if "." in rest else ""
        return Problem(f"rad {idx + 2}" + (f", kolumn {column}" if column else ""), problem.message)
    return problem
