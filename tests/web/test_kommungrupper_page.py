"""The kommungrupper page (issue 12): the groups of each SKR edition with names, sizes and
members linked to unit pages, an edition switch, the 33 kommuner that changed group between
2017 and 2023 and the spot-check sentence; unit pages show both editions' groups."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from datasmart.geo import kommungrupper

pytestmark = pytest.mark.django_db
URL = "/kommungrupper/"


def _table(html: str, table_id: str) -> str:
    found = re.search(rf'<table[^>]*id="{table_id}"[^>]*>(.*?)</table>', html, re.S)
    assert found, table_id
    return found.group(1)


def test_lists_the_33_changed_kommuner() -> None:
    html = Client().get(URL).content.decode()
    changed = _table(html, "changes-table")
    rows = re.findall(r'<th scope="row"><a href="/enhet/(\d{4})/">', changed)
    assert len(rows) == 33
    assert set(rows) == {c.code for c in kommungrupper.changes()}
    assert "33 kommuner bytte grupp mellan 2017 och 2023" in html
    assert "SKR anger att 33 kommuner bytte grupp, samma antal." in html
    enkoping = re.search(r"Enköping</a></th>(.*?)</tr>", changed, re.S)
    assert enkoping and "B5" in enkoping.group(1) and "B4" in enkoping.group(1)


def test_groups_sizes_and_members_per_edition() -> None:
    client = Client()
    html = client.get(URL).content.decode()  # default: the edition in force today
    assert 'aria-current="true">SKR 2023' in html
    groups = _table(html, "group-table")
    sizes = [int(n) for n in re.findall(r'<td class="num">(\d+)</td>', groups)]
    assert len(sizes) == 9 and sum(sizes) == 290
    assert "Storstäder" in groups
    # members link to their unit pages; Enköping is in B4 in 2023 and B5 in 2017
    b4 = html.split('id="grupp-B4"')[1].split("</ul>")[0]
    assert '<a href="/enhet/0381/">Enköping</a>' in b4
    html = client.get(URL, {"utgava": "2017"}).content.decode()
    assert 'aria-current="true">SKR 2017' in html
    b5 = html.split('id="grupp-B5"')[1].split("</ul>")[0]
    assert '<a href="/enhet/0381/">Enköping</a>' in b5
    # an unknown edition shows the default, not an error
    response = client.get(URL, {"utgava": "<b>1999"})
    assert response.status_code == 200
    assert 'aria-current="true">SKR 2023' in response.content.decode()


def test_in_navigation_and_english() -> None:
    client = Client()
    assert f'href="{URL}" aria-current="page"' in client.get(URL).content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    html = client.get(URL).content.decode()
    assert "Municipality groups" in html
    assert "33 municipalities changed group between 2017 and 2023" in html
    assert "bytte grupp" not in html


def test_unit_page_shows_both_editions() -> None:
    html = Client().get("/enhet/0381/").content.decode()
    assert "Kommungrupp (SKR 2017)" in html and "Kommungrupp (SKR 2023)" in html
    assert 'href="/kommungrupper/?utgava=2017#grupp-B5"' in html
    assert 'href="/kommungrupper/?utgava=2023#grupp-B4"' in html
