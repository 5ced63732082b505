"""Prevalence as data: read, check and load published prevalence figures; change them
with history.

Two files are read: the reference file ``prevalence/prevalence_estimates.csv`` (published
figures with citations, in ``DATA_DIR``) and the repository's own
``needs/data/prevalence_added.csv`` (further published Swedish/Nordic figures, and the
*basis for expected cases*: one figure per condition, age band and sex, chosen from the
published ones and marked ``use_in_needs``; where low/central/high come from different
publications the row says ``range_is_judgement``). Values in the files are percent; the
database stores shares (0–1).

Every cell is checked before anything is written; the first error found stops the load
with one message naming the file, the row and the field, and nothing is saved
(:class:`PrevalenceFileError`). Rules: a known condition (:mod:`.conditions`), sex 1/2/T,
an age band "a-b", "a+", "a" or one of the named bands, shares within 0–100 %, low ≤
central ≤ high, at least one value, a citation (no figure without a source), and no
overlapping age bands within one publication's series (condition, sex, measure,
definition, citation) nor among the basis rows of one condition (a person would be
counted twice).

An administrator changes figures in the admin through :func:`save_estimate`: the same
checks, the version number raised, the new content kept as a :class:`PrevalenceVersion`
and an audit event ``needs.prevalence_changed`` — all in one transaction.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from datasmart.accounts.audit import SYSTEM, record_event
from datasmart.needs import conditions
from datasmart.needs.models import PeriodType, PrevalenceEstimate, PrevalenceVersion

REFERENCE_FILE = Path("prevalence") / "prevalence_estimates.csv"
ADDED_FILE = Path(__file__).parent / "data" / "prevalence_added.csv"

#: The caveat the source documents put on such figures (source 000, "Behovsanalys").
UNDERESTIMATE_CAVEAT = "sannolikt i underkant"

REQUIRED_COLUMNS = (
    "condition",
    "measure",
    "age_band",
    "sex",
    "prevalence_low_pct",
    "prevalence_central_pct",
    "prevalence_high_pct",
    "citation",
)

#: Age bands the published texts name in words. ``None`` = not a numeric band (kept as a
#: reference figure, never used for expected cases).
NAMED_BANDS: dict[str, tuple[int, int | None] | None] = {
    "adults": (18, None),
    "school age (~6-17)": (6, 17),
    "children before puberty": None,
}

_BAND = re.compile(r"^\s*(\d{1,3})\s*(?:-\s*(\d{1,3})|(\+))?\s*$")
MAX_AGE = 100


class PrevalenceFileError(ValueError):
    """A prevalence file or change that cannot be accepted; names file, row and field."""

    def __init__(
        self, message: str, *, file: str = "", row: int | None = None, field: str = ""
    ) -> None:
        self.file, self.row, self.field = file, row, field
        where = []
        if file:
            where.append(file)
        if row is not None:
            where.append(_("rad %(row)s") % {"row": row})
        if field:
            where.append(_("fältet %(field)s") % {"field": field})
        super().__init__(f"{', '.join(where)}: {message}" if where else message)


@dataclass
class ParsedEstimate:
    """One checked row, ready to store (shares, not percent)."""

    values: dict[str, Any]
    row: int
    file: str
    key: str = ""
    group: tuple[str, ...] = field(default_factory=tuple)


def parse_age_band(text: str) -> tuple[int, int | None] | None:
    """``"10-17"`` → (10, 17); ``"65+"`` → (65, None); ``"13"`` → (13, 13); a named
    band → its ages (or None if not numeric). Raises ``ValueError`` when unreadable."""
    cleaned = text.strip()
    if cleaned.casefold() in NAMED_BANDS:
        return NAMED_BANDS[cleaned.casefold()]
    match = _BAND.match(cleaned)
    if not match:
        raise ValueError(cleaned)
    start = int(match.group(1))
    if match.group(3):
        return start, None
    end = int(match.group(2)) if match.group(2) else start
    if end < start or end > MAX_AGE:
        raise ValueError(cleaned)
    return start, end


def period_type_for(measure: str) -> str:
    """The period type a measure's wording implies (for files without a ``period`` column)."""
    text = measure.casefold()
    if "cumulative" in text:
        return PeriodType.CUMULATIVE
    if "lifetime" in text:
        return PeriodType.LIFETIME
    if "12-month" in text or "annual" in text or "year prevalence" in text:
        return PeriodType.TWELVE_MONTHS
    if "point" in text:
        return PeriodType.POINT
    return PeriodType.OTHER


