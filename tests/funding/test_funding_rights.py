"""Funding's one rule (datasmart.funding.rights), checked in the services themselves.

A kommun coordinator once could add conditions to the national agreement, mark another
kommun's condition "not met", save the national allocation run and set a län's payout to
"paid" dated 2099. These tests call the services directly (as pages, API and CLI do).
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone
from tests.accounts.factories import OrganisationFactory, member

from datasmart.accounts.audit import SYSTEM
from datasmart.accounts.models import AuditEvent, Role, User
from datasmart.funding import rights, services
from datasmart.funding.models import Agreement, Condition, Payout, Survey
from datasmart.funding.services import FundingError, followup
from datasmart.geo.models import Unit

pytestmark = pytest.mark.django_db


def _user(role: Role, unit_code: str, username: str, kind: str = "") -> User:
    kind = kind or {4: "kommun_social", 2: "region_psychiatry"}[len(unit_code)]
    if unit_code == "00":
        kind = "skr"
    org = OrganisationFactory(unit=Unit.objects.get(code=unit_code), kind=kind)
    return member(role, org, username=username)


@pytest.fixture
def kommun_coordinator(db: None) -> User:
    return _user(Role.COORDINATOR, "0114", "vasby")


@pytest.fixture
def administrator(db: None) -> User:
    return _user(Role.COORDINATOR, "00", "skr")


@pytest.fixture
def survey(a2020: Agreement) -> Survey:
    return followup.create_survey(
        a2020,
        code="kommuner-2020",
        title="Redovisning",
        respondent_level="kommun",
        due_date=timezone.localdate() + dt.timedelta(days=30),
        questions=[{"code": "plan", "text": "Plan?", "type": "yesno"}],
        by=SYSTEM,
    )


def _denials(user: User) -> int:
    return AuditEvent.objects.filter(action="auth.permission_denied", actor=user).count()


def test_who_is_an_administrator(kommun_coordinator: User, administrator: User) -> None:
    viewer = _user(Role.VIEWER, "00", "skr-lasare")
    analyst = _user(Role.ANALYST, "00", "skr-analytiker")
    superuser = User.objects.create_superuser("root", "root@example.se", "x" * 20)
    assert rights.is_administrator(administrator)
    assert rights.is_administrator(SYSTEM) and rights.is_administrator(superuser)
    assert not rights.is_administrator(kommun_coordinator)
    assert not rights.is_administrator(viewer) and not rights.is_administrator(analyst)
    assert not rights.is_administrator(_user(Role.COORDINATOR, "01", "region"))


def test_a_kommun_coordinator_changes_nothing_national(
    a2020: Agreement, kommun_coordinator: User, survey: Survey
) -> None:
    by = kommun_coordinator
    with pytest.raises(PermissionDenied):
        followup.add_condition(a2020, code="plan", text="Plan", recipient_level="kommun", by=by)
    condition = followup.add_condition(
        a2020, code="plan", text="Plan", recipient_level="kommun", by=SYSTEM
    )
    with pytest.raises(PermissionDenied):  # another kommun's condition "not met"
        followup.assess(condition, unit_code="0180", status="not_fulfilled", by=by)
    with pytest.raises(PermissionDenied):  # nor its own: assessing is the administrators'
        followup.assess(condition, unit_code="0114", status="fulfilled", by=by)
    with pytest.raises(PermissionDenied):
        services.run_allocation(a2020, by=by)
    run = services.run_allocation(a2020, by=SYSTEM)
    line = run.lines.filter(recipient_code="01").first()
    with pytest.raises(PermissionDenied):
        followup.set_payout(line, status="paid", date=dt.date(2020, 6, 1), by=by)
    with pytest.raises(PermissionDenied):
        followup.create_survey(
            a2020,
            code="egen",
            title="Egen",
            respondent_level="kommun",
            due_date=dt.date(2020, 12, 1),
            questions=[{"code": "a", "text": "A"}],
            by=by,
        )
    response = followup.save_response(
        survey, unit_code="0114", answers={"plan": True}, submit=True, by=by
    )  # its own answer: allowed
    with pytest.raises(PermissionDenied):
        followup.reopen_response(response, reason="ändra", by=by)
    with pytest.raises(PermissionDenied):  # another kommun's answers
        followup.save_response(survey, unit_code="0180", answers={"plan": False}, by=by)
    assert _denials(by) == 8
    assert not condition.fulfilments.exists() and not Payout.objects.exists()
    assert Condition.objects.count() == 1 and Survey.objects.count() == 1


def test_a_recipient_reads_only_its_own_answers(
    survey: Survey, kommun_coordinator: User, administrator: User
) -> None:
    followup.save_response(survey, unit_code="0180", answers={"plan": True}, by=SYSTEM)
    with pytest.raises(PermissionDenied):
        followup.get_response(survey, unit_code="0180", by=kommun_coordinator)
    assert followup.get_response(survey, unit_code="0114", by=kommun_coordinator) is None
    found = followup.get_response(survey, unit_code="0180", by=administrator)
    assert found is not None and found.answers == {"plan": True}
    with pytest.raises(PermissionDenied):
        followup.require_results_access(kommun_coordinator)
    followup.require_results_access(administrator)


def test_the_administrator_does_it_all(
    a2020: Agreement, administrator: User, survey: Survey
) -> None:
    condition = followup.add_condition(
        a2020, code="plan", text="Plan", recipient_level="kommun", by=administrator
    )
    followup.assess(condition, unit_code="0180", status="partly", by=administrator)
    run = services.run_allocation(a2020, by=administrator)
    line = run.lines.filter(recipient_code="01").first()
    followup.set_payout(line, status="paid", date=dt.date(2020, 6, 1), by=administrator)
    response = followup.save_response(
        survey, unit_code="0180", answers={"plan": True}, submit=True, by=SYSTEM
    )
    followup.reopen_response(response, reason="fel", by=administrator)
    assert _denials(administrator) == 0


def test_payout_dates_are_plausible(a2020: Agreement, administrator: User) -> None:
    run = services.run_allocation(a2020, by=SYSTEM)
    line = run.lines.filter(recipient_code="01").first()
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    with pytest.raises(FundingError, match="efter dagens datum"):
        followup.set_payout(line, status="paid", date=tomorrow, by=administrator)
    with pytest.raises(FundingError, match="efter dagens datum"):
        followup.set_payout(line, status="reclaimed", date=tomorrow, by=administrator)
    with pytest.raises(FundingError, match="utanför 2020 års överenskommelse"):
        followup.set_payout(line, status="planned", date=dt.date(2099, 1, 1), by=administrator)
    with pytest.raises(FundingError, match="utanför 2020 års överenskommelse"):
        followup.set_payout(line, status="paid", date=dt.date(1990, 1, 1), by=administrator)
    assert not Payout.objects.exists()
    followup.set_payout(line, status="planned", date=dt.date(2021, 3, 1), by=administrator)
    followup.set_payout(line, status="paid", date=dt.date(2020, 6, 30), by=administrator)
    assert Payout.objects.get(line=line).date == dt.date(2020, 6, 30)


def test_results_survey_checks_the_rights_before_the_lookup(
    survey: Survey, kommun_coordinator: User, administrator: User
) -> None:
    """The results page and reminder list get their survey from a service that checks the
    rule itself (issue #15: views only translate the refusal), before the lookup, so a
    refused user cannot probe which surveys exist."""
    before = _denials(kommun_coordinator)
    for code in (survey.code, "finns-inte"):
        with pytest.raises(PermissionDenied):
            followup.results_survey(2020, code, by=kommun_coordinator)
    assert _denials(kommun_coordinator) == before + 2
    assert followup.results_survey(2020, survey.code, by=administrator) == survey
    with pytest.raises(followup.SurveyNotFound, match="finns-inte"):
        followup.results_survey(2020, "finns-inte", by=administrator)
