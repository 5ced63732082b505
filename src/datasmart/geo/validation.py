"""Reading and validating reference CSV files, reporting every problem with file, row, column.

A loader must never save half a file, and a user fixing a file needs every problem at once,
so validation is separate from writing: :func:`read_table` parses a whole file into a typed
polars frame or collects :class:`Problem` objects; the caller raises :class:`DataLoadError`
with all problems from all files before the first write.

Row numbers are file line numbers: the header is row 1, the first data row is row 2.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

import polars as pl

MAX_PROBLEMS_PER_COLUMN = 20


@dataclass(frozen=True)
class Problem:
    """One thing wrong in an input file, precise enough to fix without guessing."""

    file: str
    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = [self.file]
        if self.row is not None:
            where.append(f"rad {self.row}")
        if self.column is not None:
            where.append(f"kolumn '{self.column}'")
        return f"{', '.join(where)}: {self.message}"


class DataLoadError(Exception):
    """Raised when any input file has problems; nothing has been written."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(
            f"Inläsningen avbröts, inget sparades ({len(self.problems)} fel):\n{lines}"
        )


class Kind(Enum):
    """What a column must hold. Codes stay strings: leading zeros matter."""

    LAN_CODE = r"^\d{2}$"
    KOMMUN_CODE = r"^\d{4}$"
    SLUG = r"^[a-z][a-z_]*$"
    GROUP_CODE = r"^[A-C][1-9]$"
    TEXT = "text"
    COUNT = "count"  # integer >= 0
    YEAR = "year"  # integer 1900..2100
    AGE = "age"  # integer 0..100 (100 = 100+)
    AGE_OR_EMPTY = "age_or_empty"  # as AGE, or empty (an open-ended top age band)
    SEX = "sex"  # SCB code 1 or 2
    FLAG = "flag"  # 0 or 1


@dataclass(frozen=True)
class FileSpec:
    """Expected layout of one reference file."""

    dataset: str
    relpath: str
    columns: dict[str, Kind]
    unique: tuple[str, ...] = ()
    extra_columns_allowed: bool = True
    typed: dict[str, pl.DataType] = field(default_factory=dict)


def _describe(kind: Kind) -> str:
    return {
        Kind.LAN_CODE: "ska vara en länskod med två siffror, t.ex. '01'",
        Kind.KOMMUN_CODE: "ska vara en kommunkod med fyra siffror, t.ex. '0180'",
        Kind.SLUG: "ska vara ett id med små bokstäver, t.ex. 'vastra'",
        Kind.GROUP_CODE: "ska vara en kommungruppskod A1–C9",
        Kind.TEXT: "får inte vara tom",
        Kind.COUNT: "ska vara ett heltal ≥ 0",
        Kind.YEAR: "ska vara ett årtal 1900–2100",
        Kind.AGE: "ska vara en ålder 0–100",
        Kind.AGE_OR_EMPTY: "ska vara en ålder 0–100, eller tom för en öppen översta åldersgrupp",
        Kind.SEX: "ska vara kön enligt SCB: 1 (män) eller 2 (kvinnor)",
        Kind.FLAG: "ska vara 0 eller 1",
    }[kind]


def _bad_mask(col: pl.Expr, kind: Kind) -> tuple[pl.Expr, pl.Expr | None]:
    """Return (expression true where the value is invalid, typed value expression)."""
    missing = col.is_null() | (col.str.strip_chars() == "")
    if kind in (Kind.LAN_CODE, Kind.KOMMUN_CODE, Kind.SLUG, Kind.GROUP_CODE):
        return missing | ~col.str.contains(kind.value), None
    if kind is Kind.TEXT:
        return missing, None
    as_int = col.str.strip_chars().cast(pl.Int64, strict=False)
    if kind is Kind.AGE_OR_EMPTY:
        return ~missing & (as_int.is_null() | (as_int < 0) | (as_int > 100)), as_int
    bounds = {
        Kind.COUNT: (0, None),
        Kind.YEAR: (1900, 2100),
        Kind.AGE: (0, 100),
        Kind.SEX: (1, 2),
        Kind.FLAG: (0, 1),
    }[kind]
    bad = missing | as_int.is_null() | (as_int < bounds[0])
    if bounds[1] is not None:
        bad = bad | (as_int > bounds[1])
    return bad, as_int


def _problem_message(value: str | None, kind: Kind) -> str:
    if value is None or value.strip() == "":
        return f"värde saknas ({_describe(kind)})"
    if kind is Kind.COUNT and value.strip().lstrip("-").isdigit() and value.strip().startswith("-"):
        return f"negativt värde '{value}' ({_describe(kind)})"
    return f"ogiltigt värde '{value}' ({_describe(kind)})"


