"""Follow-up pages: answering a survey (draft, submit, reopen), the remind list and CSV,
conditions and payouts; rights, denials (audited) and CSRF; the ``remind`` command."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from tests.accounts.factories import OrganisationFactory, member
from typer.testing import CliRunner

from datasmart.accounts.audit import SYSTEM
from datasmart.accounts.models import AuditEvent, Role, User
from datasmart.funding import services
from datasmart.funding.cli import funding_app
from datasmart.funding.models import (
    Agreement,
    Fulfilment,
    Payout,
    Reminder,
    Survey,
    SurveyResponse,
)
from datasmart.funding.services import followup
from datasmart.geo.models import Unit

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()
QUESTIONS = [
    {"code": "plan", "text": "Finns en handlingsplan?", "type": "yesno", "required": True},
    {"code": "insatser", "text": "Antal insatser", "type": "number"},
    {
        "code": "samverkan",
        "text": "Hur fungerar samverkan med regionen?",
        "type": "choice",
        "choices": ["bra", "delvis", "dåligt"],
        "required": True,
    },
    {"code": "kommentar", "text": "Övrigt", "type": "text"},
]


@pytest.fixture(autouse=True)
def _urls(settings: Any) -> None:
    settings.ROOT_URLCONF = "funding_test_urls"


def _user(role: Role, unit_code: str, username: str) -> User:
    """A member of an organisation in ``unit_code`` ("00": SKR, the agreement's
    administrators when the role is coordinator)."""
    kind = {4: "kommun_social", 2: "region_psychiatry"}[len(unit_code)]
    if unit_code == "00":
        kind = "skr"
    org = OrganisationFactory(unit=Unit.objects.get(code=unit_code), kind=kind)
    return member(role, org, username=username)


def _client(user: User, *, csrf: bool = False) -> Client:
    c = Client(enforce_csrf_checks=csrf)
    c.force_login(user)
    return c


def _survey(a2020: Agreement, due: dt.date) -> Survey:
    return followup.create_survey(
        a2020,
        code="kommuner-2020",
        title="Redovisning kommuner 2020",
        respondent_level="kommun",
        due_date=due,
        questions=QUESTIONS,
        by=SYSTEM,
    )


@pytest.fixture
def survey(a2020: Agreement) -> Survey:
    return _survey(a2020, TODAY + dt.timedelta(days=30))


def _answer_url(code: str = "0180") -> str:
    return reverse("funding:answer", args=[2020, "kommuner-2020", code])


FILLED = {"q_plan": "ja", "q_insatser": "3,5", "q_samverkan": "delvis", "q_kommentar": "Bra år"}


def test_recipient_saves_draft_submits_and_coordinator_reopens(survey: Survey) -> None:
    reporter = _client(_user(Role.COORDINATOR, "0180", "stockholm"))
    page = reporter.get(_answer_url())
    assert page.status_code == 200
    html = page.content.decode()
    assert "Spara utkast" in html and "Skicka in" in html and "Finns en handlingsplan?" in html
    # a draft may lack required answers
    draft = reporter.post(_answer_url(), {"q_insatser": "12", "action": "spara"})
    assert draft.status_code == 302
    response = SurveyResponse.objects.get(survey=survey, unit__code="0180")
    assert response.status == "draft" and response.answers == {"insatser": 12}
    assert "Utkastet är sparat." in reporter.get(_answer_url()).content.decode()
    # submitting without a required answer is refused and the form keeps what was typed
    refused = reporter.post(_answer_url(), {"q_insatser": "12", "action": "skicka"})
    assert refused.status_code == 400
    assert "obligatorisk fråga saknar svar" in refused.content.decode()
    bad_number = reporter.post(_answer_url(), {**FILLED, "q_insatser": "många", "action": "spara"})
    assert bad_number.status_code == 400 and "Ange ett tal" in bad_number.content.decode()
    sent = reporter.post(_answer_url(), {**FILLED, "action": "skicka"})
    assert sent.status_code == 302
    response.refresh_from_db()
    assert response.status == "submitted"
    assert response.answers == {
        "plan": True,
        "insatser": 3.5,
        "samverkan": "delvis",
        "kommentar": "Bra år",
    }
    frozen = reporter.get(_answer_url()).content.decode()
    assert "Spara utkast" not in frozen and "kan inte ändras" in frozen
    assert reporter.post(_answer_url(), {**FILLED, "action": "spara"}).status_code == 400

    # a region coordinator is not the agreement's administrator: no look, no reopen
    region = _client(_user(Role.COORDINATOR, "01", "regionsamordnare"))
    assert region.get(_answer_url()).status_code == 403
    url = reverse("funding:reopen", args=[2020, "kommuner-2020", "0180"])
    assert region.post(url, {"reason": "Fel antal"}).status_code == 403
    # the national administrator sees the answers and reopens with a reason
    coordinator = _client(_user(Role.COORDINATOR, "00", "samordnare"))
    seen = coordinator.get(_answer_url()).content.decode()
    assert "Öppna igen" in seen and "Bra år" in seen
    url = reverse("funding:reopen", args=[2020, "kommuner-2020", "0180"])
    assert coordinator.post(url, {"reason": ""}).status_code == 302
    response.refresh_from_db()
    assert response.status == "submitted"
    coordinator.post(url, {"reason": "Fel antal"})
    response.refresh_from_db()
    assert response.status == "draft" and response.reopened == 1
    assert AuditEvent.objects.filter(action="funding.survey_response.reopen").count() == 1


def test_answer_page_denials_are_audited(survey: Survey) -> None:
    other = _client(_user(Role.VIEWER, "0180", "lasare"))  # right kommun, no REPORT_FUNDING
    before = AuditEvent.objects.filter(action="auth.permission_denied").count()
    assert other.get(_answer_url()).status_code == 403
    assert other.post(_answer_url(), {**FILLED, "action": "skicka"}).status_code == 403
    neighbour = _client(_user(Role.COORDINATOR, "0114", "upplands-vasby"))
    # another kommun's coordinator neither reads nor answers for Stockholm
    assert neighbour.get(_answer_url()).status_code == 403
    assert neighbour.post(_answer_url(), {**FILLED, "action": "spara"}).status_code == 403
    assert not SurveyResponse.objects.exists()
    assert AuditEvent.objects.filter(action="auth.permission_denied").count() == before + 4
    reopen = reverse("funding:reopen", args=[2020, "kommuner-2020", "0180"])
    assert other.post(reopen, {"reason": "x"}).status_code == 404  # nothing to reopen
    assert Client().get(_answer_url()).status_code == 302  # sign in first


def test_forms_need_csrf(survey: Survey) -> None:
    reporter = _client(_user(Role.COORDINATOR, "0180", "stockholm"), csrf=True)
    assert reporter.post(_answer_url(), {**FILLED, "action": "spara"}).status_code == 403
    assert not SurveyResponse.objects.exists()


def test_reporting_page_lists_own_surveys_and_links(survey: Survey) -> None:
    reporter = _client(_user(Role.COORDINATOR, "0180", "stockholm"))
    html = reporter.get(reverse("funding:reporting", args=[2020])).content.decode()
    assert "Att besvara" in html and _answer_url() in html
    remind = reverse("funding:remind", args=[2020, "kommuner-2020"])
    assert remind not in html  # the reminder list is the administrators'
    admin = _client(_user(Role.COORDINATOR, "00", "samordnare"))
    assert remind in admin.get(reverse("funding:reporting", args=[2020])).content.decode()


def test_remind_list_and_csv(a2020: Agreement) -> None:
    late = _survey(a2020, TODAY - dt.timedelta(days=3))
    stockholm = _user(Role.COORDINATOR, "0180", "stockholm")
    followup.save_response(
        late, unit_code="0114", answers={"plan": True, "samverkan": "bra"}, submit=True, by=SYSTEM
    )
    url = reverse("funding:remind", args=[2020, "kommuner-2020"])
    assert _client(stockholm).get(url).status_code == 403  # a recipient sees only its own
    coordinator = _client(_user(Role.COORDINATOR, "00", "samordnare"))
    page = coordinator.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "289 mottagare har inte skickat in, varav 289 är sena" in html
    assert "stockholm@example.se" in html
    export = coordinator.get(url, {"format": "csv"})
    assert export.status_code == 200 and export["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(export.streaming_content).decode("utf-8-sig"))))
    assert len(rows) == 289 and "0114" not in {r["unit_code"] for r in rows}
    stockholm_row = next(r for r in rows if r["unit_code"] == "0180")
    assert (
        stockholm_row["emails"] == "stockholm@example.se" and stockholm_row["status"] == "missing"
    )
    viewer = _client(_user(Role.VIEWER, "01", "lasare"))
    assert viewer.get(url).status_code == 403
    assert viewer.get(url, {"format": "csv"}).status_code == 403


def test_condition_create_and_assess(a2020: Agreement) -> None:
    coordinator = _client(_user(Role.COORDINATOR, "00", "samordnare"))
    create = reverse("funding:condition_create", args=[2020])
    made = coordinator.post(
        create,
        {"code": "plan", "text": "Handlingsplan finns", "recipient_level": "region"},
    )
    assert made.status_code == 302
    url = reverse("funding:condition", args=[2020, "plan"])
    page = coordinator.get(url).content.decode()
    assert "Handlingsplan finns" in page and "Inte bedömt" in page and 'id="u01"' in page
    coordinator.post(url, {"unit": "01", "status": "partly", "note": "Saknar budget"})
    f = Fulfilment.objects.get(condition__code="plan", unit__code="01")
    assert f.status == "partly" and f.note == "Saknar budget"
    assert "Delvis uppfyllt" in coordinator.get(url).content.decode()
    bad = coordinator.post(url, {"unit": "01", "status": "kanske"}, follow=True)
    assert "Okänd bedömning" in bad.content.decode()
    viewer = _client(_user(Role.VIEWER, "0180", "lasare"))
    assert viewer.get(url).status_code == 200 and "<select" not in viewer.get(url).content.decode()
    assert viewer.post(url, {"unit": "01", "status": "fulfilled"}).status_code == 403
    assert (
        viewer.post(create, {"code": "x", "text": "x", "recipient_level": "kommun"}).status_code
        == 403
    )
    assert Fulfilment.objects.get(unit__code="01").status == "partly"


def test_payout_page_sets_status_with_dates(a2020: Agreement) -> None:
    user = _user(Role.COORDINATOR, "00", "samordnare")
    run = services.run_allocation(a2020, by=user)
    coordinator = _client(user)
    url = reverse("funding:payouts", args=[2020])
    page = coordinator.get(url, {"mottagare": "01"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "Planerad" in html and "Stockholm" in html
    line = run.lines.get(
        recipient_code="01", post_code=run.lines.filter(recipient_code="01").first().post_code
    )
    set_url = reverse("funding:payout_set", args=[2020, line.pk])
    coordinator.post(set_url, {"status": "paid", "date": ""}, follow=True)
    assert not Payout.objects.exists()  # paid needs a date
    done = coordinator.post(
        set_url,
        {
            "status": "paid",
            "date": "2020-06-30",
            "reference": "V123",
            "next": url + "?mottagare=01",
        },
    )
    assert done.status_code == 302 and done["Location"] == url + "?mottagare=01"
    payout = Payout.objects.get(line=line)
    assert payout.status == "paid" and payout.date == dt.date(2020, 6, 30)
    assert "V123" in coordinator.get(url, {"mottagare": "01"}).content.decode()
    evil = coordinator.post(set_url, {"status": "held", "next": "//evil.example/"})
    assert evil["Location"] == url
    viewer = _client(_user(Role.VIEWER, "0180", "lasare"))
    assert viewer.get(url).status_code == 200
    assert viewer.post(set_url, {"status": "held"}).status_code == 403
    assert Payout.objects.get(line=line).status == "held"


def test_remind_command_emails_late_recipients_once_a_day(
    a2020: Agreement, mailoutbox: list[Any]
) -> None:
    late = _survey(a2020, TODAY - dt.timedelta(days=1))
    _user(Role.COORDINATOR, "0180", "stockholm")
    _user(Role.VIEWER, "0180", "lasare")  # may not report: no mail
    _user(Role.COORDINATOR, "0114", "upplands-vasby")
    followup.save_response(
        late, unit_code="0114", answers={"plan": True, "samverkan": "bra"}, submit=True, by=SYSTEM
    )
    runner = CliRunner()
    first = runner.invoke(funding_app, ["remind", "2020", "--format", "csv"])
    assert first.exit_code == 0, first.output
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["stockholm@example.se"]
    assert "Påminnelse" in mailoutbox[0].subject and "/medel/2020/enkater/" in mailoutbox[0].body
    assert Reminder.objects.count() == 1
    assert "no_address" in first.stdout  # the other 287 kommuner have no users
    again = runner.invoke(funding_app, ["remind", "2020"])
    assert again.exit_code == 0 and len(mailoutbox) == 1
    tomorrow = (TODAY + dt.timedelta(days=1)).isoformat()
    runner.invoke(funding_app, ["remind", "--date", tomorrow, "--survey", "kommuner-2020"])
    assert len(mailoutbox) == 2 and Reminder.objects.count() == 2
    assert AuditEvent.objects.filter(action="funding.reminder.send").count() == 2
    dry = runner.invoke(funding_app, ["remind", "2020", "--date", "2099-01-01", "--dry-run"])
    assert dry.exit_code == 0 and len(mailoutbox) == 2
    bad = runner.invoke(funding_app, ["remind", "2020", "--date", "igår"])
    assert bad.exit_code == 2


def test_reminders_speak_each_recipients_language(a2020: Agreement, mailoutbox: list[Any]) -> None:
    from datasmart.funding.services.reminders import send_reminders

    _survey(a2020, TODAY - dt.timedelta(days=1))
    english = _user(Role.COORDINATOR, "0180", "stockholm-en")
    english.language = "en"
    english.save(update_fields=["language"])
    swedish = _user(Role.COORDINATOR, "0180", "stockholm-sv")
    assert swedish.language == "sv"  # the default

    results = send_reminders([a2020])

    assert [r.addresses for r in results if r.result == "sent"] == [2]
    by_address = {m.to[0]: m for m in mailoutbox}
    en = by_address[english.email]
    assert en.subject == "Reminder: Redovisning kommuner 2020 (Stockholm)"
    assert en.body.startswith("Hello,\n\nStockholm has not submitted the survey")
    assert "Fill in and submit the answer here: " in en.body
    assert "/medel/2020/enkater/" in en.body and "Påminnelse" not in en.body
    sv = by_address[swedish.email]
    assert sv.subject == "Påminnelse: Redovisning kommuner 2020 (Stockholm)"
    assert sv.body.startswith("Hej!\n\nStockholm har inte skickat in enkäten")
    assert "du får högst en påminnelse per dag." in sv.body


def test_no_reminder_before_the_due_date(survey: Survey, mailoutbox: list[Any]) -> None:
    _user(Role.COORDINATOR, "0180", "stockholm")
    result = CliRunner().invoke(funding_app, ["remind"])
    assert result.exit_code == 0 and mailoutbox == []


def test_results_aggregated_by_lan_and_exported(survey: Survey) -> None:
    followup.save_response(
        survey,
        unit_code="0114",
        answers={"plan": True, "samverkan": "bra", "insatser": 3},
        submit=True,
        by=SYSTEM,
    )
    followup.save_response(
        survey,
        unit_code="0180",
        answers={"plan": False, "samverkan": "delvis", "insatser": 4.5},
        submit=True,
        by=SYSTEM,
    )
    followup.save_response(
        survey, unit_code="1280", answers={"plan": True, "samverkan": "bra"}, submit=True, by=SYSTEM
    )
    followup.save_response(survey, unit_code="0381", answers={"insatser": 99}, by=SYSTEM)  # draft
    url = reverse("funding:results", args=[2020, "kommuner-2020"])
    region = _client(_user(Role.COORDINATOR, "01", "regionsamordnare"))
    assert region.get(url, {"format": "svar"}).status_code == 403  # others' answers
    coordinator = _client(_user(Role.COORDINATOR, "00", "samordnare"))
    page = coordinator.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "3 av 290 har skickat in" in html and "Antal insatser" in html
    export = coordinator.get(url, {"format": "csv"})
    rows = list(csv.DictReader(io.StringIO(b"".join(export.streaming_content).decode("utf-8-sig"))))
    value = {(r["group_code"], r["question"], r["measure"]): r["value"] for r in rows}
    assert value[("00", "plan", "ja")] == "2" and value[("00", "plan", "nej")] == "1"
    assert value[("00", "insatser", "summa")] == "7.5"  # the draft's 99 is not counted
    assert value[("01", "samverkan", "val: bra")] == "1"
    assert value[("01", "samverkan", "val: delvis")] == "1"
    assert value[("12", "plan", "svar")] == "1"
    svar = coordinator.get(url, {"format": "svar"})
    lines = list(csv.DictReader(io.StringIO(b"".join(svar.streaming_content).decode("utf-8-sig"))))
    assert [r["unit_code"] for r in lines] == ["0114", "0180", "1280"]
    assert lines[1]["plan"] == "nej"
    viewer = _client(_user(Role.VIEWER, "0180", "lasare"))
    assert viewer.get(url).status_code == 403
    assert viewer.get(url, {"format": "svar"}).status_code == 403
