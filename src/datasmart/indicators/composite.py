"""A Barnhälsoindex-style composite index over the kommuner (method: docs/methods/composite.md).

Indicators are grouped in domains (:attr:`Indicator.domain`, or an explicit
``domain_spec``). For each indicator, each kommun's published value (both sexes, all
ages, status ``ok``) is standardised over the kommuner — a z-score, or a rank score
scaled to the same spread — with the polarity applied so that higher always means
better. Domain score = mean of the kommun's standardised values in that domain (needs at
least half of the domain's indicators); total = mean of the domain scores (needs every
domain). Ranks: 1 = best total; ties share the lower rank.
"""

from __future__ import annotations

import math
from typing import Any

from .models import Indicator, Polarity, Result
from .results import geography_units

__all__ = ["METHODS", "composite_index", "standardise"]

METHODS = ("zscore", "rank")


def standardise(values: dict[str, float], *, method: str = "zscore") -> dict[str, float]:
    """Standardised scores of ``values`` (unit → value), higher value → higher score.

    ``zscore``: (x − mean) / sd (population sd); all scores 0 when sd is 0.
    ``rank``: average ranks mapped to z-scale, ``(rank − (n + 1)/2) / sd(1…n)`` (robust to
    outliers). Fewer than 2 values give no scores.
    """
    if method not in METHODS:
        raise ValueError(f"method {method!r} is not one of {METHODS}")
    n = len(values)
    if n < 2:
        return {}
    if method == "zscore":
        mean = sum(values.values()) / n
        sd = math.sqrt(sum((v - mean) ** 2 for v in values.values()) / n)
        return {k: (v - mean) / sd if sd > 0 else 0.0 for k, v in values.items()}
    ordered = sorted(values.items(), key=lambda kv: kv[1])
    ranks: dict[str, float] = {}
    i = 0
    while i < n:
        j = i
        while j + 1 < n and ordered[j + 1][1] == ordered[i][1]:
            j += 1
        avg = (i + j) / 2 + 1
        for k in range(i, j + 1):
            ranks[ordered[k][0]] = avg
        i = j + 1
    centre = (n + 1) / 2
    sd = math.sqrt((n * n - 1) / 12)
    return {k: (r - centre) / sd for k, r in ranks.items()}


def _default_domains() -> dict[str, list[str]]:
    domains: dict[str, list[str]] = {}
    qs = Indicator.objects.exclude(domain="").exclude(polarity=Polarity.NO_JUDGEMENT)
    for code, domain in qs.order_by("domain", "code").values_list("code", "domain"):
        domains.setdefault(domain, []).append(code)
    return domains


def _ranks(scores: dict[str, float]) -> dict[str, int]:
    ordered = sorted(scores.items(), key=lambda kv: -kv[1])
    ranks: dict[str, int] = {}
    for pos, (code, score) in enumerate(ordered, start=1):
        prev = ordered[pos - 2] if pos > 1 else None
        ranks[code] = ranks[prev[0]] if prev is not None and prev[1] == score else pos
    return ranks


def composite_index(
    domain_spec: dict[str, list[str]] | None = None,
    period: int | None = None,
    *,
    method: str = "zscore",
    level: str = "kommun",
) -> dict[str, Any]:
    """The composite index for every unit of ``level`` (kommuner by default).

    ``domain_spec`` maps a domain name to indicator codes (default: every indicator with
    a ``domain`` and a polarity, grouped by domain). ``period``: use each indicator's
    latest period at or before it (default: its latest). Returns ``method``, ``domains``
    (name → indicator codes used), ``indicators`` (code → period, polarity, n),
    ``n_indicators_total`` (how many indicators the index uses), ``n_complete`` (units
    with a value for every one of them) and ``rows``: ``unit_code``, ``unit_name``,
    ``domains`` (name → score or None), ``total``, ``rank`` (None when a domain lacks
    half its indicators), ``n_indicators`` (the unit's indicators with a value) and
    ``complete`` (``n_indicators == n_indicators_total``); best first.

    A ranked unit is not necessarily complete: a domain score needs only half of the
    domain's indicators. Pages must therefore report coverage from ``n_complete`` and
    ``n_indicators``, not from the number ranked (which said "290 of 290 complete" while
    kommuner had 16–20 of 23 indicators).
    """
    if method not in METHODS:
        raise ValueError(f"method {method!r} is not one of {METHODS}")
    spec = domain_spec if domain_spec is not None else _default_domains()
    units = {u.code: u.name for u in geography_units(level)}
    wanted = {code for codes in spec.values() for code in codes}
    indicators = {i.code: i for i in Indicator.objects.filter(code__in=wanted)}
    used: dict[str, list[str]] = {}
    info: dict[str, dict[str, Any]] = {}
    scores: dict[str, dict[str, float]] = {}  # indicator → unit → score
    for domain, codes in spec.items():
        used[domain] = []
        for code in codes:
            ind = indicators.get(code)
            if ind is None or ind.polarity == Polarity.NO_JUDGEMENT:
                continue
            base = Result.objects.filter(indicator=ind, level=level, sex="T", age_group="")
            if period is not None:
                base = base.filter(period__lte=period)
            per = base.order_by("-period").values_list("period", flat=True).first()
            if per is None:
                continue
            values = {
                ucode: float(v)
                for ucode, v in base.filter(period=per, status="ok").values_list(
                    "unit__code", "value"
                )
                if v is not None
            }
            z = standardise(values, method=method)
            if not z:
                continue
            sign = -1.0 if ind.polarity == Polarity.LOWER_IS_BETTER else 1.0
            scores[code] = {k: sign * v for k, v in z.items()}
            used[domain].append(code)
            info[code] = {"period": per, "polarity": ind.polarity, "n": len(values)}
    used = {d: c for d, c in used.items() if c}
    n_total = sum(len(c) for c in used.values())
    rows: list[dict[str, Any]] = []
    totals: dict[str, float] = {}
    for ucode, uname in units.items():
        domain_scores: dict[str, float | None] = {}
        n_ind = 0
        for domain, codes in used.items():
            own = [scores[c][ucode] for c in codes if ucode in scores[c]]
            n_ind += len(own)
            enough = len(own) * 2 >= len(codes)
            domain_scores[domain] = sum(own) / len(own) if own and enough else None
        complete = bool(used) and all(v is not None for v in domain_scores.values())
        total = (
            sum(v for v in domain_scores.values() if v is not None) / len(domain_scores)
            if complete
            else None
        )
        if total is not None:
            totals[ucode] = total
        rows.append(
            {
                "unit_code": ucode,
                "unit_name": uname,
                "domains": domain_scores,
                "total": total,
                "rank": None,
                "n_indicators": n_ind,
                "complete": n_total > 0 and n_ind == n_total,
            }
        )
    ranks = _ranks(totals)
    for row in rows:
        row["rank"] = ranks.get(row["unit_code"])
        row["n_ranked"] = len(ranks)
    rows.sort(key=lambda r: (r["rank"] is None, r["rank"] or 0, r["unit_code"]))
    return {
        "method": method,
        "level": level,
        "period": period,
        "domains": used,
        "indicators": info,
        "n_indicators_total": n_total,
        "n_complete": sum(1 for r in rows if r["complete"]),
        "rows": rows,
    }