def _percent(text: str, *, file: str, row: int, column: str) -> float | None:
    cleaned = (text or "").strip().replace(",", ".")
    if not cleaned:
        return None
    try:
        value = float(cleaned)
    except ValueError:
        raise PrevalenceFileError(
            _("'%(v)s' är inte ett tal") % {"v": text}, file=file, row=row, field=column
        ) from None
    if not 0.0 <= value <= 100.0:
        raise PrevalenceFileError(
            _("andelen %(v)s %% ligger utanför 0–100 %%") % {"v": text},
            file=file,
            row=row,
            field=column,
        )
    return value / 100.0


def _flag(text: str | None) -> bool:
    return (text or "").strip().casefold() in {"1", "true", "ja", "yes", "x"}


def _row_key(values: Mapping[str, Any]) -> str:
    parts = [
        values["condition"],
        values["definition"],
        values["measure"],
        values["age_band"],
        values["sex"],
        values["publication"],
        str(values["use_in_needs"]),
    ]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:40]


def check_values(values: dict[str, Any], *, file: str = "", row: int | None = None) -> None:
    """The checks shared by the loader and the admin (raises :class:`PrevalenceFileError`)."""
    if conditions.resolve(values.get("condition") or "") is None:
        raise PrevalenceFileError(
            _("okänt tillstånd '%(c)s'; använd en kod ur kodlistan (%(codes)s)")
            % {
                "c": values.get("condition"),
                "codes": ", ".join(c.code for c in conditions.CONDITIONS),
            },
            file=file,
            row=row,
            field="condition",
        )
    if values.get("sex") not in {"1", "2", "T"}:
        raise PrevalenceFileError(
            _("kön måste vara 1, 2 eller T, inte '%(s)s'") % {"s": values.get("sex")},
            file=file,
            row=row,
            field="sex",
        )
    shares = {k: values.get(k) for k in ("low", "central", "high")}
    for name, share in shares.items():
        if share is not None and not 0.0 <= share <= 1.0:
            raise PrevalenceFileError(
                _("andelen %(v)s ligger utanför 0–1") % {"v": share}, file=file, row=row, field=name
            )
    if all(v is None for v in shares.values()):
        raise PrevalenceFileError(
            _("ingen andel angiven (låg, central eller hög)"), file=file, row=row, field="central"
        )
    low, central, high = shares["low"], shares["central"], shares["high"]
    if low is not None and high is not None and low > high:
        raise PrevalenceFileError(
            _("låg andel (%(l)s) är större än hög (%(h)s)") % {"l": low, "h": high},
            file=file,
            row=row,
            field="low",
        )
    if central is not None and (
        (low is not None and low > central) or (high is not None and central > high)
    ):
        raise PrevalenceFileError(
            _("central andel (%(c)s) ligger utanför låg–hög") % {"c": central},
            file=file,
            row=row,
            field="central",
        )
    if not (values.get("publication") or "").strip():
        raise PrevalenceFileError(
            _("källa saknas: ingen siffra utan källa"), file=file, row=row, field="citation"
        )
    if values.get("use_in_needs") and central is None:
        raise PrevalenceFileError(
            _("en uppgift som används för förväntat antal måste ha en central andel"),
            file=file,
            row=row,
            field="central",
        )
    if values.get("use_in_needs") and values.get("age_from") is None:
        raise PrevalenceFileError(
            _("åldersbandet '%(b)s' är inte numeriskt och kan inte användas för förväntat antal")
            % {"b": values.get("age_band")},
            file=file,
            row=row,
            field="age_band",
        )


def _parse_row(raw: Mapping[str, str], *, file: str, row: int) -> ParsedEstimate:
    code = conditions.resolve(raw.get("condition") or "")
    if code is None:
        check_values({"condition": raw.get("condition")}, file=file, row=row)
    band_text = (raw.get("age_band") or "").strip()
    try:
        ages = parse_age_band(band_text)
    except ValueError:
        raise PrevalenceFileError(
            _("åldersbandet '%(b)s' kan inte läsas (skriv t.ex. 0-17, 65+ eller 13)")
            % {"b": band_text},
            file=file,
            row=row,
            field="age_band",
        ) from None
    period = (raw.get("period") or "").strip() or period_type_for(raw.get("measure") or "")
    if period not in PeriodType.values:
        raise PrevalenceFileError(
            _("okänd periodtyp '%(p)s'") % {"p": period}, file=file, row=row, field="period"
        )
    values: dict[str, Any] = {
        "condition": code,
        "definition": (raw.get("icd10_or_definition") or "").strip()[:300],
        "measure": (raw.get("measure") or "").strip()[:200],
        "period_type": period,
        "country": (raw.get("country") or "").strip()[:40],
        "age_band": band_text[:60],
        "age_from": ages[0] if ages else None,
        "age_to": ages[1] if ages else None,
        "sex": (raw.get("sex") or "").strip(),
        "low": _percent(
            raw.get("prevalence_low_pct", ""), file=file, row=row, column="prevalence_low_pct"
        ),
        "central": _percent(
            raw.get("prevalence_central_pct", ""),
            file=file,
            row=row,
            column="prevalence_central_pct",
        ),
        "high": _percent(
            raw.get("prevalence_high_pct", ""), file=file, row=row, column="prevalence_high_pct"
        ),
        "reference_period": (raw.get("reference_period") or "").strip()[:120],
        "source_type": (raw.get("source_type") or "").strip()[:120],
        "publication": (raw.get("citation") or "").strip(),
        "source_table": (raw.get("source_table") or "").strip()[:200],
        "source_year": (raw.get("source_year") or "").strip()[:20],
        "link": (raw.get("source_url") or "").strip()[:500],
        "note": (raw.get("note") or "").strip(),
        "range_is_judgement": _flag(raw.get("range_is_judgement")),
        "use_in_needs": _flag(raw.get("use_in_needs")),
        "origin": file,
        "origin_row": row,
    }
    check_values(values, file=file, row=row)
    parsed = ParsedEstimate(values=values, row=row, file=file)
    parsed.key = _row_key(values)
    parsed.group = (str(code), values["measure"], values["definition"], values["publication"])
    return parsed


