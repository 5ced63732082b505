"""Importing observations from CSV or Excel: validate everything, then write everything.

File layout (one observation per row, header row first; Excel: the first sheet)::

    indicator,unit_code,period,sex,age_group,numerator,denominator,value,status
    self-harm-inpatients,01,2023,T,,1150,2454642,,

Required columns: ``indicator``, ``unit_code``, ``period`` and at least one of
``numerator``, ``denominator``, ``value``. Optional: ``sex`` (``T``/``1``/``2``; empty or
absent = ``T``), ``age_group`` (empty or absent = all ages), ``status`` (``ok``,
``missing``, ``suppressed_at_source``, ``not_applicable``; empty = ``ok``). Which numbers a
row needs depends on the indicator's type (see ``docs/indicators.md``).

CSV files are UTF-8 with ``,`` as separator; a file whose header uses ``;`` (Swedish Excel)
is read with ``;`` and decimal commas. Every problem is reported with file, row (the header
is row 1) and column, up to 20 per column; if there is any, nothing is written. Importing a
file whose SHA-256 and indicator set equal an earlier import is a no-op (``force`` to
re-import); otherwise each row replaces the stored observation with the same indicator,
unit, period, sex and age group.
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from django.db import transaction

from datasmart.accounts.audit import SystemActor
from datasmart.accounts.permissions import Permission, require_permission
from datasmart.geo.models import Unit
from datasmart.geo.validation import DataLoadError, Problem, decode_utf8

from .models import (
    ImportBatch,
    ImportKind,
    Indicator,
    IndicatorType,
    ObservationSex,
    ObservationStatus,
)
from .population import PopulationLookup, PopulationSpec
from .rights import require_units
from .writes import CleanRow, indicator_codes, write_batch

if TYPE_CHECKING:
    from django.http import HttpRequest

REQUIRED_COLUMNS: Final = ("indicator", "unit_code", "period")
NUMBER_COLUMNS: Final = ("numerator", "denominator", "value")
OPTIONAL_COLUMNS: Final = ("sex", "age_group", *NUMBER_COLUMNS, "status")
ALL_COLUMNS: Final = (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS)
MAX_PROBLEMS_PER_COLUMN: Final = 20
MAX_PROBLEMS: Final = 200
#: A published value may differ from numerator / denominator × multiplier by rounding.
VALUE_TOLERANCE_RELATIVE: Final = 0.01
VALUE_TOLERANCE_ABSOLUTE: Final = 0.01
COUNTED_TYPES: Final = (IndicatorType.PROPORTION, IndicatorType.RATE)
NON_NEGATIVE_TYPES: Final = (*COUNTED_TYPES, IndicatorType.COUNT, IndicatorType.DSR)
STATUS_LABELS: Final = {s.value: s.value for s in ObservationStatus}
SEX_CODES: Final = frozenset(ObservationSex.values)
TOTAL: Final = ObservationSex.TOTAL.value
OK: Final = ObservationStatus.OK.value
T_VALUE, T_COUNT, T_PROPORTION = (
    IndicatorType.VALUE.value,
    IndicatorType.COUNT.value,
    IndicatorType.PROPORTION.value,
)
COUNTED_TYPE_VALUES: Final = frozenset(t.value for t in COUNTED_TYPES)

RawRow = dict[str, str | None]


@dataclass
class RawTable:
    """A parsed input file: text cells by column name, with file line/sheet row numbers."""

    file: str
    kind: str
    sha256: str
    columns: list[str]
    rows: list[tuple[int, RawRow]]
    decimal_comma: bool = False
    problems: list[Problem] = field(default_factory=list)


class ProblemLog:
    """Collects problems, at most ``MAX_PROBLEMS_PER_COLUMN`` per column."""

    def __init__(self, file: str, column_names: Mapping[str, str] | None = None) -> None:
        self.file = file
        self.names = dict(column_names or {})
        self.problems: list[Problem] = []
        self.per_column: Counter[str | None] = Counter()
        self.count = 0

    def add(self, row: int | None, column: str | None, message: str) -> None:
        shown = self.names.get(column, column) if column else column
        self.count += 1
        self.per_column[shown] += 1
        if self.per_column[shown] <= MAX_PROBLEMS_PER_COLUMN and len(self.problems) < MAX_PROBLEMS:
            self.problems.append(Problem(self.file, row, shown, message))

    def finish(self) -> list[Problem]:
        extra = [
            Problem(self.file, None, column, f"… och {n - MAX_PROBLEMS_PER_COLUMN} fler fel")
            for column, n in self.per_column.items()
            if n > MAX_PROBLEMS_PER_COLUMN
        ]
        return self.problems + extra

    def __bool__(self) -> bool:
        return bool(self.problems)


# --- reading files ----------------------------------------------------------------------


def read_csv_table(data: bytes, file: str) -> RawTable:
    """Read CSV bytes into text cells by header name (no check of which columns exist)."""
    sha256 = hashlib.sha256(data).hexdigest()
    text, problems = decode_utf8(Path(file), data)
    if text is None:
        raise DataLoadError(problems)
    first_line = text.split("\n", 1)[0]
    semicolon = ";" in first_line and "," not in first_line
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=";" if semicolon else ",")
    try:
        header = next(reader)
    except StopIteration:
        raise DataLoadError([Problem(file, None, None, "filen är tom")]) from None
    columns = [c.strip() for c in header]
    rows: list[tuple[int, RawRow]] = []
    log = ProblemLog(file)
    try:
        for record in reader:
            if not any(cell.strip() for cell in record):
                continue
            if len(record) != len(columns):
                log.add(
                    reader.line_num,
                    None,
                    f"raden har {len(record)} fält men rubrikraden har {len(columns)}",
                )
                continue
            rows.append((reader.line_num, dict(zip(columns, record, strict=True))))
    except csv.Error as exc:
        log.add(reader.line_num, None, f"kan inte läsas som CSV: {exc}")
    return RawTable(
        file, ImportKind.CSV, sha256, columns, rows, decimal_comma=semicolon, problems=log.finish()
    )


def _cell_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return str(value).upper()
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return str(value)


def _xlsx_table(data: bytes, file: str, sha256: str) -> RawTable:
    import zipfile

    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise DataLoadError(
            [Problem(file, None, None, f"kan inte läsas som Excel-fil (.xlsx): {exc}")]
        ) from None
    try:
        sheet = workbook.worksheets[0]
        it = sheet.iter_rows(values_only=True)
        header = next(it, None)
        if header is None:
            raise DataLoadError([Problem(file, None, None, "första bladet är tomt")])
        columns = [(_cell_text(c) or "").strip() for c in header]
        while columns and not columns[-1]:
            columns.pop()
        rows: list[tuple[int, RawRow]] = []
        for number, values in enumerate(it, start=2):
            cells = [_cell_text(v) for v in values[: len(columns)]]
            if not any(c is not None and c.strip() for c in cells):
                continue
            cells += [None] * (len(columns) - len(cells))
            rows.append((number, dict(zip(columns, cells, strict=True))))
    finally:
        workbook.close()
    return RawTable(file, ImportKind.XLSX, sha256, columns, rows)


def read_upload(data: bytes, file_name: str) -> RawTable:
    """Parse a ``.csv`` or ``.xlsx`` file into text cells; raise DataLoadError if unreadable."""
    sha256 = hashlib.sha256(data).hexdigest()
    name = Path(file_name).name or "fil"
    suffix = Path(name).suffix.lower()
    if suffix == ".xlsx" or (suffix != ".csv" and data[:2] == b"PK"):
        table = _xlsx_table(data, name, sha256)
    elif suffix in (".csv", ".txt", ""):
        table = read_csv_table(data, name)
    else:
        raise DataLoadError(
            [Problem(name, None, None, f"okänd filtyp '{suffix}' (använd .csv eller .xlsx)")]
        )
    problems = check_header(table.columns, name) + table.problems
    if not table.rows and not problems:
        problems.append(Problem(name, None, None, "filen har inga datarader"))
    if problems:
        raise DataLoadError(problems)
    return table


def check_header(columns: list[str], file: str) -> list[Problem]:
    problems = []
    seen: set[str] = set()
    for col in columns:
        if col in seen:
            problems.append(Problem(file, 1, col, "kolumnen förekommer två gånger"))
        seen.add(col)
        if col not in ALL_COLUMNS:
            problems.append(
                Problem(
                    file, 1, col or "(tom)", f"okänd kolumn (tillåtna: {', '.join(ALL_COLUMNS)})"
                )
            )
    for col in REQUIRED_COLUMNS:
        if col not in seen:
            problems.append(
                Problem(file, 1, col, f"kolumnen saknas (rubrikraden har: {', '.join(columns)})")
            )
    if not seen & set(NUMBER_COLUMNS):
        problems.append(
            Problem(file, 1, None, "minst en av kolumnerna numerator, denominator, value krävs")
        )
    return problems


# --- validating rows --------------------------------------------------------------------


@dataclass(frozen=True)
class Rules:
    """What one indicator allows, precomputed for row checks."""

    indicator: Indicator
    kind: str
    levels: frozenset[str]
    by_sex: bool
    by_age: bool
    age_groups: frozenset[str]
    value_min: float | None
    value_max: float | None
    denominator_population: PopulationSpec | None

    @classmethod
    def of(cls, ind: Indicator) -> Rules:
        vmin = ind.value_min
        if vmin is None and ind.type in NON_NEGATIVE_TYPES:
            vmin = 0.0
        vmax = ind.value_max
        if vmax is None and ind.type == IndicatorType.PROPORTION:
            vmax = ind.multiplier
        return cls(
            ind,
            str(ind.type),
            frozenset(ind.levels),
            "sex" in ind.breakdowns,
            "age_group" in ind.breakdowns,
            frozenset(ind.age_groups),
            vmin,
            vmax,
            PopulationSpec.from_json(ind.denominator_population),
        )


def _number(text: str | None, decimal_comma: bool) -> tuple[float | None, str | None]:
    if text is None:
        return None, None
    cleaned = text.strip()
    if not cleaned:
        return None, None
    if decimal_comma:
        cleaned = cleaned.replace(",", ".")
    try:
        number = float(cleaned)
    except ValueError:
        return None, f"'{text}' är inget tal"
    if not math.isfinite(number):
        return None, f"'{text}' är inget ändligt tal"
    return number, None


_COUNT_NAMES: Final = {"numerator": "täljaren", "denominator": "nämnaren", "value": "värdet"}


def _whole_number_columns(kind: str) -> tuple[str, ...]:
    """Columns that hold counts of persons or events for an indicator type.

    A rate's denominator may be person-time or a mean population, so it may have
    decimals; a proportion's denominator is a number of persons."""
    if kind == T_PROPORTION:
        return ("numerator", "denominator")
    if kind in COUNTED_TYPE_VALUES:
        return ("numerator",)
    if kind == T_COUNT:
        return ("numerator", "value")
    return ()


