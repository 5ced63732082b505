"""Published population projections in broad groups (``../shared/data/projections``):
SCB's national projection to 2040 and Region Halland's own, with the observed series
they continue. Loaded whole or not at all; shown on the sources page with their caveats.

These files are not the one-year-age projection the needs analysis runs on (that is
:mod:`datasmart.needs.services`); they are the published comparison, so that a reader can
see the platform's figures beside SCB's and Region Halland's.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from datasmart.accounts.audit import SYSTEM, record_event
from datasmart.needs.models import PublishedProjectionPoint
from datasmart.needs.prevalence import PrevalenceFileError

FILES: dict[str, tuple[str, bool]] = {
    # dataset -> (file name, has age groups)
    "halland_riket_total": ("halland_riket_total_2000_2040.csv", False),
    "halland_riket_agegroups": ("halland_riket_agegroups_2000_2040.csv", True),
}
SERIES = {"observed", "projection_SCB_riket", "projection_Region_Halland"}
AGE_GROUPS = ("0-19", "20-64", "65-79", "80+")
PROJECTIONS_DIR = Path("projections")
#: Largest gap allowed between the age groups' sum and the total, as a share of the total
#: (at least one person, for the projections' one-decimal values). SCB's 2025 figures are
#: cell-key perturbed: SOURCE.md says up to 22 persons, the files show up to 40
#: (Kungsbacka 2025: 86 293 against 86 333, 0.05 %); every other year adds up exactly.
SUM_TOLERANCE_SHARE = 0.001


class ProjectionFileError(PrevalenceFileError):
    """A projection file that cannot be accepted (file, row, field named)."""


@dataclass
class ProjectionLoadReport:
    rows: dict[str, int] = field(default_factory=dict)
    hashes: dict[str, str] = field(default_factory=dict)
    #: False when the stored points already equal the files (nothing written, no event)
    changed: bool = True


def _parse(text: str, *, file: str, dataset: str, with_age: bool) -> list[dict[str, Any]]:
    reader = csv.DictReader(io.StringIO(text))
    need = ["year", "region_code", "region_name", "series", "population"] + (
        ["age_group"] if with_age else []
    )
    missing = [c for c in need if c not in (reader.fieldnames or [])]
    if missing:
        raise ProjectionFileError(
            _("kolumner saknas: %(c)s") % {"c": ", ".join(missing)}, file=file, row=1
        )
    out: list[dict[str, Any]] = []
    seen: dict[tuple[str, str, int], int] = {}
    for n, raw in enumerate(reader, start=2):
        try:
            year = int(raw["year"])
        except ValueError:
            raise ProjectionFileError(
                _("'%(v)s' är inte ett år") % {"v": raw["year"]}, file=file, row=n, field="year"
            ) from None
        if not 1900 <= year <= 2100:
            raise ProjectionFileError(
                _("året %(y)s är orimligt") % {"y": year}, file=file, row=n, field="year"
            )
        code = raw["region_code"].strip()
        if not (code.isdigit() and len(code) in (2, 4)):
            raise ProjectionFileError(
                _("'%(c)s' är ingen läns- eller kommunkod") % {"c": code},
                file=file,
                row=n,
                field="region_code",
            )
        series = raw["series"].strip()
        if series not in SERIES:
            raise ProjectionFileError(
                _("okänd serie '%(s)s'") % {"s": series}, file=file, row=n, field="series"
            )
        try:
            population = float(raw["population"])
        except ValueError:
            raise ProjectionFileError(
                _("'%(v)s' är inte ett tal") % {"v": raw["population"]},
                file=file,
                row=n,
                field="population",
            ) from None
        if population < 0:
            raise ProjectionFileError(_("negativ folkmängd"), file=file, row=n, field="population")
        age = raw.get("age_group", "").strip() if with_age else ""
        if with_age and age not in AGE_GROUPS:
            raise ProjectionFileError(
                _("okänd åldersgrupp '%(a)s'") % {"a": age}, file=file, row=n, field="age_group"
            )
        k = (code, age, year)
        if k in seen:
            raise ProjectionFileError(
                _("samma område, ålder och år finns redan på rad %(r)s") % {"r": seen[k]},
                file=file,
                row=n,
                field="year",
            )
        seen[k] = n
        out.append(
            {
                "dataset": dataset,
                "region_code": code,
                "region_name": raw["region_name"].strip()[:80],
                "year": year,
                "age_group": age,
                "series": series,
                "population": population,
            }
        )
    return out


def load_projections(data_dir: Path | None = None, *, by: Any = SYSTEM) -> ProjectionLoadReport:
    """Check both files (and that the age groups add up to the totals), then replace the
    stored points in one transaction."""
    base = Path(data_dir or settings.DATA_DIR) / PROJECTIONS_DIR
    report = ProjectionLoadReport()
    parsed: dict[str, list[dict[str, Any]]] = {}
    for dataset, (name, with_age) in FILES.items():
        path = base / name
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise ProjectionFileError(
                _("filen kan inte läsas (%(e)s)") % {"e": exc.strerror}, file=name
            ) from None
        report.hashes[name] = hashlib.sha256(raw).hexdigest()
        parsed[dataset] = _parse(
            raw.decode("utf-8-sig"), file=name, dataset=dataset, with_age=with_age
        )
    totals = {(r["region_code"], r["year"]): r["population"] for r in parsed["halland_riket_total"]}
    sums: dict[tuple[str, int], float] = {}
    for r in parsed["halland_riket_agegroups"]:
        sums[(r["region_code"], r["year"])] = (
            sums.get((r["region_code"], r["year"]), 0.0) + r["population"]
        )
    for key, value in sums.items():
        total = totals.get(key)
        if total is not None and abs(total - value) > max(1.0, SUM_TOLERANCE_SHARE * total):
            raise ProjectionFileError(
                _("åldersgrupperna för %(c)s år %(y)s summerar till %(s)s men totalen är %(t)s")
                % {"c": key[0], "y": key[1], "s": round(value), "t": round(total)},
                file=FILES["halland_riket_agegroups"][0],
                field="population",
            )
    wanted = {
        (d, r["region_code"], r["region_name"], r["year"], r["age_group"], r["series"],
         r["population"])
        for d, rows in parsed.items()
        for r in rows
    }  # fmt: skip
    stored = set(
        PublishedProjectionPoint.objects.filter(dataset__in=list(FILES)).values_list(
            "dataset", "region_code", "region_name", "year", "age_group", "series", "population"
        )
    )
    if stored == wanted:  # idempotent: a second set-up writes nothing
        report.changed = False
        report.rows = {d: len(rows) for d, rows in parsed.items()}
        return report
    with transaction.atomic():
        PublishedProjectionPoint.objects.filter(dataset__in=list(FILES)).delete()
        for dataset, rows in parsed.items():
            PublishedProjectionPoint.objects.bulk_create(
                PublishedProjectionPoint(**r) for r in rows
            )
            report.rows[dataset] = len(rows)
        record_event(
            "needs.projections_loaded",
            actor=by,
            detail={"files": ", ".join(f"{n} ({h[:12]})" for n, h in report.hashes.items())},
        )
    return report


def projection_summary() -> list[dict[str, Any]]:
    """Per region in the files: observed last year and projected 2030/2035/2040 totals,
    with the series name (which publisher projected it)."""
    points = PublishedProjectionPoint.objects.filter(dataset="halland_riket_total").order_by(
        "region_code", "year"
    )
    by_region: dict[str, dict[str, Any]] = {}
    for p in points:
        entry = by_region.setdefault(
            p.region_code,
            {"code": p.region_code, "name": p.region_name, "series": "", "values": {}},
        )
        entry["values"][p.year] = p.population
        if p.series != "observed":
            entry["series"] = p.series
    out = []
    for entry in by_region.values():
        observed_years = [y for y in entry["values"] if y <= 2025]
        last = max(observed_years) if observed_years else None
        entry["observed_year"] = last
        entry["observed"] = entry["values"].get(last) if last else None
        for y in (2030, 2035, 2040):
            entry[f"p{y}"] = entry["values"].get(y)
        base = entry["observed"]
        entry["change_2040"] = (entry["p2040"] / base - 1.0) if base and entry["p2040"] else None
        out.append(entry)
    return out
