"""Answering, submitting and freezing; denials for every role and other organisations;
bad input refused whole, naming the field; every write audited."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied

from datasmart.accounts.audit import SYSTEM
from datasmart.accounts.models import AuditEvent, Role
from datasmart.checklist import services
from datasmart.checklist.models import Answer, ChecklistRound, RoundStatus
from tests.checklist.checklist_support import ChecklistWorld, all_answers, make_world

pytestmark = pytest.mark.django_db
ANSWERING = {Role.ADMIN, Role.COORDINATOR, Role.ANALYST}


@pytest.fixture
def world() -> ChecklistWorld:
    return make_world()


@pytest.mark.parametrize("role", list(Role))
def test_only_answering_roles_of_the_units_own_organisation_answer(
    world: ChecklistWorld, role: Role
) -> None:
    own = world.user("stockholm", role)
    if role in ANSWERING:
        r = services.save_answers("0180", 2026, all_answers(), by=own)
        assert r.organisation == world.orgs["stockholm"] and r.status == RoundStatus.DRAFT
    else:
        with pytest.raises(PermissionDenied):
            services.save_answers("0180", 2026, all_answers(), by=own)
    # the same role elsewhere never answers for Stockholm
    for other in ("vasby", "malmo", "region", "stockholm_school"):
        with pytest.raises(PermissionDenied):
            services.save_answers("0180", 2026, all_answers(), by=world.user(other, role))
        with pytest.raises(PermissionDenied):
            services.submit_round("0180", 2026, by=world.user(other, role))
        with pytest.raises(PermissionDenied):
            services.new_round("0180", 2026, by=world.user(other, role))


def test_anonymous_and_superuser_do_not_answer(world: ChecklistWorld) -> None:
    from tests.accounts.factories import UserFactory

    root = UserFactory(username="cl-root", is_superuser=True, is_staff=True)
    for by in (AnonymousUser(), root):
        with pytest.raises(PermissionDenied):
            services.save_answers("0180", 2026, all_answers(), by=by)
    denials = AuditEvent.objects.filter(action="auth.permission_denied", target_id__isnull=False)
    assert denials.count() >= 2


def test_region_answers_for_the_region_not_for_its_kommuner(world: ChecklistWorld) -> None:
    coordinator = world.user("region", Role.COORDINATOR)
    assert services.save_answers("01", 2026, all_answers(), by=coordinator).unit.code == "01"
    with pytest.raises(PermissionDenied):
        services.save_answers("0114", 2026, all_answers(), by=coordinator)


def test_submit_freezes_and_a_new_round_copies_the_answers(world: ChecklistWorld) -> None:
    by = world.user("stockholm", Role.COORDINATOR)
    services.save_answers("0180", 2026, all_answers("no"), by=by)
    submitted = services.submit_round("0180", 2026, by=by)
    assert submitted.status == RoundStatus.SUBMITTED and submitted.submitted_by == by
    assert submitted.submitted_at is not None
    # frozen: nothing to submit, and saving opens round 2 instead of touching round 1
    with pytest.raises(services.ChecklistError, match="inget utkast"):
        services.submit_round("0180", 2026, by=by)
    second = services.save_answers("0180", 2026, {"behov-nu": {"value": "yes"}}, by=by)
    assert second.number == 2 and second.status == RoundStatus.DRAFT
    assert Answer.objects.get(round=submitted, question__code="behov-nu").value == "no"
    assert services.answer_map(second)["behov-nu"].value == "yes"
    assert services.answer_map(second)["behov-framtid"].value == "no"  # copied
    # the public sees round 1 until round 2 is submitted
    assert services.latest_round(second.unit, 2026, AnonymousUser()).number == 1
    assert services.latest_round(second.unit, 2026, by).number == 2
    services.submit_round("0180", 2026, by=by)
    assert services.latest_submitted(second.unit, 2026).number == 2
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {
        "checklist.round_opened",
        "checklist.answers_saved",
        "checklist.round_submitted",
    } <= actions


def test_submit_needs_every_question(world: ChecklistWorld) -> None:
    by = world.user("stockholm", Role.ANALYST)
    answers = all_answers()
    del answers["sip-anvands"]
    services.save_answers("0180", 2026, answers, by=by)
    with pytest.raises(services.ChecklistError, match=r"fråga 15 saknar svar"):
        services.submit_round("0180", 2026, by=by)
    assert ChecklistRound.objects.get(unit__code="0180").status == RoundStatus.DRAFT


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ({"value": "kanske"}, r"Fråga 1 \(behov-nu\), fältet svar: okänt värde"),
        ({"value": "yes", "evidence_url": "javascript:alert(1)"}, "fältet länk till underlag"),
        ({"value": "yes", "evidence_url": "http://example.org/"}, "fältet länk till underlag"),
        ({"value": "yes", "evidence_url": "//evil.example/"}, "fältet länk till underlag"),
        ({"value": "yes", "comment": "x" * 2001}, "fältet kommentar"),
        ({"value": "", "comment": "Utan svar"}, "fältet svar: välj ett svar"),
    ],
)
def test_bad_answers_are_refused_whole_naming_the_field(
    world: ChecklistWorld, answer: dict[str, str], message: str
) -> None:
    by = world.user("stockholm", Role.COORDINATOR)
    answers = all_answers()
    answers["behov-nu"] = answer
    with pytest.raises(services.ChecklistError, match=message):
        services.save_answers("0180", 2026, answers, by=by)
    assert not Answer.objects.exists() and not ChecklistRound.objects.exists()


def test_unknown_question_year_and_unit_are_refused(world: ChecklistWorld) -> None:
    by = world.user("stockholm", Role.COORDINATOR)
    with pytest.raises(services.ChecklistError, match="Fältet fråga: okänd fråga nej-fraga"):
        services.save_answers("0180", 2026, {"nej-fraga": {"value": "yes"}}, by=by)
    with pytest.raises(services.ChecklistError, match="Fältet år"):
        services.save_answers("0180", 1850, {}, by=by)
    with pytest.raises(services.ChecklistError, match="Fältet enhet"):
        services.save_answers("00", 2026, {}, by=by)


def test_good_links_are_kept_and_an_empty_value_clears(world: ChecklistWorld) -> None:
    by = world.user("stockholm", Role.COORDINATOR)
    answers = all_answers()
    answers["behov-nu"]["evidence_url"] = "/behov/enhet/0180/"
    answers["mal-politiska"]["evidence_url"] = "https://www.stockholm.se/beslut?id=1"
    r = services.save_answers("0180", 2026, answers, by=by)
    saved = services.answer_map(r)
    assert saved["behov-nu"].evidence_url == "/behov/enhet/0180/"
    services.save_answers("0180", 2026, {"behov-nu": {"value": ""}}, by=by)
    assert "behov-nu" not in services.answer_map(r)


def test_system_answers_in_the_units_organisation(world: ChecklistWorld) -> None:
    r = services.save_answers("0114", 2026, all_answers(), by=SYSTEM)
    assert r.organisation == world.orgs["vasby"] and r.created_by is None