def _fmt(number: float) -> str:
    return f"{number:g}" if abs(number) < 1e15 else repr(number)


@dataclass
class Context:
    """Reference data the row checks need, loaded once per validation."""

    indicators: dict[str, Rules]
    units: dict[str, tuple[int, str]]
    unit_objects: dict[int, Unit] = field(default_factory=dict)
    population: PopulationLookup | None = None

    @classmethod
    def load(cls, codes: Iterable[str] | None = None) -> Context:
        qs = Indicator.objects.all()
        if codes is not None:
            qs = qs.filter(code__in=set(codes))
        units = {u.pk: u for u in Unit.objects.all()}
        return cls(
            indicators={i.code: Rules.of(i) for i in qs},
            units={u.code: (u.pk, u.level) for u in units.values()},
            unit_objects=units,
        )

    def lookup(self) -> PopulationLookup:
        if self.population is None:
            self.population = PopulationLookup(self.unit_objects)
        return self.population


def validate_rows(
    table: RawTable,
    context: Context | None = None,
    *,
    column_names: Mapping[str, str] | None = None,
    warnings: list[Problem] | None = None,
) -> tuple[list[CleanRow], list[Problem]]:
    """Check every row of ``table``; return clean rows, or the problems (file, row, column).

    ``column_names`` maps the standard column names to the names in the source file, so a
    reference loader reports problems in its own file's terms. Counts (numerators of
    proportions, rates and counts; denominators of proportions; a count's value) must be
    whole numbers. Findings that may be right but need a person's confirmation (a rate's
    numerator larger than its denominator) are appended to ``warnings`` when it is given;
    they do not stop the validation.
    """
    ctx = context or Context.load({(r.get("indicator") or "").strip() for _, r in table.rows})
    log = ProblemLog(table.file, column_names)
    clean: list[CleanRow] = []
    first_row: dict[tuple[int, int, int, str, str], int] = {}
    comma = table.decimal_comma
    for line, raw in table.rows:
        before = log.count

        def bad(column: str | None, message: str, line: int = line) -> None:
            log.add(line, column, message)

        code = (raw.get("indicator") or "").strip()
        rules = ctx.indicators.get(code)
        if rules is None:
            bad("indicator", f"okänd indikator '{code}'" if code else "indikator saknas")
        unit_code = (raw.get("unit_code") or "").strip()
        unit = ctx.units.get(unit_code)
        if unit is None:
            hint = ""
            if unit_code.isdigit() and len(unit_code) in (1, 3):
                padded = unit_code.zfill(len(unit_code) + 1)
                if padded in ctx.units:
                    hint = (
                        f" (menade du '{padded}'? Excel tar bort inledande nollor: "
                        "formatera kolumnen som text)"
                    )
            bad(
                "unit_code",
                f"okänd enhetskod '{unit_code}'{hint}" if unit_code else "enhetskod saknas",
            )
        period_text = (raw.get("period") or "").strip()
        period: int | None = None
        if not period_text.isdigit() or not 1900 <= int(period_text) <= 2100:
            bad("period", f"ogiltigt år '{period_text}' (ska vara ett årtal 1900–2100)")
        else:
            period = int(period_text)
        sex = (raw.get("sex") or "").strip().upper() or TOTAL
        if sex not in SEX_CODES:
            bad("sex", f"ogiltigt kön '{raw.get('sex')}' (ska vara T, 1 = män eller 2 = kvinnor)")
        age_group = (raw.get("age_group") or "").strip()
        status = (raw.get("status") or "").strip() or OK
        if status not in STATUS_LABELS:
            bad("status", f"okänd status '{status}' (tillåtna: {', '.join(STATUS_LABELS)})")
        numbers: dict[str, float | None] = {}
        before_numbers = log.count
        for col in NUMBER_COLUMNS:
            number, error = _number(raw.get(col), comma)
            if error:
                bad(col, error)
            elif number is not None and number < 0 and col != "value":
                bad(col, f"negativt värde '{_fmt(number)}'")
            numbers[col] = number
        num, den, val = numbers["numerator"], numbers["denominator"], numbers["value"]
        den_year: int | None = None  # another year's population as denominator
        if rules is not None and log.count == before_numbers:
            for col in _whole_number_columns(rules.kind):
                number = numbers[col]
                if number is not None and not number.is_integer():
                    bad(
                        col,
                        f"'{(raw.get(col) or '').strip()}' är inget heltal: {_COUNT_NAMES[col]} "
                        f"är ett antal för typen {rules.kind}",
                    )
        value_given = val is not None
        numbers_ok = log.count == before

        if rules is not None:
            ind = rules.indicator
            if not ind.observations_public:
                bad(
                    "indicator",
                    f"indikatorn '{code}' räknas fram av datasmart (t.ex. SIP-statistiken) "
                    "och kan inte läsas in från fil",
                )
            if unit is not None and unit[1] not in rules.levels:
                bad(
                    "unit_code",
                    f"enheten '{unit_code}' är på nivån {unit[1]}; indikatorn '{code}' har data "
                    f"för {', '.join(sorted(rules.levels))}",
                )
            if period is not None and (
                (ind.first_period and period < ind.first_period)
                or (ind.last_period and period > ind.last_period)
            ):
                bad(
                    "period",
                    f"år {period} ligger utanför indikatorns period "
                    f"{ind.first_period or '…'}–{ind.last_period or '…'}",
                )
            if sex != TOTAL and sex in SEX_CODES and not rules.by_sex:
                bad("sex", f"indikatorn '{code}' redovisas inte per kön (använd T)")
            if age_group:
                if not rules.by_age:
                    bad("age_group", f"indikatorn '{code}' redovisas inte per åldersgrupp")
                elif rules.age_groups and age_group not in rules.age_groups:
                    bad(
                        "age_group",
                        f"okänd åldersgrupp '{age_group}' (tillåtna: "
                        f"{', '.join(sorted(rules.age_groups))}, eller tom = alla åldrar)",
                    )
            kind = rules.kind
            if not numbers_ok or status not in STATUS_LABELS:
                pass  # the numbers or status are already reported; type rules would repeat it
            elif status != OK:
                for col, number in (("numerator", num), ("value", val)):
                    if number is not None:
                        bad(col, f"ska vara tom när status är '{status}'")
            elif kind == T_VALUE:
                for col, number in (("numerator", num), ("denominator", den)):
                    if number is not None:
                        bad(col, "indikatorn har typen value (bara publicerat värde): lämna tom")
                if val is None:
                    bad("value", "värde saknas (ange status 'missing' om uppgiften saknas)")
            elif kind in COUNTED_TYPE_VALUES:
                if num is None:
                    bad("numerator", f"täljare saknas (krävs för typen {ind.type})")
                if (
                    den is None
                    and rules.denominator_population is not None
                    and unit is not None
                    and period is not None
                ):
                    found = ctx.lookup().denominator(
                        unit[0],
                        period,
                        rules.denominator_population,
                        sex=sex,
                        age_group=age_group,
                    )
                    if found is None:
                        bad(
                            "denominator",
                            f"nämnare saknas och befolkningen för '{unit_code}' år {period} "
                            "finns inte per ålder och kön (inte heller närliggande år): "
                            "ange nämnaren",
                        )
                    else:
                        den = float(found.persons)
                        den_year = found.year if found.year != period else None
                elif den is None and rules.denominator_population is None:
                    bad("denominator", f"nämnare saknas (krävs för typen {ind.type})")
                if den is not None and den == 0:
                    bad("denominator", "nämnaren är 0")
                if kind == T_PROPORTION and num is not None and den is not None and num > den:
                    bad(
                        "numerator",
                        f"täljaren ({_fmt(num)}) är större än nämnaren ({_fmt(den)}) för en andel",
                    )
                elif num is not None and den is not None and num > den and warnings is not None:
                    # possible (repeat events per person) but far more often a swapped or
                    # mistyped column: the importer must confirm it (``confirm_warnings``)
                    warnings.append(
                        Problem(
                            table.file,
                            line,
                            log.names.get("numerator", "numerator"),
                            f"täljaren ({_fmt(num)}) är större än nämnaren ({_fmt(den)}) "
                            f"för en kvot: kontrollera att kolumnerna inte är förväxlade",
                        )
                    )
                if num is not None and den:
                    computed = num / den * ind.multiplier
                    if val is None:
                        val = computed
                    elif abs(val - computed) > max(
                        VALUE_TOLERANCE_RELATIVE * abs(computed), VALUE_TOLERANCE_ABSOLUTE
                    ):
                        bad(
                            "value",
                            f"värdet {_fmt(val)} stämmer inte med täljare / nämnare × "
                            f"{_fmt(ind.multiplier)} = {computed:.4g}",
                        )
            elif kind == T_COUNT:
                if den is not None:
                    bad("denominator", "typen count har ingen nämnare: lämna tom")
                if num is None and val is None:
                    bad("numerator", "antal saknas (ange numerator)")
                elif num is None:
                    num = val
                elif val is None:
                    val = num
                elif num != val:
                    bad("value", f"värdet {_fmt(val)} skiljer sig från antalet {_fmt(num)}")
            elif val is None:
                bad("value", f"värde saknas (krävs för typen {ind.type})")
            if status == OK and val is not None and (value_given or log.count == before):
                if rules.value_min is not None and val < rules.value_min:
                    bad("value", f"värdet {_fmt(val)} är mindre än {_fmt(rules.value_min)}")
                if rules.value_max is not None and val > rules.value_max:
                    bad("value", f"värdet {_fmt(val)} är större än {_fmt(rules.value_max)}")

        if rules is None or unit is None or period is None:
            continue
        key = (rules.indicator.pk, unit[0], period, sex, age_group)
        if key in first_row:
            bad(
                "indicator",
                f"dubblett: samma indikator, enhet, år, kön och åldersgrupp som rad "
                f"{first_row[key]}",
            )
        else:
            first_row[key] = line
        if log.count == before:
            clean.append(CleanRow(*key, num, den, val, status, den_year))
    problems = log.finish()
    return ([] if problems else clean), problems


