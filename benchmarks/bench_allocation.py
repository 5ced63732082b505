"""Benchmark: largest-remainder allocation of 1 000 scenario variants × 332 recipients.

Run with ``uv run python benchmarks/bench_allocation.py``. Times
:func:`datasmart.funding.allocation.allocate_many` (exact integer Hamilton method, all
variants at once) against a plain numpy share computation
``floor(amount * w / w.sum())`` in float (which does *not* add up to the post), and
against calling :func:`largest_remainder` once per variant. Also times 20 posts × 1 000
variants, the size of a full scenario run. Best of several runs, same process.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from datasmart.funding.allocation import allocate_many, largest_remainder

VARIANTS = 1_000
RECIPIENTS = 332  # 290 kommuner + 21 regions + 21 län
POSTS = 20
AMOUNT = 200_000_000
REPEATS = 7


def best_time(fn: Callable[[], object], repeats: int = REPEATS) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    rng = np.random.default_rng(2020)
    base = rng.integers(2_400, 1_000_000, size=RECIPIENTS)
    weights = (base * rng.uniform(0.9, 1.1, size=(VARIANTS, RECIPIENTS))).astype(np.int64)
    codes = [f"{i:04d}" for i in rng.permutation(10_000)[:RECIPIENTS]]

    def plain() -> np.ndarray:
        return np.floor(AMOUNT * weights / weights.sum(axis=1, keepdims=True))

    def many() -> np.ndarray:
        return allocate_many(AMOUNT, weights, codes)

    def loop() -> list[np.ndarray]:
        return [largest_remainder(AMOUNT, w, codes) for w in weights]

    out = many()
    assert (out.sum(axis=1) == AMOUNT).all()
    off = int(np.abs(plain().sum(axis=1) - AMOUNT).max())
    t_plain = best_time(plain)
    t_many = best_time(many)
    t_loop = best_time(loop, repeats=3)
    t_posts = best_time(lambda: [many() for _ in range(POSTS)], repeats=3)
    print(f"{VARIANTS} variants × {RECIPIENTS} recipients, amount {AMOUNT:,} kr")
    print(f"plain numpy float shares : {t_plain * 1e3:8.2f} ms (sums off by up to {off} kr)")
    print(f"allocate_many (exact)    : {t_many * 1e3:8.2f} ms  ratio {t_many / t_plain:.1f}×")
    print(f"largest_remainder loop   : {t_loop * 1e3:8.2f} ms  ratio {t_loop / t_plain:.1f}×")
    print(f"{POSTS} posts × allocate_many : {t_posts * 1e3:8.2f} ms")


if __name__ == "__main__":
    main()
