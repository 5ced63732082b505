"""Linear-programming audit of a suppression pattern: what all published sums together reveal.

The secondary search of :mod:`datasmart.indicators.engine_disclosure` makes sure that no
*single* published sum has exactly one hidden term. A reader can also combine sums:
with Halland split between two sjukvårdsregioner, "Halland + Västra Götaland − Västra
sjukvårdsregionen − Hylte − Halmstad" is Laholm, although every one of those sums has
two or more hidden terms. The audit therefore asks, for every hidden cell *c*, what an
intruder who knows every published number and every published equation can conclude:

    lo_c = min x_c,  hi_c = max x_c   subject to   A x = b,  x ≥ 0,

where ``x`` are the cells unknown to the reader (hidden by us, at source, missing or not
published), ``A x = b`` are the published equations with the shown cells moved to the
right-hand side, and nothing else is known. ``[lo_c, hi_c]`` is the cell's *feasibility
interval* (Hundepool et al., *Statistical Disclosure Control*, Wiley 2012, §4.3.2 and
§5.3 on auditing a suppressed table; τ-ARGUS runs the same two linear programs per
cell in its audit, de Wolf 2002). It is computed on the LP relaxation (real, not
integer, cells), as τ-ARGUS does. The protection rule (``docs/methods/indicators.md``)
with threshold *t*:

* a **sensitive** cell — hidden, with its own count ``1 ≤ v < t`` — needs
  ``lo_c ≤ 0`` and ``hi_c ≥ t``: the published numbers allow "nobody" as well as a
  count that is not small, so they exclude no value in ``0 … t``;
* **every other hidden cell** (secondary, a zero, a count ≥ t, a source-suppressed
  cell) needs ``hi_c − lo_c ≥ 1``: it is not pinned to one value.

The LP separates into the connected components of the unknowns (an equation joins its
unknown terms; cells never share an equation across periods), and a cell's interval
depends on its own component alone, so the audit keeps only the components that hold a
hidden cell (a national-only indicator has hundreds of thousands of unpublished kommun
cells in components without one) and skips the feasibility LP when the true values
already are a feasible point. Solving two LPs per hidden cell would be slow on a
national table with ~1 600 hidden cells, so the audit first *certifies* cells in
batches: any feasible point ``x`` with ``x_c ≥ v_c + (t − v_c)`` proves ``hi_c ≥ t``
(likewise for the lower side), and one LP "maximise Σ min(x_c − v_c, target_c)" over
all uncertified cells (scipy's HiGHS, ``scipy.optimize.linprog(method="highs")``)
certifies most of them at once. Only cells left uncertified after the batches get their
own exact LP, restricted to the connected component of unknowns they belong to. A cell
whose exact bound breaks the rule is *failing*; the dual values of that LP
(``eqlin.marginals``) say which shown cells bind the bound, and the cheapest of them
(smallest positive count, finest unit) is returned to be hidden next.
:func:`datasmart.indicators.engine_disclosure.suppression` repeats secondary search and
audit until nothing fails.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from scipy.optimize import linprog
from scipy.sparse.csgraph import connected_components

__all__ = ["AuditProblem", "Series", "audit"]

TOL = 1e-6
"""Absolute tolerance on bounds (counts are whole numbers; HiGHS' feasibility tolerance
is 1e-7)."""
_MAX_BATCHES = 8
_BLOCK_VARIABLES = 8_000
"""Unknowns per stacked exact LP (bounds one HiGHS call's size)."""


@dataclass(frozen=True)
class Series:
    """One published count column of one grid, e.g. the numerators of an indicator.

    ``rows`` index the stacked rows of :class:`AuditProblem`; ``values`` are the true
    values on those rows (NaN when not known to the engine: missing, at source);
    ``known`` says whether a reader sees the value while the row is shown (False for
    rows that are missing or not published); ``equations`` are ``(gid, local row,
    coefficient)`` triples, one equation per gid, Σ coefficient · value = 0.
    """

    rows: npt.NDArray[np.int64]
    values: npt.NDArray[np.float64]
    known: npt.NDArray[np.bool_]
    equations: tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.float64]]
    group: npt.NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, np.int64))
    """Per row, a key under which two series may be identical (e.g. the period)."""