def _overlaps(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    if a["age_from"] is None or b["age_from"] is None:
        return False
    if not ("T" in (a["sex"], b["sex"]) or a["sex"] == b["sex"]):
        return False
    a_end = a["age_to"] if a["age_to"] is not None else MAX_AGE
    b_end = b["age_to"] if b["age_to"] is not None else MAX_AGE
    return a["age_from"] <= b_end and b["age_from"] <= a_end


def check_overlaps(rows: Iterable[ParsedEstimate]) -> None:
    """No two rows of one publication's series, and no two basis rows of one condition,
    may cover the same ages for the same sex (T overlaps 1 and 2)."""
    seen_series: dict[tuple[str, ...], list[ParsedEstimate]] = {}
    seen_basis: dict[str, list[ParsedEstimate]] = {}
    for item in rows:
        groups = [seen_series.setdefault(item.group, [])]
        if item.values["use_in_needs"]:
            groups.append(seen_basis.setdefault(item.values["condition"], []))
        for group in groups:
            for other in group:
                if other.key == item.key:
                    raise PrevalenceFileError(
                        _("samma uppgift finns redan på rad %(r)s i %(f)s")
                        % {"r": other.row, "f": other.file},
                        file=item.file,
                        row=item.row,
                        field="age_band",
                    )
                if _overlaps(other.values, item.values) and (
                    group is not groups[0] or other.values["sex"] == item.values["sex"]
                ):
                    raise PrevalenceFileError(
                        _(
                            "åldersbandet %(b)s överlappar %(o)s på rad %(r)s i %(f)s (samma tillstånd och kön)"  # noqa: E501
                        )
                        % {
                            "b": item.values["age_band"],
                            "o": other.values["age_band"],
                            "r": other.row,
                            "f": other.file,
                        },
                        file=item.file,
                        row=item.row,
                        field="age_band",
                    )
            group.append(item)


def parse_file(text: str, *, file: str) -> list[ParsedEstimate]:
    """Check a whole file (as text); raise on the first error."""
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise PrevalenceFileError(
            _("kolumner saknas: %(cols)s") % {"cols": ", ".join(missing)}, file=file, row=1
        )
    return [_parse_row(raw, file=file, row=n) for n, raw in enumerate(reader, start=2)]


def default_files() -> list[Path]:
    return [Path(settings.DATA_DIR) / REFERENCE_FILE, ADDED_FILE]


def snapshot(estimate: PrevalenceEstimate) -> dict[str, Any]:
    """The content of an estimate as plain values (what a version keeps)."""
    fields = [
        f.name
        for f in PrevalenceEstimate._meta.fields
        if f.name not in {"id", "version", "updated_at"}
    ]
    return {name: getattr(estimate, name) for name in fields}


def _actor_name(by: Any) -> str:
    return str(by.get_username()) if hasattr(by, "get_username") else str(by)


@dataclass
class LoadReport:
    files: list[str]
    created: int = 0
    changed: int = 0
    unchanged: int = 0
    removed: int = 0
    hashes: dict[str, str] = field(default_factory=dict)


def load_prevalence(paths: Iterable[Path] | None = None, *, by: Any = SYSTEM) -> LoadReport:
    """Check every file whole, then store in one transaction (all or nothing).

    Rows are matched by content key; a changed row gets a new version, a row no longer in
    its file is removed; every stored change is audited with the file's hash."""
    paths = list(paths or default_files())
    parsed: list[ParsedEstimate] = []
    report = LoadReport(files=[p.name for p in paths])
    for path in paths:
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise PrevalenceFileError(
                _("filen kan inte läsas (%(e)s)") % {"e": exc.strerror}, file=path.name
            ) from None
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise PrevalenceFileError(_("filen är inte UTF-8"), file=path.name) from None
        report.hashes[path.name] = hashlib.sha256(raw).hexdigest()
        parsed.extend(parse_file(text, file=path.name))
    check_overlaps(parsed)
    with transaction.atomic():
        existing = {e.key: e for e in PrevalenceEstimate.objects.filter(origin__in=report.files)}
        wanted = {p.key for p in parsed}
        for item in parsed:
            current = existing.get(item.key)
            if current is None:
                est = PrevalenceEstimate.objects.create(key=item.key, **item.values)
                PrevalenceVersion.objects.create(
                    estimate=est,
                    version=1,
                    data=snapshot(est),
                    changed_by=_actor_name(by),
                    reason="load",
                )
                report.created += 1
                continue
            if all(getattr(current, k) == v for k, v in item.values.items()):
                report.unchanged += 1
                continue
            for k, v in item.values.items():
                setattr(current, k, v)
            current.version += 1
            current.save()
            PrevalenceVersion.objects.create(
                estimate=current,
                version=current.version,
                data=snapshot(current),
                changed_by=_actor_name(by),
                reason="load",
            )
            report.changed += 1
        stale = [e for k, e in existing.items() if k not in wanted]
        report.removed = len(stale)
        PrevalenceEstimate.objects.filter(pk__in=[e.pk for e in stale]).delete()
        if not (report.created or report.changed or report.removed):
            return report  # idempotent: nothing changed, nothing to audit
        record_event(
            "needs.prevalence_loaded",
            actor=by,
            detail={
                "files": ", ".join(f"{n} ({h[:12]})" for n, h in report.hashes.items()),
                "created": report.created,
                "changed": report.changed,
                "removed": report.removed,
            },
        )
    return report


def save_estimate(
    estimate: PrevalenceEstimate, *, by: Any, request: Any = None, reason: str = ""
) -> PrevalenceEstimate:
    """Store an administrator's change: checked like a file row, versioned and audited.

    Rights: only a superuser (the platform's administrator) or ``SYSTEM`` changes the
    shared prevalence table; the admin site already requires staff status."""
    from datasmart.accounts.audit import SystemActor
    from datasmart.accounts.permissions import Permission, deny

    if not (isinstance(by, SystemActor) or getattr(by, "is_superuser", False)):
        deny(by, Permission.EDIT_INDICATORS, request=request, detail={"target": "needs.prevalence"})
    values = snapshot(estimate)
    try:
        ages = parse_age_band(values["age_band"])
    except ValueError:
        raise PrevalenceFileError(
            _("åldersbandet '%(b)s' kan inte läsas (skriv t.ex. 0-17, 65+ eller 13)")
            % {"b": values["age_band"]},
            field="age_band",
        ) from None
    estimate.age_from, estimate.age_to = (ages[0], ages[1]) if ages else (None, None)
    values.update(age_from=estimate.age_from, age_to=estimate.age_to)
    check_values(values)
    if estimate.use_in_needs:
        others = PrevalenceEstimate.objects.filter(
            condition=estimate.condition, use_in_needs=True
        ).exclude(pk=estimate.pk)
        for other in others:
            if _overlaps(snapshot(other), values):
                raise PrevalenceFileError(
                    _(
                        "åldersbandet %(b)s överlappar %(o)s (samma tillstånd och kön, används för förväntat antal)"  # noqa: E501
                    )
                    % {"b": estimate.age_band, "o": other.age_band},
                    field="age_band",
                )
    with transaction.atomic():
        if not estimate.key:
            estimate.key = _row_key(values)
        if estimate.pk:
            estimate.version = (
                PrevalenceEstimate.objects.filter(pk=estimate.pk)
                .values_list("version", flat=True)
                .first()
                or 0
            ) + 1
        estimate.save()
        PrevalenceVersion.objects.create(
            estimate=estimate,
            version=estimate.version,
            data=snapshot(estimate),
            changed_by=_actor_name(by),
            reason=reason[:200] or "admin",
        )
        record_event(
            "needs.prevalence_changed",
            actor=by,
            target=estimate,
            detail={
                "version": estimate.version,
                "condition": estimate.condition,
                "age_band": estimate.age_band,
            },
            request=request,
        )
    return estimate


def basis_estimates() -> list[PrevalenceEstimate]:
    """The figures that enter expected cases (``use_in_needs``, numeric age band)."""
    return list(PrevalenceEstimate.objects.filter(use_in_needs=True, age_from__isnull=False))
