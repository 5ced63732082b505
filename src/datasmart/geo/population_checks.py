"""Checks that the population files agree with each other before anything is stored.

Why: the files overlap (län by one-year age 1968–2015, län by five-year band 2013–2021,
kommun by age 2019, kommun totals 2024, län and Riket totals 2011–2024). All are SCB's
BE0101 stock on 31 December, so where they overlap they must give the same numbers; the
platform stores each granularity side by side and picks one per query, which is only
honest if they agree. A disagreement means a broken or mislabelled copy, so the load is
refused whole (with file, row and column) rather than warned about: a wrong denominator
would silently move every rate computed from it.

Identities checked (each one only where both files cover the year and unit):

1. five-year bands = one-year ages summed into the bands (län 2013–2015; age 100 = 100+
   falls into the open top band);
2. five-year bands = kommun one-year ages summed to län and into the bands (2019);
3. län totals = one-year ages summed (län 2011–2015; kommun 2019 summed to län);
4. län totals = five-year bands summed (2013–2021);
5. län totals = kommun totals summed to län (2024);
6. Riket = the 21 län summed, in the totals file.

The band file's own structure is checked too: each label matches ``age_from``/``age_to``,
the bands are contiguous from 0 with one open top band, and every län × sex × year has
every band.
"""

from __future__ import annotations

import polars as pl

from datasmart.geo.models import NATION_CODE
from datasmart.geo.validation import MAX_PROBLEMS_PER_COLUMN, Problem, Table

_KEY = ["year", "lan_code", "sex"]


def check_band_structure(table: Table) -> list[Problem]:
    """Problems with the age-band layout of a band file (labels, gaps, missing bands)."""
    name = table.spec.relpath
    frame = table.frame.with_row_index("_row", offset=2)
    problems: list[Problem] = []
    expected = (
        pl.when(pl.col("age_to").is_null())
        .then(pl.col("age_from").cast(pl.Utf8) + "+")
        .otherwise(pl.col("age_from").cast(pl.Utf8) + "-" + pl.col("age_to").cast(pl.Utf8))
    )
    bad_label = frame.filter(pl.col("age_group") != expected).with_columns(expected.alias("_e"))
    for row, label, want in (
        bad_label.select("_row", "age_group", "_e").head(MAX_PROBLEMS_PER_COLUMN).iter_rows()
    ):
        problems.append(
            Problem(name, row, "age_group", f"'{label}' stämmer inte med age_from/age_to ({want})")
        )
    reversed_ = frame.filter(pl.col("age_to") < pl.col("age_from"))
    for row, low, high in reversed_.select("_row", "age_from", "age_to").head(20).iter_rows():
        problems.append(Problem(name, row, "age_to", f"age_to {high} är lägre än age_from {low}"))
    if problems:
        return problems

    # The band scheme: the most common age_to for each age_from; rows that differ are wrong.
    scheme = (
        frame.group_by("age_from", "age_to")
        .len()
        .sort(["age_from", "len"], descending=[False, True])
        .unique("age_from", keep="first", maintain_order=True)
        .sort("age_from")
    )
    odd = frame.join(scheme.select("age_from", "age_to"), on="age_from", how="left").filter(
        pl.col("age_to").ne_missing(pl.col("age_to_right"))
    )
    for row, low in odd.select("_row", "age_from").head(MAX_PROBLEMS_PER_COLUMN).iter_rows():
        problems.append(
            Problem(
                name,
                row,
                "age_to",
                f"åldersgruppen från {low} har en annan övre gräns än i resten av filen",
            )
        )
    bands = list(scheme.select("age_from", "age_to").iter_rows())
    expected_from = 0
    for i, (low, high) in enumerate(bands):
        if low != expected_from:
            problems.append(
                Problem(
                    name,
                    None,
                    "age_from",
                    f"åldersgrupperna är inte sammanhängande: efter {expected_from - 1} "
                    f"kommer {low}",
                )
            )
            break
        if high is None and i != len(bands) - 1:
            problems.append(
                Problem(
                    name, None, "age_to", f"bara den översta åldersgruppen får vara öppen ({low}+)"
                )
            )
            break
        expected_from = (high or 0) + 1
    if bands and bands[-1][1] is not None:
        problems.append(
            Problem(
                name,
                None,
                "age_to",
                f"den översta åldersgruppen ({bands[-1][0]}-{bands[-1][1]}) ska vara öppen "
                "(age_to tom), annars saknas de äldsta",
            )
        )
    if problems:
        return problems
    incomplete = frame.group_by(_KEY).len().filter(pl.col("len") != len(bands)).sort(_KEY)
    for year, lan, sex, n in incomplete.head(MAX_PROBLEMS_PER_COLUMN).iter_rows():
        problems.append(
            Problem(
                name,
                None,
                "age_group",
                f"län {lan}, kön {sex}, år {year} har {n} av {len(bands)} åldersgrupper",
            )
        )
    return problems


