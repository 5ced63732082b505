"""Conformance with PHEindicatormethods: life expectancy, quantiles (README 4.7, 4.9) and
the SII file (4.10)."""

from __future__ import annotations

import re

import numpy as np
import pytest
from stats_support import assert_close

from datasmart.stats import LE_START_AGES, life_expectancy, quantile_groups

# --- life expectancy -------------------------------------------------------------------------


def _le_check(r, e, rows=slice(None)):
    # The peer rounds both sides to 4 decimals (expected limits used z = 1.96 exactly).
    for ours, col in (("value", "value"), ("lower", "lowercl"), ("upper", "uppercl")):
        assert_close(np.round(getattr(r, ours)[rows], 4), np.round(e.num(col), 4), rtol=0,
                     atol=1.000001e-4, label=col)  # fmt: skip


def test_life_expectancy_single_area(phe):
    t = phe("life_expectancy_input.csv")
    e = phe("life_expectancy_expected.csv")
    np.testing.assert_array_equal(t.num("startage"), LE_START_AGES)
    r = life_expectancy(t.num("deaths"), t.num("pops"))
    _le_check(r, e)
    assert_close(r.population_used, e.num("pops_used"))
    assert_close(r.deaths_used, e.num("dths_used"))
    # rows shuffled then sorted back give the same answer
    perm = np.random.default_rng(0).permutation(20)
    order = np.argsort(t.num("startage")[perm])
    r2 = life_expectancy(t.num("deaths")[perm][order], t.num("pops")[perm][order])
    assert_close(r2.value, r.value)


def test_life_expectancy_99_8(phe):
    t = phe("life_expectancy_input.csv")
    r95 = life_expectancy(t.num("deaths"), t.num("pops"), confidence=0.95)
    r998 = life_expectancy(t.num("deaths"), t.num("pops"), confidence=0.998)
    assert np.all(r998.lower < r95.lower) and np.all(r998.upper > r95.upper)
    assert_close(r998.value, r95.value)


def test_life_expectancy_text_age_bands(phe):
    t = phe("life_expectancy_input_text_agebands.csv")
    ages = np.array([float(re.search(r"\d+", label).group()) for label in t.text("startage")])
    order = np.argsort(ages)
    np.testing.assert_array_equal(ages[order], LE_START_AGES)
    r = life_expectancy(t.num("deaths")[order], t.num("pops")[order])
    _le_check(r, phe("life_expectancy_expected.csv"))


def test_life_expectancy_wide_intervals_and_invalid_area(phe):
    t = phe("life_expectancy_wide_ci_input.csv")
    e = phe("life_expectancy_wide_ci_expected.csv")
    areas = list(dict.fromkeys(t.text("area")))
    d = t.num("deaths").reshape(len(areas), 20)
    p = t.num("pops").reshape(len(areas), 20)
    r = life_expectancy(d, p)
    assert r.valid.tolist() == [False, True]  # Area 1: 312 deaths > 311 population at 90
    for i, area in enumerate(areas):
        sub = e.subset(lambda row, a=area: row["area"] == a)
        for ours, col in (("value", "value"), ("lower", "lower95_0cl"), ("upper", "upper95_0cl")):
            assert_close(np.round(getattr(r, ours)[i], 4), np.round(sub.num(col), 4), rtol=0,
                         atol=1.000001e-4, label=f"{area} {col}")  # fmt: skip


def test_life_expectancy_suppression_rules(phe):
    t = phe("life_expectancy_suppression_input.csv")
    for area in dict.fromkeys(t.text("area")):
        sub = t.subset(lambda row, a=area: row["area"] == a)
        expect_na = set(sub.text("expect_all_NA")) == {"TRUE"}
        if len(sub) != 20:  # "Missing age band": the table needs all 20 bands
            assert expect_na
            with pytest.raises(ValueError, match="one value per band"):
                life_expectancy(sub.num("deaths"), sub.num("pop"))
            continue
        r = life_expectancy(sub.num("deaths"), sub.num("pop"))
        assert bool(np.all(np.isnan(r.value) & np.isnan(r.lower))) == expect_na, area
        assert bool(r.valid) == (not expect_na)
        if expect_na:
            with pytest.raises(ValueError):
                life_expectancy(sub.num("deaths"), sub.num("pop"), on_invalid="raise")


