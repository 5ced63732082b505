"""Benchmark: an agreement of 20 posts over 290 kommuner + 21 regions + 21 län, in 1 000
scenario variants, against a plain numpy computation of the same shares (the floor).

Run with ``uv run python benchmarks/bench_allocation.py``. Each variant perturbs the
population weights of every recipient (as a scenario with another population year would);
every post is split between the recipients of its level with
:func:`datasmart.funding.allocation.allocate_many` (exact integer largest-remainder method,
all 1 000 variants of a post at once, ties to the lowest code). The floor computes the same
shares as ``floor(amount * w / w.sum())`` in float, which does *not* add up to the post.
Best of several interleaved runs in one process; prints the ratio.
"""

from __future__ import annotations

import platform
import time
from collections.abc import Callable

import numpy as np

from datasmart.funding.allocation import allocate_many

VARIANTS = 1_000
LEVELS = {"kommun": 290, "region": 21, "lan": 21}
#: 20 posts: (level, amount in kronor), like the 2020 agreement but with more posts
POSTS = [
    *(("region", a * 1_000_000) for a in (300, 370, 100, 50, 150, 40, 30, 20)),
    *(("kommun", a * 1_000_000) for a in (200, 100, 60, 40, 25, 15)),
    *(("lan", a * 1_000_000) for a in (200, 24, 200, 35, 12, 9)),
]
REPEATS = 7


def main() -> None:
    assert len(POSTS) == 20
    rng = np.random.default_rng(2020)
    weights: dict[str, np.ndarray] = {}
    codes: dict[str, list[str]] = {}
    for level, n in LEVELS.items():
        base = rng.integers(2_400, 2_400_000, size=n)
        weights[level] = (base * rng.uniform(0.9, 1.1, size=(VARIANTS, n))).astype(np.int64)
        width = 4 if level == "kommun" else 2
        codes[level] = [f"{c:0{width}d}" for c in rng.permutation(10**width)[:n]]

    def floor() -> list[np.ndarray]:
        out = []
        for level, amount in POSTS:
            w = weights[level]
            out.append(np.floor(amount * w / w.sum(axis=1, keepdims=True)))
        return out

    def engine() -> list[np.ndarray]:
        return [allocate_many(amount, weights[level], codes[level]) for level, amount in POSTS]

    exact = engine()
    for (_, amount), shares in zip(POSTS, exact, strict=True):
        assert (shares.sum(axis=1) == amount).all()
    off = max(
        int(np.abs(s.sum(axis=1) - a).max()) for (_, a), s in zip(POSTS, floor(), strict=True)
    )

    t_floor: list[float] = []
    t_engine: list[float] = []
    fns: list[tuple[Callable[[], object], list[float]]] = [(floor, t_floor), (engine, t_engine)]
    for _ in range(REPEATS):
        for fn, times in fns:
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
    best_floor, best_engine = min(t_floor), min(t_engine)
    lines = sum(LEVELS[level] for level, _ in POSTS) * VARIANTS
    print(
        f"20 posts over {' + '.join(str(n) for n in LEVELS.values())} recipients × "
        f"{VARIANTS} variants = {lines:,} lines ({platform.machine()}, "
        f"Python {platform.python_version()}, numpy {np.__version__})"
    )
    print(f"floor: numpy float shares   : {best_floor * 1e3:8.1f} ms  (sums off by up to {off} kr)")
    print(f"allocate_many (exact, kr)   : {best_engine * 1e3:8.1f} ms")
    print(f"ratio engine / floor        : {best_engine / best_floor:8.1f}×")


if __name__ == "__main__":
    main()
