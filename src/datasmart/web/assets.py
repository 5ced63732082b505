"""Large read-only assets served by views: the map boundaries and plotly.js.

Both are built once per process and kept in memory with a precomputed gzip body and an
ETag, so a request costs a dictionary lookup. They are served by views rather than as
static files because:

- the GeoJSON lives outside the repository (``settings.DATA_DIR``) and needs normalising
  (string feature ids, winding order, rounded coordinates) before Plotly can use it;
- plotly.min.js (4.8 MB) ships inside the installed ``plotly`` Python package; copying it
  into the repository would duplicate a locked dependency, and exposing it through a
  staticfiles finder would need a settings change. The view serves exactly the file of
  the locked package version, so the browser and server-side figure code always agree.
"""

from __future__ import annotations

import gzip
import hashlib
import itertools
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import plotly
from django.conf import settings

KOMMUN_GEOJSON = "geojson/swedish_municipalities.geojson"
REGION_GEOJSON = "geojson/swedish_regions.geojson"
COORD_DECIMALS = 4  # about 10 m; the source is already simplified far beyond that


@dataclass(frozen=True)
class Asset:
    """A response body held in memory with its gzip form and a strong ETag."""

    body: bytes
    gzipped: bytes
    etag: str
    content_type: str


def _asset(body: bytes, content_type: str) -> Asset:
    digest = hashlib.sha256(body).hexdigest()[:32]
    return Asset(
        body=body,
        gzipped=gzip.compress(body, compresslevel=6, mtime=0),
        etag=f'"{digest}"',
        content_type=content_type,
    )


# --- plotly.js -------------------------------------------------------------------------


def plotly_js_path() -> Path:
    return Path(plotly.__file__).resolve().parent / "package_data" / "plotly.min.js"


def plotly_version() -> str:
    return str(plotly.__version__)


@lru_cache(maxsize=1)
def plotly_js() -> Asset:
    return _asset(plotly_js_path().read_bytes(), "text/javascript; charset=utf-8")


# --- empty base map ------------------------------------------------------------------

# Plotly's geo subplot fetches a base-map topojson (world_110m.json from cdn.plot.ly by
# default) whenever a trace has a ``locationmode`` — also for our own GeoJSON with the base
# map hidden. The pages point Plotly's ``topojsonURL`` here and get an empty topology:
# nothing leaves the site and nothing is drawn that we did not ask for.
TOPOJSON_LAYERS = ("coastlines", "land", "ocean", "lakes", "rivers", "countries", "subunits")


@lru_cache(maxsize=1)
def empty_topojson() -> Asset:
    topology = {
        "type": "Topology",
        "objects": {
            name: {"type": "GeometryCollection", "geometries": []} for name in TOPOJSON_LAYERS
        },
        "arcs": [],
    }
    return _asset(json.dumps(topology).encode(), "application/json")


# --- GeoJSON ---------------------------------------------------------------------------


def _signed_area(ring: list[list[float]]) -> float:
    """Twice the planar signed area of a ring in lon/lat: positive when counterclockwise."""
    return sum(x1 * y2 - x2 * y1 for (x1, y1, *_), (x2, y2, *_) in itertools.pairwise(ring))


def _clean_ring(ring: list[list[float]], *, clockwise: bool) -> list[list[float]]:
    pts = [[round(p[0], COORD_DECIMALS), round(p[1], COORD_DECIMALS)] for p in ring]
    # rounding can make neighbouring points equal; drop repeats (keep the closing point)
    out = [pts[0]]
    for p in pts[1:]:
        if p != out[-1]:
            out.append(p)
    if out[-1] != out[0]:
        out.append(out[0])
    if (_signed_area(out) < 0) != clockwise:
        out.reverse()
    return out


def _clean_polygon(rings: list[list[list[float]]]) -> list[list[list[float]]]:
    # d3-geo, which draws Plotly's geo maps, treats rings on the sphere: an outer ring
    # must run clockwise and holes counterclockwise, the opposite of RFC 7946. Counter-
    # clockwise outer rings (as in these files) would paint the whole globe except Sweden.
    return [_clean_ring(r, clockwise=(i == 0)) for i, r in enumerate(rings)]


def normalise_feature(feature: dict[str, Any], code: str, name: str) -> dict[str, Any]:
    """A feature with ``id`` and ``properties.code`` = ``code`` and d3-friendly rings."""
    geometry = feature["geometry"]
    if geometry["type"] == "Polygon":
        coords: Any = _clean_polygon(geometry["coordinates"])
    elif geometry["type"] == "MultiPolygon":
        coords = [_clean_polygon(p) for p in geometry["coordinates"]]
    else:  # pragma: no cover - the files hold only polygons (checked in tests)
        raise ValueError(f"unexpected geometry {geometry['type']} for {code}")
    return {
        "type": "Feature",
        "id": code,
        "properties": {"code": code, "name": name},
        "geometry": {"type": geometry["type"], "coordinates": coords},
    }


def _read(relative: str) -> dict[str, Any]:
    path = Path(settings.DATA_DIR) / relative
    with path.open(encoding="utf-8") as fh:
        data: dict[str, Any] = json.load(fh)
    return data


def kommun_features() -> dict[str, Any]:
    raw = _read(KOMMUN_GEOJSON)
    feats = [
        normalise_feature(f, str(f["properties"]["id"]), f["properties"]["kom_namn"])
        for f in raw["features"]
    ]
    return {"type": "FeatureCollection", "features": feats}


def region_features() -> dict[str, Any]:
    raw = _read(REGION_GEOJSON)
    feats = [
        normalise_feature(f, f"{int(f['properties']['l_id']):02d}", f["properties"]["name"])
        for f in raw["features"]
    ]
    return {"type": "FeatureCollection", "features": feats}


def _geojson_asset(collection: dict[str, Any]) -> Asset:
    body = json.dumps(collection, ensure_ascii=False, separators=(",", ":")).encode()
    return _asset(body, "application/geo+json; charset=utf-8")


@lru_cache(maxsize=4)
def _geojson_for(level: str, data_dir: str) -> Asset:
    build = kommun_features if level == "kommun" else region_features
    return _geojson_asset(build())


def geojson(level: str) -> Asset:
    """The normalised boundaries for ``level`` ("kommun" or "region"), cached per data dir."""
    if level not in {"kommun", "region"}:
        raise ValueError(level)
    return _geojson_for(level, str(settings.DATA_DIR))
