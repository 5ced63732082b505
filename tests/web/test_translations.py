"""English is complete (issue 10 §5): every user-facing string goes through translation
and every translatable string has an English translation.

Four checks, from the catalogue to the rendered page:

1. every entry of every English catalogue is translated and not fuzzy, and the committed
   ``.mo`` says the same as its ``.po`` (the ``.mo`` files are committed, compiled with
   ``msgfmt``/``compilemessages``);
2. every string marked for translation in Python and templates has an entry;
3. templates have no literal text outside {% translate %}/{% blocktranslate %};
4. each page, rendered in English, shows no text node that is a Swedish source string
   (a string translated at run time from data, such as indicator units) and its chrome
   (navigation, headings, table headers, buttons, labels) has no Swedish marker words;
   rendered in Swedish, no English method text ("Byar's approximation").
"""

from __future__ import annotations

import gettext
import re
import sys
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from tests.web import translation_support as ts


def test_catalogues_are_complete_and_not_fuzzy() -> None:
    problems = [
        f"{path.relative_to(ts.PACKAGE)}:{e.line}: {e.msgid[:60]!r}"
        + (" (fuzzy)" if e.fuzzy else " (no translation)")
        for path in ts.po_files()
        for e in ts.read_po(path)
        if e.fuzzy or not e.msgstr or any(not s.strip() for s in e.msgstr)
    ]
    assert not problems, "untranslated catalogue entries:\n" + "\n".join(problems)


@pytest.mark.parametrize("po", ts.po_files(), ids=lambda p: str(p.relative_to(ts.PACKAGE)))
def test_committed_mo_matches_po(po: Path) -> None:
    """A .po edited without recompiling would leave pages in Swedish."""
    with po.with_suffix(".mo").open("rb") as fh:
        mo = gettext.GNUTranslations(fh)
    stale = []
    for e in ts.read_po(po):
        key = f"{e.msgctxt}\x04{e.msgid}" if e.msgctxt else e.msgid
        if e.msgid_plural:
            got = [mo.ngettext(e.msgid, e.msgid_plural, n) for n in (1, 2)]
            want = [e.msgstr[0], e.msgstr[-1]]
        else:
            got, want = [mo.gettext(key)], [e.msgstr[0] if e.msgstr else ""]
        if got != want:
            stale.append(e.msgid[:60])
    assert not stale, f"{po.name}: .mo is older than .po; run compilemessages: {stale[:10]}"


def test_every_marked_string_has_an_english_translation() -> None:
    known = ts.catalogue_keys()
    missing = sorted(
        {
            f"{where}: {msgid[:70]!r}"
            for ctx, msgid, where in [*ts.python_strings(), *ts.template_strings()]
            if (ctx, msgid) not in known and msgid.strip()
        }
    )
    assert not missing, f"{len(missing)} strings without an English entry:\n" + "\n".join(missing)


#: Templates allowed to hold literal text, and why (every other template is checked).
LITERAL_TEXT_ALLOWED = {
    "web/templates/500.html": "bilingual on purpose: rendered without a request language",
}


def test_templates_have_no_literal_text() -> None:
    problems = [
        p for p in ts.untranslated_template_text() if p.split(":", 1)[0] not in LITERAL_TEXT_ALLOWED
    ]
    assert not problems, f"{len(problems)} literal texts in templates:\n" + "\n".join(problems)


# --- rendered pages ----------------------------------------------------------------------

#: Words of the interface that must not be left in Swedish on an English page (checked
#: in the page chrome: nav, headings, labels, buttons, table headers, captions).
SWEDISH_MARKERS = (
    "Indikatorer",
    "Sök",
    "Logga",
    "Visa",
    "Tabell",
    "Värde",
    "Nivå",
    "Kommuner",
    "Riket",
    "Enhet",
    "Ladda",
    "Totalt",
    "Belopp",
    "Mottagare",
    "Överenskommelse",
    "Förklaring",
    "Metod",
    "Beräkning",
    "Källa",
    " och ",
    " av ",
    " för ",
    " med ",
)
CHROME = {"h1", "h2", "h3", "th", "label", "button", "caption", "nav", "dt", "legend", "summary"}