def test_life_expectancy_single_area_peer_variants(phe):
    """README 4.7 'other single-area cases': each returns all-missing outputs."""
    t = phe("life_expectancy_input.csv")
    d, p = t.num("deaths"), t.num("pops")
    ages = t.num("startage")
    for deaths, pops in [
        (np.where(ages == 10, -5, d), p),
        (d, np.where(ages == 20, 0, p)),
        (d, np.where(ages == 85, 119, p)),
        (d, np.linspace(100, 200, 20)),
    ]:
        r = life_expectancy(deaths, pops)
        assert np.all(np.isnan(r.value)) and not r.valid


# --- quantiles ---------------------------------------------------------------------------------


def _invert(polarity: str) -> bool:
    return {"RAG - Low is good": True, "TRUE": True, "RAG - High is good": False, "FALSE": False}[
        polarity
    ]


@pytest.mark.parametrize(
    "groupset,extra,keys,k,invert",
    [
        ("IndSexReg", None, ["IndSexRef", "ParentCode"], 10, "field"),
        ("IndSexReg", "90366Female", ["IndSexRef", "ParentCode"], 10, False),
        ("IndSex", None, ["IndSexRef"], 7, "field"),
        ("None", None, [], 4, True),
    ],
)
def test_quantiles(phe, groupset, extra, keys, k, invert):
    t = phe("quantiles_testdata.csv").subset(
        lambda r: (
            r["Test"].startswith("Good")
            and r["GroupSet"] == groupset
            and (extra is None or r["IndSexRef"] == extra)
        )
    )
    groups = np.array(["|".join(r[c] for c in keys) for r in t.rows]) if keys else None
    inv = np.array([_invert(p) for p in t.text("Polarity")]) if invert == "field" else invert
    q = quantile_groups(t.num("Value"), k, groups=groups, invert=inv)
    np.testing.assert_array_equal(q, t.num("QuantileInGrp"))


def test_quantiles_bad_polarity_is_an_error(phe):
    t = phe("quantiles_testdata.csv").subset(lambda r: r["Test"] == "BadPolarity")
    inv = np.array([_invert(p) for p in t.text("Polarity")])
    with pytest.raises(ValueError, match="invert differs within the group"):
        quantile_groups(t.num("Value"), 4, invert=inv)


# --- slope / relative index of inequality -----------------------------------------------------

VT = {0: "normal", 1: "rate", 2: "proportion"}
# (first row, last row, value_type, spread from, kwargs, confidences, expected rows); README 4.10
SII_CASES = [
    (1, 20, 0, "SE", {}, [0.95], [1, 11]),
    (1, 20, 0, "CL", {}, [0.95], [1, 11]),
    (1, 20, 0, "CL", {}, [0.95], [246, 256]),
    (1, 10, 0, "CL", {}, [0.95], [1]),
    (21, 40, 0, "CL", {}, [0.99], [21, 31]),
    (21, 40, 0, "SE", {}, [0.99], [21, 31]),
    (226, 245, 0, "SE", {}, [0.95, 0.99], [226, 236]),
    (41, 60, 0, "SE", {}, [0.95], [41, 51]),
    (61, 70, 0, "SE", {}, [0.95], [61, 66]),
    (71, 90, 1, "SE", {}, [0.95], [71, 81]),
    (71, 90, 1, "CL", {}, [0.95], [71, 81]),
    (71, 90, 1, "CL", {}, [0.95], [266, 276]),
    (306, 325, 1, "CL", {"transform": True}, [0.95], [306, 316]),
    (386, 405, 1, "CL", {"transform": True, "multiplier": -1}, [0.95], [386, 396]),
    (406, 425, 1, "CL", {"transform": True}, [0.98], [406, 416]),
    (366, 385, 1, "CL", {"transform": True}, [0.95, 0.98], [366, 376]),
    (426, 445, 1, "CL", {"transform": True, "rii": False}, [0.95], [426, 436]),
    (91, 110, 2, "SE", {}, [0.95], [91, 101]),
    (91, 110, 2, "CL", {}, [0.95], [91, 101]),
    (91, 110, 2, "COUNT", {}, [0.95], [91, 101]),
    (91, 110, 1, "CL", {}, [0.95], [286, 296]),
    (111, 130, 2, "CL", {"multiplier": 100}, [0.95], [111, 121]),
    (111, 130, 2, "CL", {"multiplier": 100, "rii": False}, [0.95], [111, 121]),  # 23
    (131, 150, 2, "CL", {"multiplier": -100}, [0.95], [131, 141]),
    (131, 150, 2, "CL", {"multiplier": -100, "rii": False}, [0.95], [131, 141]),  # 25
    (326, 345, 2, "CL", {"transform": True}, [0.95], [326, 336]),
    (346, 365, 2, "CL", {"transform": True, "multiplier": -1}, [0.95], [346, 356]),
    (466, 485, 2, "CL", {"transform": True}, [0.98], [466, 476]),
    (486, 505, 2, "CL", {"transform": True}, [0.95, 0.98], [486, 496]),
    (446, 465, 2, "CL", {"transform": True, "rii": False}, [0.95], [446, 456]),
]