@dataclass(frozen=True)
class AuditProblem:
    """Several series over one set of stacked rows, and which series are the same count.

    ``identities`` are ``(series a, series b, link ids a, link ids b)`` pairs: rows with
    equal link ids carry the same number in both series (linked tables counting the
    same population, Hundepool et al. 2012 §5.5).
    """

    n_rows: int
    series: list[Series]
    link: npt.NDArray[np.int64] | None = None


@dataclass
class AuditResult:
    """Outcome of one audit round."""

    failing: npt.NDArray[np.int64]
    """Stacked rows whose cell breaks the rule (in any series)."""
    picks: npt.NDArray[np.int64]
    """Stacked rows to hide next (shown, hideable rows that bind a failing bound)."""
    n_exact: int = 0
    """Exact per-cell LPs solved (for the benchmark)."""
    n_batch: int = 0


def _identity_terms(
    problem: AuditProblem, slot_of: list[npt.NDArray[np.int64]]
) -> list[tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]]:
    """Pairs of slots that hold the same number: series of different grids that agree on
    every row of a group (period) where both have a value are the same count there."""
    link = problem.link
    if link is None or len(problem.series) < 2:
        return []
    n_link = int(link.max()) + 1
    pairs = []
    for i, a in enumerate(problem.series):
        for j in range(i + 1, len(problem.series)):
            b = problem.series[j]
            va = np.full(n_link, np.nan)
            vb = np.full(n_link, np.nan)
            ga = np.full(n_link, -1, np.int64)
            sa = np.full(n_link, -1, np.int64)
            sb = np.full(n_link, -1, np.int64)
            la, lb = link[a.rows], link[b.rows]
            va[la], vb[lb] = a.values, b.values
            ga[la] = a.group if a.group.size else 0
            sa[la], sb[lb] = slot_of[i], slot_of[j]
            both = (sa >= 0) & (sb >= 0)
            if not both.any():
                continue
            valued = both & np.isfinite(va) & np.isfinite(vb)
            differs = valued & (np.abs(va - vb) > TOL)
            groups = np.unique(ga[valued])
            bad = np.unique(ga[differs])
            same = np.setdiff1d(groups, bad)
            keep = both & np.isin(ga, same)
            if keep.any():
                pairs.append((sa[keep], sb[keep]))
    return pairs