class _Text(HTMLParser):
    """Text nodes of a page; ``chrome`` holds those inside interface elements."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.nodes: list[str] = []
        self.chrome: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"script", "style"}:
            self.skip += 1
        if tag not in {"br", "img", "input", "meta", "link", "hr", "source", "wbr"}:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in {"script", "style"}:
            self.skip -= 1
        if tag in self.stack:
            while self.stack and self.stack.pop() != tag:
                pass

    def handle_data(self, data: str) -> None:
        text = " ".join(data.split())
        if not text or self.skip:
            return
        self.nodes.append(text)
        if CHROME & set(self.stack) and not {"td", "a"} & set(self.stack[-1:]):
            self.chrome.append(text)


def _pages(data: dict[str, Any]) -> list[str]:
    """Every page of the URL map that takes no parameters, plus one of each
    parameterised public page, filled from the test data."""
    from django.urls import URLPattern, URLResolver, get_resolver

    paths: list[str] = []

    def walk(patterns: Any, prefix: str) -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                route = prefix + str(p.pattern)
                if "<" not in route and "(?P" not in route and not route.startswith("^"):
                    paths.append("/" + route)

    walk(get_resolver().url_patterns, "")
    skip = ("admin/", "api/", "i18n/", "static", "geo/", "konto/logga-ut", "sip/")
    static = [
        p for p in paths if not p.lstrip("/").startswith(skip) and not p.endswith((".json", ".js"))
    ]
    return [
        *static,
        f"/indikatorer/{data['indicator']}/",
        f"/indikatorer/{data['census']}/",
        f"/indikatorer/profil/{data['unit']}/",
        "/indikatorer/index/?level=region",
        f"/enhet/{data['unit']}/",
        f"/behov/enhet/{data['unit']}/",
        "/behov/lan/01/",
    ]


def _indicator_tests_importable() -> None:
    """The indicator tests import their helpers as top-level modules (no package)."""
    folder = str(Path(__file__).resolve().parents[1] / "indicators")
    if folder not in sys.path:
        sys.path.insert(0, folder)


@pytest.fixture
def page_data(db: Any, tmp_path: Path) -> dict[str, Any]:
    from datasmart.accounts.audit import SYSTEM
    from datasmart.indicators import results
    from datasmart.indicators.imports import import_observations

    _indicator_tests_importable()
    from indicators_support import make_indicator, write_csv
    from test_pages import _rows

    common = {"levels": ["kommun"], "breakdowns": [], "age_groups": [], "domain": "A"}
    rate = make_indicator(
        "tr-rate",
        title_sv="Testkvot",
        title_en="Test rate",
        type="rate",
        multiplier=100_000,
        polarity="lower_is_better",
        ci_method="byar",
        value_unit="per 100 000 invånare",
        **common,
    )
    census = make_indicator(
        "tr-census",
        title_sv="Testandel",
        title_en="Test share",
        polarity="no_judgement",
        ci_method="none",
        **common,
    )
    for ind in (rate, census):
        lines = _rows(ind.code, 2022) + _rows(ind.code, 2023)
        import_observations(write_csv(tmp_path, f"{ind.code}.csv", lines), by=SYSTEM)
        results.compute_indicator(ind, by=SYSTEM)
    # organisations, so the forms that offer "for which organisation" (new plan, new joint
    # län plan) render
    from datasmart.accounts.models import Organisation, OrganisationKind
    from datasmart.geo.models import Unit

    Organisation.objects.create(
        name="Översättningskommunen",
        kind=OrganisationKind.KOMMUN_SOCIAL,
        unit=Unit.objects.get(code="0180"),
    )
    Organisation.objects.create(
        name="Översättningsregionen",
        kind=OrganisationKind.REGION_PSYCHIATRY,
        unit=Unit.objects.get(code="01"),
    )
    return {"indicator": rate.code, "census": census.code, "unit": "0180"}


def _get(client: Client, path: str, lang: str) -> str:
    client.cookies["django_language"] = lang
    response = client.get(path, follow=True)
    assert response.status_code == 200, (path, response.status_code)
    return response.content.decode()


def test_pages_are_english_in_english_and_swedish_in_swedish(
    client: Client, page_data: dict[str, Any], settings: Any
) -> None:
    _indicator_tests_importable()
    from test_pages import mount_indicator_pages

    settings.ROOT_URLCONF = mount_indicator_pages()
    msgids = {  # Swedish source strings whose English differs ("CSV" is CSV in both)
        e.msgid
        for po in ts.po_files()
        for e in ts.read_po(po)
        if re.search(r"[^\W\d_]{3}", e.msgid) and e.msgstr[:1] != [e.msgid]
    }
    failures: list[str] = []
    pages = _pages(page_data)
    assert len(pages) >= 8, pages
    _check_pages(client, pages, msgids, failures)
    # signed in as staff: the pages behind the login (the funding pages with parameters
    # are rendered in English by tests/funding/test_funding_english.py)
    from django.contrib.auth import get_user_model

    staff = get_user_model().objects.create_superuser("tr-admin", "tr@example.org", "x" * 20)
    client.force_login(staff)
    _check_pages(client, pages, msgids, failures)
    assert not failures, "\n".join(failures)


def _check_pages(client: Client, pages: list[str], msgids: set[str], failures: list[str]) -> None:
    for path in pages:
        english = _Text()
        english.feed(_get(client, path, "en"))
        left = sorted({n for n in english.nodes if n in msgids})
        if left:
            failures.append(f"{path} (en): Swedish source strings shown: {left[:5]}")
        chrome = " ".join(english.chrome)
        marked = [w.strip() for w in SWEDISH_MARKERS if re.search(rf"\b{w.strip()}\b", chrome)]
        if marked:
            failures.append(f"{path} (en): Swedish words in the interface: {marked}")
        swedish = _get(client, path, "sv")
        if "approximation interval" in swedish or "Byar's" in swedish:
            failures.append(f"{path} (sv): English method text")


def test_every_catalogue_unit_has_an_english_translation() -> None:
    """Units are catalogue data shown through gettext (indicators.views.value_unit)."""
    import tomllib

    known = {msgid for _ctx, msgid in ts.catalogue_keys()}
    units = {
        ind.get("value_unit", data.get("defaults", {}).get("value_unit", ""))
        for path in sorted((ts.PACKAGE / "indicators" / "catalogue").glob("*.toml"))
        for data in [tomllib.loads(path.read_text(encoding="utf-8"))]
        for ind in data.get("indicator", [])
    }
    assert sorted(u for u in units if u and u != "%" and u not in known) == []


#: Field names that are the same word in Swedish (Django's default label is then right).
SAME_WORD_FIELDS = {
    "id", "status", "version", "period", "prefix", "organisation", "text", "post", "observation",
    "definition",
}  # fmt: skip


def test_admin_labels_are_swedish_source_strings() -> None:
    """Fields without a verbose_name got English labels in the admin from their names
    ("created at", "recipient name"); every field of an admin model has a Swedish label
    (translated through the catalogue, as every other label)."""
    from django.contrib import admin
    from django.utils import translation

    problems = []
    with translation.override("sv"):
        for model in admin.site._registry:
            if not model.__module__.startswith("datasmart."):
                continue
            for f in model._meta.get_fields():
                if f.auto_created or not getattr(f, "concrete", False) or not f.editable:
                    continue
                if f.name not in SAME_WORD_FIELDS and str(f.verbose_name) == f.name.replace(
                    "_", " "
                ):
                    problems.append(f"{model.__name__}.{f.name}")
            default = " ".join(re.findall(r"[A-Z][a-z]*", model.__name__)).lower()
            if str(model._meta.verbose_name) == default and default not in SAME_WORD_FIELDS:
                problems.append(f"{model.__name__} (model)")
    assert not problems, f"English labels from field names: {problems}"
