"""Writing validated observations as one import batch (the only writer of observations).

Callers validate first (:mod:`datasmart.indicators.imports`, the reference loaders,
population fills) and call :func:`write_batch` inside their transaction: the batch row, the
observations and the audit event commit or roll back together.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

import polars as pl
from django.db import transaction

from datasmart.accounts.audit import SystemActor, record_event
from datasmart.geo.loaders import bulk_insert

from .models import ImportBatch, Indicator, Observation

if TYPE_CHECKING:
    from django.http import HttpRequest

DELETE_CHUNK = 5000


class CleanRow(NamedTuple):
    """One validated observation, ready to insert (ids, not codes)."""

    indicator_id: int
    unit_id: int
    period: int
    sex: str
    age_group: str
    numerator: float | None
    denominator: float | None
    value: float | None
    status: str
    denominator_year: int | None = None
    """Set when ``denominator`` is another year's population (see PopulationLookup)."""

    def key(self) -> tuple[int, int, int, str, str]:
        return (self.indicator_id, self.unit_id, self.period, self.sex, self.age_group)


ROW_SCHEMA = {
    "indicator_id": pl.Int64,
    "unit_id": pl.Int64,
    "period": pl.Int64,
    "sex": pl.String,
    "age_group": pl.String,
    "numerator": pl.Float64,
    "denominator": pl.Float64,
    "value": pl.Float64,
    "status": pl.String,
    "denominator_year": pl.Int64,
}


def indicator_codes(indicators: Sequence[Indicator]) -> str:
    """The sorted, comma-separated codes stored on a batch (the re-import key with the hash)."""
    return ",".join(sorted({i.code for i in indicators}))


def _actor(by: Any) -> tuple[Any, str]:
    if by is None or isinstance(by, SystemActor):
        return None, getattr(by, "username", "")
    return (by if getattr(by, "pk", None) is not None else None), by.get_username()


def write_batch(
    *,
    rows: Sequence[CleanRow],
    indicators: Sequence[Indicator],
    file_name: str,
    sha256: str,
    kind: str,
    by: Any,
    dataset: str = "",
    replace_all: bool = False,
    request: HttpRequest | None = None,
) -> ImportBatch:
    """Record a batch and store its rows, replacing observations with the same key.

    ``replace_all`` first removes every observation of ``indicators`` (a reference file
    that is the whole series); otherwise only cells present in ``rows`` are replaced.
    """
    user, username = _actor(by)
    with transaction.atomic():
        batch = ImportBatch.objects.create(
            indicator_codes=indicator_codes(indicators),
            user=user,
            actor_username=username,
            file_name=file_name[:300],
            sha256=sha256,
            row_count=len(rows),
            kind=kind,
            dataset=dataset,
        )
        batch.indicators.set(indicators)
        existing = Observation.objects.filter(indicator__in=list(indicators))
        if replace_all:
            replaced = existing.count()
            existing.delete()
        else:
            wanted = {r.key() for r in rows}
            periods = sorted({r.period for r in rows})
            stale = [
                pk
                for pk, *key in existing.filter(period__in=periods).values_list(
                    "pk", "indicator_id", "unit_id", "period", "sex", "age_group"
                )
                if tuple(key) in wanted
            ]
            replaced = len(stale)
            for start in range(0, len(stale), DELETE_CHUNK):
                Observation.objects.filter(pk__in=stale[start : start + DELETE_CHUNK]).delete()
        if rows:
            frame = pl.DataFrame(rows, schema=ROW_SCHEMA, orient="row").sort(
                ["indicator_id", "unit_id", "period", "sex", "age_group"]
            )
            frame = frame.with_columns(pl.lit(batch.pk, dtype=pl.Int64).alias("batch_id"))
            bulk_insert(Observation._meta.db_table, frame.columns, frame)
        record_event(
            "indicators.import",
            actor=by,
            target=batch,
            detail={
                "file": batch.file_name,
                "sha256": sha256,
                "rows": len(rows),
                "replaced": replaced,
                "kind": kind,
                "indicators": sorted(i.code for i in indicators)[:50],
            },
            request=request,
        )
    return batch
