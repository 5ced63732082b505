"""Small-number suppression with secondary suppression (disclosure control)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, NamedTuple

import numpy as np
import numpy.typing as npt

from datasmart.stats._validation import (
    as_array,
    check_finite,
    check_nan_policy,
    check_nonnegative,
    check_positive_scalar,
)

__all__ = ["SuppressionResult", "suppress"]

OK = "ok"
PRIMARY = "primary"
SECONDARY = "secondary"
MISSING = "missing"


class SuppressionResult(NamedTuple):
    """Result of :func:`suppress`."""

    mask: npt.NDArray[np.bool_]
    """True where the cell must be hidden (primary or secondary)."""
    status: npt.NDArray[np.str_]
    """Per cell: ``"ok"``, ``"primary"`` (small count), ``"secondary"`` (hidden
    to protect a primary cell) or ``"missing"`` (NaN input, with
    ``nan_policy="propagate"``)."""


def _secondary_along(
    values: npt.NDArray[np.float64], mask: npt.NDArray[np.bool_], axis: int
) -> npt.NDArray[np.bool_]:
    """Along *axis*, where exactly one cell is hidden, hide the smallest shown cell too."""
    v = np.moveaxis(values, axis, -1)
    m = np.moveaxis(mask, axis, -1)
    need = m.sum(axis=-1) == 1
    if not need.any():
        return mask
    # Prefer the smallest positive shown count; a hidden 0 protects little, so zeros
    # (and missing cells) are chosen only when nothing else is left.
    big = np.finfo(np.float64).max
    key = np.where(m | np.isnan(v), np.inf, np.where(v > 0, v, big))
    idx = np.argmin(key, axis=-1)[..., None]
    add = need & np.isfinite(np.take_along_axis(key, idx, axis=-1)[..., 0])
    new = m.copy()
    np.put_along_axis(new, idx, np.take_along_axis(m, idx, axis=-1) | add[..., None], axis=-1)
    return np.moveaxis(new, -1, axis)


def suppress(
    counts: npt.ArrayLike,
    threshold: float = 5,
    *,
    hide_zero: bool = False,
    secondary_axes: int | Sequence[int] | None = -1,
    nan_policy: Literal["raise", "propagate"] = "raise",
) -> SuppressionResult:
    r"""Hide small counts, and enough other cells that they cannot be recomputed.

    Parameters
    ----------
    counts : array_like
        Non-negative counts. Along each axis in *secondary_axes* the cells are
        assumed to add up to a published total (a row of a table, the age bands
        of a kommun, the kommuner of a region).
    threshold : float, default 5
        Counts ``1 <= c < threshold`` are hidden (primary suppression), i.e.
        1–4 by default, the usual Swedish practice (Socialstyrelsen, SCB).
    hide_zero : bool, default False
        Whether a count of 0 is also hidden. Default: zeros are shown, since
        "nobody" discloses nothing about an individual; set True where a zero
        itself is sensitive (e.g. "no one in this unit was *not* treated").
    secondary_axes : int or sequence of int or None, default -1
        Axes whose cells sum to a published total. Along each, a group with
        exactly one hidden cell also gets its smallest shown positive cell
        hidden (zeros only as a last resort); with several axes (row and
        column totals) the rule is repeated until nothing changes. ``None``
        switches secondary suppression off.
    nan_policy : {"raise", "propagate"}, default "raise"
        ``"propagate"`` marks NaN cells ``"missing"`` (not hidden, not
        protecting anything).

    Returns
    -------
    SuppressionResult
        ``mask`` (bool) and ``status`` (str) arrays shaped like *counts*.

    Notes
    -----
    Primary rule for a cell count :math:`c` and threshold :math:`k`:

    .. math::

        \text{hide}(c) \iff 1 \le c < k \quad (\text{or } 0 \le c < k
        \text{ with hide\_zero})

    Secondary rule along a group :math:`G` whose total is published: if
    :math:`|\{i \in G : \text{hidden}_i\}| = 1`, hide
    :math:`\arg\min_{i \in G,\ \neg\text{hidden}_i,\ c_i > 0} c_i` as well, since
    otherwise :math:`c_{hidden} = \text{total} - \sum_{shown} c_i`. A group of a
    single cell cannot be protected this way: suppress its total instead.

    References
    ----------
    .. [1] Hundepool A, Domingo-Ferrer J, Franconi L, et al. Statistical
       Disclosure Control. Wiley 2012 (ch. 5, primary and secondary
       suppression in frequency tables).
    .. [2] Socialstyrelsen. Statistik om … — "Uppgifter med färre än 5
       individer redovisas inte" (small-number rule in official Swedish health
       statistics).

    Examples
    --------
    >>> r = suppress([[12, 3, 40, 7], [20, 30, 25, 0]])
    >>> r.mask.astype(int).tolist()
    [[0, 1, 0, 1], [0, 0, 0, 0]]
    >>> r.status[0].tolist()
    ['ok', 'primary', 'ok', 'secondary']
    """
    check_nan_policy(nan_policy)
    k = check_positive_scalar("threshold", threshold)
    c = as_array("counts", counts)
    check_finite("counts", c, nan_policy)
    check_nonnegative("counts", c)
    lowest = 0.0 if hide_zero else 1.0
    primary = (c >= lowest) & (c < k)
    mask = primary.copy()
    if secondary_axes is not None and c.ndim > 0:
        axes = [secondary_axes] if isinstance(secondary_axes, int) else list(secondary_axes)
        for ax in axes:
            if not -c.ndim <= ax < c.ndim:
                raise ValueError(
                    f"secondary_axes contains {ax}, out of range for counts with {c.ndim} dim(s)"
                )
        for _ in range(c.size + 1):  # each pass hides at least one cell or stops
            before = mask
            for ax in axes:
                mask = _secondary_along(c, mask, ax)
            if np.array_equal(before, mask):
                break
    status = np.where(primary, PRIMARY, np.where(mask, SECONDARY, OK))
    status = np.where(np.isnan(c), MISSING, status)
    return SuppressionResult(mask=mask, status=np.asarray(status, dtype=np.str_))
