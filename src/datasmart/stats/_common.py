"""Small numerical helpers shared by the statistics modules (not public API)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy import special

FloatArray = npt.NDArray[np.float64]


def z_value(confidence: float) -> float:
    """Two-sided standard normal quantile: ``Φ⁻¹(1 − α/2)`` with ``α = 1 − confidence``.

    >>> round(z_value(0.95), 6)
    1.959964
    """
    return float(special.ndtri(1.0 - (1.0 - confidence) / 2.0))