class _Lp:
    """The published equations over the unknown slots (see module docstring)."""

    def __init__(
        self,
        problem: AuditProblem,
        unknown_row: npt.NDArray[np.bool_],
        *,
        strict: bool = False,
        audited: npt.NDArray[np.bool_] | None = None,
    ) -> None:
        series = problem.series
        sizes = [s.rows.size for s in series]
        offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        n_slots = int(offsets[-1])
        slot_of = [np.arange(offsets[k], offsets[k + 1]) for k in range(len(series))]
        self.slot_row = (
            np.concatenate([s.rows for s in series]) if series else np.zeros(0, np.int64)
        )
        self.true = np.concatenate([s.values for s in series]) if series else np.zeros(0)
        known = np.concatenate([s.known for s in series]) if series else np.zeros(0, bool)
        self.unknown = unknown_row[self.slot_row] | ~known
        shown_value = np.where(self.unknown, 0.0, np.nan_to_num(self.true, nan=0.0))
        eq, slot, coef = [], [], []
        next_eq = 0
        for k, s in enumerate(series):
            gid, row, c = s.equations
            if gid.size:
                eq.append(gid + next_eq)
                slot.append(slot_of[k][row])
                coef.append(c)
                next_eq += int(gid.max()) + 1
        for a, b in [] if strict else _identity_terms(problem, slot_of):
            ids = np.arange(next_eq, next_eq + a.size)
            eq += [ids, ids]
            slot += [a, b]
            coef += [np.ones(a.size), -np.ones(a.size)]
            next_eq += a.size
        eq_a = np.concatenate(eq) if eq else np.zeros(0, np.int64)
        slot_a = np.concatenate(slot) if slot else np.zeros(0, np.int64)
        coef_a = np.concatenate(coef) if coef else np.zeros(0)
        unk = self.unknown[slot_a]
        # An equation is a reader's only if it has an unknown term; it is used only if the
        # true values satisfy it (a stored parent that does not add up is no equation).
        has_unknown = np.bincount(eq_a, weights=unk, minlength=next_eq) > 0
        true_terms = np.nan_to_num(self.true[slot_a], nan=0.0) * coef_a
        residual = np.bincount(eq_a, weights=true_terms, minlength=next_eq)
        scale = np.bincount(eq_a, weights=np.abs(true_terms), minlength=next_eq)
        unsure = np.bincount(eq_a, weights=~np.isfinite(self.true[slot_a]), minlength=next_eq) > 0
        adds_up = np.abs(residual) <= TOL * np.maximum(1.0, scale)
        holds = np.where(unsure, not strict, adds_up)
        use = (has_unknown & holds)[eq_a]
        eq_a, slot_a, coef_a, unk = eq_a[use], slot_a[use], coef_a[use], unk[use]
        eq_ids, eq_a = np.unique(eq_a, return_inverse=True)
        n_eq = eq_ids.size
        # Connected components of the unknowns (an equation joins its unknown terms), on
        # the bipartite graph unknown slot – equation: O(nonzeros), no Aᵀ A product.
        all_vars = np.flatnonzero(self.unknown)
        var_of = np.full(n_slots, -1, np.int64)
        var_of[all_vars] = np.arange(all_vars.size)
        n_all = all_vars.size
        graph = sp.coo_array(
            (np.ones(int(unk.sum())), (var_of[slot_a[unk]], n_all + eq_a[unk])),
            shape=(n_all + n_eq, n_all + n_eq),
        )
        label = (
            connected_components(graph, directed=False)[1].astype(np.int64)
            if n_all + n_eq
            else np.zeros(0, np.int64)
        )
        var_label, eq_label = label[:n_all], label[n_all:]
        # Only the components holding an audited cell matter: the LP separates into its
        # components (no equation has unknowns from two), so a cell's interval depends on
        # its own component's equations alone. A national-only indicator has hundreds of
        # thousands of unpublished kommun cells whose components hold no hidden cell.
        if audited is not None:
            keep = np.zeros(int(label.max()) + 1 if label.size else 0, dtype=bool)
            keep[var_label[audited[self.slot_row[all_vars]]]] = True
            kept_vars = keep[var_label]
            kept_eqs = keep[eq_label]
        else:
            kept_vars = np.ones(n_all, dtype=bool)
            kept_eqs = np.ones(n_eq, dtype=bool)
        use = kept_eqs[eq_a]
        eq_a, slot_a, coef_a, unk = eq_a[use], slot_a[use], coef_a[use], unk[use]
        eq_keep = np.flatnonzero(kept_eqs)
        eq_new = np.full(n_eq, -1, np.int64)
        eq_new[eq_keep] = np.arange(eq_keep.size)
        eq_a = eq_new[eq_a]
        n_eq = eq_keep.size
        self.var_slot = all_vars[kept_vars]
        var_of = np.full(n_slots, -1, np.int64)
        var_of[self.var_slot] = np.arange(self.var_slot.size)
        self.n_var = self.var_slot.size
        self.A = sp.csr_array(
            (coef_a[unk], (eq_a[unk], var_of[slot_a[unk]])), shape=(n_eq, self.n_var)
        )
        self.b = -np.bincount(eq_a[~unk], weights=coef_a[~unk] * shown_value[slot_a[~unk]],
                              minlength=n_eq)  # fmt: skip
        # Far above any value a cell can take (every cell of a bounded component is at
        # most the sum of the published totals it appears in), and above the threshold.
        self.cap = 10.0 * (np.abs(self.b).sum() + np.nansum(np.abs(self.true)) + 1e3)
        # Shown slots of each equation, for choosing which one to hide (dual values).
        self.S = sp.csr_array((coef_a[~unk], (eq_a[~unk], slot_a[~unk])), shape=(n_eq, n_slots))
        self.var_of = var_of
        self.component = var_label[kept_vars].astype(np.int64)
        self.eq_component = eq_label[eq_keep].astype(np.int64)
        # The true values are a feasible point when every kept equation has only known
        # terms, they add up to within HiGHS' feasibility tolerance, and the unknowns are
        # non-negative: then :meth:`feasible` needs no LP.
        kept_ids = eq_ids[eq_keep]
        x_true = self.true[self.var_slot]
        self.true_is_feasible = bool(
            not unsure[kept_ids].any()
            and (np.abs(residual[kept_ids]) <= 1e-9).all()
            and (np.nan_to_num(x_true, nan=0.0) >= 0).all()
        )

    def _sub(
        self, vars_: npt.NDArray[np.int64]
    ) -> tuple[sp.csr_array, npt.NDArray[np.float64], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """The equations and unknowns of the connected components holding *vars_*."""
        comp = np.unique(self.component[vars_])
        eqs = np.flatnonzero(np.isin(self.eq_component, comp)).astype(np.int64)
        cols = np.flatnonzero(np.isin(self.component, comp)).astype(np.int64)
        return self.A[eqs][:, cols], np.asarray(self.b[eqs], dtype=np.float64), eqs, cols

    def exact(
        self, vars_: npt.NDArray[np.int64], signs: npt.NDArray[np.float64]
    ) -> list[tuple[float, npt.NDArray[np.int64], npt.NDArray[np.float64]]]:
        """min sign · x_var for every (var, sign), each over the var's component.

        The LPs are independent, so they are stacked as the blocks of one block-diagonal
        LP whose objective is their sum (its optimum is the sum of the optima and each
        block's part of the solution solves its own LP): one HiGHS call per chunk instead
        of one per bound. Unknowns are capped at :attr:`cap`, far above any published
        total, so a bound that is really unbounded shows as the cap. Returns, per
        request, the bound (the optimal x_var) and the equation duals (ids, values).
        """
        out: list[tuple[float, npt.NDArray[np.int64], npt.NDArray[np.float64]]] = []
        cache: dict[int, tuple[sp.csr_array, npt.NDArray[np.float64], npt.NDArray[np.int64],
                               npt.NDArray[np.int64]]] = {}  # fmt: skip
        pending: list[int] = []
        size = 0

        def flush() -> None:
            nonlocal size
            if not pending:
                return
            parts = [cache[int(self.component[vars_[i]])] for i in pending]
            A = sp.block_diag([p[0] for p in parts], format="csr")
            b = np.concatenate([p[1] for p in parts])
            c = np.zeros(A.shape[1])
            col0 = np.concatenate([[0], np.cumsum([p[3].size for p in parts])])
            row0 = np.concatenate([[0], np.cumsum([p[2].size for p in parts])])
            for j, i in enumerate(pending):
                c[col0[j] + np.searchsorted(parts[j][3], vars_[i])] = signs[i]
            res = linprog(
                c, A_eq=A if A.shape[0] else None, b_eq=b if A.shape[0] else None,
                bounds=(0, self.cap), method="highs",
            )  # fmt: skip
            if res.status != 0:  # cannot happen for a feasible, bounded problem
                raise RuntimeError(f"disclosure audit LP failed: {res.message}")
            duals = res.eqlin.marginals if A.shape[0] else np.zeros(0)
            for j, i in enumerate(pending):
                x_var = res.x[col0[j] + np.searchsorted(parts[j][3], vars_[i])]
                out.append((float(x_var), parts[j][2],
                            duals[row0[j] : row0[j + 1]]))  # fmt: skip
            pending.clear()
            size = 0

        for i, var in enumerate(vars_):
            comp = int(self.component[var])
            if comp not in cache:
                cache[comp] = self._sub(np.array([var]))
            pending.append(i)
            size += cache[comp][3].size
            if size >= _BLOCK_VARIABLES:
                flush()
        flush()
        return out

    def feasible(self) -> bool:
        """Whether the published equations have a solution at all."""
        if self.true_is_feasible:
            return True
        res = linprog(
            np.zeros(self.n_var), A_eq=self.A if self.A.shape[0] else None,
            b_eq=self.b if self.A.shape[0] else None, bounds=(0, None), method="highs",
        )  # fmt: skip
        return bool(res.status != 2)

    def batch(
        self, cells: npt.NDArray[np.int64], target: npt.NDArray[np.float64], up: bool
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]] | None:
        """A feasible point pushing every variable of *cells* towards v ± target at once:
        max Σ y_c with y_c ≤ ±(x_c − v_c), y_c ≤ target_c — one LP instead of one per
        cell. Returns the components' unknowns and their values at that point."""
        A, b, _eqs, cols = self._sub(cells)
        n, m = cols.size, cells.size
        local = np.searchsorted(cols, cells)
        v = np.nan_to_num(self.true[self.var_slot[cells]], nan=0.0)
        sign = 1.0 if up else -1.0
        # y_c − sign · x_c ≤ −sign · v_c
        a_ub = sp.hstack([
            sp.csr_array((np.full(m, -sign), (np.arange(m), local)), shape=(m, n)),
            sp.eye_array(m, format="csr"),
        ]).tocsr()  # fmt: skip
        a_eq = sp.hstack([A, sp.csr_array((A.shape[0], m))]).tocsr()
        lower = np.concatenate([np.zeros(n), np.full(m, -np.inf)])
        upper = np.concatenate([np.full(n, np.inf), target])
        c = np.concatenate([np.zeros(n), -np.ones(m)])
        res = linprog(
            c, A_ub=a_ub, b_ub=-sign * v,
            A_eq=a_eq if a_eq.shape[0] else None, b_eq=b if a_eq.shape[0] else None,
            bounds=np.column_stack([lower, upper]), method="highs",
        )  # fmt: skip
        return (cols, res.x[:n]) if res.status == 0 else None