def _peer_close(actual, expected, tol=0.05):
    """testthat's expect_equal: mean |a − e| / mean |e| over the compared column."""
    a, e = np.asarray(actual, float), np.asarray(expected, float)
    diff = a != e
    if not diff.any():
        return True
    return np.mean(np.abs(a[diff] - e[diff])) / np.mean(np.abs(e[diff])) < tol


@pytest.mark.parametrize("case", SII_CASES, ids=lambda c: f"rows{c[0]}-{c[1]}")
def test_sii(phe, case):
    from datasmart.stats import sii

    first, last, vt, spread, kwargs, confidences, expected_rows = case
    t = phe("sii_testdata.csv")
    rows = t.rows[first - 1 : last]
    columns: dict[str, tuple[list[float], list[float]]] = {}
    for area, erow in zip(dict.fromkeys(r["Area"] for r in rows), expected_rows, strict=False):
        block = sorted((r for r in rows if r["Area"] == area), key=lambda r: float(r["Quantile"]))
        names = ("Value", "Population", "Count", "StandardError", "LowerCL", "UpperCL")
        col = {c: np.array([float(r[c]) if r[c] else np.nan for r in block]) for c in names}
        value = {"count": col["Count"]} if spread == "COUNT" else {"value": col["Value"]}
        spread_args = (
            {"se": col["StandardError"]}
            if spread == "SE"
            else {"lower_cl": col["LowerCL"], "upper_cl": col["UpperCL"]}
        )
        expected = t.rows[erow - 1]
        for level, confidence in enumerate(confidences, start=1):
            args = {"value": None, **value, "population": col["Population"]}
            r = sii(**args, value_type=VT[vt], confidence=confidence, rng=2024,
                    **spread_args, **kwargs)  # fmt: skip
            pairs = {
                "sii": r.sii,
                "rii": r.rii,
                "Intercept": r.intercept,
                f"sii_lowercl_{level}": r.sii_lower,
                f"sii_uppercl_{level}": r.sii_upper,
                f"rii_lowercl_{level}": r.rii_lower,
                f"rii_uppercl_{level}": r.rii_upper,
            }
            for name, mine in pairs.items():
                if name.startswith("rii") and kwargs.get("rii") is False:
                    assert np.isnan(mine), name  # rii = FALSE: only the SII and its limits
                    continue
                if expected[name] == "":
                    continue
                ours, theirs = columns.setdefault(name, ([], []))
                ours.append(mine)
                theirs.append(float(expected[name]))
    assert columns
    for name, (ours, theirs) in columns.items():
        if "cl_" in name:  # simulated: the peer's own 5 % column criterion
            assert _peer_close(ours, theirs), (name, ours, theirs)
        else:  # deterministic
            assert_close(ours, theirs, rtol=1e-8, label=name)


def _sii_block(t, first, last):
    """Rows ``first``–``last`` (1-based) of the SII file as columns, in quantile order."""
    rows = sorted(t.rows[first - 1 : last], key=lambda r: float(r["Quantile"]))
    names = ("Quantile", "Value", "Population", "Count", "StandardError", "LowerCL", "UpperCL")
    return {c: np.array([float(r[c]) if r[c] else np.nan for r in rows]) for c in names}


