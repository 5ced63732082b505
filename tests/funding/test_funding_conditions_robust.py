"""A bad condition code once made ``/medel/2020/rapportering/`` answer 500 for everyone,
and the condition could not be deleted in the admin. Codes and due dates are checked in the
service; a stored bad value no longer breaks the page; an administrator deletes in the admin.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.test import Client, RequestFactory
from django.urls import reverse
from tests.accounts.factories import OrganisationFactory, member, superuser

from datasmart.accounts.audit import SYSTEM
from datasmart.accounts.models import AuditEvent, Role
from datasmart.funding.models import Agreement, Condition, Fulfilment, Survey
from datasmart.funding.services import FundingError, followup
from datasmart.geo.models import Unit

pytestmark = pytest.mark.django_db
BAD_CODE = "Å Ä ! <b>"


@pytest.fixture(autouse=True)
def _urls(settings: Any) -> None:
    settings.ROOT_URLCONF = "funding_test_urls"


@pytest.mark.parametrize("code", [BAD_CODE, "", "a b", "Villkor", "-x", "x" * 61, "a/b"])
def test_condition_code_is_checked(a2020: Agreement, code: str) -> None:
    with pytest.raises(FundingError, match="ogiltig"):
        followup.add_condition(a2020, code=code, text="Text", recipient_level="kommun", by=SYSTEM)
    assert not a2020.conditions.exists()


@pytest.mark.parametrize("due", [dt.date(1990, 1, 1), dt.date(2099, 12, 31)])
def test_condition_due_date_must_be_plausible(a2020: Agreement, due: dt.date) -> None:
    with pytest.raises(FundingError, match="Sista dag"):
        followup.add_condition(
            a2020, code="plan", text="Text", recipient_level="kommun", due_date=due, by=SYSTEM
        )


def test_condition_form_shows_the_error_instead_of_saving(a2020: Agreement) -> None:
    client = Client()
    client.force_login(superuser())
    response = client.post(
        reverse("funding:condition_create", args=[2020]),
        {"code": BAD_CODE, "text": "Text", "recipient_level": "kommun", "due_date": "1990-01-01"},
        follow=True,
    )
    assert response.status_code == 200
    assert "ogiltig" in response.content.decode()
    assert not a2020.conditions.exists()


@pytest.mark.parametrize("code", [BAD_CODE, "a/b"])
def test_a_stored_bad_condition_does_not_break_the_pages(a2020: Agreement, code: str) -> None:
    """Written past the service (an old row, a raw SQL fix): the pages still answer."""
    unit = Unit.objects.get(code="0180")
    cond = Condition.objects.create(
        agreement=a2020,
        code=code,
        text="Villkor <b>fet</b>",
        recipient_level="bogus",
        due_date=dt.date(1990, 1, 1),
    )
    good = Condition.objects.create(
        agreement=a2020, code="bra", text="Bra villkor", recipient_level="kommun"
    )
    Fulfilment.objects.create(condition=good, unit=unit, status="weird")
    Survey.objects.create(
        agreement=a2020,
        code=code,
        title="Enkät <b>x</b>",
        respondent_level="kommun",
        due_date=dt.date(1990, 1, 1),
        questions=[{"code": "q", "text": "Fråga", "type": "text"}],
    )
    client = Client()
    client.force_login(superuser())
    page = client.get(reverse("funding:reporting", args=[2020]))
    assert page.status_code == 200
    body = page.content.decode()
    assert "Villkor &lt;b&gt;fet&lt;/b&gt;" in body and "<b>fet</b>" not in body
    if "/" not in code:
        detail = client.get(reverse("funding:condition", args=[2020, cond.code]))
        assert detail.status_code == 200


def test_an_administrator_deletes_a_condition_in_the_admin(a2020: Agreement) -> None:
    cond = Condition.objects.create(
        agreement=a2020, code=BAD_CODE, text="Fel", recipient_level="kommun"
    )
    Fulfilment.objects.create(
        condition=cond, unit=Unit.objects.get(code="0180"), status="fulfilled"
    )
    client = Client()
    client.force_login(superuser())
    url = reverse("admin:funding_condition_delete", args=[cond.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"post": "yes"})
    assert response.status_code == 302
    assert not Condition.objects.filter(pk=cond.pk).exists()
    event = AuditEvent.objects.get(action="funding.condition.delete")
    assert event.detail["assessments"] == 1 and event.detail["code"] == BAD_CODE


def test_a_kommun_coordinator_cannot_delete_a_condition(a2020: Agreement) -> None:
    cond = Condition.objects.create(agreement=a2020, code="x", text="X", recipient_level="kommun")
    org = OrganisationFactory(unit=Unit.objects.get(code="0180"), kind="kommun_social")
    coordinator = member(Role.COORDINATOR, org, username="samordnare", is_staff=True)
    request = RequestFactory().get("/")
    request.user = coordinator
    assert not admin.site._registry[Condition].has_delete_permission(request, cond)
    with pytest.raises(PermissionDenied):
        followup.delete_condition(cond, by=coordinator)
    assert Condition.objects.filter(pk=cond.pk).exists()


def test_messages_name_the_recipient_and_the_post_not_their_codes(a2020: Agreement) -> None:
    """Once "Bedömningen för 0114 är sparad" and "… (lan-brukarmedverkan) är sparad"."""
    from datasmart.funding import services

    root = superuser()
    client = Client()
    client.force_login(root)
    followup.add_condition(a2020, code="plan", text="Plan", recipient_level="kommun", by=SYSTEM)
    page = client.post(
        reverse("funding:condition", args=[2020, "plan"]),
        {"unit": "0114", "status": "fulfilled"},
        follow=True,
    ).content.decode()
    assert "Bedömningen för Upplands Väsby är sparad" in page
    run = services.run_allocation(a2020, by=root)
    line = run.lines.select_related("post").filter(recipient_code="01", post__isnull=False)[0]
    done = client.post(
        reverse("funding:payout_set", args=[2020, line.pk]),
        {"status": "held"},
        follow=True,
    ).content.decode()
    assert f"({line.post.name}) är sparad" in done and f"({line.post_code})" not in done
