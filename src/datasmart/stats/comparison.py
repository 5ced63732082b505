"""Fingertips-style significance comparison of a value's interval with a comparator."""

from __future__ import annotations

from typing import Literal

import numpy as np
import numpy.typing as npt

from datasmart.stats._validation import (
    as_array,
    broadcast,
    check_finite,
    check_method,
    check_not_greater,
)

__all__ = ["POLARITIES", "compare"]

Polarity = Literal["high_is_good", "low_is_good", "no_judgement"]
POLARITIES: tuple[str, ...] = ("high_is_good", "low_is_good", "no_judgement")
"""Accepted polarities: whether a higher value is better, worse, or neither."""


def compare(
    lower: npt.ArrayLike,
    upper: npt.ArrayLike,
    comparator: npt.ArrayLike,
    *,
    polarity: Polarity | None = None,
) -> npt.NDArray[np.str_]:
    r"""Compare each value's confidence interval with a comparator (e.g. the national value).

    Parameters
    ----------
    lower, upper : array_like
        Confidence limits of the values being compared (at the level the caller
        chose, usually 95 %; PHE also uses 99.8 %). NaN (a missing or suppressed
        value) gives ``"not_compared"``.
    comparator : array_like
        The comparator's point value (Sweden, the region, a kommungrupp …),
        broadcast against the limits. NaN gives ``"not_compared"``.
    polarity : {"high_is_good", "low_is_good", "no_judgement"}, optional
        Without polarity (or ``"no_judgement"``) the result says ``"higher"`` /
        ``"lower"``; with one it says ``"better"`` / ``"worse"``.

    Returns
    -------
    ndarray of str
        ``"higher"``, ``"lower"``, ``"similar"`` or ``"not_compared"``; with a
        polarity ``"better"``, ``"worse"``, ``"similar"`` or ``"not_compared"``.

    Raises
    ------
    ValueError
        ``lower > upper`` at some position (named), mismatched shapes, infinite
        limits or an unknown polarity.

    Notes
    -----
    Fingertips compares the value's interval :math:`[L, U]` with the
    comparator's point value :math:`c` (not with the comparator's interval):

    .. math::

        \text{higher} \iff L > c, \qquad \text{lower} \iff U < c, \qquad
        \text{similar otherwise.}

    A limit equal to the comparator counts as similar.

    References
    ----------
    .. [1] Public Health England. Technical Guide: Confidence Intervals. 2018
       (comparing with a benchmark).
    .. [2] OHID. Fingertips user guide: "Compared with benchmark" colouring
       (better / similar / worse; higher / similar / lower).

    Examples
    --------
    >>> compare([12.0, 8.0, 9.5, np.nan], [15.0, 9.0, 11.0, np.nan], 10.0).tolist()
    ['higher', 'lower', 'similar', 'not_compared']
    >>> compare([12.0, 8.0], [15.0, 9.0], 10.0, polarity="low_is_good").tolist()
    ['worse', 'better']
    """
    if polarity is not None:
        check_method(polarity, POLARITIES, "polarity")
    lo = as_array("lower", lower)
    hi = as_array("upper", upper)
    c = as_array("comparator", comparator)
    for name, arr in (("lower", lo), ("upper", hi), ("comparator", c)):
        check_finite(name, arr, "propagate")
    lo, hi, c = broadcast(lower=lo, upper=hi, comparator=c)
    check_not_greater("lower", lo, "upper", hi)
    high_word, low_word = "higher", "lower"
    if polarity == "high_is_good":
        high_word, low_word = "better", "worse"
    elif polarity == "low_is_good":
        high_word, low_word = "worse", "better"
    missing = np.isnan(lo) | np.isnan(hi) | np.isnan(c)
    labels = np.select(
        [missing, lo > c, hi < c], ["not_compared", high_word, low_word], default="similar"
    )
    return np.asarray(labels, dtype=np.str_)
