"""SKR's kommungrupper 2017 and 2023 as versioned comparator groups: loading, refusal of
broken copies, the spot-check against SKR's group sizes, the 33 changes and the
edition-in-force rule."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pytest
from django.conf import settings

from datasmart.geo import kommungrupper
from datasmart.geo.loaders import load_reference_data, read_all
from datasmart.geo.models import ComparatorGroup, ComparatorMembership
from datasmart.geo.validation import DataLoadError

pytestmark = pytest.mark.django_db

# SKR, Kommungruppsindelning 2023 (as given by the groups file, n_kommuner), and the 2017
# sizes SKR published in Kommungruppsindelning 2017 (also in the groups file).
SIZES_2023 = {
    "A1": 3,
    "A2": 43,
    "B3": 23,
    "B4": 63,
    "B5": 24,
    "C6": 27,
    "C7": 51,
    "C8": 35,
    "C9": 21,
}
SIZES_2017 = {
    "A1": 3,
    "A2": 43,
    "B3": 21,
    "B4": 52,
    "B5": 35,
    "C6": 29,
    "C7": 52,
    "C8": 40,
    "C9": 15,
}


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(settings.DATA_DIR, target)
    for f in target.rglob("*"):
        f.chmod(0o644 if f.is_file() else 0o755)
    return target


def edit(base: Path, relpath: str, old: str, new: str) -> None:
    path = base / relpath
    text = path.read_text(encoding="utf-8")
    assert old in text, f"test setup: {old!r} not in {relpath}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def memberships() -> list[tuple[str, str, str]]:
    return sorted(
        ComparatorMembership.objects.values_list("group__edition", "unit__code", "group__code")
    )


def assert_refused(base: Path, *expected: str) -> str:
    before = memberships(), list(ComparatorGroup.objects.values_list("edition", "code", "name"))
    with pytest.raises(DataLoadError) as info:
        load_reference_data(base, force=True)
    after = memberships(), list(ComparatorGroup.objects.values_list("edition", "code", "name"))
    assert after == before, "the database changed although the load failed"
    message = str(info.value)
    for text in expected:
        assert text in message, f"{text!r} not in:\n{message}"
    return message


def test_both_editions_stored_with_all_kommuner() -> None:
    for edition in ("2017", "2023"):
        assert len(kommungrupper.groups(edition)) == 9
        assert len(kommungrupper.membership(edition)) == 290
    assert kommungrupper.membership("2023")["0305"] == "A2"  # Håbo
    assert kommungrupper.membership("2023")["0643"] == "B4"  # Habo
    names = {g.code: g.name for g in kommungrupper.groups("2023")}
    assert names["C7"] == "Pendlingskommun nära mindre tätort"
    assert ComparatorGroup.objects.get(edition="2023", code="C7").number == 7


def test_spot_check_against_skr_group_sizes() -> None:
    """Counted members per group equal SKR's published sizes, both editions (docs/data.md)."""
    assert Counter(kommungrupper.membership("2023").values()) == SIZES_2023
    assert Counter(kommungrupper.membership("2017").values()) == SIZES_2017


def test_33_kommuner_changed_group() -> None:
    """SKR: "33 kommuner bytte kommungrupp" (Kommungruppsindelning 2023)."""
    changes = kommungrupper.changes("2017", "2023")
    assert len(changes) == 33
    moves = Counter((c.old_code, c.new_code) for c in changes)
    assert moves.most_common(1)[0][0] == ("B5", "B4")
    assert all(c.old_code != c.new_code for c in changes)


def test_2017_column_of_the_2023_file_agrees_with_the_2017_file() -> None:
    tables = read_all(Path(settings.DATA_DIR))
    assert kommungrupper.mismatches_2017(tables) == []


def test_2017_column_mismatch_is_refused_with_row_and_column(data_copy: Path) -> None:
    # Upplands Väsby (0114), row 2: A2 in 2017; the 2023 file claims B3 for 2017.
    edit(
        data_copy,
        "kommungrupper/kommungrupper_2023.csv",
        "Storstäder och storstadsnära kommuner,01,47200,A2",
        "Storstäder och storstadsnära kommuner,01,47200,B3",
    )
    assert_refused(
        data_copy,
        "kommungrupper/kommungrupper_2023.csv, rad 2, kolumn 'kommungrupp_2017'",
        "kommun 0114 har kommungrupp B3 för 2017 här men A2",
    )


def test_broken_2023_copy_is_refused_whole(data_copy: Path) -> None:
    edit(
        data_copy,
        "kommungrupper/kommungrupper_2023.csv",
        "0115,Vallentuna,A2",
        "0115,Vallentuna,D4",
    )
    assert_refused(
        data_copy,
        "kommungrupper/kommungrupper_2023.csv, rad 3, kolumn 'kommungrupp'",
        "ogiltigt värde 'D4'",
    )


def test_2023_member_moved_breaks_group_sizes(data_copy: Path) -> None:
    # A valid code, but the counted sizes no longer match the groups file.
    edit(
        data_copy,
        "kommungrupper/kommungrupper_2023.csv",
        "0115,Vallentuna,A2",
        "0115,Vallentuna,A1",
    )
    assert_refused(
        data_copy,
        "kommungrupper/kommungrupper_2023_groups.csv, rad 2, kolumn 'n_kommuner'",
        "kommungrupp A1 (2023) har 3 kommuner enligt gruppfilen men 4",
    )


def test_missing_2023_groups_file_is_refused(data_copy: Path) -> None:
    (data_copy / "kommungrupper/kommungrupper_2023_groups.csv").unlink()
    assert_refused(data_copy, "kommungrupper/kommungrupper_2023_groups.csv: filen saknas")


def test_edition_in_force_rule() -> None:
    assert kommungrupper.EDITION_VALID_FROM == {"2017": 2017, "2023": 2023}
    assert kommungrupper.edition_for_period(2016) == "2017"  # before any: the oldest
    assert kommungrupper.edition_for_period(2022) == "2017"
    assert kommungrupper.edition_for_period(2023) == "2023"
    assert kommungrupper.edition_for_period(2024) == "2023"
    assert kommungrupper.check_edition("2023") == "2023"
    assert kommungrupper.check_edition(None) is None
    with pytest.raises(ValueError, match="Okänd kommungruppsutgåva '2011'"):
        kommungrupper.check_edition("2011")