# --- the service ------------------------------------------------------------------------


class ImportNeedsConfirmation(DataLoadError):
    """The file has no errors but findings a person must confirm (``problems`` are the
    warnings, with file, row and column); nothing was written. Import again with
    ``confirm_warnings`` (API ``confirm_warnings=true``, CLI ``--confirm``)."""

    def __init__(self, warnings: list[Problem]) -> None:
        super().__init__(warnings)
        self.warnings = warnings

    def __str__(self) -> str:
        lines = [
            f"Filen har {len(self.warnings)} varningar som måste bekräftas; inget sparades. "
            "Läs in igen med bekräftelse (API: confirm_warnings=true, CLI: --confirm) om "
            "uppgifterna stämmer:"
        ]
        lines += [f"  - {p}" for p in self.warnings]
        return "\n".join(lines)


@dataclass
class ImportResult:
    """What an import did. ``created`` is False when the file was already imported."""

    batch: ImportBatch
    created: bool
    rows: int
    indicators: list[str]
    warnings: list[Problem] = field(default_factory=list)
    """Warnings the importer confirmed (file, row, column, message)."""
    notes: list[str] = field(default_factory=list)
    """Denominators filled from another year's population than the row's (unit, years)."""

    @property
    def message(self) -> str:
        if self.created:
            text = (
                f"{self.batch.file_name}: {self.rows} rader inlästa för "
                f"{', '.join(self.indicators)} (inläsning {self.batch.pk})."
            )
            if self.notes:
                shown = "; ".join(self.notes[:3]) + (" …" if len(self.notes) > 3 else "")
                text += f" Nämnare från ett annat år än radens ({len(self.notes)}): {shown}"
            return text
        return (
            f"{self.batch.file_name}: filen är redan inläst (samma innehåll och indikatorer, "
            f"inläsning {self.batch.pk} {self.batch.created_at:%Y-%m-%d %H:%M}); inget ändrades."
        )


