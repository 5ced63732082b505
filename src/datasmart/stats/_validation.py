"""Input validation shared by every function in :mod:`datasmart.stats`.

Every check raises :class:`ValueError` with a message that names the argument and
the position (index) of the first offending element, e.g. ``"x[3] = -1 is
negative"``, so that a caller can point a user at the exact row of a file.

The checks are written to be cheap on the happy path: each one is a single
vectorised reduction (``np.any``); the position of the first bad element is only
looked up once a problem is known to exist.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Literal

import numpy as np
import numpy.typing as npt

__all__ = [
    "NanPolicy",
    "as_array",
    "broadcast",
    "check_confidence",
    "check_finite",
    "check_method",
    "check_nan_policy",
    "check_nonnegative",
    "check_not_greater",
    "check_positive",
    "check_positive_scalar",
    "format_position",
    "scalar_or_array",
]

NanPolicy = Literal["raise", "propagate", "omit"]
"""How NaN inputs are treated: ``"raise"`` (default everywhere) raises a
:class:`ValueError`; ``"propagate"`` returns NaN for the affected rows;
``"omit"`` (only where documented, e.g. age-band counts in
:func:`~datasmart.stats.dsr`) counts a missing value as zero."""


def format_position(name: str, arr: npt.NDArray[np.generic], flat_index: int) -> str:
    """Return ``name[i]`` (or ``name[i, j]``) for the element at *flat_index*.

    A 0-d array (a scalar argument) is named without brackets.

    >>> format_position("x", np.zeros((2, 3)), 4)
    'x[1, 1]'
    >>> format_position("x", np.zeros(()), 0)
    'x'
    """
    if arr.ndim == 0:
        return name
    idx = np.unravel_index(flat_index, arr.shape)
    return f"{name}[{', '.join(str(int(i)) for i in idx)}]"


def _fmt_value(value: object) -> str:
    """Format a number compactly (``-1`` rather than ``-1.0``)."""
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value)


def _first(mask: npt.NDArray[np.bool_]) -> int:
    return int(np.flatnonzero(mask.ravel())[0])


def as_array(name: str, value: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Convert *value* to a float64 array, rejecting non-numeric input.

    >>> as_array("x", [1, 2]).dtype
    dtype('float64')
    """
    arr = np.asarray(value)
    if arr.dtype.kind not in "biuf":
        if arr.dtype.kind == "O":
            try:
                return arr.astype(np.float64)
            except (TypeError, ValueError):
                pass
        raise ValueError(f"{name} must be numeric, got dtype {arr.dtype}")
    return arr.astype(np.float64, copy=False)


def check_nan_policy(nan_policy: str, allowed: Collection[str] = ("raise", "propagate")) -> None:
    """Raise if *nan_policy* is not one of *allowed*."""
    if nan_policy not in allowed:
        raise ValueError(
            f"nan_policy = {nan_policy!r} is not one of {', '.join(repr(a) for a in allowed)}"
        )


def check_finite(name: str, arr: npt.NDArray[np.float64], nan_policy: str = "raise") -> None:
    """Reject infinite values always and NaN unless *nan_policy* allows them.

    >>> check_finite("x", np.array([1.0, np.nan]))
    Traceback (most recent call last):
    ...
    ValueError: x[1] is NaN (missing); pass nan_policy='propagate' to allow missing values
    """
    bad = ~np.isfinite(arr)
    if not bad.any():
        return
    inf = np.isinf(arr)
    if inf.any():
        i = _first(inf)
        raise ValueError(f"{format_position(name, arr, i)} = {arr.ravel()[i]} is not finite")
    if nan_policy == "raise":
        i = _first(bad)
        raise ValueError(
            f"{format_position(name, arr, i)} is NaN (missing); "
            "pass nan_policy='propagate' to allow missing values"
        )


def check_nonnegative(name: str, arr: npt.NDArray[np.float64]) -> None:
    """Raise if any element is negative (NaN is ignored).

    >>> check_nonnegative("x", np.array([1.0, 2.0, 0.0, -1.0]))
    Traceback (most recent call last):
    ...
    ValueError: x[3] = -1 is negative
    """
    bad = arr < 0
    if bad.any():
        i = _first(bad)
        raise ValueError(
            f"{format_position(name, arr, i)} = {_fmt_value(arr.ravel()[i])} is negative"
        )