def decode_utf8(path: Path, raw: bytes) -> tuple[str | None, list[Problem]]:
    """Decode ``raw`` as UTF-8 (a BOM is tolerated) or report where the encoding breaks."""
    try:
        return raw.decode("utf-8-sig"), []
    except UnicodeDecodeError as exc:
        line_start = raw.rfind(b"\n", 0, exc.start) + 1
        row = raw.count(b"\n", 0, exc.start) + 1
        header = raw.split(b"\n", 1)[0].decode("utf-8", errors="replace").split(",")
        col_index = raw.count(b",", line_start, exc.start)
        column = header[col_index].strip() if col_index < len(header) else None
        return None, [
            Problem(
                path.name,
                row,
                column,
                f"ogiltig teckenkodning (filen ska vara UTF-8; byte 0x{raw[exc.start]:02x} "
                f"på position {exc.start - line_start + 1} i raden)",
            )
        ]


@dataclass
class Table:
    """A validated file: typed frame plus its provenance."""

    spec: FileSpec
    path: Path
    sha256: str
    frame: pl.DataFrame


def read_table(spec: FileSpec, data_dir: Path) -> tuple[Table | None, list[Problem]]:
    """Read and validate one file against ``spec``; return the table or the problems."""
    path = data_dir / spec.relpath
    name = spec.relpath
    if not path.is_file():
        return None, [Problem(name, None, None, f"filen saknas (letade i {path})")]
    raw = path.read_bytes()
    text, problems = decode_utf8(path, raw)
    if text is None:
        return None, [Problem(name, p.row, p.column, p.message) for p in problems]
    try:
        frame = pl.read_csv(io.StringIO(text), infer_schema=False, truncate_ragged_lines=False)
    except pl.exceptions.PolarsError as exc:
        return None, [Problem(name, None, None, f"kan inte läsas som CSV: {exc}".splitlines()[0])]
    frame = frame.rename({c: c.strip() for c in frame.columns})
    missing = [c for c in spec.columns if c not in frame.columns]
    unknown = (
        [] if spec.extra_columns_allowed else [c for c in frame.columns if c not in spec.columns]
    )
    for col in missing:
        problems.append(
            Problem(name, 1, col, f"kolumnen saknas (rubrikraden har: {', '.join(frame.columns)})")
        )
    for col in unknown:
        problems.append(Problem(name, 1, col, "okänd kolumn"))
    if problems:
        return None, problems

    # One pass computes every typed column and every invalid-value mask (polars runs the
    # expressions in parallel and parses each column once); rows are only looked up when a
    # mask has a hit.
    typed_exprs: list[pl.Expr] = []
    bad_exprs: list[pl.Expr] = []
    for col, kind in spec.columns.items():
        bad, typed = _bad_mask(pl.col(col), kind)
        bad_exprs.append(bad.alias(f"\0bad {col}"))
        typed_exprs.append(
            (typed if typed is not None else pl.col(col).str.strip_chars()).alias(col)
        )
    checked = frame.lazy().select(*typed_exprs, *bad_exprs).collect()
    for col, kind in spec.columns.items():
        mask = checked[f"\0bad {col}"]
        if not mask.any():
            continue
        flagged = frame.with_row_index("_row", offset=2).filter(mask).select("_row", pl.col(col))
        for row, value in flagged.head(MAX_PROBLEMS_PER_COLUMN).iter_rows():
            problems.append(Problem(name, row, col, _problem_message(value, kind)))
        if flagged.height > MAX_PROBLEMS_PER_COLUMN:
            problems.append(
                Problem(
                    name, None, col, f"… och {flagged.height - MAX_PROBLEMS_PER_COLUMN} fler fel"
                )
            )
    if problems:
        return None, problems

    frame = checked.select(list(spec.columns))
    if spec.unique:
        dup = (
            frame.with_row_index("_row", offset=2)
            .filter(pl.struct(spec.unique).is_duplicated())
            .sort("_row")
        )
        seen: set[tuple[object, ...]] = set()
        for rec in dup.iter_rows(named=True):
            key = tuple(rec[c] for c in spec.unique)
            if key in seen:
                shown = ", ".join(f"{c}={rec[c]}" for c in spec.unique)
                problems.append(Problem(name, rec["_row"], spec.unique[0], f"dubblett av {shown}"))
                if len(problems) >= MAX_PROBLEMS_PER_COLUMN:
                    break
            seen.add(key)
    if problems:
        return None, problems
    return Table(spec, path, hashlib.sha256(raw).hexdigest(), frame), []


def unknown_references(table: Table, column: str, known: set[str], what: str) -> list[Problem]:
    """Problems for every value of ``column`` that is not one of ``known`` codes."""
    flagged = (
        table.frame.with_row_index("_row", offset=2)
        .filter(~pl.col(column).is_in(sorted(known)))
        .select("_row", column)
    )
    problems = [
        Problem(table.spec.relpath, row, column, f"okänd {what} '{value}'")
        for row, value in flagged.head(MAX_PROBLEMS_PER_COLUMN).iter_rows()
    ]
    if flagged.height > MAX_PROBLEMS_PER_COLUMN:
        problems.append(
            Problem(
                table.spec.relpath,
                None,
                column,
                f"… och {flagged.height - MAX_PROBLEMS_PER_COLUMN} fler okända värden",
            )
        )
    return problems
