"""Pure statistics for public-health indicators (no Django imports).

Vectorised NumPy/SciPy functions for confidence intervals, standardisation,
funnel plots, comparisons, trends and small-number suppression. Conformance with
PHE/Fingertips' PHEindicatormethods is tested in ``tests/stats``; methods are
described in ``docs/methods/statistics.md``.
"""

from datasmart.stats.comparison import POLARITIES, compare
from datasmart.stats.funnels import (
    FUNNEL_LEVELS,
    ZONES,
    ControlLimits,
    FunnelLimits,
    funnel_axis,
    funnel_control_limits,
    funnel_limits,
    funnel_points,
    funnel_significance,
    funnel_tail_probabilities,
    funnel_zones,
)
from datasmart.stats.inequality import SIIResult, sii
from datasmart.stats.life_expectancy import LE_START_AGES, LifeExpectancyResult, life_expectancy
from datasmart.stats.means import mean_ci, mean_ci_summary
from datasmart.stats.proportions import proportion_ci
from datasmart.stats.quantiles import quantile_groups
from datasmart.stats.rates import poisson_limits, rate_ci
from datasmart.stats.standardisation import (
    ESP2013,
    ESP2013_AGEBANDS,
    DSRResult,
    ISRResult,
    dsr,
    isr,
)
from datasmart.stats.suppression import SuppressionResult, suppress
from datasmart.stats.trend import TrendResult, poisson_trend, proportion_trend

__all__ = [
    "ESP2013",
    "ESP2013_AGEBANDS",
    "FUNNEL_LEVELS",
    "LE_START_AGES",
    "POLARITIES",
    "ZONES",
    "ControlLimits",
    "DSRResult",
    "FunnelLimits",
    "ISRResult",
    "LifeExpectancyResult",
    "SIIResult",
    "SuppressionResult",
    "TrendResult",
    "compare",
    "dsr",
    "funnel_axis",
    "funnel_control_limits",
    "funnel_limits",
    "funnel_points",
    "funnel_significance",
    "funnel_tail_probabilities",
    "funnel_zones",
    "isr",
    "life_expectancy",
    "mean_ci",
    "mean_ci_summary",
    "poisson_limits",
    "poisson_trend",
    "proportion_ci",
    "proportion_trend",
    "quantile_groups",
    "rate_ci",
    "sii",
    "suppress",
]
