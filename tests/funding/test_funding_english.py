"""The funding pages in English (issue 10 §5): every page of an agreement, rendered for
its national administrator with the language set to English, shows no Swedish source
string and no Swedish word in its chrome (headings, labels, buttons, table headers).

tests/web/test_translations.py renders only the pages without parameters (the agreement
list); these pages need an agreement, a survey, a condition and a saved run."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from tests.accounts.factories import OrganisationFactory, member
from tests.web import translation_support as ts
from tests.web.test_translations import SWEDISH_MARKERS, _Text

from datasmart.accounts.audit import SYSTEM
from datasmart.accounts.models import Role
from datasmart.funding import services
from datasmart.funding.models import Agreement
from datasmart.funding.services import followup
from datasmart.geo.models import Unit

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _urls(settings: Any) -> None:
    settings.ROOT_URLCONF = "funding_test_urls"


def _swedish_msgids() -> set[str]:
    """Swedish source strings whose English differs (as the page test in tests/web)."""
    return {
        e.msgid
        for po in ts.po_files()
        for e in ts.read_po(po)
        if re.search(r"[^\W\d_]{3}", e.msgid) and e.msgstr[:1] != [e.msgid]
    }


def test_funding_pages_are_english_in_english(a2020: Agreement) -> None:
    survey = followup.create_survey(
        a2020,
        code="kommuner-2020",
        title="Redovisning",
        respondent_level="kommun",
        due_date=timezone.localdate() + dt.timedelta(days=30),
        questions=[{"code": "plan", "text": "Plan?", "type": "yesno", "required": True}],
        by=SYSTEM,
    )
    followup.save_response(survey, unit_code="0180", answers={"plan": True}, submit=True, by=SYSTEM)
    followup.add_condition(
        a2020, code="plan", text="Plan finns", recipient_level="kommun", by=SYSTEM
    )
    services.run_allocation(a2020, by=SYSTEM)
    admin = member(
        Role.COORDINATOR,
        OrganisationFactory(unit=Unit.objects.get(code="00"), kind="skr"),
        username="engelska",
    )
    client = Client()
    client.force_login(admin)
    client.cookies["django_language"] = "en"
    pages = [
        "/medel/2020/",
        "/medel/2020/?niva=region",
        "/medel/2020/scenario/?ar=2018",
        "/medel/2020/rapportering/?enkat=kommuner-2020",
        "/medel/2020/enkater/ny/",
        "/medel/2020/enkater/kommuner-2020/andra/",
        "/medel/2020/enkater/kommuner-2020/paminnelser/",
        "/medel/2020/enkater/kommuner-2020/resultat/",
        "/medel/2020/enkater/kommuner-2020/0180/",
        "/medel/2020/enkater/kommuner-2020/0114/",
        "/medel/2020/villkor/plan/",
        "/medel/2020/utbetalningar/",
    ]
    msgids = _swedish_msgids()
    # the agreement's own texts (post names and purposes) are data from the Swedish source
    data = {p for post in a2020.posts.all() for p in (post.name, post.purpose) if p}
    failures = []
    for path in pages:
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        text = _Text()
        text.feed(response.content.decode())
        left = sorted({n for n in text.nodes if n in msgids})
        if left:
            failures.append(f"{path}: Swedish source strings shown: {left[:8]}")
        chrome = " ".join(n for n in text.chrome if not any(d in n for d in data))
        marked = [w.strip() for w in SWEDISH_MARKERS if re.search(rf"\b{w.strip()}\b", chrome)]
        if marked:
            hits = [n for n in text.chrome if any(re.search(rf"\b{w}\b", n) for w in marked)]
            failures.append(f"{path}: Swedish words in the interface: {marked} {hits[:12]}")
    assert not failures, "\n".join(failures)
    # how each post is split (funding.texts) and amounts follow the language too
    english = client.get("/medel/2020/").content.decode()
    assert "share of the population" in english and "Fördelas efter" not in english
    assert "SEK\u00a0" in english
    client.cookies["django_language"] = "sv"
    swedish = client.get("/medel/2020/").content.decode()
    assert "Fördelas efter andel av befolkningen" in swedish and "\u00a0kr" in swedish
