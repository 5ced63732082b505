"""Result endpoints: values (JSON/CSV/xlsx), comparisons, profiles, composite index."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from indicators_support import make_indicator, write_csv
from ninja.testing import TestClient
from openpyxl import load_workbook
from test_results import _rows
from tests.accounts.factories import make_token, member, national_organisation

from datasmart.accounts.audit import SYSTEM
from datasmart.accounts.models import Role
from datasmart.indicators import results
from datasmart.indicators.api import router
from datasmart.indicators.imports import import_observations
from datasmart.indicators.models import Indicator, Observation

client = TestClient(router)


@pytest.fixture
def headers(db: Any) -> dict[str, str]:
    _token, secret = make_token(member(Role.VIEWER, username="läsare"))
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def computed(tmp_path: Path, db: Any) -> Indicator:
    ind = make_indicator(
        "res-api",
        levels=["kommun"],
        breakdowns=[],
        age_groups=[],
        polarity="higher_is_better",
        ci_method="wilson",
        domain="A",
    )
    lines = _rows("res-api", 2022, small="0180") + _rows("res-api", 2023, small="0180")
    import_observations(write_csv(tmp_path, "api.csv", lines), by=SYSTEM)
    results.compute_indicator(ind, by=SYSTEM)
    return ind


def test_public_page_downloads_work_without_signing_in(computed: Indicator) -> None:
    """The indicator page is public; its CSV and Excel links once gave anonymous visitors
    a 401 saved as ``values.json``. They now download the same suppressed results."""
    import re

    from django.test import Client

    anonymous = Client()
    page = anonymous.get("/indikatorer/res-api/")
    assert page.status_code == 200
    links = re.findall(r'href="(/api/indicators/res-api/values\?[^"]+)"', page.content.decode())
    assert len(links) == 2
    for link in links:
        res = anonymous.get(link.replace("&amp;", "&"))
        assert res.status_code == 200
        assert "attachment" in res["Content-Disposition"]
    csv_link = next(link for link in links if "format=csv" in link)
    csv_res = anonymous.get(csv_link.replace("&amp;", "&"))
    rows = b"".join(csv_res.streaming_content).decode("utf-8-sig").splitlines()
    header = rows[0].split(",")
    small = next(r.split(",") for r in rows if ",0180," in r)
    cell = dict(zip(header, small, strict=False))
    assert (
        cell["status"].startswith("suppressed") and cell["value"] == "" and cell["numerator"] == ""
    )


def test_results_are_public_but_observations_and_bad_tokens_are_not(computed: Indicator) -> None:
    assert client.get("/indicators/res-api/values").status_code == 200
    assert client.get("/indicators/res-api/comparisons").status_code == 200
    assert client.get("/indicator-profiles/0180").status_code == 200
    assert client.get("/indicators/res-api/observations").status_code == 401
    bad = client.get("/indicators/res-api/values", headers={"Authorization": "Bearer ds_nope"})
    assert bad.status_code == 401


def test_values_json_pages_and_filters(computed: Indicator, headers: dict[str, str]) -> None:
    res = client.get("/indicators/res-api/values?limit=10", headers=headers)
    assert res.status_code == 200, res.content
    body = res.json()
    assert body["count"] == 290 and len(body["items"]) == 10 and body["next"]
    assert body["items"][0]["period"] == 2023
    one = client.get("/indicators/res-api/values?unit=2580&period=2022", headers=headers).json()
    assert one["count"] == 1 and one["items"][0]["status"] == "ok"
    region = client.get("/indicators/res-api/values?level=region", headers=headers).json()
    assert region["count"] == 21
    group = client.get("/indicators/res-api/values?kommungrupp=A1", headers=headers).json()
    assert 0 < group["count"] < 290
    assert all(i["group_code"] in (None, "A1") for i in group["items"])
    assert client.get("/indicators/nope/values", headers=headers).status_code == 404
    assert client.get("/indicators/res-api/values?level=x", headers=headers).status_code == 422


def test_suppressed_numbers_never_leave(computed: Indicator, headers: dict[str, str]) -> None:
    secret = Observation.objects.get(indicator=computed, unit__code="0180", period=2023)
    assert secret.numerator == 3
    row = client.get("/indicators/res-api/values?unit=0180", headers=headers).json()["items"][0]
    assert row["status"] == "suppressed"
    assert row["value"] is None and row["numerator"] is None and row["denominator"] is None
    assert row["lower"] is None and row["upper"] is None
    csv_res = client.get("/indicators/res-api/values?format=csv", headers=headers)
    csv_text = csv_res.content.decode("utf-8-sig")
    line = next(ln for ln in csv_text.splitlines() if ln.startswith("res-api,0180,"))
    cells = line.split(",")
    assert "suppressed" in cells and "3.0" not in cells and "3" not in cells
    xlsx = client.get("/indicators/res-api/values?format=xlsx", headers=headers)
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.content), read_only=True).active
    assert sheet is not None
    table = list(sheet.iter_rows(values_only=True))
    header = list(table[0])
    row_x = next(r for r in table[1:] if r[1] == "0180")
    assert row_x[header.index("status")] == "suppressed"
    assert row_x[header.index("value")] is None and row_x[header.index("numerator")] is None
    profile = client.get("/indicator-profiles/0180", headers=headers).json()
    mine = next(i for i in profile["items"] if i["code"] == "res-api")
    assert mine["status"] == "suppressed" and mine["value"] is None


def test_comparisons(computed: Indicator, headers: dict[str, str]) -> None:
    res = client.get("/indicators/res-api/comparisons?period=2022", headers=headers)
    assert res.status_code == 200, res.content
    body = res.json()
    assert body["units"] == 290 and body["period"] == 2022
    assert sum(body["vs_nation"].values()) == 290
    assert body["status"]["suppressed"] >= 2


def test_profile_and_composite(computed: Indicator, headers: dict[str, str]) -> None:
    res = client.get("/indicator-profiles/2580?period=2022", headers=headers)
    assert res.status_code == 200, res.content
    item = next(i for i in res.json()["items"] if i["code"] == "res-api")
    assert item["min"] <= item["value"] <= item["max"] and item["national_value"] is not None
    assert client.get("/indicator-profiles/9999x", headers=headers).status_code == 404
    comp = client.get("/composite-index?period=2022", headers=headers)
    assert comp.status_code == 200, comp.content
    body = comp.json()
    assert "res-api" in body["domains"]["A"]
    assert body["rows"][0]["rank"] == 1
    assert client.get("/composite-index?method=bad", headers=headers).status_code == 422


def test_upload_recomputes_results(computed: Indicator) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    _token, secret = make_token(
        member(Role.ANALYST, national_organisation(), username="analytiker")
    )
    content = b"indicator,unit_code,period,sex,age_group,numerator,denominator,value,status\n"
    content += b"res-api,2580,2023,T,,77,200,,\n"
    res = client.post(
        "/indicator-imports",
        FILES={"file": SimpleUploadedFile("ny.csv", content, content_type="text/csv")},
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert res.status_code == 201, res.content
    assert results.query_results(computed, unit="2580")[0]["numerator"] == 77


def test_indicator_list_names_the_sip_group(db: Any) -> None:
    """The SIP statistics' group showed as the raw code "sip"."""
    from django.test import Client

    make_indicator("sip-test", group="sip")
    html = Client().get("/indikatorer/").content.decode()
    assert "Samordnad individuell plan (SIP)" in html
    assert ">sip <" not in html
