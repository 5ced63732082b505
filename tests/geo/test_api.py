"""The geography API: filters, pagination, CSV, and clear 404/422 bodies (never 500)."""

from __future__ import annotations

import csv
import io

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def body(response) -> str:  # type: ignore[no-untyped-def]
    if response.streaming:
        return b"".join(response.streaming_content).decode("utf-8-sig")
    return response.content.decode()


def test_health(client: Client) -> None:
    assert client.get("/api/health").json() == {"status": "ok"}


def test_units_filtered_by_level_paginates(client: Client) -> None:
    first = client.get("/api/units", {"level": "kommun", "limit": 100}).json()
    assert first["count"] == 290 and len(first["items"]) == 100
    assert first["previous"] is None and "offset=100" in first["next"]
    last = client.get("/api/units", {"level": "kommun", "limit": 100, "offset": 200}).json()
    assert len(last["items"]) == 90 and last["next"] is None
    item = first["items"][0]
    assert {"code", "name", "level", "parent_code"} <= item.keys()
    assert item["level"] == "kommun" and item["parent_code"] == item["code"][:2]


def test_units_by_parent_include_split_halland(client: Client) -> None:
    items = client.get("/api/units", {"parent": "sodra", "limit": 1000}).json()["items"]
    codes = {i["code"] for i in items}
    assert {"07", "10", "12", "1380", "1315", "1381"} == codes


def test_units_csv_has_all_rows(client: Client) -> None:
    response = client.get("/api/units", {"level": "region", "format": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(body(response))))
    assert len(rows) == 21 and rows[0]["code"] == "01"


def test_unit_detail(client: Client) -> None:
    data = client.get("/api/units/1380").json()
    assert data["name"] == "Halmstad" and data["sjukvardsregion_code"] == "sodra"
    assert [a["code"] for a in data["ancestors"]] == ["00", "sodra", "13"]
    assert data["population_years"] == [2019, 2024]
    assert data["population_years_by_age_sex"] == [2019]


@pytest.mark.parametrize("url", ["/api/units/9999", "/api/units/%C3%A5%C3%A4%C3%B6"])
def test_unknown_unit_is_404_with_message(client: Client, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 404
    assert "Ingen enhet" in response.json()["detail"]


def test_population_total_and_breakdowns(client: Client) -> None:
    total = client.get("/api/population", {"unit": "00", "year": 2019}).json()
    assert total == [
        {
            "year": 2019,
            "unit_code": "00",
            "age_group": None,
            "sex": None,
            "population": 10327589,
            "granularity": "age",
            "attribution": "Källa: SCB",
        }
    ]
    by_sex = client.get("/api/population", {"unit": "00", "year": 2019, "by": "sex"}).json()
    assert {r["sex"]: r["population"] for r in by_sex} == {"1": 5195814, "2": 5131775}
    bands = client.get(
        "/api/population", {"unit": "0180", "year": 2019, "by": "sex", "age_groups": "0-17,18+"}
    ).json()
    assert len(bands) == 4 and {r["age_group"] for r in bands} == {"0-17", "18+"}


def test_population_series_without_year(client: Client) -> None:
    rows = client.get("/api/population", {"unit": "01"}).json()
    years = [r["year"] for r in rows]
    assert years[0] == 1968 and years[-1] == 2024 and 2019 in years


def test_population_csv(client: Client) -> None:
    response = client.get(
        "/api/population", {"unit": "13", "year": 2019, "by": "age,sex", "format": "csv"}
    )
    rows = list(csv.DictReader(io.StringIO(body(response))))
    assert len(rows) == 202 and sum(int(r["population"]) for r in rows) == 333848


@pytest.mark.parametrize(
    ("params", "status", "text"),
    [
        ({"unit": "0180", "year": "abc"}, 422, "year"),
        ({"unit": "0180", "year": 2019, "by": "income"}, 422, "income"),
        ({"unit": "0180", "year": 2019, "age_groups": "0-17,10-20"}, 422, "överlappar"),
        ({"unit": "0180", "year": 2024, "by": "age"}, 404, "bara totalbefolkning"),
        ({"unit": "0180", "year": 1990}, 404, "Tillgängliga år"),
        ({"unit": "0180", "by": "sex"}, 422, "kräver ett år"),
        ({"year": 2019}, 422, "unit"),
        ({"unit": "x" * 40, "year": 2019}, 422, "unit"),
        ({"unit": "0180", "year": 2019, "format": "xml"}, 422, "format"),
    ],
)
def test_population_bad_parameters(client: Client, params: dict, status: int, text: str) -> None:
    response = client.get("/api/population", params)
    assert response.status_code == status
    assert text in response.json()["detail"]


@pytest.mark.parametrize(
    "params", [{"level": "county"}, {"limit": 0}, {"limit": 5000}, {"offset": -1}]
)
def test_units_bad_parameters(client: Client, params: dict) -> None:
    response = client.get("/api/units", params)
    assert response.status_code == 422
    assert response.json()["detail"].startswith("Ogiltiga parametrar")


def test_openapi_docs(client: Client) -> None:
    schema = client.get("/api/openapi.json").json()
    assert "/api/units" in schema["paths"] and "/api/population" in schema["paths"]
    docs = client.get("/api/docs")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in html
    assert "cdn." not in html and 'src="http' not in html
