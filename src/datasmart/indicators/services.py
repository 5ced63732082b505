"""The indicator app's service layer: queries shared by API, CLI and pages, and the writes.

Writes (each one transaction, with an audit event; a user ``by`` is checked, ``SYSTEM`` is
the CLI):

- :func:`sync_catalogue` — TOML catalogue → :class:`Indicator` rows (``EDIT_INDICATORS``).
- :func:`import_observations` — a CSV/Excel file → observations (``IMPORT_DATA``).
- :func:`fill_from_population` — numerators/denominators from geo population (``IMPORT_DATA``).
- :func:`load_real_indicators` — catalogue + every reference dataset in ``DATA_DIR``.

Reads: :func:`list_indicators`, :func:`get_indicator`, :func:`observations`,
:func:`list_batches`.

For other domains: this module is the indicator app's front door (the import rule of
tests/architecture: a domain imports another only through its ``services`` or ``rights``).
SIP publishes its statistics as indicators and the needs app reads published results, so
the names they use are re-exported here — the models (:class:`Indicator`,
:class:`Result`, :class:`ImportBatch`, :class:`ImportKind`, :class:`ObservationStatus`),
periods (:func:`month_period`, :func:`format_period`), the batch writer
(:class:`CleanRow`, :func:`write_batch`), the computation (:func:`compute_indicator`,
:class:`ComputeReport`, :func:`units_frame`), the unit profile (:func:`unit_profile`) and
the one rounding (:func:`round_half_up`, :func:`rounded`, :func:`decimals_for`,
:func:`format_value`). A name another domain needs and that is missing here is added
here, not imported from the module behind it.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from datasmart.geo.services import get_unit, parse_level

from . import engine
from .catalogue import SyncReport, read_catalogue, sync_catalogue
from .imports import ImportResult, import_observations
from .loaders import RealLoadReport, load_real_indicators
from .models import ImportBatch, ImportKind, Indicator, Observation, ObservationStatus, Result
from .periods import format_period, month_period
from .population import FillReport, fill_from_population
from .results import ComputeReport, compute_indicator, indicator_spec, unit_profile, units_frame
from .rounding import decimals_for, format_value, round_half_up, rounded
from .writes import CleanRow, write_batch

__all__ = [
    "CleanRow",
    "ComputeReport",
    "FillReport",
    "ImportBatch",
    "ImportKind",
    "ImportResult",
    "Indicator",
    "IndicatorNotFound",
    "ObservationStatus",
    "RealLoadReport",
    "Result",
    "SyncReport",
    "compute_indicator",
    "decimals_for",
    "fill_from_population",
    "format_period",
    "format_value",
    "get_indicator",
    "import_observations",
    "list_batches",
    "list_indicators",
    "load_real_indicators",
    "month_period",
    "observations",
    "read_catalogue",
    "round_half_up",
    "rounded",
    "sync_catalogue",
    "unit_profile",
    "unit_trend",
    "units_frame",
    "write_batch",
]


class IndicatorNotFound(LookupError):
    """No indicator with that code; the message is safe to show."""

    def __init__(self, code: str) -> None:
        self.code = code
        super().__init__(_("Ingen indikator med koden '%(code)s' finns.") % {"code": code})


def list_indicators(
    *, group: str | None = None, type: str | None = None, level: str | None = None
) -> list[Indicator]:
    """Indicators ordered by code, optionally filtered by catalogue group, type and level."""
    qs = Indicator.objects.order_by("code")
    if group:
        qs = qs.filter(group=group)
    if type:
        qs = qs.filter(type=type)
    items = list(qs)
    if level:
        wanted = str(parse_level(level))
        items = [i for i in items if wanted in i.levels]  # JSON containment differs per DB
    return items


def get_indicator(code: str) -> Indicator:
    try:
        return Indicator.objects.get(code=code)
    except Indicator.DoesNotExist:
        raise IndicatorNotFound(code) from None


def observations(
    indicator: Indicator,
    *,
    unit: str | None = None,
    level: str | None = None,
    period: int | None = None,
    period_from: int | None = None,
    period_to: int | None = None,
    sex: str | None = None,
    age_group: str | None = None,
    status: str | None = None,
) -> QuerySet[Observation]:
    """Observations of ``indicator`` in a stable order (period, unit code, sex, age group)."""
    qs = Observation.objects.filter(indicator=indicator).select_related("unit")
    if unit:
        qs = qs.filter(unit=get_unit(unit))
    if level:
        qs = qs.filter(unit__level=parse_level(level))
    if period is not None:
        qs = qs.filter(period=period)
    if period_from is not None:
        qs = qs.filter(period__gte=period_from)
    if period_to is not None:
        qs = qs.filter(period__lte=period_to)
    if sex:
        qs = qs.filter(sex=sex)
    if age_group is not None:
        qs = qs.filter(age_group=age_group)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("period", "unit__code", "sex", "age_group")


def list_batches(*, indicator: Indicator | None = None) -> QuerySet[ImportBatch]:
    """Import history, newest first."""
    qs = ImportBatch.objects.prefetch_related("indicators").order_by("-created_at", "-id")
    if indicator is not None:
        qs = qs.filter(indicators=indicator)
    return qs


def unit_trend(
    indicator: Indicator, unit_code: str, *, periods: int | None = 5, until: int | None = None
) -> dict[str, object] | None:
    """The engine's trend test (:func:`datasmart.indicators.engine.trend`: Cochran–Armitage
    for proportions, Poisson regression for rates and counts; Fingertips' "recent trend"
    rule, every period of the window must have a shown numerator and denominator) over
    the stored total results (both sexes, all ages) of one unit.

    Why here: plans judge goals with the same trend the indicator pages would show, so
    the test runs on the stored (already suppressed) results and is not re-implemented.
    ``until`` (a year) leaves out later periods, for a follow-up of a past year.
    Returns the trend row as a dict (``direction``, ``assessment``, ``slope``,
    ``p_value``, ``first_period``, ``last_period``, ``n_periods``, ``method`` …) or None
    when the unit has no results."""
    import polars as pl

    qs = Result.objects.filter(indicator=indicator, unit__code=unit_code, sex="T", age_group="")
    if until is not None:  # a year: its own periods and its months (YYYYMM)
        qs = qs.filter(Q(period__lte=until) | Q(period__gt=9999, period__lte=until * 100 + 12))
    rows = list(
        qs.order_by("period").values_list("level", "period", "numerator", "denominator", "status")
    )
    if not rows:
        return None
    frame = pl.DataFrame(
        [(unit_code, lv, p, num, den, st, "T", "") for lv, p, num, den, st in rows],
        schema={
            "unit_code": pl.Utf8,
            "level": pl.Utf8,
            "period": pl.Int64,
            "numerator": pl.Float64,
            "denominator": pl.Float64,
            "status": pl.Utf8,
            "sex": pl.Utf8,
            "age_group": pl.Utf8,
        },
        orient="row",
    )
    spec = indicator_spec(indicator)
    try:
        out = engine.trend(frame.with_columns(indicator_id=pl.lit(spec.id)), spec, periods=periods)
    except ValueError:
        return None
    return out.row(0, named=True) if out.height else None