def test_sii_errors(phe):
    """The peer's error blocks (README 4.10): rows 151–200 and rows 1–3."""
    from datasmart.stats import sii

    t = phe("sii_testdata.csv")
    col = _sii_block(t, 151, 160)
    with pytest.raises(ValueError, match="is not positive"):
        sii(col["Value"], col["Population"], se=col["StandardError"])  # population -200
    col = _sii_block(t, 161, 165)  # a standard error of -5
    with pytest.raises(ValueError, match=r"se\[2\] = -5: negative or missing standard errors"):
        sii(col["Value"], col["Population"], se=col["StandardError"])
    col = _sii_block(t, 166, 170)  # x = Count, a count of 0
    with pytest.raises(ValueError, match=r"count\[2\] = 0: zero or negative count"):
        sii(None, col["Population"], count=col["Count"], value_type="proportion",
            se=col["StandardError"])  # fmt: skip
    col = _sii_block(t, 1, 20)  # values 0-100 are not proportions
    with pytest.raises(ValueError, match="proportions must lie between 0 and 1"):
        sii(col["Value"][:10], col["Population"][:10], value_type="proportion",
            se=col["StandardError"][:10])  # fmt: skip
    for first, bad in ((171, r"upper_cl\[3\] = 11"), (176, r"lower_cl\[1\] = 8")):
        col = _sii_block(t, first, first + 4)
        with pytest.raises(ValueError, match=bad + ": confidence limits of a proportion"):
            sii(col["Value"], col["Population"], value_type="proportion",
                lower_cl=col["LowerCL"], upper_cl=col["UpperCL"])  # fmt: skip
    col = _sii_block(t, 191, 200)  # SE and limits missing in the first five rows
    with pytest.raises(ValueError, match=r"se\[0\] = nan: negative or missing standard errors"):
        sii(col["Value"], col["Population"], se=col["StandardError"])
    with pytest.raises(ValueError, match="negative or missing lower or upper confidence limits"):
        sii(col["Value"], col["Population"], lower_cl=col["LowerCL"], upper_cl=col["UpperCL"])
    col = _sii_block(t, 1, 3)
    with pytest.raises(ValueError, match="between 5 and 100"):
        sii(col["Value"], col["Population"], lower_cl=col["LowerCL"], upper_cl=col["UpperCL"])
    with pytest.raises(ValueError, match="transform needs"):
        sii(np.arange(5.0), np.ones(5), se=np.ones(5), transform=True)
    with pytest.raises(ValueError, match="give se, or both"):
        sii(np.arange(5.0), np.ones(5))
    with pytest.raises(ValueError, match="sii needs value, or count for a proportion"):
        sii(None, np.ones(5), se=np.ones(5))
    with pytest.raises(ValueError, match="repetitions"):
        sii(np.arange(5.0), np.ones(5), se=np.ones(5), repetitions=10)


def test_sii_warnings(phe):
    """The peer's warning blocks: more than 10 quantiles (rows 211–225) and an area
    missing quantile 6 (rows 1–15 and 17–20: area2 is dropped, area1 computed)."""
    from datasmart.stats import sii

    t = phe("sii_testdata.csv")
    col = _sii_block(t, 211, 225)
    with pytest.warns(UserWarning, match="small values can make the SII unstable"):
        r = sii(col["Value"], col["Population"], lower_cl=col["LowerCL"],
                upper_cl=col["UpperCL"], repetitions=1000, rng=1)  # fmt: skip
    assert np.isfinite(r.sii)
    area1, area2 = _sii_block(t, 1, 10), _sii_block(t, 11, 20)
    keep = area2["Quantile"] != 6
    area2 = {c: v[keep] for c, v in area2.items()}
    r1 = sii(area1["Value"], area1["Population"], quantile=area1["Quantile"],
             lower_cl=area1["LowerCL"], upper_cl=area1["UpperCL"], repetitions=1000)  # fmt: skip
    assert r1.sii == pytest.approx(float(t.rows[0]["sii"]), rel=1e-8)
    with pytest.warns(UserWarning, match="quantile 6 missing"):
        r2 = sii(area2["Value"], area2["Population"], quantile=area2["Quantile"],
                 lower_cl=area2["LowerCL"], upper_cl=area2["UpperCL"])  # fmt: skip
    assert all(np.isnan(v) for v in r2)
