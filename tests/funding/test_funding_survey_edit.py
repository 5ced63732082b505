"""Reporting surveys can be created and changed on a page and through the API, by the
agreement's administrators only (checked in followup.create_survey / update_survey)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from tests.accounts.factories import OrganisationFactory, member, superuser

from datasmart.accounts.audit import SYSTEM
from datasmart.accounts.models import AuditEvent, Role, User
from datasmart.funding.models import Agreement, Survey
from datasmart.funding.services import FundingError, followup
from datasmart.geo.models import Unit

pytestmark = pytest.mark.django_db
DUE = timezone.localdate() + dt.timedelta(days=30)


@pytest.fixture(autouse=True)
def _urls(settings: Any) -> None:
    settings.ROOT_URLCONF = "funding_test_urls"


def _national_admin() -> User:
    org = OrganisationFactory(unit=Unit.objects.get(code="00"), kind="skr")
    return member(Role.COORDINATOR, org, username="skr-samordnare")


def _kommun_coordinator() -> User:
    org = OrganisationFactory(unit=Unit.objects.get(code="0180"), kind="kommun_social")
    return member(Role.COORDINATOR, org, username="sthlm-samordnare")


def _form(**extra: str) -> dict[str, str]:
    data = {
        "code": "kommuner-2020",
        "title": "Redovisning kommuner",
        "respondent_level": "kommun",
        "due_date": DUE.isoformat(),
        "rader": "3",
        "q-0-text": "Finns en handlingsplan?",
        "q-0-type": "yesno",
        "q-0-required": "on",
        "q-1-text": "Hur fungerar samverkan?",
        "q-1-type": "choice",
        "q-1-choices": "bra; delvis; dåligt",
        "q-2-text": "",
        "action": "spara",
    }
    data.update(extra)
    return data


def test_an_administrator_creates_a_survey_on_the_page(a2020: Agreement) -> None:
    client = Client()
    client.force_login(_national_admin())
    reporting = client.get(reverse("funding:reporting", args=[2020])).content.decode()
    assert reverse("funding:survey_create", args=[2020]) in reporting
    assert client.get(reverse("funding:survey_create", args=[2020])).status_code == 200
    response = client.post(reverse("funding:survey_create", args=[2020]), _form())
    assert response.status_code == 302
    survey = Survey.objects.get(agreement=a2020, code="kommuner-2020")
    assert [q["code"] for q in survey.questions] == ["fraga-1", "fraga-2"]
    assert survey.questions[1]["choices"] == ["bra", "delvis", "dåligt"]
    assert survey.questions[0]["required"] is True
    assert AuditEvent.objects.filter(action="funding.survey.create").exists()


def test_more_rows_and_errors_keep_what_was_typed(a2020: Agreement) -> None:
    client = Client()
    client.force_login(superuser())
    more = client.post(reverse("funding:survey_create", args=[2020]), _form(action="fler"))
    assert more.status_code == 200 and 'name="q-5-text"' in more.content.decode()
    bad = client.post(
        reverse("funding:survey_create", args=[2020]),
        _form(code="Å Ä ! <b>", due_date="1990-01-01"),
    )
    assert bad.status_code == 400
    html = bad.content.decode()
    assert "ogiltig" in html and "Finns en handlingsplan?" in html
    assert not Survey.objects.exists()


def test_a_kommun_coordinator_may_not_create_or_edit_surveys(a2020: Agreement) -> None:
    client = Client()
    client.force_login(_kommun_coordinator())
    assert client.get(reverse("funding:survey_create", args=[2020])).status_code == 403
    assert client.post(reverse("funding:survey_create", args=[2020]), _form()).status_code == 403
    assert not Survey.objects.exists()
    followup.create_survey(
        a2020,
        code="s",
        title="S",
        respondent_level="kommun",
        due_date=DUE,
        questions=[{"code": "a", "text": "A", "type": "text"}],
        by=SYSTEM,
    )
    assert client.get(reverse("funding:survey_edit", args=[2020, "s"])).status_code == 403


def test_editing_keeps_answered_questions(a2020: Agreement) -> None:
    survey = followup.create_survey(
        a2020,
        code="s",
        title="S",
        respondent_level="kommun",
        due_date=DUE,
        questions=[{"code": "plan", "text": "Plan?", "type": "yesno"}],
        by=SYSTEM,
    )
    followup.save_response(survey, unit_code="0180", answers={"plan": True}, by=SYSTEM)
    with pytest.raises(FundingError, match="kan inte byta typ"):
        followup.update_survey(
            survey,
            title="S",
            due_date=DUE,
            questions=[{"code": "plan", "text": "Plan?", "type": "text"}],
            by=SYSTEM,
        )
    client = Client()
    client.force_login(superuser())
    page = client.get(reverse("funding:survey_edit", args=[2020, "s"])).content.decode()
    assert "Plan?" in page and 'value="plan"' in page
    data = {
        "title": "S, förtydligad",
        "due_date": DUE.isoformat(),
        "rader": "2",
        "q-0-code": "plan",
        "q-0-text": "Finns en plan?",
        "q-0-type": "yesno",
        "q-1-text": "Antal insatser",
        "q-1-type": "number",
        "action": "spara",
    }
    assert client.post(reverse("funding:survey_edit", args=[2020, "s"]), data).status_code == 302
    survey.refresh_from_db()
    assert survey.title == "S, förtydligad" and len(survey.questions) == 2


def test_surveys_are_created_and_changed_through_the_api(a2020: Agreement) -> None:
    client = Client()
    client.force_login(_national_admin())
    body = {
        "code": "regioner",
        "title": "Redovisning regioner",
        "respondent_level": "region",
        "due_date": DUE.isoformat(),
        "questions": [{"code": "plan", "text": "Plan?", "type": "yesno", "required": True}],
    }
    url = "/api/funding/agreements/2020/surveys"
    created = client.post(url, json.dumps(body), content_type="application/json")
    assert created.status_code == 201, created.content
    assert created.json()["code"] == "regioner"
    again = client.post(url, json.dumps(body), content_type="application/json")
    assert again.status_code == 422
    change = {k: v for k, v in body.items() if k not in ("code", "respondent_level")}
    changed = client.put(
        f"{url}/regioner",
        json.dumps({**change, "title": "Ny rubrik"}),
        content_type="application/json",
    )
    assert changed.status_code == 200 and changed.json()["title"] == "Ny rubrik"
    other = Client()
    other.force_login(_kommun_coordinator())
    denied = other.post(url, json.dumps({**body, "code": "egen"}), content_type="application/json")
    assert denied.status_code == 403
    assert not Survey.objects.filter(code="egen").exists()
    anonymous = Client().post(url, json.dumps(body), content_type="application/json")
    assert anonymous.status_code == 401
