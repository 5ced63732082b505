"""What an indicator computation is: :class:`IndicatorSpec` and its vocabularies.

This module sits below :mod:`datasmart.indicators.engine` and
:mod:`datasmart.indicators.engine_compare`, which both need the specification; keeping
it here means neither of them imports the other back (no import circle). It is pure
(numpy and :mod:`datasmart.stats`, no Django). :mod:`datasmart.indicators.engine`
re-exports every name, so ``from datasmart.indicators.engine import IndicatorSpec``
keeps working.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from datasmart.indicators.engine_hierarchy import LEVELS
from datasmart.stats import ESP2013, ESP2013_AGEBANDS

__all__ = [
    "ALLOWED_CI",
    "CI_METHODS",
    "INDICATOR_TYPES",
    "POLARITIES",
    "CIMethod",
    "IndicatorSpec",
    "IndicatorType",
    "Polarity",
]

IndicatorType = Literal["proportion", "rate", "mean", "dsr", "count", "value"]
Polarity = Literal["higher_is_better", "lower_is_better", "no_judgement"]
CIMethod = Literal["wilson", "exact", "byar", "auto", "none"]

INDICATOR_TYPES: tuple[str, ...] = ("proportion", "rate", "mean", "dsr", "count", "value")
POLARITIES: tuple[str, ...] = ("higher_is_better", "lower_is_better", "no_judgement")
CI_METHODS: tuple[str, ...] = ("wilson", "exact", "byar", "auto", "none")
ALLOWED_CI: dict[str, tuple[str, ...]] = {
    "proportion": ("wilson", "exact", "none"),
    "rate": ("byar", "exact", "auto", "none"),
    "count": ("byar", "exact", "auto", "none"),
    "dsr": ("byar", "none"),
    "mean": ("none",),
    "value": ("none",),
}
"""Interval methods each type supports (a mean needs a standard deviation, which
numerator/denominator data do not carry)."""


@dataclass(frozen=True)
class IndicatorSpec:
    """How one indicator is computed (validated on construction).

    Parameters
    ----------
    id : str
        Indicator id, copied to the ``indicator_id`` column.
    type : {"proportion", "rate", "mean", "dsr", "count", "value"}
        ``proportion``: numerator/denominator (numerator ≤ denominator);
        ``rate``: events / population; ``mean``: total / count (no interval);
        ``dsr``: directly standardised rate from age-band rows;
        ``count``: the numerator itself; ``value``: a published value with no
        numerator/denominator (e.g. a Kolada percentage).
    multiplier : float
        Scale of the value (100 for percentages, 100 000 for rates per 100 000).
        Must be 1 for counts; not applied to ``value`` indicators (taken as published).
    polarity : {"higher_is_better", "lower_is_better", "no_judgement"}
    ci_method : {"wilson", "exact", "byar", "auto", "none"}
        See :data:`ALLOWED_CI` for the methods each type accepts.
    levels : tuple of str
        Levels to return (the nation and kommungrupp values are computed anyway,
        as comparators).
    aggregatable : bool
        Whether parents may be summed from children; must be False for ``value``.
    confidence : float
        Interval level in (0, 1); also the level of the comparison tests.
    age_bands : tuple of str
        ``dsr``: the age bands (default the 19 ESP 2013 bands). Other types: bands
        that partition the all-ages row ``""`` (used only to protect suppressed
        cells from "total minus other bands").
    standard_population : tuple of float, optional
        ``dsr``: weights per band (default ESP 2013 with the ESP bands).
    """

    id: str
    type: IndicatorType
    multiplier: float
    polarity: Polarity
    ci_method: CIMethod
    levels: tuple[str, ...] = LEVELS
    aggregatable: bool = True
    confidence: float = 0.95
    age_bands: tuple[str, ...] = ()
    standard_population: tuple[float, ...] | None = None

    def __post_init__(self) -> None:
        def bad(message: str) -> ValueError:
            return ValueError(f"IndicatorSpec {self.id!r}: {message}")

        if self.type not in INDICATOR_TYPES:
            raise bad(f"type {self.type!r} is not one of {INDICATOR_TYPES}")
        if self.polarity not in POLARITIES:
            raise bad(f"polarity {self.polarity!r} is not one of {POLARITIES}")
        if self.ci_method not in ALLOWED_CI[self.type]:
            raise bad(
                f"ci_method {self.ci_method!r} does not fit type {self.type!r} "
                f"(allowed: {ALLOWED_CI[self.type]})"
            )
        if not (np.isfinite(self.multiplier) and self.multiplier > 0):
            raise bad(f"multiplier {self.multiplier!r} must be a positive number")
        if self.type == "count" and self.multiplier != 1:
            raise bad("a count indicator has multiplier 1")
        if not 0 < self.confidence < 1:
            raise bad(f"confidence {self.confidence!r} must be a fraction in (0, 1)")
        levels = tuple(self.levels)
        if not levels or any(level not in LEVELS for level in levels):
            raise bad(f"levels {self.levels!r} must be a non-empty subset of {LEVELS}")
        object.__setattr__(self, "levels", levels)
        if self.type == "value" and self.aggregatable:
            raise bad("value-only indicators cannot be aggregated: pass aggregatable=False")
        bands = tuple(self.age_bands)
        if len(set(bands)) != len(bands) or "" in bands:
            raise bad("age_bands must be distinct, non-empty labels")
        if self.type == "dsr":
            if not bands:
                bands = ESP2013_AGEBANDS
            std = self.standard_population
            if std is None:
                if bands != ESP2013_AGEBANDS:
                    raise bad("a dsr with its own age_bands needs standard_population")
                std = tuple(float(w) for w in ESP2013)
            if len(std) != len(bands):
                raise bad(f"standard_population has {len(std)} weights for {len(bands)} bands")
            object.__setattr__(self, "standard_population", tuple(float(w) for w in std))
        elif self.standard_population is not None:
            raise bad("standard_population is only used by dsr indicators")
        object.__setattr__(self, "age_bands", bands)