def check_positive(name: str, arr: npt.NDArray[np.float64]) -> None:
    """Raise if any element is zero or negative (NaN is ignored).

    >>> check_positive("n", np.array([5.0, 0.0]))
    Traceback (most recent call last):
    ...
    ValueError: n[1] = 0 is not positive (must be > 0)
    """
    bad = arr <= 0
    if bad.any():
        i = _first(bad)
        raise ValueError(
            f"{format_position(name, arr, i)} = {_fmt_value(arr.ravel()[i])} "
            "is not positive (must be > 0)"
        )


def check_not_greater(
    xname: str,
    x: npt.NDArray[np.float64],
    nname: str,
    n: npt.NDArray[np.float64],
) -> None:
    """Raise if ``x > n`` anywhere (arrays already broadcast to one shape).

    >>> check_not_greater("x", np.array([1.0, 5.0]), "n", np.array([2.0, 4.0]))
    Traceback (most recent call last):
    ...
    ValueError: x[1] = 5 is greater than n[1] = 4
    """
    bad = x > n
    if bad.any():
        i = _first(bad)
        raise ValueError(
            f"{format_position(xname, x, i)} = {_fmt_value(x.ravel()[i])} is greater than "
            f"{format_position(nname, n, i)} = {_fmt_value(n.ravel()[i])}"
        )


def check_confidence(confidence: float) -> float:
    """Return *confidence* as a float strictly between 0 and 1.

    Percentages (95, 99.8) are refused rather than guessed at.

    >>> check_confidence(0.95)
    0.95
    >>> check_confidence(95)
    Traceback (most recent call last):
    ...
    ValueError: confidence = 95 must be strictly between 0 and 1 (e.g. 0.95, not 95)
    """
    try:
        c = float(confidence)
    except (TypeError, ValueError):
        raise ValueError(f"confidence = {confidence!r} is not a number") from None
    if not (0.0 < c < 1.0):
        raise ValueError(
            f"confidence = {_fmt_value(confidence)} must be strictly between 0 and 1 "
            "(e.g. 0.95, not 95)"
        )
    return c


def check_positive_scalar(name: str, value: float) -> float:
    """Return *value* as a float, raising unless it is a finite number > 0.

    >>> check_positive_scalar("multiplier", 0)
    Traceback (most recent call last):
    ...
    ValueError: multiplier = 0 must be a finite number > 0
    """
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} = {value!r} is not a number") from None
    if not (np.isfinite(v) and v > 0):
        raise ValueError(f"{name} = {_fmt_value(value)} must be a finite number > 0")
    return v


def check_method(method: str, allowed: Collection[str], name: str = "method") -> str:
    """Return *method* if it is one of *allowed*, else raise.

    >>> check_method("wald", ("wilson", "exact"))
    Traceback (most recent call last):
    ...
    ValueError: method = 'wald' is not one of 'wilson', 'exact'
    """
    if not isinstance(method, str) or method not in allowed:
        raise ValueError(f"{name} = {method!r} is not one of {', '.join(repr(a) for a in allowed)}")
    return method


def broadcast(
    **arrays: npt.NDArray[np.float64],
) -> tuple[npt.NDArray[np.float64], ...]:
    """Broadcast the keyword arrays against each other, naming them on failure.

    >>> broadcast(x=np.zeros(3), n=np.zeros(4))
    Traceback (most recent call last):
    ...
    ValueError: shapes do not match: x has shape (3,), n has shape (4,)
    """
    try:
        return tuple(np.broadcast_arrays(*arrays.values()))
    except ValueError:
        shapes = ", ".join(f"{k} has shape {v.shape}" for k, v in arrays.items())
        raise ValueError(f"shapes do not match: {shapes}") from None


def scalar_or_array(arr: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Return a 0-d result as a NumPy scalar so scalar calls give scalars back."""
    if arr.ndim == 0:
        return arr[()]  # type: ignore[no-any-return]
    return arr
