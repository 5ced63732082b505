"""Made-up test data and an independent oracle for the allocation tests."""

from __future__ import annotations

from fractions import Fraction

import polars as pl

# The 21 real län / region codes (the 2-digit prefix of a kommun code).
LAN_CODES = (
    "01", "03", "04", "05", "06", "07", "08", "09", "10", "12", "13",
    "14", "17", "18", "19", "20", "21", "22", "23", "24", "25",
)  # fmt: skip
METROPOLITAN = ("01", "12", "14")
MSEK = 1_000_000


def made_up_kommuner(n: int = 290) -> dict[str, int]:
    """*n* made-up kommun codes spread over the 21 län, with made-up populations."""
    out: dict[str, int] = {}
    for i in range(n):
        lan = LAN_CODES[i % len(LAN_CODES)]
        code = f"{lan}{10 + i // len(LAN_CODES):02d}"
        out[code] = 2_400 + (i * 7_919) % 120_000 + (900_000 if code == "0180" else 0)
    return out


def made_up_age_frame(kommuner: dict[str, int]) -> pl.DataFrame:
    """A län × age (0..100) frame with made-up populations that depend on age and län."""
    lan_pop: dict[str, int] = {}
    for code, pop in kommuner.items():
        lan_pop[code[:2]] = lan_pop.get(code[:2], 0) + pop
    rows = [
        (lan, age, pop // 101 + (age * 37 + int(lan)) % 50)
        for lan, pop in lan_pop.items()
        for age in range(101)
    ]
    return pl.DataFrame(rows, schema=["code", "age", "population"], orient="row")


def oracle(total: int, weights: list[int], codes: list[str]) -> list[int]:
    """Hamilton's method with exact fractions, written independently of the engine."""
    w_sum = sum(Fraction(w) for w in weights)
    exact = [Fraction(total) * Fraction(w) / w_sum for w in weights]
    base = [int(e) for e in exact]  # floor, since e >= 0
    left = total - sum(base)
    order = sorted(range(len(weights)), key=lambda i: (-(exact[i] - base[i]), codes[i]))
    for i in order[:left]:
        base[i] += 1
    return base