def audit(
    problem: AuditProblem,
    hidden_ours: npt.NDArray[np.bool_],
    other_unknown: npt.NDArray[np.bool_],
    candidate: npt.NDArray[np.bool_],
    cost: npt.NDArray[np.float64],
    threshold: float,
    memo: dict[str, npt.NDArray[np.bool_]] | None = None,
) -> AuditResult:
    """Feasibility intervals of every hidden cell; the failing ones and rows to hide next.

    Parameters
    ----------
    problem : AuditProblem
    hidden_ours : bool array over stacked rows
        Rows hidden by the engine or at source (their cells are audited).
    other_unknown : bool array
        Rows a reader does not see (missing, not published): unknown, not audited.
    candidate : bool array
        Shown rows that may be hidden to widen an interval.
    cost : float array
        Cost of hiding a row (smaller is hidden first).
    threshold : float
        *t* of the rule; ``t ≤ 1`` leaves no cell sensitive.
    memo : dict, optional
        Certificates from an earlier round of the same problem. Hiding more only removes
        fixed values, so a point feasible before stays feasible and its certificates
        stay valid: later rounds only look at cells not yet certified.
    """
    lp = _Lp(problem, hidden_ours | other_unknown, audited=hidden_ours)
    out = AuditResult(np.zeros(0, np.int64), np.zeros(0, np.int64))
    if lp.n_var == 0:
        return out
    if not lp.feasible():
        # An equation with a term unknown to the engine (missing, at source) or an
        # identity between linked series does not hold in the data. Keep only the
        # equations the true values are known to satisfy (the true point is feasible).
        lp = _Lp(problem, hidden_ours | other_unknown, strict=True, audited=hidden_ours)
    audited = hidden_ours[lp.slot_row[lp.var_slot]]
    cells = np.flatnonzero(audited)
    if cells.size == 0:
        return out
    slots = lp.var_slot[cells]
    memo = {} if memo is None else memo
    n_slots = lp.slot_row.size
    up_memo = memo.setdefault("up", np.zeros(n_slots, dtype=bool))
    down_memo = memo.setdefault("down", np.zeros(n_slots, dtype=bool))
    v = lp.true[slots]
    valued = np.isfinite(v)
    v0 = np.nan_to_num(v, nan=0.0)
    sensitive = valued & (v0 >= 1) & (v0 < threshold)
    up_target = np.where(sensitive, threshold - v0, 1.0)
    down_target = np.where(sensitive, v0, np.minimum(v0, 1.0))
    # A sensitive cell needs both sides; any other valued cell one (a zero: the upper).
    up_ok = ~valued | up_memo[slots]
    down_ok = ~valued | down_memo[slots]

    def certify(cols: npt.NDArray[np.int64], x: npt.NDArray[np.float64]) -> int:
        here = np.isin(cells, cols)
        xc = np.full(cells.size, np.nan)
        xc[here] = x[np.searchsorted(cols, cells[here])]
        before = int(up_ok.sum() + down_ok.sum())
        up_ok[:] |= here & valued & (xc >= v0 + up_target - TOL)
        down_ok[:] |= here & valued & (down_target > 0) & (xc <= v0 - down_target + TOL)
        return int(up_ok.sum() + down_ok.sum()) - before

    def done() -> npt.NDArray[np.bool_]:
        return np.where(sensitive, up_ok & down_ok, up_ok | down_ok)

    for _ in range(_MAX_BATCHES):
        gained = 0
        for up in (True, False):
            need = valued & ~done() & (~up_ok if up else ~down_ok & (down_target > 0))
            if not need.any():
                continue
            point = lp.batch(cells[need], (up_target if up else down_target)[need], up)
            out.n_batch += 1
            if point is not None:
                gained += certify(*point)
        if not gained:
            break
    up_memo[slots] |= up_ok & valued
    down_memo[slots] |= down_ok & valued

    # Exact bounds for what the batches left open: lower bounds (sign +1) and upper
    # bounds (sign −1) of every uncertified cell, all in stacked LPs.
    open_ = np.flatnonzero(~done() | ~valued)
    req_k, req_sign = [], []
    for k in open_:
        if not (valued[k] and down_ok[k]):
            req_k.append(k)
            req_sign.append(1.0)
        if not (valued[k] and up_ok[k]):
            req_k.append(k)
            req_sign.append(-1.0)
    solved = lp.exact(cells[np.asarray(req_k, dtype=np.int64)], np.asarray(req_sign))
    out.n_exact = len(solved)
    found: dict[int, dict[str, tuple[float, npt.NDArray[np.int64], npt.NDArray[np.float64]]]]
    found = {}
    for k, sign, res in zip(req_k, req_sign, solved, strict=True):
        found.setdefault(int(k), {})["lo" if sign > 0 else "hi"] = res
    failing_rows: list[int] = []
    picks: list[int] = []
    for k in open_:
        sides = found.get(int(k), {})
        lo = sides["lo"][0] if "lo" in sides else (0.0 if down_ok[k] else v0[k])
        hi = sides["hi"][0] if "hi" in sides else (np.inf if up_ok[k] else v0[k])
        if sensitive[k]:
            bad = [s for s, ok in (("lo", lo <= TOL), ("hi", hi >= threshold - TOL)) if not ok]
        else:
            bad = [] if hi - lo >= 1 - TOL else list(sides)
        if not bad:
            if valued[k]:
                up_memo[slots[k]] |= hi >= v0[k] + up_target[k] - TOL
                down_memo[slots[k]] |= lo <= v0[k] - down_target[k] + TOL
            continue
        failing_rows.append(int(lp.slot_row[slots[k]]))
        pick = _choose(lp, [sides[s][1:] for s in bad], int(cells[k]), candidate, cost)
        if pick is not None:
            picks.append(pick)
    out.failing = np.unique(np.asarray(failing_rows, dtype=np.int64))
    out.picks = np.unique(np.asarray(picks, dtype=np.int64))
    return out


