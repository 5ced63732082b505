"""Plan content and invitation shapes: Swedish messages naming the field."""

from __future__ import annotations

from typing import Any

import pytest

from datasmart.sip.domain.diff import diff_plan_content
from datasmart.sip.domain.errors import SipValidationError
from datasmart.sip.domain.schemas import PlanContent, parse_participants, parse_plan_content


def content(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "goals": ["Gå till skolan"],
        "needs": ["Stöd"],
        "interventions": [{"title": "Samtal", "organisation_id": 1}],
        "lead_organisation_id": None,
    }
    data.update(overrides)
    return data


TITLE = "interventions[0].title"
ORG = "interventions[0].organisation_id"
LEAD = "lead_organisation_id"


def test_valid_content_is_normalised():
    plan = parse_plan_content(content(goals=["  Sova bättre  "]))
    assert plan.goals == ["Sova bättre"]
    assert plan.others == [] and plan.follow_up_dates == []
    assert plan.organisation_ids() == {"interventions[0].organisation_id": 1}
    assert parse_plan_content(plan) is plan


@pytest.mark.parametrize(
    ("data", "field", "fragment"),
    [
        (content(goals=[]), "goals", "minst ett mål"),
        (content(goals=["  "]), "goals[0]", "tomt"),
        (
            content(
                interventions=[
                    {"title": "x", "organisation_id": 1, "start": "2027-02-01", "end": "2027-01-31"}
                ]
            ),
            "interventions[0].end",
            "före startdatumet",
        ),
        (content(interventions=[{"title": "", "organisation_id": 1}]), TITLE, "insatsen"),
        (content(interventions=[{"title": "x", "organisation_id": "bup"}]), ORG, "heltal"),
        (content(interventions=[{"title": "x", "organisation_id": 0}]), ORG, "större än"),
        (content(follow_up_dates=["i morgon"]), "follow_up_dates[0]", "datum"),
        (content(surprise=1), "surprise", "Okänt fält"),
        ({k: v for k, v in content().items() if k != LEAD}, LEAD, "saknas"),
        (content(others=[{"who": "mamma"}]), "others[0].what", "saknas"),
    ],
)  # fmt: skip
def test_invalid_content_names_the_field(data: dict[str, Any], field: str, fragment: str):
    with pytest.raises(SipValidationError) as caught:
        parse_plan_content(data, prefix="")
    assert caught.value.field == field
    assert fragment in caught.value.message
    assert caught.value.errors[0] == (field, caught.value.message)


def test_prefix_and_all_errors():
    with pytest.raises(SipValidationError) as caught:
        parse_plan_content(content(goals=[], needs="x"), prefix="content")
    fields = [f for f, _m in caught.value.errors]
    assert fields == ["content.goals", "content.needs"]
    with pytest.raises(SipValidationError):
        parse_plan_content(["not", "a", "dict"])  # type: ignore[arg-type]


def test_participants():
    parsed = parse_participants(
        [
            {"kind": "organisation", "organisation_id": 3, "unit_name": "BUP Kiruna"},
            {"kind": "guardian", "name": "Pappa", "email": "pappa@example.se"},
        ]
    )
    assert [p.kind for p in parsed] == ["organisation", "guardian"]
    cases = [
        ([], "participants", "minst en"),
        ([{"kind": "organisation"}], "participants[0].organisation_id", "organisation"),
        ([{"kind": "relative", "organisation_id": 3}], "participants[0].organisation_id", "Bara"),
        ([{"kind": "friend"}], "participants[0].kind", "Ogiltigt val"),
        ([{"kind": "relative", "email": "inte-en-adress"}], "participants[0].email", "e-post"),
        (["x"], "participants[0]", "objekt"),
    ]
    for items, field, fragment in cases:
        with pytest.raises(SipValidationError) as caught:
            parse_participants(items)  # type: ignore[arg-type]
        assert caught.value.field == field, items
        assert fragment in caught.value.message, (items, caught.value.message)


def test_diff_marks_changed_fields_and_list_items():
    before = PlanContent.model_validate(content()).model_dump(mode="json")
    after = PlanContent.model_validate(
        content(goals=["Gå till skolan", "Träffa vänner"], coordinator_name="Eva")
    ).model_dump(mode="json")
    diff = diff_plan_content(before, after)
    assert diff["goals"]["changed"] is True
    assert diff["goals"]["added"] == ["Träffa vänner"]
    assert diff["goals"]["removed"] == []
    assert diff["coordinator_name"] == {"changed": True, "before": "", "after": "Eva"}
    assert diff["needs"]["changed"] is False
    assert set(diff) == set(PlanContent.model_fields)
