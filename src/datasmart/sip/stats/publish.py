"""SIP statistics as indicators: monthly counts per kommun, through the indicator engine.

:func:`publish_sip_indicators` counts plans and meetings (dates, organisations,
geography and closure reasons; nothing personal), writes them as observations of the
``sip-*`` indicators (``indicators/catalogue/sip.toml``) and recomputes those indicators,
so they get maps, trends, comparisons and small-number suppression like every indicator.
Everything — catalogue sync, observations, results — is one transaction: readers see the
old figures or the new ones, never a mix.

Counting (each measure is one aggregating query, grouped by kommun and month in the
database; no loop over plans in Python):

==================================  =====================================================
``sip-started``                     plans by month of ``started_at``
``sip-first-meeting-within-target`` of the plans started in the month whose target time
                                    (start + ``SIP_FIRST_MEETING_DAYS``) has passed, those
                                    whose first meeting was held within it
``sip-follow-up-held``              of the plans with a follow-up meeting scheduled in the
                                    month (time passed), those where one of them was held
``sip-closed-<reason>``             closed plans by month of ``closed_at`` and reason
``sip-days-to-first-meeting``       median days from start to the first meeting held, by
                                    month of start; computed directly per kommun, region
                                    and nation (a median cannot be summed), 1–4 plans
                                    suppressed before it is stored
==================================  =====================================================

Months are calendar months in Swedish time (``settings.TIME_ZONE``), stored as ``YYYYMM``
(:mod:`datasmart.indicators.periods`). A plan's kommun is ``Sip.kommun`` (the owner
organisation's kommun) or, for a plan started by a region organisation, the kommun of
the first kommun organisation invited to it; its region is that kommun's region, so
every region is exactly the sum of its kommuner. Plans without a kommun yet are left
out and counted in :attr:`PublishReport.unplaced`.

The observations hold the raw counts (the engine needs them to sum kommuner into regions
and to suppress consistently); the catalogue marks them ``observations_public = false``,
so they are never served. Every kommun gets a row for every month (0 when nothing
happened; ``not_applicable`` for a proportion with no plans to measure), because the
engine only sums a region when all its kommuner have a figure.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

import polars as pl
from django.conf import settings
from django.db import transaction
from django.db.models import (
    BigIntegerField,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from datasmart.accounts.audit import SYSTEM, SystemActor
from datasmart.accounts.permissions import Permission
from datasmart.geo.models import Level, Unit
from datasmart.indicators.rights import require_national
from datasmart.indicators.services import (
    CleanRow,
    ComputeReport,
    ImportKind,
    Indicator,
    ObservationStatus,
    compute_indicator,
    month_period,
    sync_catalogue,
    units_frame,
    write_batch,
)
from datasmart.sip.domain.plausibility import EARLIEST_EVENT
from datasmart.sip.models import (
    CloseReason,
    Meeting,
    MeetingKind,
    Participant,
    ParticipantKind,
    Sip,
    SipStatus,
)

__all__ = [
    "CLOSED_CODES",
    "DATASET",
    "INDICATOR_CODES",
    "SUPPRESSION_THRESHOLD",
    "PublishReport",
    "SipCounts",
    "count_sips",
    "publish_sip_indicators",
]

DATASET: Final = "sip"
FILE_NAME: Final = "datasmart SIP"
SUPPRESSION_THRESHOLD: Final = 5
STARTED: Final = "sip-started"
FIRST_MEETING: Final = "sip-first-meeting-within-target"
FOLLOW_UP: Final = "sip-follow-up-held"
DAYS_TO_FIRST: Final = "sip-days-to-first-meeting"
CLOSED_CODES: Final = {
    reason.value: f"sip-closed-{reason.value.replace('_', '-')}" for reason in CloseReason
}
INDICATOR_CODES: Final = (STARTED, FIRST_MEETING, FOLLOW_UP, DAYS_TO_FIRST, *CLOSED_CODES.values())

#: No month before SIP came into law is counted (a plan dated year 1 by a bad import
#: would otherwise make every month since then a row for every kommun).
FIRST_MONTH: Final = month_period(EARLIEST_EVENT)
#: ``now`` may lie at most this far ahead (publishing "as of" a later day is a mistake).
MAX_AHEAD: Final = dt.timedelta(days=366)

Progress = Callable[[int, int, str], None]
KEYS: Final = ("kommun_id", "period")
_COUNT_SCHEMA: Final = {"kommun_id": pl.Int64, "period": pl.Int64, "n": pl.Int64}
_PROPORTION_SCHEMA: Final = {
    "kommun_id": pl.Int64,
    "period": pl.Int64,
    "numerator": pl.Int64,
    "denominator": pl.Int64,
}


def first_meeting_days() -> int:
    """Target days from start to the first meeting (``settings.SIP_FIRST_MEETING_DAYS``)."""
    return int(getattr(settings, "SIP_FIRST_MEETING_DAYS", 30))


# --- counting ----------------------------------------------------------------------------


def statistical_kommun(sip_ref: str = "pk", prefix: str = "") -> Coalesce:
    """The kommun a plan counts in: its own, else its first invited kommun organisation's.

    ``sip_ref``/``prefix`` let the same expression be used from :class:`Meeting`
    (``"sip_id"``, ``"sip__"``).
    """
    invited_kommun = (
        Participant.objects.filter(
            sip_id=OuterRef(sip_ref),
            kind=ParticipantKind.ORGANISATION,
            organisation__unit__level=Level.KOMMUN,
        )
        .order_by("invited_at", "id")
        .values("organisation__unit_id")[:1]
    )
    return Coalesce(f"{prefix}kommun_id", Subquery(invited_kommun), output_field=BigIntegerField())


def _month(row_month: dt.datetime | dt.date | None) -> int | None:
    return month_period(row_month) if row_month is not None else None


def _frame(rows: list[tuple[Any, ...]], schema: dict[str, Any]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=schema, orient="row")


@dataclass(frozen=True)
class SipCounts:
    """Raw monthly figures per kommun (unit id), before suppression.

    ``started``: ``kommun_id, period, n``. ``first_meeting`` and ``follow_up``:
    ``kommun_id, period, numerator, denominator``. ``closed``: ``kommun_id, period,
    reason, n``. ``days_to_first``: one row per plan with a first meeting held,
    ``kommun_id, period, days``. ``unplaced``: plans (started by ``now``) without a kommun.
    Only cells with something in them appear; :func:`observation_frame` fills the zeros.
    """

    started: pl.DataFrame
    first_meeting: pl.DataFrame
    follow_up: pl.DataFrame
    closed: pl.DataFrame
    days_to_first: pl.DataFrame
    unplaced: int
    now: dt.datetime
    target_days: int


def _start_moment() -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(EARLIEST_EVENT, dt.time()))


def _plans(now: dt.datetime) -> QuerySet[Sip]:
    return Sip.objects.filter(started_at__gte=_start_moment(), started_at__lte=now).annotate(
        kommun_key=statistical_kommun()
    )


def _check_now(now: dt.datetime) -> None:
    """The counting day must lie between SIP's start and a year ahead, so the month grid
    (kommuner × months) stays bounded whatever ``--now`` says."""
    if now < _start_moment() or now > timezone.now() + MAX_AHEAD:
        raise ValueError(
            f"Tidpunkten {now.date().isoformat()} är orimlig: den ska ligga mellan "
            f"{EARLIEST_EVENT:%Y-%m-%d} och ett år fram i tiden."
        )


def _first_held() -> Subquery:
    held = Meeting.objects.filter(
        sip_id=OuterRef("pk"), kind=MeetingKind.FIRST, held_at__isnull=False
    ).order_by("held_at")
    return Subquery(held.values("held_at")[:1])


def count_sips(now: dt.datetime | None = None, *, target_days: int | None = None) -> SipCounts:
    """Count everything the SIP indicators need, as of ``now`` (one query per measure)."""
    now = now or timezone.now()
    _check_now(now)
    days = first_meeting_days() if target_days is None else int(target_days)
    if days < 0:
        raise ValueError("SIP_FIRST_MEETING_DAYS kan inte vara negativt.")
    target = dt.timedelta(days=days)
    placed = _plans(now).filter(**{"kommun_key__isnull": False})

    # Started, and first meeting within the target: one pass over the start cohorts.
    eligible = Q(started_at__lte=now - target)
    cohorts = (
        placed.annotate(month=TruncMonth("started_at"), first_held=_first_held())
        .values("kommun_key", "month")
        .annotate(
            started=Count("pk"),
            den=Count("pk", filter=eligible),
            num=Count("pk", filter=eligible & Q(first_held__lte=F("started_at") + target)),
        )
        .order_by()
    )
    cohort_rows = [
        (r["kommun_key"], _month(r["month"]), r["started"], r["num"], r["den"]) for r in cohorts
    ]
    started = _frame([(k, p, n) for k, p, n, _, _ in cohort_rows], _COUNT_SCHEMA)
    first = _frame([(k, p, num, den) for k, p, _, num, den in cohort_rows], _PROPORTION_SCHEMA)

    follow = (
        Meeting.objects.filter(
            kind=MeetingKind.FOLLOW_UP, scheduled_at__gte=_start_moment(), scheduled_at__lte=now
        )
        .annotate(
            kommun_key=statistical_kommun("sip_id", "sip__"), month=TruncMonth("scheduled_at")
        )
        .filter(kommun_key__isnull=False)
        .values("kommun_key", "month")
        .annotate(
            den=Count("sip_id", distinct=True),
            num=Count("sip_id", distinct=True, filter=Q(held_at__isnull=False)),
        )
        .order_by()
    )
    follow_up = _frame(
        [(r["kommun_key"], _month(r["month"]), r["num"], r["den"]) for r in follow],
        _PROPORTION_SCHEMA,
    )

    closed_qs = (
        placed.filter(status=SipStatus.CLOSED, closed_at__gte=_start_moment(), closed_at__lte=now)
        .annotate(month=TruncMonth("closed_at"))
        .values("kommun_key", "month", "closed_reason")
        .annotate(n=Count("pk"))
        .order_by()
    )
    closed = _frame(
        [(r["kommun_key"], _month(r["month"]), r["closed_reason"], r["n"]) for r in closed_qs],
        {"kommun_id": pl.Int64, "period": pl.Int64, "reason": pl.Utf8, "n": pl.Int64},
    )

    # A median needs the individual durations: one row per plan, but only three numbers
    # each, reduced in polars (no Python loop).
    delays = (
        placed.annotate(month=TruncMonth("started_at"), first_held=_first_held())
        .filter(first_held__isnull=False)
        .annotate(
            delay=ExpressionWrapper(F("first_held") - F("started_at"), output_field=DurationField())
        )
        .values_list("kommun_key", "month", "delay")
        .order_by()
    )
    delay_rows = list(delays)
    days_frame = pl.DataFrame(
        {
            "kommun_id": [r[0] for r in delay_rows],
            "period": [_month(r[1]) for r in delay_rows],
            "delay": [r[2] for r in delay_rows],
        },
        schema={"kommun_id": pl.Int64, "period": pl.Int64, "delay": pl.Duration("us")},
    )
    days_to_first = days_frame.select(
        "kommun_id",
        "period",
        days=pl.col("delay").dt.total_microseconds().cast(pl.Float64) / 86_400e6,
    )
    unplaced = _plans(now).filter(**{"kommun_key__isnull": True}).count()
    return SipCounts(
        started=started,
        first_meeting=first,
        follow_up=follow_up,
        closed=closed,
        days_to_first=days_to_first,
        unplaced=unplaced,
        now=now,
        target_days=days,
    )


# --- observations ------------------------------------------------------------------------


def _months(first: int, last: int) -> list[int]:
    out = []
    year, month = divmod(first, 100)
    while year * 100 + month <= last:
        out.append(year * 100 + month)
        month += 1
        if month > 12:
            year, month = year + 1, 1
    return out


def geography_kommuner() -> pl.DataFrame:
    """``kommun_id, kommun_code, region_id, region_code`` of the 290 kommuner."""
    rows = Unit.objects.filter(level=Level.KOMMUN, region__isnull=False).values_list(
        "pk", "code", "region_id", "region__code"
    )
    return pl.DataFrame(
        list(rows),
        schema={
            "kommun_id": pl.Int64,
            "kommun_code": pl.Utf8,
            "region_id": pl.Int64,
            "region_code": pl.Utf8,
        },
        orient="row",
    )


def _grid(kommuner: pl.DataFrame, months: list[int]) -> pl.DataFrame:
    return kommuner.select("kommun_id").join(
        pl.DataFrame({"period": months}, schema={"period": pl.Int64}), how="cross"
    )


def _count_rows(grid: pl.DataFrame, counts: pl.DataFrame, indicator_id: int) -> pl.DataFrame:
    joined = grid.join(counts.select(*KEYS, "n"), on=list(KEYS), how="left")
    n = pl.col("n").fill_null(0).cast(pl.Float64)
    return joined.select(
        indicator_id=pl.lit(indicator_id, pl.Int64),
        unit_id="kommun_id",
        period="period",
        numerator=n,
        denominator=pl.lit(None, pl.Float64),
        value=n,
        status=pl.lit(ObservationStatus.OK.value),
    )


def _proportion_rows(
    grid: pl.DataFrame, counts: pl.DataFrame, indicator_id: int, multiplier: float
) -> pl.DataFrame:
    joined = grid.join(counts, on=list(KEYS), how="left")
    den = pl.col("denominator").fill_null(0).cast(pl.Float64)
    num = pl.col("numerator").fill_null(0).cast(pl.Float64)
    some = den > 0
    return joined.select(
        indicator_id=pl.lit(indicator_id, pl.Int64),
        unit_id="kommun_id",
        period="period",
        numerator=pl.when(some).then(num),
        denominator=pl.when(some).then(den),
        value=pl.when(some).then(num / den * multiplier),
        # Nothing to measure: not applicable (adds nothing to the region's sum).
        status=pl.when(some)
        .then(pl.lit(ObservationStatus.OK.value))
        .otherwise(pl.lit(ObservationStatus.NOT_APPLICABLE.value)),
    )


def _median_rows(
    days: pl.DataFrame, kommuner: pl.DataFrame, nation_id: int, indicator_id: int
) -> pl.DataFrame:
    """Median days per kommun, region and nation × month; 1–4 plans suppressed at source."""
    placed = days.join(kommuner.select("kommun_id", "region_id"), on="kommun_id", how="inner")
    levels = [
        placed.select(unit_id="kommun_id", period="period", days="days"),
        placed.select(unit_id="region_id", period="period", days="days"),
        placed.select(unit_id=pl.lit(nation_id, pl.Int64), period="period", days="days"),
    ]
    per_unit = (
        pl.concat(levels)
        .group_by("unit_id", "period")
        .agg(n=pl.len(), median=pl.col("days").median())
    )
    shown = pl.col("n") >= SUPPRESSION_THRESHOLD
    return per_unit.select(
        indicator_id=pl.lit(indicator_id, pl.Int64),
        unit_id=pl.col("unit_id").cast(pl.Int64),
        period=pl.col("period").cast(pl.Int64),
        numerator=pl.lit(None, pl.Float64),
        denominator=pl.lit(None, pl.Float64),
        value=pl.when(shown).then(pl.col("median").round(1)),
        status=pl.when(shown)
        .then(pl.lit(ObservationStatus.OK.value))
        .otherwise(pl.lit(ObservationStatus.SUPPRESSED_AT_SOURCE.value)),
    )


_ROW_COLUMNS: Final = (
    "indicator_id",
    "unit_id",
    "period",
    "sex",
    "age_group",
    "numerator",
    "denominator",
    "value",
    "status",
)


def observation_frame(counts: SipCounts, indicators: dict[str, Indicator]) -> pl.DataFrame:
    """Every observation of the SIP indicators (columns of :class:`CleanRow`), sorted.

    Months run from the first month with any plan, meeting or closure to ``now``'s month,
    never before :data:`FIRST_MONTH` (anything earlier is left out).
    """
    kommuner = geography_kommuner()
    known = kommuner.select("kommun_id")
    frames = {
        "started": counts.started,
        "first": counts.first_meeting,
        "follow": counts.follow_up,
        "closed": counts.closed,
        "days": counts.days_to_first,
    }
    frames = {
        k: f.join(known, on="kommun_id", how="semi").filter(pl.col("period") >= FIRST_MONTH)
        for k, f in frames.items()
    }
    periods = [p for f in frames.values() for p in f["period"].to_list()]
    if not periods:
        return pl.DataFrame(schema={c: pl.Int64 for c in _ROW_COLUMNS})
    last = max(max(periods), month_period(timezone.localtime(counts.now).date()))
    grid = _grid(kommuner, _months(min(periods), last))
    nation_id = int(Unit.objects.values_list("pk", flat=True).get(level=Level.NATION))
    parts = [
        _count_rows(grid, frames["started"], indicators[STARTED].pk),
        _proportion_rows(
            grid,
            frames["first"],
            indicators[FIRST_MEETING].pk,
            indicators[FIRST_MEETING].multiplier,
        ),
        _proportion_rows(
            grid, frames["follow"], indicators[FOLLOW_UP].pk, indicators[FOLLOW_UP].multiplier
        ),
        _median_rows(frames["days"], kommuner, nation_id, indicators[DAYS_TO_FIRST].pk),
    ]
    for reason, code in CLOSED_CODES.items():
        of_reason = frames["closed"].filter(pl.col("reason") == reason)
        parts.append(_count_rows(grid, of_reason, indicators[code].pk))
    return (
        pl.concat(parts, how="vertical_relaxed")
        .with_columns(sex=pl.lit("T"), age_group=pl.lit(""))
        .select(_ROW_COLUMNS)
        .sort("indicator_id", "unit_id", "period")
    )


# --- publishing --------------------------------------------------------------------------


@dataclass
class PublishReport:
    """What :func:`publish_sip_indicators` did."""

    observations: int = 0
    months: list[int] = field(default_factory=list)
    plans: int = 0
    unplaced: int = 0
    target_days: int = 0
    sha256: str = ""
    unchanged: bool = False
    computed: list[ComputeReport] = field(default_factory=list)
    seconds: float = 0.0


def _indicators(by: Any) -> dict[str, Indicator]:
    missing = set(INDICATOR_CODES) - set(
        Indicator.objects.filter(code__in=INDICATOR_CODES).values_list("code", flat=True)
    )
    if missing:
        sync_catalogue(by=by)
    found = {i.code: i for i in Indicator.objects.filter(code__in=INDICATOR_CODES)}
    if set(found) != set(INDICATOR_CODES):
        raise LookupError(
            "SIP-indikatorerna saknas i katalogen: "
            + ", ".join(sorted(set(INDICATOR_CODES) - set(found)))
        )
    return found


def _last_sha256() -> str | None:
    from datasmart.indicators.services import ImportBatch

    batch = ImportBatch.objects.filter(dataset=DATASET).order_by("-created_at", "-id").first()
    return batch.sha256 if batch is not None else None


def publish_sip_indicators(
    by: Any = SYSTEM,
    *,
    now: dt.datetime | None = None,
    target_days: int | None = None,
    force: bool = False,
    progress: Progress | None = None,
) -> PublishReport:
    """Count, write the observations and recompute the SIP indicators, in one transaction.

    ``by`` is ``SYSTEM`` (CLI, scheduled job) or a user holding ``EDIT_INDICATORS`` in a
    national organisation: publishing rewrites every kommun's and region's SIP figures, so
    an analyst responsible for one kommun may not (a denial is audited). When the counts
    are the same as at the last publication (same SHA-256 of the observations) nothing is
    written unless ``force``. ``progress(done,
    total, label)`` drives a progress bar.
    """
    if not isinstance(by, SystemActor):
        require_national(by, Permission.EDIT_INDICATORS, what="Att publicera SIP-statistiken")
    started = time.monotonic()
    total = 3 + len(INDICATOR_CODES)

    def step(done: int, label: str) -> None:
        if progress is not None:
            progress(done, total, label)

    step(0, "SIP: räknar planer och möten")
    counts = count_sips(now, target_days=target_days)
    report = PublishReport(unplaced=counts.unplaced, target_days=counts.target_days)
    with transaction.atomic():
        indicators = _indicators(by)
        step(1, "SIP: bygger observationer")
        frame = observation_frame(counts, indicators)
        report.observations = frame.height
        report.months = sorted(set(frame["period"].to_list())) if frame.height else []
        started_rows = frame.filter(pl.col("indicator_id") == indicators[STARTED].pk)
        report.plans = int(started_rows["numerator"].sum() or 0) if started_rows.height else 0
        report.sha256 = hashlib.sha256(frame.write_csv().encode()).hexdigest()
        if not force and report.sha256 == _last_sha256():
            report.unchanged = True
            step(total, "SIP: oförändrat")
            report.seconds = time.monotonic() - started
            return report
        step(2, "SIP: skriver observationer")
        rows = [CleanRow(*row) for row in frame.iter_rows()]
        write_batch(
            rows=rows,
            indicators=list(indicators.values()),
            file_name=f"{FILE_NAME} (första möte inom {counts.target_days} dagar)",
            sha256=report.sha256,
            kind=ImportKind.REFERENCE,
            by=by,
            dataset=DATASET,
            replace_all=True,
        )
        units = units_frame()
        done: dict[str, ComputeReport] = {}
        for i, code in enumerate(INDICATOR_CODES):
            step(3 + i, f"SIP: beräknar {code}")
            if code in done:
                continue  # computed with another member of its disclosure group
            computed = compute_indicator(
                indicators[code],
                by=by,
                units=units,
                suppression_threshold=SUPPRESSION_THRESHOLD,
            )
            done.update({r.indicator: r for r in (computed, *computed.linked)})
        report.computed = [done[code] for code in INDICATOR_CODES]
    step(total, "SIP: klart")
    report.seconds = time.monotonic() - started
    return report
