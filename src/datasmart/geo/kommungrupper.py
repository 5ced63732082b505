"""SKR's kommungrupper as versioned comparator groups (editions 2017 and 2023).

Why versioned: SKR revised its classification for 2023 (same nine groups, 33 kommuner moved;
SKR, *Kommungruppsindelning 2023*, published 29 November 2022). A comparison with "the
kommungrupp" is only meaningful if it says which edition, and a result for 2021 should be
compared with the groups of the edition then in force, not today's. Both editions are
stored (:class:`~datasmart.geo.models.ComparatorGroup` with ``edition``), and
:data:`EDITION_VALID_FROM` is the one rule saying which edition is in force for a period.

Loading (called by :mod:`datasmart.geo.loaders`, inside its read-everything-then-write-once
flow): every edition has a members file and a groups file; the cross-checks here refuse a
load when a member's group is unknown, when counted members per group differ from the sizes
the groups file publishes, or when the 2023 file's ``kommungrupp_2017`` column disagrees
with the 2017 file. Every problem names file, row and column.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import polars as pl

from datasmart.geo.models import ComparatorGroup, ComparatorMembership, Level, Unit
from datasmart.geo.validation import FileSpec, Kind, Problem, Table, unknown_references

KIND = "kommungrupp"

EDITION_VALID_FROM: dict[str, int] = {"2017": 2017, "2023": 2023}
"""First period (year) each edition is in force for: SKR's *Kommungruppsindelning 2017*
applies from 1 January 2017, *Kommungruppsindelning 2023* (published November 2022) from
1 January 2023. Periods before the first edition use the first edition (the oldest one
stored; SKR's 2011 edition is not loaded) — :func:`edition_for_period` says so."""

MONTH_PERIOD_MIN = 190001
"""Periods this large are months ``YYYYMM`` (as in :mod:`datasmart.indicators.periods`)."""

EDITIONS: tuple[str, ...] = tuple(sorted(EDITION_VALID_FROM, key=EDITION_VALID_FROM.__getitem__))
"""Stored editions, oldest first."""


@dataclass(frozen=True)
class EditionFiles:
    """Dataset names (keys of the loader's SPECS) of one edition's two files."""

    edition: str
    groups: str
    members: str
    size_column: str = "n_kommuner"


EDITION_FILES: tuple[EditionFiles, ...] = (
    EditionFiles("2017", "kommungrupper_groups", "kommungrupper"),
    EditionFiles("2023", "kommungrupper_2023_groups", "kommungrupper_2023"),
)

SPECS: tuple[FileSpec, ...] = (
    FileSpec(
        "kommungrupper_groups",
        "kommungrupper/kommungrupper_2017_groups.csv",
        {
            "kommungrupp": Kind.GROUP_CODE,
            "kommungrupp_nr": Kind.COUNT,
            "kommungrupp_namn": Kind.TEXT,
            "huvudgrupp": Kind.TEXT,
            "huvudgrupp_namn": Kind.TEXT,
            "n_kommuner": Kind.COUNT,
        },
        unique=("kommungrupp",),
    ),
    FileSpec(
        "kommungrupper",
        "kommungrupper/kommungrupper_2017.csv",
        {"kommun_code": Kind.KOMMUN_CODE, "kommungrupp": Kind.GROUP_CODE},
        unique=("kommun_code",),
    ),
    FileSpec(
        "kommungrupper_2023_groups",
        "kommungrupper/kommungrupper_2023_groups.csv",
        {
            "kommungrupp": Kind.GROUP_CODE,
            "kommungrupp_namn": Kind.TEXT,
            "huvudgrupp": Kind.TEXT,
            "huvudgrupp_namn": Kind.TEXT,
            "n_kommuner": Kind.COUNT,
        },
        unique=("kommungrupp",),
    ),
    FileSpec(
        "kommungrupper_2023",
        "kommungrupper/kommungrupper_2023.csv",
        {
            "kommun_code": Kind.KOMMUN_CODE,
            "kommungrupp": Kind.GROUP_CODE,
            "kommungrupp_2017": Kind.GROUP_CODE,
        },
        unique=("kommun_code",),
    ),
)

DATASETS: tuple[str, ...] = tuple(s.dataset for s in SPECS)


def edition_for_period(period: int | None) -> str:
    """The edition in force for ``period`` (a year) by :data:`EDITION_VALID_FROM`.

    The latest edition whose first year is not after the period; a period before every
    edition (or None) gets the oldest edition, the closest the data allows."""
    if period is None:
        return EDITIONS[-1]
    year = int(period) // 100 if int(period) >= MONTH_PERIOD_MIN else int(period)
    chosen = EDITIONS[0]
    for edition in EDITIONS:
        if EDITION_VALID_FROM[edition] <= year:
            chosen = edition
    return chosen


def edition_expr(period: pl.Expr) -> pl.Expr:
    """:func:`edition_for_period` as a polars expression over a period column."""
    year = pl.when(period >= MONTH_PERIOD_MIN).then(period // 100).otherwise(period)
    expr: pl.Expr = pl.lit(EDITIONS[0])
    for edition in EDITIONS[1:]:
        expr = pl.when(year >= EDITION_VALID_FROM[edition]).then(pl.lit(edition)).otherwise(expr)
    return expr


def check_edition(edition: str | None) -> str | None:
    """``edition`` if it is a stored edition (or None); ValueError with a Swedish message."""
    if edition in (None, ""):
        return None
    if edition not in EDITION_VALID_FROM:
        raise ValueError(f"Okänd kommungruppsutgåva '{edition}'; välj bland {', '.join(EDITIONS)}.")
    return edition


# --- validation -----------------------------------------------------------------------------


def cross_check(tables: dict[str, Table], kommun_codes: set[str] | None) -> list[Problem]:
    """Every check between the kommungrupp files and against the kommun list.

    - each member file names only known kommuner and groups of its own edition, and every
      kommun exactly once (all 290);
    - counted members per group equal the size its groups file publishes (``n_kommuner``);
    - the 2023 file's ``kommungrupp_2017`` equals the 2017 file for every kommun.
    """
    problems: list[Problem] = []
    for files in EDITION_FILES:
        groups_t, members_t = tables.get(files.groups), tables.get(files.members)
        if members_t is not None and kommun_codes is not None:
            problems += unknown_references(members_t, "kommun_code", kommun_codes, "kommunkod")
            absent = sorted(kommun_codes - set(members_t.frame["kommun_code"]))
            if absent:
                problems.append(
                    Problem(
                        members_t.spec.relpath,
                        None,
                        "kommun_code",
                        f"kommuner saknar kommungrupp ({files.edition}): {', '.join(absent[:10])}",
                    )
                )
        if groups_t is None or members_t is None:
            continue
        known = set(groups_t.frame["kommungrupp"])
        wrong = unknown_references(members_t, "kommungrupp", known, "kommungrupp")
        problems += wrong
        if wrong:
            continue
        problems += _check_sizes(groups_t, members_t, files)
    problems += _check_2017_column(tables)
    return problems


def _check_sizes(groups_t: Table, members_t: Table, files: EditionFiles) -> list[Problem]:
    """Counted members per group against the published size in the groups file."""
    counted = Counter(members_t.frame["kommungrupp"].to_list())
    problems = []
    for row, code, size in (
        groups_t.frame.with_row_index("_row", offset=2)
        .select("_row", "kommungrupp", files.size_column)
        .iter_rows()
    ):
        if counted.get(code, 0) != size:
            problems.append(
                Problem(
                    groups_t.spec.relpath,
                    row,
                    files.size_column,
                    f"kommungrupp {code} ({files.edition}) har {size} kommuner enligt "
                    f"gruppfilen men {counted.get(code, 0)} i {members_t.spec.relpath}",
                )
            )
    return problems


def _check_2017_column(tables: dict[str, Table]) -> list[Problem]:
    """The 2023 file's ``kommungrupp_2017`` against the 2017 file, row by row."""
    new, old = tables.get("kommungrupper_2023"), tables.get("kommungrupper")
    if new is None or old is None:
        return []
    before = dict(old.frame.select("kommun_code", "kommungrupp").iter_rows())
    problems = []
    for row, code, stated in (
        new.frame.with_row_index("_row", offset=2)
        .select("_row", "kommun_code", "kommungrupp_2017")
        .iter_rows()
    ):
        actual = before.get(code)
        if actual is not None and actual != stated:
            problems.append(
                Problem(
                    new.spec.relpath,
                    row,
                    "kommungrupp_2017",
                    f"kommun {code} har kommungrupp {stated} för 2017 här men {actual} i "
                    f"{old.spec.relpath}",
                )
            )
    return problems


def mismatches_2017(tables: dict[str, Table]) -> list[Problem]:
    """Public name of the 2017-column check (for reports and tests)."""
    return _check_2017_column(tables)


# --- writing --------------------------------------------------------------------------------


def load(tables: dict[str, Table]) -> None:
    """Write every edition's groups and memberships (inside the loader's transaction).

    Memberships of an edition are replaced only when they differ, so a rerun writes
    nothing."""
    ids = dict(Unit.objects.filter(level=Level.KOMMUN).values_list("code", "id"))
    for files in EDITION_FILES:
        groups = {}
        for rec in tables[files.groups].frame.iter_rows(named=True):
            code = rec["kommungrupp"]
            group, _ = ComparatorGroup.objects.update_or_create(
                kind=KIND,
                edition=files.edition,
                code=code,
                defaults={
                    "number": rec.get("kommungrupp_nr") or int(code[1:]),
                    "name": rec["kommungrupp_namn"],
                    "main_group_code": rec["huvudgrupp"],
                    "main_group_name": rec["huvudgrupp_namn"],
                },
            )
            groups[code] = group
        wanted = {
            (groups[r["kommungrupp"]].id, ids[r["kommun_code"]])
            for r in tables[files.members].frame.iter_rows(named=True)
        }
        memberships = ComparatorMembership.objects.filter(
            group__kind=KIND, group__edition=files.edition
        )
        if wanted != set(memberships.values_list("group_id", "unit_id")):
            memberships.delete()
            ComparatorMembership.objects.bulk_create(
                ComparatorMembership(group_id=g, unit_id=u) for g, u in sorted(wanted)
            )


# --- queries --------------------------------------------------------------------------------


def membership(edition: str) -> dict[str, str]:
    """``{kommun code: group code}`` of one edition."""
    return dict(
        ComparatorMembership.objects.filter(group__kind=KIND, group__edition=edition).values_list(
            "unit__code", "group__code"
        )
    )


def members(edition: str, code: str) -> set[str]:
    """Kommun codes in group ``code`` of ``edition``."""
    return set(
        ComparatorMembership.objects.filter(
            group__kind=KIND, group__edition=edition, group__code=code
        ).values_list("unit__code", flat=True)
    )


def groups(edition: str) -> list[ComparatorGroup]:
    """The groups of one edition, by code."""
    return list(ComparatorGroup.objects.filter(kind=KIND, edition=edition).order_by("code"))


@dataclass(frozen=True)
class Change:
    """A kommun whose group differs between two editions."""

    code: str
    name: str
    old_code: str
    old_name: str
    new_code: str
    new_name: str


def changes(old: str = "2017", new: str = "2023") -> list[Change]:
    """Kommuner whose group in ``new`` differs from ``old`` (by kommun code).

    SKR states that 33 kommuner changed group between 2017 and 2023; the count here is
    from the stored data (tests check it is 33)."""
    rows = ComparatorMembership.objects.filter(
        group__kind=KIND, group__edition__in=[old, new]
    ).values_list("unit__code", "unit__name", "group__edition", "group__code", "group__name")
    by_unit: dict[str, dict[str, tuple[str, str]]] = {}
    names: dict[str, str] = {}
    for code, name, edition, gcode, gname in rows:
        by_unit.setdefault(code, {})[edition] = (gcode, gname)
        names[code] = name
    out = []
    for code in sorted(by_unit):
        e = by_unit[code]
        if old in e and new in e and e[old][0] != e[new][0]:
            out.append(Change(code, names[code], *e[old], *e[new]))
    return out


SKR_STATED_CHANGES = 33
"""SKR's own count of kommuner that changed group from the 2017 to the 2023 edition
(*Kommungruppsindelning 2023*, 29 November 2022): the kommungrupp page compares the stored
data's count (:func:`changes`) with it."""


@dataclass(frozen=True)
class GroupMembers:
    """One group of an edition with its member kommuner (code, name), by name."""

    group: ComparatorGroup
    members: list[tuple[str, str]]

    @property
    def size(self) -> int:
        """Counted members; the loader refuses a file whose count differs from the size
        SKR publishes for the group (:func:`_check_sizes`), so this is also SKR's size."""
        return len(self.members)


def overview(edition: str) -> list[GroupMembers]:
    """Every group of ``edition`` with its members (the kommungrupp page; one query for
    the memberships). ValueError for an edition that is not stored."""
    check_edition(edition)
    by_group: dict[int, list[tuple[str, str]]] = {}
    for group_id, code, name in ComparatorMembership.objects.filter(
        group__kind=KIND, group__edition=edition
    ).values_list("group_id", "unit__code", "unit__name"):
        by_group.setdefault(group_id, []).append((code, name))
    return [
        GroupMembers(g, sorted(by_group.get(g.id, []), key=lambda cn: cn[1].casefold()))
        for g in groups(edition)
    ]


def unit_groups(unit: Unit) -> list[ComparatorGroup]:
    """The kommun's group in every stored edition, oldest edition first (the unit page)."""
    found = {g.edition: g for g in unit.groups.filter(kind=KIND)}
    return [found[e] for e in EDITIONS if e in found]
