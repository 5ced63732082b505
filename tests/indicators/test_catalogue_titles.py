"""A title promises only what the page can show: an age range named in a title is an age
group the indicator has (or its only population). The ADHD medicine titles said "per
1 000 invånare 5–24 år" while the data has only the bands 5–9 … 20–24 and no 5–24 total
(rates without counts or denominators cannot be summed), so the page opened on 5–9."""

from __future__ import annotations

import re

import pytest

from datasmart.indicators.catalogue import read_catalogue

AGE_RANGE = re.compile(r"(\d+)\s*[–-]\s*(\d+)")
ENTRIES = read_catalogue()


@pytest.mark.parametrize("entry", ENTRIES, ids=[e.code for e in ENTRIES])
def test_age_ranges_in_titles_are_age_groups(entry) -> None:  # type: ignore[no-untyped-def]
    values = entry.values
    if "age_group" not in (values.get("breakdowns") or []):
        return  # one population: the title names it
    groups = set(values.get("age_groups") or [])
    for field in ("title_sv", "title_en"):
        for low, high in AGE_RANGE.findall(values.get(field) or ""):
            if f"{low}{high}".isdigit() and int(low) < int(high) < 130:
                assert f"{low}-{high}" in groups, (entry.code, field, values[field], groups)


def test_adhd_titles_name_the_age_groups() -> None:
    adhd = [e for e in ENTRIES if e.code.startswith("adhd-medication-")]
    assert len(adhd) == 5
    for e in adhd:
        assert "5–24 år" not in e.values["title_sv"]
        assert "i åldersgruppen" in e.values["title_sv"]
        assert "ingen kvot för hela åldern 5–24 år" in e.values["definition_sv"]
        assert e.version >= 2  # so a sync replaces the stored titles