def import_observations(
    source: Path | str | bytes,
    *,
    by: Any,
    file_name: str | None = None,
    force: bool = False,
    confirm_warnings: bool = False,
    request: HttpRequest | None = None,
) -> ImportResult:
    """Import observations from a CSV or Excel file (a path, or bytes with ``file_name``).

    A user ``by`` needs ``IMPORT_DATA`` (a denial is audited and raises PermissionDenied),
    and every row must be for a unit their organisation is responsible for
    (:func:`datasmart.indicators.rights.require_units`; the message names the refused rows);
    ``SYSTEM`` is the CLI. Raises :class:`DataLoadError` listing every problem; then
    nothing was written. A file without errors but with warnings (a rate's numerator
    larger than its denominator) raises :class:`ImportNeedsConfirmation` listing them,
    unless ``confirm_warnings``; the result then lists the confirmed warnings. One
    transaction: batch, observations and audit event together.
    """
    if not isinstance(by, SystemActor):
        require_permission(by, Permission.IMPORT_DATA, request=request)
    if isinstance(source, bytes):
        data = source
        name = file_name or "uppladdad fil"
    else:
        path = Path(source)
        if not path.is_file():
            raise DataLoadError([Problem(str(path), None, None, "filen finns inte")])
        data = path.read_bytes()
        name = file_name or path.name
    table = read_upload(data, name)
    if not isinstance(by, SystemActor):
        require_units(
            by,
            ((line, (raw.get("unit_code") or "").strip()) for line, raw in table.rows),
            file=table.file,
            request=request,
        )
    codes_in_file = sorted({(r.get("indicator") or "").strip() for _, r in table.rows})
    if not force:
        previous = (
            ImportBatch.objects.filter(sha256=table.sha256, indicator_codes=",".join(codes_in_file))
            .exclude(kind=ImportKind.REFERENCE)
            .order_by("-created_at", "-id")
            .first()
        )
        if previous is not None:
            return ImportResult(previous, False, previous.row_count, codes_in_file)
    context = Context.load(codes_in_file)
    warnings: list[Problem] = []
    rows, problems = validate_rows(table, context, warnings=warnings)
    if problems:
        raise DataLoadError(problems)
    if warnings and not confirm_warnings:
        raise ImportNeedsConfirmation(warnings)
    indicators = [context.indicators[c].indicator for c in codes_in_file]
    with transaction.atomic():
        batch = write_batch(
            rows=rows,
            indicators=indicators,
            file_name=table.file,
            sha256=table.sha256,
            kind=table.kind,
            by=by,
            request=request,
        )
    notes = list(context.population.notes) if context.population is not None else []
    return ImportResult(batch, True, len(rows), [i.code for i in indicators], warnings, notes)


__all__ = [
    "ImportResult",
    "RawTable",
    "check_header",
    "import_observations",
    "indicator_codes",
    "read_upload",
    "validate_rows",
]
