"""GeoJSON normalisation and the plotly.js/GeoJSON endpoints."""

from __future__ import annotations

import gzip
import json

import pytest
from django.test import Client
from django.urls import reverse

from datasmart.web import assets


def test_rings_are_rewound_for_d3() -> None:
    ccw_square = [[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0], [0.0, 0.0]]
    feature = {"geometry": {"type": "Polygon", "coordinates": [ccw_square, ccw_square]}}
    out = assets.normalise_feature(feature, "01", "X")
    outer, hole = out["geometry"]["coordinates"]
    assert assets._signed_area(outer) < 0  # outer ring clockwise
    assert assets._signed_area(hole) > 0  # hole counterclockwise
    assert out["id"] == "01" and out["properties"] == {"code": "01", "name": "X"}


def test_rounding_drops_repeated_points_and_keeps_ring_closed() -> None:
    ring = [[0.0, 0.0], [0.00001, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]]
    out = assets._clean_ring(ring, clockwise=False)
    assert out[0] == out[-1]
    assert len(out) == 4


@pytest.mark.parametrize(
    ("url_name", "count", "code_len"),
    [("web:geojson_kommuner", 290, 4), ("web:geojson_regioner", 21, 2)],
)
def test_geojson_endpoints(client: Client, url_name: str, count: int, code_len: int) -> None:
    response = client.get(reverse(url_name))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/geo+json")
    assert "max-age" in response["Cache-Control"]
    data = json.loads(response.content)
    assert data["type"] == "FeatureCollection"
    assert len(data["features"]) == count
    codes = [f["properties"]["code"] for f in data["features"]]
    assert len(set(codes)) == count
    assert all(isinstance(c, str) and len(c) == code_len for c in codes)
    assert all(f["id"] == f["properties"]["code"] for f in data["features"])
    assert {f["geometry"]["type"] for f in data["features"]} <= {"Polygon", "MultiPolygon"}


@pytest.mark.django_db
def test_geojson_codes_match_units(client: Client) -> None:
    from datasmart.geo import services

    data = json.loads(client.get(reverse("web:geojson_regioner")).content)
    codes = {f["properties"]["code"] for f in data["features"]}
    assert codes == {u.code for u in services.list_units(level="region")}
    assert "01" in codes and "25" in codes


def test_geojson_gzip_and_etag(client: Client) -> None:
    url = reverse("web:geojson_kommuner")
    plain = client.get(url)
    zipped = client.get(url, HTTP_ACCEPT_ENCODING="gzip, br")
    assert zipped["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.content) == plain.content
    assert "Accept-Encoding" in zipped["Vary"]
    again = client.get(url, HTTP_IF_NONE_MATCH=plain["ETag"])
    assert again.status_code == 304


def test_plotly_js_served_from_package(client: Client) -> None:
    response = client.get(reverse("web:plotly_js"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert "immutable" in response["Cache-Control"]
    assert response.content == assets.plotly_js_path().read_bytes()
    assert b"plotly.js v" in response.content[:200]


def test_empty_topojson(client: Client) -> None:
    response = client.get(reverse("web:topojson", args=["world_110m"]))
    assert response.status_code == 200
    data = json.loads(response.content)
    assert data["type"] == "Topology"
    assert all(v["geometries"] == [] for v in data["objects"].values())
    assert client.get(reverse("web:topojson_base")).status_code == 404


def test_unknown_geojson_level() -> None:
    with pytest.raises(ValueError):
        assets.geojson("nation")
