"""Follow-up: conditions and fulfilment, payout status, reporting surveys and completeness."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone
from tests.accounts.factories import OrganisationFactory, member

from datasmart.accounts.audit import SYSTEM
from datasmart.accounts.models import AuditEvent, Role, User
from datasmart.funding import services
from datasmart.funding.models import Agreement, Payout, Survey, SurveyResponse
from datasmart.funding.services import FundingError, followup
from datasmart.geo.models import Unit

pytestmark = pytest.mark.django_db

DUE = timezone.localdate() + dt.timedelta(days=30)  # submissions in the tests are on time
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


def _user(role: Role, unit_code: str, username: str) -> User:
    org = OrganisationFactory(unit=Unit.objects.get(code=unit_code), kind="kommun_social")
    return member(role, org, username=username)


@pytest.fixture
def survey(a2020: Agreement) -> Survey:
    return followup.create_survey(
        a2020,
        code="kommuner-2020",
        title="Redovisning kommuner 2020",
        respondent_level="kommun",
        due_date=DUE,
        questions=QUESTIONS,
        by=SYSTEM,
    )


def test_survey_questions_are_checked(a2020: Agreement) -> None:
    bad = [{"code": "a", "text": "A", "type": "choice", "choices": ["x"]}, {"code": "a"}]
    with pytest.raises(FundingError) as info:
        followup.create_survey(
            a2020,
            code="x",
            title="X",
            respondent_level="kommun",
            due_date=DUE,
            questions=bad,
            by=SYSTEM,
        )
    text = str(info.value)
    assert "questions[0].choices" in text and "'a' används två gånger" in text
    assert "questions[1].text: saknas" in text
    assert not Survey.objects.exists()


def test_draft_submit_reopen(survey: Survey) -> None:
    reporter = _user(Role.COORDINATOR, "0180", "stockholm")
    draft = followup.save_response(
        survey, unit_code="0180", answers={"plan": True, "insatser": 12}, by=reporter
    )
    assert draft.status == "draft" and draft.answers == {"plan": True, "insatser": 12}
    with pytest.raises(FundingError, match="samverkan: obligatorisk fråga saknar svar"):
        followup.save_response(survey, unit_code="0180", answers={}, submit=True, by=reporter)
    with pytest.raises(FundingError, match="'kanske' är inget av svarsalternativen"):
        followup.save_response(
            survey, unit_code="0180", answers={"samverkan": "kanske"}, by=reporter
        )
    done = followup.save_response(
        survey, unit_code="0180", answers={"samverkan": "delvis"}, submit=True, by=reporter
    )
    assert done.status == "submitted" and done.submitted_by_username == "stockholm"
    assert done.answers["plan"] is True  # the draft's answers are kept
    with pytest.raises(FundingError, match="redan skickat in"):
        followup.save_response(survey, unit_code="0180", answers={"kommentar": "x"}, by=reporter)
    with pytest.raises(PermissionDenied):
        followup.reopen_response(done, reason="fel siffra", by=_user(Role.VIEWER, "0180", "v"))
    reopened = followup.reopen_response(done, reason="Fel antal insatser", by=SYSTEM)
    assert reopened.status == "draft" and reopened.reopened == 1
    actions = list(
        AuditEvent.objects.filter(action__startswith="funding.survey_response").values_list(
            "action", flat=True
        )
    )
    assert sorted(actions) == [
        "funding.survey_response.reopen",
        "funding.survey_response.save",
        "funding.survey_response.submit",
    ]


def test_only_the_recipient_may_report(survey: Survey) -> None:
    other = _user(Role.COORDINATOR, "0114", "vasby")
    with pytest.raises(PermissionDenied):
        followup.save_response(survey, unit_code="0180", answers={"plan": True}, by=other)
    viewer = _user(Role.VIEWER, "0180", "lasare")
    with pytest.raises(PermissionDenied):
        followup.save_response(survey, unit_code="0180", answers={"plan": True}, by=viewer)
    assert not SurveyResponse.objects.exists()
    assert AuditEvent.objects.filter(action="auth.permission_denied").count() == 2
    with pytest.raises(FundingError, match="ingen mottagare på nivån kommun"):
        followup.save_response(survey, unit_code="01", answers={}, by=SYSTEM)


def test_completeness_who_reported_and_who_is_late(survey: Survey, a2020: Agreement) -> None:
    services.set_acceptance(a2020, unit_code="2403", accepted=False, by=SYSTEM)
    full = {"plan": True, "samverkan": "bra"}
    followup.save_response(survey, unit_code="0180", answers=full, submit=True, by=SYSTEM)
    followup.save_response(survey, unit_code="0114", answers={"plan": False}, by=SYSTEM)
    before = followup.completeness(survey, today=DUE)
    assert len(before.rows) == 289  # Bjurholm declined the money, so it does not report
    assert before.count("submitted") == 1 and before.count("draft") == 1
    assert before.count("missing") == 287 and before.late == []
    after = followup.completeness(survey, today=DUE + dt.timedelta(days=1))
    assert len(after.late) == 288  # everyone but Stockholm
    assert {r.unit_code for r in after.rows if not r.late} == {"0180"}


def test_conditions_and_fulfilment(a2020: Agreement) -> None:
    post = a2020.posts.get(code="kommuner-utvecklingsarbete")
    condition = followup.add_condition(
        a2020,
        code="handlingsplan",
        text="Kommunen har en handlingsplan framtagen med regionen.",
        recipient_level="kommun",
        post=post,
        by=SYSTEM,
    )
    followup.assess(condition, unit_code="0180", status="fulfilled", by=SYSTEM)
    followup.assess(condition, unit_code="0114", status="partly", note="Saknar mål", by=SYSTEM)
    followup.assess(condition, unit_code="0114", status="fulfilled", by=SYSTEM)
    with pytest.raises(FundingError, match="Okänd bedömning"):
        followup.assess(condition, unit_code="0114", status="ok", by=SYSTEM)
    with pytest.raises(FundingError, match="ingen mottagare"):
        followup.assess(condition, unit_code="01", status="fulfilled", by=SYSTEM)
    [summary] = followup.condition_overview(a2020)
    assert summary.counts["fulfilled"] == 2 and summary.not_assessed == 288
    with pytest.raises(PermissionDenied):
        followup.assess(
            condition, unit_code="0180", status="fulfilled", by=_user(Role.VIEWER, "0180", "l")
        )


def test_payout_status(a2020: Agreement) -> None:
    services.set_acceptance(a2020, unit_code="2403", accepted=False, by=SYSTEM)
    run = services.run_allocation(a2020, by=SYSTEM)
    line = run.lines.get(post_code="kommuner-utvecklingsarbete", recipient_code="0180")
    with pytest.raises(FundingError, match="Ange utbetalningsdag"):
        followup.set_payout(line, status="paid", by=SYSTEM)
    followup.set_payout(line, status="paid", date=dt.date(2020, 6, 1), reference="V123", by=SYSTEM)
    held = run.lines.get(post_code="kommuner-utvecklingsarbete", recipient_code="2403")
    with pytest.raises(FundingError, match="hålls inne"):
        followup.set_payout(held, status="paid", date=dt.date(2020, 6, 1), by=SYSTEM)
    totals = followup.payout_totals(run.pk)
    assert totals["paid"] == line.amount_sek
    assert totals["held"] == run.withheld_sek  # both kommun posts of Bjurholm
    assert run.withheld_sek > held.amount_sek
    assert sum(totals.values()) == 1_716_000_000
    scenario = services.scenario(a2020, population_year=2024, save=True, by=SYSTEM).run
    assert scenario is not None
    with pytest.raises(FundingError, match="scenario betalas inte ut"):
        followup.set_payout(scenario.lines.first(), status="planned", by=SYSTEM)  # type: ignore[arg-type]
    assert Payout.objects.count() == 1


def test_reporting_rolls_back_when_audit_fails(
    survey: Survey, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("audit store unavailable")

    monkeypatch.setattr(followup, "record_event", boom)
    with pytest.raises(RuntimeError):
        followup.save_response(survey, unit_code="0180", answers={"plan": True}, by=SYSTEM)
    assert not SurveyResponse.objects.exists()
