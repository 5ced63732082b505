"""Indicator results say which SKR kommungrupp edition they were compared against: the
edition in force for the period by default (2017 before 2023, 2023 from 2023), switchable
to the other edition in queries and the API; the value-only median/quartile comparison by
kommungrupp follows the same rule."""

from __future__ import annotations

from pathlib import Path

import pytest
from indicators_support import make_indicator, write_csv
from ninja.testing import TestClient

from datasmart.accounts.audit import SYSTEM
from datasmart.geo import kommungrupper
from datasmart.geo.models import Unit
from datasmart.indicators import results
from datasmart.indicators.api import router
from datasmart.indicators.imports import import_observations
from datasmart.indicators.models import Indicator, Result

pytestmark = pytest.mark.django_db
api = TestClient(router)
MOVED = "0381"  # Enköping: B5 in 2017, B4 in 2023 (one of the 33)


@pytest.fixture
def proportion(tmp_path: Path) -> Indicator:
    ind = make_indicator(
        "edition-test", levels=["kommun"], breakdowns=[], age_groups=[], ci_method="wilson"
    )
    codes = Unit.objects.filter(level="kommun").order_by("code").values_list("code", flat=True)
    lines = [
        f"edition-test,{code},{year},T,,{50 + i % 40},200,,"
        for year in (2022, 2023)
        for i, code in enumerate(codes)
    ]
    import_observations(write_csv(tmp_path, "e.csv", lines), by=SYSTEM)
    results.compute_indicator(ind, by=SYSTEM)
    return ind


def test_stored_result_uses_edition_in_force(proportion: Indicator) -> None:
    stored = Result.objects.filter(indicator=proportion, unit__code=MOVED)
    assert dict(stored.values_list("period", "group_edition")) == {2022: "2017", 2023: "2023"}
    assert dict(stored.values_list("period", "group_code")) == {2022: "B5", 2023: "B4"}


def test_switch_edition_recomputes_group_from_published_rows(proportion: Indicator) -> None:
    default = {r["unit_code"]: r for r in results.query_results(proportion, period=2023)}
    switched = {
        r["unit_code"]: r
        for r in results.query_results(proportion, period=2023, kommungrupp_edition="2017")
    }
    assert default[MOVED]["group_edition"] == "2023"
    assert default[MOVED]["group_code"] == "B4"
    assert switched[MOVED]["group_edition"] == "2017"
    assert switched[MOVED]["group_code"] == "B5"
    # the 2017 B5 value from the 2023 rows: sum of numerators / sum of denominators
    b5 = kommungrupper.members("2017", "B5")
    rows = [r for r in default.values() if r["unit_code"] in b5]
    expected = sum(r["numerator"] for r in rows) / sum(r["denominator"] for r in rows) * 100
    assert switched[MOVED]["group_value"] == pytest.approx(expected)
    assert switched[MOVED]["vs_group"] in ("better", "similar", "worse")
    # asking for the edition in force changes nothing
    same = results.query_results(proportion, period=2023, kommungrupp_edition="2023")
    assert same == list(default.values())


def test_unknown_edition_is_refused(proportion: Indicator) -> None:
    with pytest.raises(results.ResultsError, match="Okänd kommungruppsutgåva '2011'"):
        results.query_results(proportion, period=2023, kommungrupp_edition="2011")
    response = api.get("/indicators/edition-test/values?period=2023&kommungrupp_edition=2011")
    assert response.status_code == 422


def test_api_switches_and_states_edition(proportion: Indicator) -> None:
    base = "/indicators/edition-test/values?period=2023&unit=" + MOVED
    default = api.get(base).json()
    switched = api.get(base + "&kommungrupp_edition=2017").json()
    row = default["items"][0] if "items" in default else default["results"][0]
    other = switched["items"][0] if "items" in switched else switched["results"][0]
    assert (row["group_code"], row["group_edition"]) == ("B4", "2023")
    assert (other["group_code"], other["group_edition"]) == ("B5", "2017")


def test_distribution_by_group_follows_edition_rule(proportion: Indicator) -> None:
    in_force = results.distribution(proportion, level="kommun", period=2022, kommungrupp="B5")
    assert in_force["edition"] == "2017"
    assert in_force["n"] == len(kommungrupper.members("2017", "B5")) == 35
    later = results.distribution(proportion, level="kommun", period=2023, kommungrupp="B5")
    assert later["edition"] == "2023"
    assert later["n"] == 24
    switched = results.distribution(
        proportion, level="kommun", period=2023, kommungrupp="B5", kommungrupp_edition="2017"
    )
    assert (switched["edition"], switched["n"]) == ("2017", 35)


def test_unit_profile_states_edition(proportion: Indicator) -> None:
    row = next(r for r in results.unit_profile(MOVED) if r["code"] == "edition-test")
    assert (row["period"], row["group_code"], row["group_edition"]) == (2023, "B4", "2023")
    row = next(
        r
        for r in results.unit_profile(MOVED, kommungrupp_edition="2017")
        if r["code"] == "edition-test"
    )
    assert (row["group_code"], row["group_edition"]) == ("B5", "2017")