def _choose(
    lp: _Lp,
    duals: list[tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]],
    var: int,
    candidate: npt.NDArray[np.bool_],
    cost: npt.NDArray[np.float64],
) -> int | None:
    """The cheapest hideable shown row whose value binds a failing bound of *var*.

    The sensitivity of an optimal bound to a shown slot's value is ``−Sᵀy`` (y the
    equation duals, S the shown slots' coefficients); a nonzero one means that the
    fixed value limits the bound (LP duality, e.g. Hundepool et al. 2012 §4.3.2 on
    choosing secondary cells by their effect on the protection interval). Without any,
    the cheapest hideable shown row of the component's equations is taken.
    """
    binding = np.zeros(lp.S.shape[1], dtype=bool)
    for eqs, y in duals:
        if eqs.size:
            binding |= np.abs(lp.S[eqs].T @ y) > TOL
    slots = np.flatnonzero(binding)
    if not candidate[lp.slot_row[slots]].any():  # the component's shown slots (only now)
        eqs_c = np.flatnonzero(lp.eq_component == lp.component[var])
        slots = np.unique(lp.S[eqs_c].indices)
    rows = lp.slot_row[slots]
    rows = rows[candidate[rows]]
    if rows.size:
        return int(rows[np.lexsort((rows, cost[rows]))[0]])
    return None
