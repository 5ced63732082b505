"""Assign values to quantiles within groups (PHE method: deciles, quintiles …)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from datasmart.stats._common import FloatArray
from datasmart.stats._validation import as_array, check_finite

__all__ = ["quantile_groups"]


def quantile_groups(
    values: npt.ArrayLike,
    nquantiles: int = 10,
    *,
    groups: npt.ArrayLike | None = None,
    invert: bool | npt.ArrayLike = False,
) -> FloatArray:
    r"""Quantile (1…k) of each value within its group, as PHE's ``phe_quantile``.

    Parameters
    ----------
    values : array_like, shape (m,)
        Indicator values; NaN values get NaN and are not counted.
    nquantiles : int, default 10
        Number of quantiles k (10 deciles, 5 quintiles, 4 quartiles …).
    groups : array_like, shape (m,), optional
        Group key per value (any hashable labels, e.g. region codes); default: one group.
    invert : bool or array_like of bool, default False
        False: quantile 1 holds the lowest values; True: the highest (use True when
        low values are good, so that quantile 1 is always "worst"). Per value it
        must be constant within each group.

    Returns
    -------
    ndarray of float
        Quantile numbers 1…k, NaN for missing values and for groups with fewer
        than k non-missing values.

    Notes
    -----
    With :math:`N` non-missing values in the group and rank :math:`r` (1 =
    smallest, or largest when inverted; ties share the lowest rank):

    .. math::

        Q = \left\lfloor (k + 1) - \left\lceil \frac{N + 1 - r}{N / k} \right\rceil
        \right\rfloor, \quad Q = 1 \text{ where this gives } 0

    References
    ----------
    .. [1] UKHSA. PHEindicatormethods R package, ``phe_quantile`` (v2.1.0).
    .. [2] Public Health England / OHID. Fingertips Public Health Technical
       Guidance: Quantiles and deprivation deciles.

    Examples
    --------
    >>> quantile_groups([5.0, 1.0, 3.0, 2.0, 4.0, np.nan], 5).tolist()
    [5.0, 1.0, 3.0, 2.0, 4.0, nan]
    >>> quantile_groups([5.0, 1.0, 3.0, 2.0], 2, invert=True).tolist()
    [1.0, 2.0, 1.0, 2.0]
    """
    k = int(nquantiles)
    if k != nquantiles or k < 1:
        raise ValueError(f"nquantiles = {nquantiles!r} must be a positive integer")
    v = as_array("values", values)
    if v.ndim != 1:
        raise ValueError(f"values must be one-dimensional, got shape {v.shape}")
    check_finite("values", v, "propagate")
    m = v.size
    if groups is None:
        g = np.zeros(m, dtype=np.intp)
    else:
        labels = np.asarray(groups)
        if labels.shape != (m,):
            raise ValueError(
                f"shapes do not match: values has shape {v.shape}, groups {labels.shape}"
            )
        _, g = np.unique(labels, return_inverse=True)
        g = g.reshape(-1)
    ngroups = int(g.max()) + 1 if m else 0
    inv = np.broadcast_to(np.asarray(invert, dtype=bool), (m,))
    # invert must not vary within a group
    inv_any = np.bincount(g, weights=inv, minlength=ngroups) > 0
    inv_all = np.bincount(g, weights=~inv, minlength=ngroups) == 0
    mixed = inv_any & ~inv_all
    if mixed.any():
        i = int(np.flatnonzero(mixed[g])[0])
        raise ValueError(f"invert differs within the group of values[{i}]; it must be constant")

    out = np.full(m, np.nan)
    ok = ~np.isnan(v)
    idx = np.flatnonzero(ok)
    if idx.size == 0:
        return out
    key = np.where(inv[idx], -v[idx], v[idx])
    gi = g[idx]
    order = np.lexsort((key, gi))
    gs, ks = gi[order], key[order]
    pos = np.arange(idx.size)
    new_group = np.ones(idx.size, dtype=bool)
    new_group[1:] = gs[1:] != gs[:-1]
    new_value = new_group.copy()
    new_value[1:] |= ks[1:] != ks[:-1]
    group_start = np.maximum.accumulate(np.where(new_group, pos, 0))
    tie_start = np.maximum.accumulate(np.where(new_value, pos, 0))
    rank = (tie_start - group_start + 1).astype(np.float64)
    count = np.bincount(gs, minlength=ngroups).astype(np.float64)[gs]
    q = np.floor((k + 1) - np.ceil((count + 1 - rank) / (count / k)))
    q = np.where(q == 0, 1.0, q)
    q = np.where(count < k, np.nan, q)
    out[idx[order]] = q
    return out
