"""Allocation engine for agreement funding (pure: no Django, no database).

Every post of an agreement is split between its recipients in whole kronor by a key
(:mod:`datasmart.funding.keys`). Proportional splits use the **largest-remainder
(Hamilton) method**: with total ``T`` and non-negative weights ``w_i`` summing to ``W``,

* each recipient first gets its quota rounded down, ``q_i = floor(T * w_i / W)``;
* the ``T - sum(q_i)`` kronor left over (fewer than the number of recipients) go one
  each to the recipients with the largest remainders ``(T * w_i) mod W``;
* equal remainders are broken by recipient code, ascending (``"0114"`` before ``"0115"``),
  so the result does not depend on the order of the input.

All arithmetic is on integers (numpy ``int64`` while ``T * max(w)`` fits, Python integers
otherwise; float weights are converted exactly to integers first), so every post adds up
to the krona. Reference: M. L. Balinski and H. P. Young, *Fair Representation: Meeting the
Ideal of One Man, One Vote*, Yale University Press, 1982 (Hamilton's method).

>>> largest_remainder(10, np.array([1, 1, 1]), ["c", "a", "b"]).tolist()
[3, 4, 3]
>>> allocate_post(100, FixedPlusPopulation(20), ["01", "02"], {"01": 3, "02": 1})
{'01': 65, '02': 35}
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence, Set
from dataclasses import dataclass, field
from fractions import Fraction
from math import lcm
from typing import Literal, TypeAlias

import numpy as np
import numpy.typing as npt
import polars as pl

from datasmart.funding.keys import (
    DirectAmount,
    FixedAmounts,
    FixedPlusPopulation,
    Key,
    PopulationShare,
)

__all__ = [
    "AllocationRow",
    "ComparisonRow",
    "Policy",
    "Population",
    "Post",
    "aggregate_population",
    "allocate",
    "allocate_many",
    "allocate_post",
    "compare_allocations",
    "largest_remainder",
    "post_totals",
    "rows_to_frame",
]

INT64_MAX = int(np.iinfo(np.int64).max)
_POP_WHERE = " (population of the recipients)"

Population: TypeAlias = Mapping[str, int] | pl.DataFrame
"""Population by recipient code: a mapping ``code -> inhabitants`` or a polars frame with
columns ``code`` (string) and ``population`` and, for age-band keys, ``age`` (other
columns such as ``sex`` are summed over)."""

Policy = Literal["withhold", "redistribute"]
IntArray: TypeAlias = npt.NDArray[np.int64]


# --------------------------------------------------------------------------- validation


def _check_total(name: str, total: object) -> int:
    if isinstance(total, bool) or not isinstance(total, int | np.integer):
        raise TypeError(f"{name} must be an integer number of kronor, got {total!r}")
    value = int(total)
    if value < 0:
        raise ValueError(f"{name} = {value} is negative")
    if value > INT64_MAX:
        raise ValueError(f"{name} = {value} is larger than {INT64_MAX} kronor")
    return value


def _check_codes(codes: Iterable[str], name: str, n: int | None = None) -> tuple[str, ...]:
    if isinstance(codes, str):
        raise TypeError(f"{name} must be a sequence of code strings, not one string")
    out = tuple(codes)
    for i, code in enumerate(out):
        if not isinstance(code, str):
            raise TypeError(f"{name}[{i}] = {code!r} is not a code string")
    if n is not None and len(out) != n:
        raise ValueError(f"{name} has {len(out)} codes but there are {n} weights")
    if len(set(out)) != len(out):
        seen: set[str] = set()
        for i, code in enumerate(out):
            if code in seen:
                raise ValueError(f"{name}[{i}] = {code!r} is a duplicate")
            seen.add(code)
    return out


def _position(name: str, shape: tuple[int, ...], flat: int) -> str:
    idx = np.unravel_index(flat, shape)
    return f"{name}[{', '.join(str(int(i)) for i in idx)}]"


def _exact_weights(weights: object, name: str, ndim: int) -> np.ndarray:
    """Validate *weights* and return them as exact integers.

    Returns an ``int64`` array when possible, else an ``object`` array of Python ints.
    Float weights are exact binary fractions, so scaling by the largest denominator
    (a power of two) turns them into integers without changing any ratio.
    """
    arr = np.asarray(weights)
    if arr.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-dimensional, got shape {arr.shape}")
    if arr.dtype == np.bool_:
        arr = arr.astype(np.int64)
    kind = arr.dtype.kind
    if kind not in "iufO":
        raise TypeError(f"{name} must be numeric, got dtype {arr.dtype}")
    if kind == "f":
        bad = ~np.isfinite(arr)
        if bad.any():
            pos = _position(name, arr.shape, int(np.flatnonzero(bad)[0]))
            raise ValueError(f"{pos} is not finite")
    if kind in "iuf":
        neg = arr < 0
        if neg.any():
            flat = int(np.flatnonzero(neg)[0])
            value = arr.reshape(-1)[flat]
            raise ValueError(f"{_position(name, arr.shape, flat)} = {value} is negative")
    if kind == "i":
        return arr.astype(np.int64, copy=False)
    if kind == "u":
        if arr.size and int(arr.max()) > INT64_MAX:
            return np.array([int(v) for v in arr.reshape(-1)], dtype=object).reshape(arr.shape)
        return arr.astype(np.int64)
    if kind == "f" and (arr.size == 0 or (np.all(arr == np.floor(arr)) and arr.max() < 2.0**53)):
        return arr.astype(np.int64)
    # General exact path: fractions with a common denominator.
    flat_values = arr.reshape(-1).tolist()
    fractions: list[Fraction] = []
    for i, value in enumerate(flat_values):
        if isinstance(value, bool) or not isinstance(value, int | float | Fraction | np.number):
            raise TypeError(f"{_position(name, arr.shape, i)} = {value!r} is not a number")
        if isinstance(value, float | np.floating) and not np.isfinite(value):
            raise ValueError(f"{_position(name, arr.shape, i)} is not finite")
        frac = Fraction(value)  # type: ignore[arg-type]
        if frac < 0:
            raise ValueError(f"{_position(name, arr.shape, i)} = {value} is negative")
        fractions.append(frac)
    den = lcm(*(f.denominator for f in fractions)) if fractions else 1
    ints = [f.numerator * (den // f.denominator) for f in fractions]
    return np.array(ints, dtype=object).reshape(arr.shape)


def _code_ranks(codes: tuple[str, ...]) -> IntArray:
    """Rank of each code in ascending order (0 = smallest code)."""
    order = sorted(range(len(codes)), key=codes.__getitem__)
    ranks = np.empty(len(codes), dtype=np.int64)
    ranks[order] = np.arange(len(codes), dtype=np.int64)
    return ranks


# --------------------------------------------------------------------------- Hamilton


def _hamilton(total: int, w: np.ndarray, ranks: IntArray, where: str) -> IntArray:
    weight_sum = sum(int(v) for v in w) if w.dtype == object else int(w.sum(dtype=object))
    if weight_sum == 0:
        raise ValueError(
            f"total weight is zero{where}: cannot split {total} kronor "
            "(at least one recipient needs a positive weight)"
        )
    n = len(w)
    if (
        w.dtype == np.int64
        and weight_sum <= INT64_MAX
        and (n == 0 or total * int(w.max()) <= INT64_MAX)
    ):
        prod = w * np.int64(total)
        quota = prod // np.int64(weight_sum)
        remainder = prod % np.int64(weight_sum)
        left = total - int(quota.sum())
        if left:
            order = np.lexsort((ranks, -remainder))
            quota[order[:left]] += 1
        return quota
    # Python-integer path (no overflow possible).
    prods = [total * int(v) for v in w]
    quotas = [p // weight_sum for p in prods]
    rems = [p % weight_sum for p in prods]
    left = total - sum(quotas)
    for i in sorted(range(n), key=lambda i: (-rems[i], int(ranks[i])))[:left]:
        quotas[i] += 1
    return np.array(quotas, dtype=np.int64)


def largest_remainder(total: int, weights: npt.ArrayLike, codes: Sequence[str]) -> IntArray:
    """Split *total* kronor by *weights* with the largest-remainder (Hamilton) method.

    ``q_i = floor(total * w_i / W)`` with ``W = sum(w)``; the ``total - sum(q)`` kronor
    left over go one each to the largest remainders ``(total * w_i) mod W``, ties to the
    smallest code. The result sums to *total* exactly, every amount is within one krona
    of its exact share, and a zero weight always gets zero (Balinski & Young 1982).

    Raises :class:`ValueError` for a negative total or weight (naming the position), for
    all-zero weights, and for duplicate codes.

    >>> largest_remainder(100, np.array([1, 1, 1]), ["01", "02", "03"]).tolist()
    [34, 33, 33]
    >>> largest_remainder(7, [5, 3, 2], ["a", "b", "c"]).tolist()
    [4, 2, 1]
    """
    total = _check_total("total", total)
    w = _exact_weights(weights, "weights", ndim=1)
    code_tuple = _check_codes(codes, "codes", len(w))
    return _hamilton(total, w, _code_ranks(code_tuple), "")


def allocate_many(amount: int, weights_matrix: npt.ArrayLike, codes: Sequence[str]) -> IntArray:
    """Largest-remainder split of *amount* for many weight vectors at once.

    ``weights_matrix`` has shape ``(variants, recipients)``; row ``v`` of the result is
    ``largest_remainder(amount, weights_matrix[v], codes)`` (same tie-break by code). Integer
    weights (populations) that cannot overflow ``int64`` take a fully vectorised numpy path;
    anything else (non-integral floats, huge numbers) falls back to the exact row-by-row path.

    >>> allocate_many(10, np.array([[1, 1, 1], [6, 3, 1]]), ["a", "b", "c"]).tolist()
    [[4, 3, 3], [6, 3, 1]]
    """
    amount = _check_total("amount", amount)
    w = _exact_weights(weights_matrix, "weights_matrix", ndim=2)
    n_var, n_rec = w.shape
    code_tuple = _check_codes(codes, "codes", n_rec)
    if n_rec == 0:
        if n_var:
            raise ValueError("total weight is zero in variant 0: there are no recipients")
        return np.zeros((0, 0), dtype=np.int64)
    if n_var == 0:
        return np.zeros((0, n_rec), dtype=np.int64)
    ranks = _code_ranks(code_tuple)
    if w.dtype != np.int64:
        return _allocate_rows(amount, w, ranks)
    w_max = int(w.max())
    if w_max * n_rec <= INT64_MAX:
        sums = w.sum(axis=1)
        max_sum = int(sums.max())
    else:  # the row sums themselves might overflow int64
        sums_obj = w.sum(axis=1, dtype=object)
        max_sum = max(int(v) for v in sums_obj)
        sums = np.array([min(int(v), INT64_MAX) for v in sums_obj], dtype=np.int64)
    zero = np.flatnonzero(sums == 0)
    if zero.size:
        raise ValueError(
            f"total weight is zero in variant {int(zero[0])}: cannot split {amount} kronor"
        )
    if max_sum > INT64_MAX or amount * w_max + max_sum > INT64_MAX:
        return _allocate_rows(amount, w, ranks)
    return _hamilton_matrix(amount, w, sums, ranks, max_sum)


def _allocate_rows(amount: int, w: np.ndarray, ranks: IntArray) -> IntArray:
    """Exact row-by-row fallback of :func:`allocate_many`."""
    rows = [_hamilton(amount, w[v], ranks, f" in variant {v}") for v in range(w.shape[0])]
    return np.stack(rows).reshape(w.shape)


def _hamilton_matrix(
    amount: int, w: IntArray, sums: IntArray, ranks: IntArray, max_sum: int
) -> IntArray:
    """Vectorised Hamilton method; the caller guarantees ``amount*max(w) + max(W)`` fits.

    Quotients come from a float division corrected to the exact integer quotient (one
    step suffices while ``amount < 2**50``); the kronor left over go to the ``left``
    largest keys ``remainder * n + (n - 1 - code_rank)``, which are unique, so a plain
    sort and a threshold replace a stable per-row argsort.
    """
    n_rec = w.shape[1]
    weight_sum = sums[:, None]
    prod = w * np.int64(amount)
    if amount < 2**50:
        share = w.astype(np.float64)
        share *= float(amount) / sums.astype(np.float64)[:, None]
        quota = share.astype(np.int64)
        remainder = prod - quota * weight_sum
        if (remainder < 0).any() or (remainder >= weight_sum).any():
            step = (remainder >= weight_sum).astype(np.int64) - (remainder < 0)
            quota += step
            remainder -= step * weight_sum
    else:
        quota, remainder = np.divmod(prod, weight_sum)
    left = amount - quota.sum(axis=1)
    if not left.any():
        return quota
    tie = (n_rec - 1 - ranks)[None, :]
    if max_sum * n_rec <= INT64_MAX:
        key = remainder * np.int64(n_rec) + tie
        ascending = np.sort(key, axis=1)
        kth = np.take_along_axis(ascending, np.minimum(n_rec - left, n_rec - 1)[:, None], axis=1)
        quota += (key >= kth) & (left[:, None] > 0)
        return quota
    # Keys would overflow: stable argsort in code order instead.
    perm = np.argsort(ranks)
    order = perm[np.argsort(-remainder[:, perm], axis=1, kind="stable")]
    place = np.empty_like(order)
    np.put_along_axis(place, order, np.broadcast_to(np.arange(n_rec), order.shape), axis=1)
    quota += place < left[:, None]
    return quota


# --------------------------------------------------------------------------- population


def aggregate_population(
    frame: pl.DataFrame, code_column: str = "kommun_code", *, code_length: int | None = None
) -> pl.DataFrame:
    """Population frame by code (and age, if present) in the shape the engine expects.

    ``code_length=2`` turns 4-digit kommun codes into 2-digit län/region codes. Codes are
    cast to strings; other columns (``sex``, ``year``) are summed over.

    >>> df = pl.DataFrame({"kommun_code": ["0114", "0115", "0180"], "population": [1, 2, 3]})
    >>> aggregate_population(df, code_length=2).rows()
    [('01', 6)]
    """
    if code_column not in frame.columns or "population" not in frame.columns:
        raise ValueError(f"population frame needs columns {code_column!r} and 'population'")
    code = pl.col(code_column).cast(pl.Utf8)
    if code_length is not None:
        code = code.str.slice(0, code_length)
    keys = ["code", "age"] if "age" in frame.columns else ["code"]
    return (
        frame.with_columns(code.alias("code"))
        .group_by(keys)
        .agg(pl.col("population").sum())
        .sort(keys)
    )


def _population_weights(
    population: Population | None,
    recipients: tuple[str, ...],
    key: PopulationShare | FixedPlusPopulation,
) -> IntArray:
    if population is None:
        raise ValueError(f"{key!r} needs a population, but none was given")
    band = isinstance(key, PopulationShare) and key.has_age_band
    if isinstance(population, pl.DataFrame):
        missing_cols = {"code", "population"} - set(population.columns)
        if missing_cols:
            raise ValueError(f"population frame lacks column(s) {sorted(missing_cols)}")
        nulls = population["population"].null_count() + population["code"].null_count()
        if nulls:
            raise ValueError(
                f"population frame has {nulls} missing (null) code/population value(s)"
            )
        frame = population
        if band:
            assert isinstance(key, PopulationShare)
            if "age" not in frame.columns:
                raise ValueError(f"{key!r} needs a population frame with an 'age' column")
            cond = pl.lit(True)
            if key.age_min is not None:
                cond = cond & (pl.col("age") >= key.age_min)
            if key.age_max is not None:
                cond = cond & (pl.col("age") <= key.age_max)
            frame = frame.filter(cond)
        grouped = frame.group_by(pl.col("code").cast(pl.Utf8)).agg(pl.col("population").sum())
        by_code = dict(zip(grouped["code"].to_list(), grouped["population"].to_list(), strict=True))
        known = set(population["code"].cast(pl.Utf8).to_list())
    else:
        if band:
            raise ValueError(
                f"{key!r} needs a population frame with an 'age' column, not a mapping"
            )
        by_code = dict(population)
        known = set(by_code)
    missing = [c for c in recipients if c not in known]
    if missing:
        raise ValueError(f"no population for recipient(s) {missing[:5]} ({len(missing)} in all)")
    values = []
    for code in recipients:
        value = by_code.get(code, 0)
        if value is None:
            raise ValueError(f"population[{code!r}] is missing (None)")
        if isinstance(value, bool) or not isinstance(value, int | np.integer):
            raise TypeError(f"population[{code!r}] = {value!r} is not an integer")
        if value < 0:
            raise ValueError(f"population[{code!r}] = {value} is negative")
        values.append(int(value))
    return np.array(values, dtype=np.int64)


# --------------------------------------------------------------------------- one post


def allocate_post(
    amount: int,
    key: Key,
    recipients: Sequence[str],
    population: Population | None = None,
) -> dict[str, int]:
    """Split one post of *amount* kronor between *recipients* by *key*.

    Returns ``{code: kronor}`` in the order of *recipients*; the values add up to *amount*.

    * :class:`PopulationShare` — largest remainder by population (in the age band, if any);
    * :class:`FixedPlusPopulation` — ``fixed_per_recipient`` each, the rest by population
      (``ValueError`` if the fixed parts exceed the post);
    * :class:`FixedAmounts` — ``default`` or the exception per code; the amounts must add
      up to the post (``ValueError`` otherwise);
    * :class:`DirectAmount` — everything to one recipient, which must be in *recipients*.

    >>> allocate_post(24, FixedAmounts(1, {"01": 2, "12": 2, "14": 2}),
    ...               ["01", "12", "14"] + [f"{i:02d}" for i in range(20, 38)])["12"]
    2
    """
    amount = _check_total("amount", amount)
    codes = _check_codes(recipients, "recipients")
    if isinstance(key, PopulationShare):
        if not codes:
            raise ValueError("recipients is empty: cannot split a post between no one")
        weights = _population_weights(population, codes, key)
        shares = _hamilton(amount, weights, _code_ranks(codes), _POP_WHERE)
    elif isinstance(key, FixedPlusPopulation):
        if not codes:
            raise ValueError("recipients is empty: cannot split a post between no one")
        fixed_total = key.fixed_per_recipient * len(codes)
        if fixed_total > amount:
            raise ValueError(
                f"fixed amounts {key.fixed_per_recipient} × {len(codes)} = {fixed_total} "
                f"exceed the post {amount}"
            )
        weights = _population_weights(population, codes, key)
        rest = amount - fixed_total
        shares = np.full(len(codes), key.fixed_per_recipient, dtype=np.int64)
        if rest:
            shares += _hamilton(rest, weights, _code_ranks(codes), _POP_WHERE)
    elif isinstance(key, FixedAmounts):
        unknown = sorted(set(key.exceptions) - set(codes))
        if unknown:
            raise ValueError(f"FixedAmounts exceptions name non-recipients {unknown}")
        shares = np.array([key.amount_for(c) for c in codes], dtype=np.int64)
        if int(shares.sum()) != amount:
            raise ValueError(
                f"FixedAmounts add up to {int(shares.sum())} but the post is {amount} "
                f"({len(codes)} recipients)"
            )
    elif isinstance(key, DirectAmount):
        if key.recipient_code not in codes:
            raise ValueError(f"DirectAmount recipient {key.recipient_code!r} is not a recipient")
        shares = np.array([amount if c == key.recipient_code else 0 for c in codes], np.int64)
    else:
        raise TypeError(f"unknown allocation key {key!r}")
    return dict(zip(codes, (int(s) for s in shares), strict=True))


# --------------------------------------------------------------------------- agreement


@dataclass(frozen=True)
class Post:
    """One post of an agreement: *amount_sek* split between *recipients* by *key*.

    *population* names the table in ``allocate(..., populations)`` used by population keys
    (e.g. ``"kommun"`` or ``"lan"``); it may be ``None`` for fixed or direct keys.
    """

    name: str
    amount_sek: int
    key: Key
    recipients: tuple[str, ...]
    population: str | None = None

    def __post_init__(self) -> None:
        _check_total(f"amount_sek of post {self.name!r}", self.amount_sek)
        object.__setattr__(self, "recipients", _check_codes(self.recipients, "recipients"))


@dataclass(frozen=True)
class AllocationRow:
    """One tidy result row. ``amount_sek`` is the recipient's share of the post; when
    ``withheld`` is true that share is not paid (the recipient did not accept)."""

    post: str
    recipient_code: str
    amount_sek: int
    withheld: bool = False

    @property
    def paid_sek(self) -> int:
        """Kronor actually paid: the share, or 0 when withheld."""
        return 0 if self.withheld else self.amount_sek


def allocate(
    posts: Sequence[Post],
    populations: Mapping[str, Population] | None = None,
    *,
    accepted: Set[str] | Mapping[str, Set[str]] | None = None,
    policy: Policy = "withhold",
    total: int | None = None,
) -> list[AllocationRow]:
    """Allocate every post of an agreement; one row per post and recipient.

    *accepted* is the set of recipient codes that accepted the agreement (``None``: all
    did), or a mapping ``post name -> set`` (posts not in the mapping: all accepted).
    Non-accepting recipients are handled by *policy*:

    * ``"withhold"`` — the post is split among all recipients as usual; a non-accepting
      recipient's row keeps its share with ``withheld=True`` and is not paid, so for
      every post ``amount = paid + withheld`` exactly;
    * ``"redistribute"`` — the whole post is split by the same key among the accepting
      recipients only (fixed amounts: in proportion to their fixed amounts); the
      non-accepting get a row with 0.

    If *total* is given, the posts must add up to it (``ValueError`` otherwise).

    >>> posts = [Post("k", 100, PopulationShare(), ("a", "b", "c"), "kommun")]
    >>> pops = {"kommun": {"a": 1, "b": 1, "c": 2}}
    >>> [(r.recipient_code, r.amount_sek, r.withheld)
    ...  for r in allocate(posts, pops, accepted={"a", "c"})]
    [('a', 25, False), ('b', 25, True), ('c', 50, False)]
    >>> [r.amount_sek for r in allocate(posts, pops, accepted={"a", "c"}, policy="redistribute")]
    [33, 0, 67]
    """
    if policy not in ("withhold", "redistribute"):
        raise ValueError(f"policy must be 'withhold' or 'redistribute', got {policy!r}")
    names = [p.name for p in posts]
    if len(set(names)) != len(names):
        dup = next(n for n in names if names.count(n) > 1)
        raise ValueError(f"post name {dup!r} is used twice")
    if total is not None:
        total = _check_total("total", total)
        posts_sum = sum(p.amount_sek for p in posts)
        if posts_sum != total:
            raise ValueError(f"the posts add up to {posts_sum} but the agreement total is {total}")
    tables = populations or {}
    rows: list[AllocationRow] = []
    for post in posts:
        population = None
        if post.population is not None:
            if post.population not in tables:
                raise ValueError(f"post {post.name!r}: no population table {post.population!r}")
            population = tables[post.population]
        if accepted is None:
            ok: Set[str] | None = None
        elif isinstance(accepted, Mapping):
            ok = accepted.get(post.name)
        else:
            ok = accepted
        try:
            shares = allocate_post(post.amount_sek, post.key, post.recipients, population)
            if ok is None or all(c in ok for c in post.recipients):
                rows += [AllocationRow(post.name, c, a) for c, a in shares.items()]
            elif policy == "withhold":
                rows += [AllocationRow(post.name, c, a, c not in ok) for c, a in shares.items()]
            else:
                paid = _redistribute(post, shares, ok, population)
                rows += [AllocationRow(post.name, c, paid.get(c, 0)) for c in post.recipients]
        except ValueError as exc:
            raise ValueError(f"post {post.name!r}: {exc}") from exc
    return rows


def _redistribute(
    post: Post, shares: Mapping[str, int], ok: Set[str], population: Population | None
) -> dict[str, int]:
    keep = tuple(c for c in post.recipients if c in ok)
    if not keep:
        raise ValueError("no recipient accepted, so nothing can be redistributed")
    key = post.key
    if isinstance(key, DirectAmount):
        raise ValueError(
            f"recipient {key.recipient_code!r} did not accept and a direct amount "
            "cannot be redistributed"
        )
    if isinstance(key, FixedAmounts):
        weights = np.array([shares[c] for c in keep], dtype=np.int64)
        return dict(
            zip(keep, largest_remainder(post.amount_sek, weights, keep).tolist(), strict=True)
        )
    return allocate_post(post.amount_sek, key, keep, population)


def post_totals(rows: Iterable[AllocationRow]) -> dict[str, tuple[int, int]]:
    """``post -> (paid, withheld)`` in kronor, in order of first appearance."""
    out: dict[str, list[int]] = {}
    for r in rows:
        acc = out.setdefault(r.post, [0, 0])
        acc[1 if r.withheld else 0] += r.amount_sek
    return {k: (v[0], v[1]) for k, v in out.items()}


def rows_to_frame(rows: Iterable[AllocationRow]) -> pl.DataFrame:
    """The rows as a polars frame (``post, recipient_code, amount_sek, withheld, paid_sek``)."""
    rows = list(rows)
    return pl.DataFrame(
        {
            "post": [r.post for r in rows],
            "recipient_code": [r.recipient_code for r in rows],
            "amount_sek": [r.amount_sek for r in rows],
            "withheld": [r.withheld for r in rows],
            "paid_sek": [r.paid_sek for r in rows],
        },
        schema={
            "post": pl.Utf8,
            "recipient_code": pl.Utf8,
            "amount_sek": pl.Int64,
            "withheld": pl.Boolean,
            "paid_sek": pl.Int64,
        },
    )


# --------------------------------------------------------------------------- scenarios


@dataclass(frozen=True)
class ComparisonRow:
    """Paid kronor in the base and the scenario, and ``difference = scenario - base``."""

    post: str
    recipient_code: str
    base_sek: int
    scenario_sek: int
    difference_sek: int = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "difference_sek", self.scenario_sek - self.base_sek)


def compare_allocations(
    base_rows: Iterable[AllocationRow], scenario_rows: Iterable[AllocationRow]
) -> list[ComparisonRow]:
    """Compare two allocations by *paid* kronor per post and recipient (pure).

    A post/recipient present on one side only counts as 0 on the other. Rows come in
    order of first appearance of the post (base first), then recipient code ascending.

    >>> base = [AllocationRow("p", "a", 60), AllocationRow("p", "b", 40)]
    >>> new = [AllocationRow("p", "a", 55), AllocationRow("p", "b", 45, withheld=True)]
    >>> [(c.recipient_code, c.base_sek, c.scenario_sek, c.difference_sek)
    ...  for c in compare_allocations(base, new)]
    [('a', 60, 55, -5), ('b', 40, 0, -40)]
    """
    post_order: dict[str, int] = {}
    table: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for side, rows in enumerate((base_rows, scenario_rows)):
        for r in rows:
            post_order.setdefault(r.post, len(post_order))
            table[(r.post, r.recipient_code)][side] += r.paid_sek
    keys = sorted(table, key=lambda k: (post_order[k[0]], k[1]))
    return [ComparisonRow(p, c, table[(p, c)][0], table[(p, c)][1]) for p, c in keys]