def _band_of(ages: pl.Expr, bands: list[tuple[int, int | None]]) -> pl.Expr:
    """The ``age_from`` of the band each one-year age falls in (bands are contiguous)."""
    starts = sorted(low for low, _ in bands)
    expr = pl.lit(starts[0], dtype=pl.Int64)
    for start in starts[1:]:
        expr = pl.when(ages >= start).then(pl.lit(start, dtype=pl.Int64)).otherwise(expr)
    return expr


def _mismatches(
    checked: pl.DataFrame, against: pl.DataFrame, on: list[str], name: str, what: str
) -> list[Problem]:
    """Rows of ``checked`` (with ``_row`` and ``population``) that differ from ``against``
    (``on`` keys and ``expected``), as problems on column ``population``."""
    joined = checked.join(against, on=on, how="inner").filter(
        pl.col("population") != pl.col("expected")
    )
    problems = []
    for rec in joined.sort("_row").head(MAX_PROBLEMS_PER_COLUMN).iter_rows(named=True):
        where = ", ".join(f"{k}={rec[k]}" for k in on)
        problems.append(
            Problem(
                name,
                rec["_row"],
                "population",
                f"{rec['population']} stämmer inte med {what} ({rec['expected']}) för {where}",
            )
        )
    if joined.height > MAX_PROBLEMS_PER_COLUMN:
        problems.append(
            Problem(
                name,
                None,
                "population",
                f"… och {joined.height - MAX_PROBLEMS_PER_COLUMN} fler avvikelser",
            )
        )
    return problems


def check_population_identities(tables: dict[str, Table]) -> list[Problem]:
    """Problems where two population files give different figures for the same thing."""
    problems: list[Problem] = []
    single = tables.get("population_lan_age_sex")
    kommun = tables.get("population_kommun_age_sex")
    kommun_total = tables.get("population_kommun_total")
    band = tables.get("population_lan_age5_sex")
    total = tables.get("population_lan_total")

    # Kommun one-year ages summed to län, in the same shape as the län file.
    kommun_as_lan = (
        kommun.frame.with_columns(pl.col("kommun_code").str.slice(0, 2).alias("lan_code"))
        .group_by("year", "lan_code", "sex", "age")
        .agg(pl.col("population").sum())
        if kommun is not None
        else None
    )
    singles = [
        f.select("year", "lan_code", "sex", "age", "population")
        for f in ([single.frame] if single is not None else [])
        + ([kommun_as_lan] if kommun_as_lan is not None else [])
    ]

    if band is not None:
        bands = list(band.frame.select("age_from", "age_to").unique().sort("age_from").iter_rows())
        checked = band.frame.with_row_index("_row", offset=2)
        for frame, what in zip(
            singles,
            ["ettårsklasserna i lan_age_sex summerade", "kommunernas ettårsklasser summerade"],
            strict=False,
        ):
            summed = (
                frame.with_columns(_band_of(pl.col("age"), bands).alias("age_from"))
                .group_by("year", "lan_code", "sex", "age_from")
                .agg(pl.col("population").sum().alias("expected"))
            )
            problems += _mismatches(
                checked, summed, ["year", "lan_code", "sex", "age_from"], band.spec.relpath, what
            )

    if total is not None:
        checked = total.frame.with_row_index("_row", offset=2)
        lan_rows = checked.filter(pl.col("lan_code") != NATION_CODE)
        sources: list[tuple[pl.DataFrame, str]] = [
            (f, "ettårsklasserna summerade") for f in singles
        ]
        if band is not None:
            sources.append((band.frame, "femårsgrupperna summerade"))
        if kommun_total is not None:
            sources.append(
                (
                    kommun_total.frame.with_columns(
                        pl.col("kommun_code").str.slice(0, 2).alias("lan_code")
                    ),
                    "kommunernas totaler summerade",
                )
            )
        for frame, what in sources:
            summed = frame.group_by("year", "lan_code").agg(
                pl.col("population").sum().alias("expected")
            )
            problems += _mismatches(
                lan_rows, summed, ["year", "lan_code"], total.spec.relpath, what
            )
        riket = lan_rows.group_by("year").agg(pl.col("population").sum().alias("expected"))
        problems += _mismatches(
            checked.filter(pl.col("lan_code") == NATION_CODE),
            riket,
            ["year"],
            total.spec.relpath,
            "länen summerade",
        )
    return problems
