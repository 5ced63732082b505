"""Pages: start page with map, unit pages at every level, search, 404, language switch."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db

UNIT_CODES = {
    "nation": "00",
    "sjukvardsregion": "sodra",
    "split sjukvardsregion": "vastra",
    "region": "12",
    "split region": "13",
    "kommun": "1280",
    "kommun in split region": "1384",
}


def _text(response) -> str:  # type: ignore[no-untyped-def]
    return response.content.decode()


def _figure(html: str, script_id: str) -> dict:
    m = re.search(rf'<script id="{script_id}" type="application/json">(.*?)</script>', html, re.S)
    assert m, f"no JSON block {script_id}"
    return json.loads(m.group(1))


def _assert_no_inline_or_remote_script(html: str) -> None:
    for tag in re.findall(r"<script\b[^>]*>", html):
        if 'type="application/json"' in tag:
            continue
        src = re.search(r'src="([^"]+)"', tag)
        assert src, f"inline script not allowed under the CSP: {tag}"
        assert not re.match(r"(https?:)?//", src.group(1)), f"remote script: {tag}"


# --- start page ------------------------------------------------------------------------


def test_home_kommun_map(client: Client) -> None:
    response = client.get(reverse("web:home"))
    assert response.status_code == 200
    html = _text(response)
    assert '<html lang="sv">' in html
    assert "<title>Befolkning per kommun och region – datasmart</title>" in html
    plotly_src = reverse("web:plotly_js")
    assert f'<script src="{plotly_src}?v=' in html
    assert "/static/web/vendor/htmx.min.js" in html
    _assert_no_inline_or_remote_script(html)
    fig = _figure(html, "map-figure")
    trace = fig["data"][0]
    assert trace["geojson"] == reverse("web:geojson_kommuner")
    assert len(trace["locations"]) == 290
    i = list(trace["locations"]).index("1280")
    assert trace["customdata"][i][:2] == ["Malmö", reverse("web:unit", args=["1280"])]
    # latest kommun year is the default; the table lists all 290 with links
    assert response.context["year"] == 2024
    assert response.context["years"] == [2019, 2024]
    assert html.count('<th scope="row"><a href="/enhet/') == 290
    assert 'aria-sort="descending"' in html


def test_home_region_level_and_year(client: Client) -> None:
    response = client.get(reverse("web:home"), {"level": "region", "year": "1968"})
    assert response.status_code == 200
    assert response.context["level"] == "region"
    assert response.context["year"] == 1968
    assert 1968 in response.context["years"] and 2024 in response.context["years"]
    fig = _figure(_text(response), "map-figure")
    assert fig["data"][0]["geojson"] == reverse("web:geojson_regioner")
    assert sorted(fig["data"][0]["locations"])[:2] == ["01", "03"]
    assert len(fig["data"][0]["locations"]) == 21
    # 1968 total from SCB (see data README)
    assert response.context["total"] == 7931193


def test_home_falls_back_on_bad_parameters(client: Client) -> None:
    response = client.get(reverse("web:home"), {"level": "planet", "year": "1800", "sort": "x"})
    assert response.status_code == 200
    assert response.context["level"] == "kommun"
    assert response.context["year"] == 2024
    # kommun level has no 1968 figures: falls back to the latest year
    response = client.get(reverse("web:home"), {"level": "kommun", "year": "1968"})
    assert response.context["year"] == 2024


def test_home_table_sorting(client: Client) -> None:
    response = client.get(reverse("web:home"), {"sort": "name", "dir": "asc"})
    names = [r.name for r in response.context["rows"]]
    assert names[0] == "Ale"
    assert names[-3:] == ["Åsele", "Älmhult", "Övertorneå"] or names[-1].startswith("Ö")
    # å, ä, ö sort after z, in Swedish order
    first_a_ring = next(i for i, n in enumerate(names) if n.startswith("Å"))
    first_a_dia = next(i for i, n in enumerate(names) if n.startswith("Ä"))
    first_o_dia = next(i for i, n in enumerate(names) if n.startswith("Ö"))
    assert first_a_ring < first_a_dia < first_o_dia
    response = client.get(reverse("web:home"), {"sort": "population", "dir": "asc"})
    pops = [r.population for r in response.context["rows"]]
    assert pops == sorted(pops)


def test_home_table_partial_for_htmx(client: Client) -> None:
    response = client.get(
        reverse("web:home"),
        {"sort": "code"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="map-table",
    )
    html = _text(response)
    assert html.lstrip().startswith('<section id="map-table"')
    assert "<html" not in html


# --- unit pages ------------------------------------------------------------------------


@pytest.mark.parametrize("code", UNIT_CODES.values(), ids=UNIT_CODES.keys())
def test_unit_page_every_level(client: Client, code: str) -> None:
    response = client.get(reverse("web:unit", args=[code]))
    assert response.status_code == 200
    html = _text(response)
    unit = response.context["unit"]
    assert f"<h1>{unit.name}</h1>" in html
    assert f"<title>{unit.name} (" in html
    _assert_no_inline_or_remote_script(html)
    # pyramid and series: each a caption + JSON figure + a data table
    pyramid = _figure(html, "pyramid-figure")
    men, women = pyramid["data"][0], pyramid["data"][1]
    assert all(x <= 0 for x in men["x"]) and all(x >= 0 for x in women["x"])
    assert 'aria-labelledby="pyramid-caption"' in html
    series = _figure(html, "series-figure")
    assert len(series["data"][0]["x"]) >= 2
    assert html.count("<table") >= 2
    # breadcrumb ends with the unit itself
    assert 'aria-current="page">' + unit.name in html


def test_kommun_facts(client: Client) -> None:
    response = client.get(reverse("web:unit", args=["1280"]))
    ctx = response.context
    assert ctx["latest"] == (2024, 365644)
    assert ctx["change"]["from_year"] == 2019
    assert ctx["change"]["diff"] == 365644 - 344166
    assert ctx["kommungrupp"].code == "A1"
    assert 0.1 < ctx["share_children"] < 0.3
    assert 0.1 < ctx["share_elderly"] < 0.3
    assert [a.code for a in ctx["ancestors"]] == ["00", "sodra", "12"]
    assert ctx["kommun_count"] is None
    html = _text(response)
    assert "A1 Storstäder" in html
    assert 'href="/enhet/12/"' in html
    assert "365\xa0644" in html  # Swedish thousands separator


def test_region_page_compares_years(client: Client) -> None:
    response = client.get(reverse("web:unit", args=["12"]))
    ctx = response.context
    assert ctx["kommun_count"] == 33
    assert ctx["year"] == 2019
    assert ctx["compare_year"] == 1968  # earliest year with age and sex by default
    assert len(_figure(_text(response), "pyramid-figure")["data"]) == 4
    assert any(g["units"][0].level == "kommun" for g in ctx["children_groups"])
    response = client.get(
        reverse("web:unit", args=["12"]), {"year": "2000", "compare": "", "ages": "1"}
    )
    ctx = response.context
    assert ctx["year"] == 2000 and ctx["compare_year"] is None
    assert len(ctx["pyramid_table"]) == 101


def test_sjukvardsregion_and_nation_counts(client: Client) -> None:
    assert client.get(reverse("web:unit", args=["vastra"])).context["kommun_count"] == 52
    ctx = client.get(reverse("web:unit", args=["00"])).context
    assert ctx["kommun_count"] == 290
    assert ctx["region_count"] == 21
    assert ctx["latest"] == (2024, 10587710)
    labels = [str(g["label"]) for g in ctx["children_groups"]]
    assert labels == ["Sjukvårdsregioner", "Regioner/län"]
    assert len(ctx["children_groups"][1]["units"]) == 21


def test_split_region_names_its_sjukvardsregioner(client: Client) -> None:
    ctx = client.get(reverse("web:unit", args=["13"])).context
    assert [s.code for s in ctx["split_between"]] == ["sodra", "vastra"]


def test_unknown_unit_is_swedish_404(client: Client) -> None:
    response = client.get(reverse("web:unit", args=["9999"]))
    assert response.status_code == 404
    html = _text(response)
    assert "Sidan hittades inte" in html
    assert "Ingen enhet med koden &#x27;9999&#x27; finns." in html
    assert '<html lang="sv">' in html


def test_unknown_path_is_swedish_404(client: Client) -> None:
    response = client.get("/finns-inte/")
    assert response.status_code == 404
    assert "Sidan hittades inte" in _text(response)


# --- search ----------------------------------------------------------------------------


@pytest.mark.parametrize("q", ["malmö", "MALMÖ", "Malmö", "1280", " malm "])
def test_search_finds_malmo(client: Client, q: str) -> None:
    response = client.get(reverse("web:search"), {"q": q})
    assert response.status_code == 200
    assert 'href="/enhet/1280/">Malmö</a>' in _text(response)


def test_search_orebro_finds_kommun_and_lan(client: Client) -> None:
    response = client.get(reverse("web:search"), {"q": "örebro"})
    groups = {g["level"]: [u.code for u in g["units"]] for g in response.context["groups"]}
    assert "1880" in groups["kommun"]
    assert "18" in groups["region"]
    html = _text(response)
    # grouped by level, biggest level first
    assert html.index("Regioner/län") < html.index("Kommuner")


def test_search_empty_and_no_hits(client: Client) -> None:
    response = client.get(reverse("web:search"))
    assert response.status_code == 200
    assert response.context["groups"] == []
    response = client.get(reverse("web:search"), {"q": "xyzzy"})
    assert "Inga enheter matchar sökningen" in _text(response)


def test_search_htmx_partial(client: Client) -> None:
    response = client.get(reverse("web:search"), {"q": "lund"}, HTTP_HX_REQUEST="true")
    html = _text(response)
    assert "<html" not in html
    assert 'href="/enhet/1281/">Lund</a>' in html
    # going back in history, htmx asks for the whole page
    response = client.get(
        reverse("web:search"),
        {"q": "lund"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_HISTORY_RESTORE_REQUEST="true",
    )
    assert "<html" in _text(response)


# --- layout, language ------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/", "/enhet/1280/", "/sok/?q=lund"])
def test_layout_accessibility_basics(client: Client, url: str) -> None:
    html = _text(client.get(url))
    assert 'class="skip-link" href="#main"' in html
    assert '<main id="main"' in html
    assert "<header" in html and "<footer" in html
    assert 'href="/api/docs"' in html
    assert "SCB" in html and "SKR" in html and "Valmyndigheten" in html
    assert html.count("<h1") == 1
    # every visible form control has a label
    control = r'<(?:input|select)\b(?![^>]*type="(?:hidden|submit)")[^>]*'
    ids = re.findall(control + r'\bid="([^"]+)"', html)
    controls = re.findall(control + ">", html)
    assert len(ids) == len(controls)
    for control_id in ids:
        assert f'<label for="{control_id}"' in html


def test_sign_in_and_out_links(client: Client, django_user_model) -> None:  # type: ignore[no-untyped-def]
    html = _text(client.get("/"))
    assert reverse("accounts:login") in html
    user = django_user_model.objects.create_user(username="anna", password="x" * 16)
    client.force_login(user)
    html = _text(client.get("/"))
    assert f'action="{reverse("accounts:logout")}"' in html
    assert "Logga ut anna" in html


def test_language_switch_to_english(client: Client) -> None:
    html = _text(client.get("/"))
    assert f'action="{reverse("set_language")}"' in html
    assert 'name="language" value="en"' in html
    response = client.post(reverse("set_language"), {"language": "en", "next": "/enhet/1280/"})
    assert response.status_code == 302
    assert response["Location"] == "/enhet/1280/"
    response = client.get("/enhet/1280/")
    html = _text(response)
    assert '<html lang="en">' in html
    assert "Key figures" in html
    assert "Population by age and sex" in html
    assert "Municipality" in html
    assert "365,644" in html
    assert 'value="sv" lang="sv">På svenska' in html
    fig = _figure(html, "pyramid-figure")
    assert fig["data"][0]["name"] == "Men 2019"
    assert fig["layout"]["separators"] == ".,"
    html = _text(client.get("/"))
    assert "Population of Sweden's municipalities and regions" in html
    assert _figure(html, "map-figure")["data"][0]["hovertemplate"].count("Population") == 1
    html = _text(client.get("/finns-inte/"))
    assert "Page not found" in html


def test_swedish_even_for_english_browsers(client: Client) -> None:
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9")
    assert 'lang="sv"' in response.content.decode()


def test_forbidden_page_is_swedish(client: Client, django_user_model) -> None:  # type: ignore[no-untyped-def]
    user = django_user_model.objects.create_user("plain", password="x" * 16)
    client.force_login(user)
    response = client.get("/konto/granskningslogg/")
    assert response.status_code == 403
    assert "Åtkomst nekad" in response.content.decode()


def test_signed_in_nav_has_token_link(client: Client, django_user_model) -> None:  # type: ignore[no-untyped-def]
    user = django_user_model.objects.create_user("navuser", password="x" * 16)
    client.force_login(user)
    html = client.get("/").content.decode()
    assert "/konto/api-nycklar/" in html and "/konto/granskningslogg/" not in html


def test_a_very_long_search_is_cut_with_a_message(client: Client) -> None:
    """A 5 000-character search once ended in a raw "URI Too Long" (gunicorn's request-line
    limit): the fields have a maxlength and the page cuts a longer query and says so."""
    page = client.get(reverse("web:search"))
    assert 'maxlength="100"' in page.content.decode()
    response = client.get(reverse("web:search"), {"q": "Malmö" + "x" * 4995})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Sökningen var 5000 tecken lång" in html
    assert 'value="Malmö' + "x" * 95 + '"' in html


def test_unit_page_links_the_units_indicator_profile(client: Client) -> None:
    html = client.get(reverse("web:unit", args=["0180"])).content.decode()
    assert f'href="{reverse("indicators:profile", args=["0180"])}"' in html
