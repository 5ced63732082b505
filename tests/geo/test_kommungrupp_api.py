"""The geo API and services give a kommun's kommungrupp in the edition in force (issue 12):
today's (2023) by default, the one in force for ``year`` when given, or the asked edition;
each answer names the edition. An unknown edition is refused (422), never a 500."""

from __future__ import annotations

import pytest
from django.test import Client

from datasmart.geo import services
from datasmart.geo.models import Unit

pytestmark = pytest.mark.django_db
MOVED = "0381"  # Enköping: B5 in 2017, B4 in 2023


def test_unit_detail_defaults_to_edition_in_force() -> None:
    client = Client()
    body = client.get(f"/api/units/{MOVED}").json()
    assert (body["kommungrupp"], body["kommungrupp_edition"]) == ("B4", "2023")
    body = client.get(f"/api/units/{MOVED}", {"year": 2020}).json()
    assert (body["kommungrupp"], body["kommungrupp_edition"]) == ("B5", "2017")
    body = client.get(f"/api/units/{MOVED}", {"kommungrupp_edition": "2017"}).json()
    assert body["kommungrupp"] == "B5"
    assert client.get(f"/api/units/{MOVED}", {"kommungrupp_edition": "1999"}).status_code == 422


def test_unit_list_and_csv_follow_the_edition() -> None:
    client = Client()
    rows = client.get("/api/units", {"level": "kommun", "limit": 1000}).json()["items"]
    assert {r["kommungrupp_edition"] for r in rows} == {"2023"}
    assert next(r for r in rows if r["code"] == MOVED)["kommungrupp"] == "B4"
    response = client.get(
        "/api/units", {"level": "kommun", "format": "csv", "kommungrupp_edition": "2017"}
    )
    csv = b"".join(response.streaming_content).decode("utf-8-sig")  # type: ignore[attr-defined]
    assert f"{MOVED},Enköping" in csv
    line = next(x for x in csv.splitlines() if x.startswith(MOVED))
    assert line.endswith("B5,2017")


def test_service_kommungrupp_of() -> None:
    unit = Unit.objects.get(code=MOVED)
    assert services.kommungrupp_of(unit).code == "B4"  # type: ignore[union-attr]
    assert services.kommungrupp_of(unit, year=2022).code == "B5"  # type: ignore[union-attr]
    assert services.kommungrupp_of(unit, "2017").code == "B5"  # type: ignore[union-attr]
    with pytest.raises(ValueError, match="Okänd kommungruppsutgåva"):
        services.kommungrupp_of(unit, "1999")
