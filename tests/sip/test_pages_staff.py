"""SIP pages for staff: the list, starting a plan, the plan page, the forms that change it,
versions, comparison and the access log; who gets 404, 403 or the sign-in page; CSRF."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from datasmart.accounts.models import AuditEvent, Membership, Role, User
from datasmart.sip import services
from datasmart.sip.models import (
    Consent,
    InvitationLink,
    Meeting,
    Participant,
    Person,
    PlanVersion,
    Sip,
    SipAccessLog,
)
from tests.accounts.factories import member

from .sip_support import SipWorld, kiruna_social, lulea_social, personnummer, plan_content

pytestmark = pytest.mark.django_db


def client_for(user: User, *, csrf: bool = False) -> Client:
    client = Client(enforce_csrf_checks=csrf)
    client.force_login(user)
    return client


def text(response: Any) -> str:
    return response.content.decode()


def log_count(sip: Sip, action: str | None = None) -> int:
    rows = SipAccessLog.objects.filter(sip_id=sip.pk)
    return rows.filter(action=action).count() if action else rows.count()


def plan_post(world: SipWorld, **overrides: Any) -> dict[str, Any]:
    """A complete plan form: two goals, one need, one intervention, no others."""
    data: dict[str, Any] = {
        "expected_version": world.version,
        "lead_organisation": world.owner.pk,
        "coordinator_name": "Anna Samordnare",
        "meeting": "",
        "goals-TOTAL_FORMS": "3",
        "goals-INITIAL_FORMS": "0",
        "goals-0-text": "Gå till skolan varje dag",
        "goals-1-text": "Orka träffa kompisar",
        "goals-2-text": "",
        "needs-TOTAL_FORMS": "1",
        "needs-INITIAL_FORMS": "0",
        "needs-0-text": "Stöd med sömnen",
        "interventions-TOTAL_FORMS": "2",
        "interventions-INITIAL_FORMS": "0",
        "interventions-0-title": "Samtalsstöd",
        "interventions-0-organisation": str(world.bup.pk),
        "interventions-0-unit_name": "BUP Kiruna",
        "interventions-0-start": "2026-12-01",
        "interventions-0-end": "2027-03-01",
        "interventions-1-title": "",
        "interventions-1-organisation": "",
        "interventions-1-unit_name": "",
        "interventions-1-start": "",
        "interventions-1-end": "",
        "others-TOTAL_FORMS": "1",
        "others-INITIAL_FORMS": "0",
        "others-0-who": "",
        "others-0-what": "",
        "follow_up_dates-TOTAL_FORMS": "1",
        "follow_up_dates-INITIAL_FORMS": "0",
        "follow_up_dates-0-day": "2027-02-15",
    }
    data.update(overrides)
    return data


# --- navigation, list, sign-in ------------------------------------------------------------


def test_nav_link_only_for_users_with_a_sip_role(world: SipWorld):
    home = reverse("web:home")
    link = f'href="{reverse("sip:list")}"'
    assert link in text(client_for(world.owner_staff.user).get(home))
    assert link not in text(client_for(world.owner_admin).get(home))
    assert link not in text(client_for(world.owner_viewer).get(home))
    assert link not in text(Client().get(home))


def test_pages_need_sign_in(world: SipWorld):
    client = Client()
    for url in (
        reverse("sip:list"),
        reverse("sip:start"),
        reverse("sip:detail", args=[world.sip.pk]),
        reverse("sip:edit", args=[world.sip.pk]),
        reverse("sip:access_log", args=[world.sip.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("accounts:login")), url
    response = client.post(reverse("sip:edit", args=[world.sip.pk]), plan_post(world))
    assert response.status_code == 302
    assert PlanVersion.objects.filter(sip=world.sip).count() == 1


def test_list_shows_masked_number_only_and_logs_each_plan(world: SipWorld):
    before = log_count(world.sip, "list")
    response = client_for(world.owner_staff.user).get(reverse("sip:list"))
    body = text(response)
    assert response.status_code == 200
    assert "Elsa Exempel" in body
    assert "20120517-****" in body
    assert world.person_number not in body
    assert world.person_number.replace("-", "") not in body
    assert "Startad av" in body and "Huvudansvar" in body and "Nästa möte" in body
    assert world.owner.name in body
    assert log_count(world.sip, "list") == before + 1
    assert response["Cache-Control"].startswith("max-age=0")


def test_list_filters_by_status(world: SipWorld):
    services.close_sip(
        world.owner_staff, world.sip.pk, expected_version=world.version, reason="goals_met"
    )
    client = client_for(world.owner_staff.user)
    assert "Elsa Exempel" not in text(client.get(reverse("sip:list")))
    assert "Elsa Exempel" in text(client.get(reverse("sip:list") + "?status=avslutade"))
    assert "Elsa Exempel" in text(client.get(reverse("sip:list") + "?status=alla"))
    assert "Elsa Exempel" not in text(client.get(reverse("sip:list") + "?status=bogus"))


def test_participating_organisation_sees_the_plan_the_outsider_does_not(world: SipWorld):
    bup = client_for(world.bup_staff.user)
    assert "Elsa Exempel" in text(bup.get(reverse("sip:list")))
    assert bup.get(reverse("sip:detail", args=[world.sip.pk])).status_code == 200
    outsider = client_for(world.outsider_staff.user)
    assert "Elsa Exempel" not in text(outsider.get(reverse("sip:list")))
    before = AuditEvent.objects.filter(action="sip.access_denied").count()
    for name in ("detail", "edit", "versions", "access_log", "consent", "create_link"):
        response = outsider.get(reverse(f"sip:{name}", args=[world.sip.pk]))
        assert response.status_code == 404, name
        assert "Planen finns inte" in text(response)
        assert "Elsa" not in text(response)
    assert AuditEvent.objects.filter(action="sip.access_denied").count() >= before + 6


def test_admins_superusers_and_viewers_get_not_found(world: SipWorld):
    url = reverse("sip:detail", args=[world.sip.pk])
    for user in (world.owner_admin, world.owner_coordinator, world.owner_viewer, world.root):
        response = client_for(user).get(url)
        assert response.status_code == 404, user.username
        assert "Elsa" not in text(response)
    # An admin has no SIP list either (403, audited).
    assert client_for(world.owner_admin).get(reverse("sip:list")).status_code == 403
    # Someone in no organisation at all.
    loner = User.objects.create_user("ensam", password="x" * 20)
    assert client_for(loner).get(url).status_code == 404


def test_unknown_and_malformed_plan_ids(world: SipWorld):
    client = client_for(world.owner_staff.user)
    unknown = client.get(reverse("sip:detail", args=["00000000-0000-0000-0000-000000000000"]))
    assert unknown.status_code == 404
    assert client.get("/sip/inte-ett-id/").status_code == 404


def test_user_with_two_organisations_chooses_one(world: SipWorld):
    user = world.bup_staff.user
    Membership.objects.create(user=user, organisation=world.outsider, role=Role.CASEWORKER)
    client = client_for(user)
    body = text(client.get(reverse("sip:list")))
    assert 'name="organisation"' in body
    chosen = "Elsa Exempel" in body
    other = world.outsider if chosen else world.bup
    client.post(reverse("sip:choose_organisation"), {"organisation": other.pk})
    assert ("Elsa Exempel" in text(client.get(reverse("sip:list")))) is not chosen
    # Not one of theirs: ignored.
    response = client.post(
        reverse("sip:choose_organisation"), {"organisation": world.owner.pk, "next": "//evil"}
    )
    assert response["Location"] == reverse("sip:list")


# --- starting a plan -----------------------------------------------------------------------


def start_data(**overrides: Any) -> dict[str, Any]:
    data = {
        "id_kind": "personnummer",
        "person_id": personnummer(dt.date(2010, 3, 4), 456),
        "display_name": "Omar Exempel",
        "need": "Hög skolfrånvaro, oro hemma.",
        "is_child": "ja",
    }
    data.update(overrides)
    return data


def test_start_a_plan(world: SipWorld):
    client = client_for(world.owner_staff.user)
    assert "Starta SIP" in text(client.get(reverse("sip:start")))
    response = client.post(reverse("sip:start"), start_data())
    sip = Sip.objects.exclude(pk=world.sip.pk).get()
    assert response.status_code == 302
    assert response["Location"] == reverse("sip:detail", args=[sip.pk])
    assert sip.is_child and sip.owner_organisation == world.owner
    assert sip.person is not None and sip.person.id_masked == "20100304-****"
    assert log_count(sip, "start") == 1
    page = text(client.get(response["Location"]))
    assert "SIP:en är startad" in page and "Omar Exempel" in page


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"person_id": "20100304-4567"}, "person_id", "fel kontrollsiffra"),
        ({"person_id": "123"}, "person_id", "10 eller 12 siffror"),
        ({"person_id": ""}, "person_id", "Ange personens nummer"),
        ({"id_kind": "reserve", "person_id": "A!"}, "person_id", "Reservnumret ska ha 6–20"),
        (
            {
                "id_kind": "personnummer",
                "person_id": personnummer(dt.date(2010, 3, 4), samordning=True),
            },
            "person_id",
            "samordningsnummer, inte ett personnummer",
        ),
        ({"is_child": ""}, "is_child_0", "Svara ja eller nej"),
        ({"display_name": "  "}, "display_name", "Ange personens namn"),
        ({"need": ""}, "need", "Beskriv det behov"),
    ],
)
def test_start_validation_in_swedish_with_summary_links(
    world: SipWorld, overrides: dict[str, Any], field: str, message: str
):
    response = client_for(world.owner_staff.user).post(
        reverse("sip:start"), start_data(**overrides)
    )
    body = text(response)
    assert response.status_code == 400
    assert message in body
    assert 'class="error-summary"' in body
    assert f'href="#id_{field}"' in body
    assert Sip.objects.count() == 1
    # What was typed stays in the form.
    if overrides.get("display_name") is None:
        assert "Omar Exempel" in body


def test_samordningsnummer_and_reserve_numbers_start_plans(world: SipWorld):
    client = client_for(world.owner_staff.user)
    number = personnummer(dt.date(2001, 1, 2), 321, samordning=True)
    client.post(
        reverse("sip:start"),
        start_data(id_kind="samordningsnummer", person_id=number, is_child="nej"),  # born 2001
    )
    client.post(
        reverse("sip:start"),
        start_data(id_kind="reserve", person_id="KR 2026 0001", display_name="Okänd"),
    )
    kinds = set(Person.objects.values_list("id_kind", flat=True))
    assert {"samordningsnummer", "reserve"} <= kinds


def test_a_second_active_plan_for_the_same_person_is_refused(world: SipWorld):
    response = client_for(world.owner_staff.user).post(
        reverse("sip:start"), start_data(person_id=world.person_number)
    )
    assert response.status_code == 400
    assert "Det finns redan en pågående SIP" in text(response)


def test_only_caseworkers_start(world: SipWorld):
    assert client_for(world.owner_admin).get(reverse("sip:start")).status_code == 403
    response = client_for(world.owner_admin).post(reverse("sip:start"), start_data())
    assert response.status_code == 403
    assert Sip.objects.count() == 1


# --- the plan page -------------------------------------------------------------------------


def test_plan_page_shows_everything_and_logs_the_read(world: SipWorld):
    before = log_count(world.sip, "read")
    response = client_for(world.owner_staff.user).get(reverse("sip:detail", args=[world.sip.pk]))
    body = text(response)
    assert response.status_code == 200
    assert "20120517-****" in body and world.person_number not in body
    assert "Pågående" in body
    assert "Vårdnadshavaren Per Exempel gav samtycke" in body
    assert world.bup.name in body
    assert "BUP Kiruna" in body and "Mormor Exempel" in body and "Inbjuden" in body
    assert "Första SIP-mötet" in body and "Socialkontoret, Kiruna" in body
    assert "Att kunna gå till skolan varje dag" in body
    assert "Stödsamtal i hemmet" in body and "Anna Samordnare" in body
    assert "2027-02-15" in body
    assert "Planen (version 1)" in body
    assert reverse("sip:versions", args=[world.sip.pk]) in body
    assert reverse("sip:access_log", args=[world.sip.pk]) in body
    assert log_count(world.sip, "read") == before + 1
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_participants_answer(world: SipWorld):
    bup_row = world.participant("organisation")
    guardian = world.participant("guardian")
    # BUP answers for itself.
    bup = client_for(world.bup_staff.user)
    url = reverse("sip:answer", args=[world.sip.pk, bup_row.pk])
    response = bup.post(url, {"svar": "ja"})
    assert response.status_code == 302
    bup_row.refresh_from_db()
    assert bup_row.status == "accepted"
    # BUP may not answer for the guardian; the owner records it.
    assert (
        bup.post(
            reverse("sip:answer", args=[world.sip.pk, guardian.pk]), {"svar": "nej"}
        ).status_code
        == 403
    )
    owner = client_for(world.owner_staff.user)
    owner.post(reverse("sip:answer", args=[world.sip.pk, guardian.pk]), {"svar": "nej"})
    guardian.refresh_from_db()
    assert guardian.status == "declined"
    # A participant id from another plan is not found.
    other = Participant.objects.exclude(sip=world.sip).first()
    assert (
        other is None
        or owner.post(
            reverse("sip:answer", args=[world.sip.pk, other.pk]), {"svar": "ja"}
        ).status_code
        == 404
    )


# --- consent, invitations, meetings --------------------------------------------------------


def test_record_consent(bare_world: SipWorld):
    world = bare_world
    client = client_for(world.owner_staff.user)
    url = reverse("sip:consent", args=[world.sip.pk])
    page = text(client.get(url))
    assert world.bup.name in page  # same län: offered as a checkbox
    assert 'value="guardian" checked' in page.replace("\n", " ") or "guardian" in page
    response = client.post(
        url, {"expected_version": world.version, "given_by": "guardian", "guardian_name": ""}
    )
    body = text(response)
    assert response.status_code == 400
    assert "Ange vårdnadshavarens namn" in body
    assert "Välj minst en organisation" in body
    response = client.post(
        url,
        {
            "expected_version": world.version,
            "given_by": "guardian",
            "guardian_name": "Per Exempel",
            "organisations": [world.bup.pk],
        },
    )
    assert response.status_code == 302
    consent = Consent.objects.get(sip=world.sip)
    assert list(consent.organisations.all()) == [world.bup]
    assert consent.guardian_name == "Per Exempel"
    # The covered organisation now sees the plan.
    assert (
        client_for(world.bup_staff.user).get(reverse("sip:detail", args=[world.sip.pk])).status_code
        == 200
    )


def test_owner_withdraws_consent(world: SipWorld):
    client = client_for(world.owner_staff.user)
    response = client.post(reverse("sip:withdraw_consent", args=[world.sip.pk]))
    assert response.status_code == 302
    assert not Consent.objects.filter(sip=world.sip, withdrawn_at__isnull=True).exists()
    bup = client_for(world.bup_staff.user)
    assert bup.get(reverse("sip:detail", args=[world.sip.pk])).status_code == 404
    assert "Samtycket är återkallat" in text(client.get(reverse("sip:detail", args=[world.sip.pk])))
    # Only the owner records a withdrawal.
    assert (
        client_for(world.bup_staff.user)
        .post(reverse("sip:withdraw_consent", args=[world.sip.pk]))
        .status_code
        == 404
    )


def invite_post(world: SipWorld, **overrides: Any) -> dict[str, Any]:
    day = timezone.localdate() + dt.timedelta(days=20)
    data: dict[str, Any] = {
        "expected_version": world.version,
        "meeting_date": day.isoformat(),
        "meeting_time": "13:30",
        "location": "Videomöte",
        "participants-TOTAL_FORMS": "3",
        "participants-INITIAL_FORMS": "0",
        "participants-0-kind": "organisation",
        "participants-0-organisation": str(world.bup.pk),
        "participants-0-unit_name": "BUP Kiruna",
        "participants-0-name": "",
        "participants-0-email": "",
        "participants-1-kind": "person",
        "participants-1-organisation": "",
        "participants-1-unit_name": "",
        "participants-1-name": "",
        "participants-1-email": "",
        "participants-2-kind": "",
        "participants-2-organisation": "",
        "participants-2-unit_name": "",
        "participants-2-name": "",
        "participants-2-email": "",
    }
    data.update(overrides)
    return data


def test_invite_to_a_meeting(world: SipWorld):
    client = client_for(world.owner_staff.user)
    url = reverse("sip:invite", args=[world.sip.pk])
    assert "Bjud in till ett nytt möte" in text(client.get(url))
    before = Participant.objects.filter(sip=world.sip).count()
    response = client.post(url, invite_post(world))
    assert response.status_code == 302
    assert Participant.objects.filter(sip=world.sip).count() == before + 2
    meeting = Meeting.objects.filter(sip=world.sip).order_by("-id").first()
    assert meeting is not None and meeting.kind == "follow_up" and meeting.location == "Videomöte"
    assert timezone.localtime(meeting.scheduled_at).time() == dt.time(13, 30)


def test_invite_errors_point_at_the_row(world: SipWorld):
    client = client_for(world.owner_staff.user)
    url = reverse("sip:invite", args=[world.sip.pk])
    response = client.post(
        url,
        invite_post(
            world,
            **{
                "participants-0-organisation": str(world.outsider.pk),
                "participants-1-kind": "guardian",
                "participants-1-email": "inte-en-adress",
            },
        ),
    )
    body = text(response)
    assert response.status_code == 400
    # The outsider is not even offered: the choice is refused by the form.
    assert 'href="#id_participants-0-organisation"' in body
    assert "Ange namnet på den som bjuds in" in body
    assert "Ange en giltig e-postadress" in body
    meeting_count = Meeting.objects.filter(sip=world.sip).count()
    response = client.post(url, invite_post(world, **{"participants-TOTAL_FORMS": "0"}))
    assert response.status_code == 400 and "Bjud in minst en deltagare" in text(response)
    assert Meeting.objects.filter(sip=world.sip).count() == meeting_count


def test_invite_refuses_an_organisation_without_consent(bare_world: SipWorld):
    world = bare_world
    # Without consent only the owner may be invited; BUP is not in the list of choices.
    response = client_for(world.owner_staff.user).post(
        reverse("sip:invite", args=[world.sip.pk]), invite_post(world)
    )
    assert response.status_code == 400
    assert 'href="#id_participants-0-organisation"' in text(response)


def test_add_row_keeps_input_and_saves_nothing(world: SipWorld):
    client = client_for(world.owner_staff.user)
    data = invite_post(world, add="participants", **{"participants-2-name": "Halvskriven"})
    response = client.post(reverse("sip:invite", args=[world.sip.pk]), data)
    body = text(response)
    assert response.status_code == 200
    assert "Halvskriven" in body and "BUP Kiruna" in body
    assert 'name="participants-TOTAL_FORMS" value="3"' not in body
    assert "autofocus" in body
    assert Meeting.objects.filter(sip=world.sip).count() == 1


def test_meeting_held_and_follow_up(world: SipWorld):
    client = client_for(world.owner_staff.user)
    assert world.meeting is not None
    url = reverse("sip:meeting_held", args=[world.sip.pk, world.meeting.pk])
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    response = client.post(
        url,
        {
            "expected_version": world.version,
            "held_date": tomorrow.isoformat(),
            "held_time": "10:00",
        },
    )
    assert response.status_code == 400
    assert "kan inte ligga i framtiden" in text(response)
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    response = client.post(
        url,
        {
            "expected_version": world.version,
            "held_date": yesterday.isoformat(),
            "held_time": "10:00",
        },
    )
    assert response.status_code == 302
    world.meeting.refresh_from_db()
    assert world.meeting.held_at is not None
    assert client.get(reverse("sip:meeting_held", args=[world.sip.pk, 999999])).status_code == 404

    url = reverse("sip:follow_up", args=[world.sip.pk])
    response = client.post(
        url, {"expected_version": world.version, "meeting_date": "2-2-2", "meeting_time": "25:00"}
    )
    body = text(response)
    assert response.status_code == 400
    assert "Ange ett giltigt datum (ÅÅÅÅ-MM-DD)" in body and "Ange ett klockslag (TT:MM)" in body
    day = timezone.localdate() + dt.timedelta(days=60)
    response = client.post(
        url,
        {
            "expected_version": world.version,
            "meeting_date": day.isoformat(),
            "meeting_time": "09:00",
            "location": "Skolan",
        },
    )
    assert response.status_code == 302
    assert Meeting.objects.filter(sip=world.sip, kind="follow_up", location="Skolan").exists()
    assert log_count(world.sip, "follow_up") == 1


def test_close_the_plan(world: SipWorld):
    client = client_for(world.owner_staff.user)
    url = reverse("sip:close", args=[world.sip.pk])
    response = client.post(url, {"expected_version": world.version})
    assert response.status_code == 400 and "Välj varför planen avslutas" in text(response)
    response = client.post(
        url, {"expected_version": world.version, "reason": "moved", "note": "Flyttat till Umeå"}
    )
    assert response.status_code == 302
    sip = world.refresh()
    assert sip.status == "closed" and sip.closed_reason == "moved"
    page = text(client.get(reverse("sip:detail", args=[sip.pk])))
    assert "Personen har flyttat" in page and "Flyttat till Umeå" in page
    assert reverse("sip:edit", args=[sip.pk]) not in page
    # Closed plans cannot change: the forms send you back.
    response = client.get(reverse("sip:edit", args=[sip.pk]))
    assert response.status_code == 302
    # BUP may see but not close.
    assert client_for(world.bup_staff.user).get(url).status_code == 302  # closed already


def test_bup_may_not_close(world: SipWorld):
    response = client_for(world.bup_staff.user).post(
        reverse("sip:close", args=[world.sip.pk]),
        {"expected_version": world.version, "reason": "goals_met"},
    )
    assert response.status_code == 403
    assert world.refresh().status == "active"


def test_stale_simple_form_keeps_input(world: SipWorld):
    client = client_for(world.owner_staff.user)
    old = world.version
    services.schedule_follow_up(
        world.owner_staff,
        world.sip.pk,
        expected_version=old,
        meeting_at=timezone.now() + dt.timedelta(days=3),
    )
    response = client.post(
        reverse("sip:close", args=[world.sip.pk]),
        {"expected_version": old, "reason": "moved", "note": "Min anteckning"},
    )
    body = text(response)
    assert response.status_code == 409
    assert "Planen har ändrats av någon annan sedan du öppnade den" in body
    assert "Min anteckning" in body
    assert f'name="expected_version" value="{world.version}"' in body
    assert world.refresh().status == "active"


# --- the plan itself -----------------------------------------------------------------------


def test_edit_plan_writes_a_new_version(world: SipWorld):
    client = client_for(world.owner_staff.user)
    url = reverse("sip:edit", args=[world.sip.pk])
    page = text(client.get(url))
    assert "Att kunna gå till skolan varje dag" in page  # the current content, to change
    assert f'name="expected_version" value="{world.version}"' in page
    response = client.post(url, plan_post(world))
    assert response.status_code == 302
    latest = PlanVersion.objects.filter(sip=world.sip).order_by("-number").first()
    assert latest is not None and latest.number == 2
    assert latest.content["goals"] == ["Gå till skolan varje dag", "Orka träffa kompisar"]
    assert latest.content["interventions"][0]["organisation_id"] == world.bup.pk
    assert latest.content["interventions"][0]["end"] == "2027-03-01"
    assert latest.content["follow_up_dates"] == ["2027-02-15"]
    assert latest.content["others"] == []
    assert world.refresh().lead_organisation == world.owner
    assert log_count(world.sip, "revise") == 2
    assert "Planen är sparad som version 2" in text(client.get(response["Location"]))


def test_stale_edit_shows_the_conflict_and_keeps_input(world: SipWorld):
    client = client_for(world.owner_staff.user)
    url = reverse("sip:edit", args=[world.sip.pk])
    opened = world.version
    # Someone else saves first.
    services.revise_plan(
        world.bup_staff,
        world.sip.pk,
        expected_version=opened,
        content=plan_content(world.owner, world.bup, goals=["Den andras mål"]),
    )
    response = client.post(
        url, plan_post(world, expected_version=opened, **{"goals-0-text": "Mitt osparade mål"})
    )
    body = text(response)
    assert response.status_code == 409
    assert "Planen har ändrats av någon annan sedan du öppnade den" in body
    assert "Den aktuella planen är version 2" in body
    assert "Mitt osparade mål" in body  # the user's input is kept
    assert "Den andras mål" in body  # and the current plan is shown
    assert f'name="expected_version" value="{world.version}"' in body
    assert PlanVersion.objects.filter(sip=world.sip).count() == 2  # nothing overwritten
    # Saving again, knowingly, writes version 3 with the user's content.
    response = client.post(
        url,
        plan_post(world, expected_version=world.version, **{"goals-0-text": "Mitt osparade mål"}),
    )
    assert response.status_code == 302
    latest = PlanVersion.objects.filter(sip=world.sip).order_by("-number").first()
    assert latest is not None and latest.number == 3
    assert latest.content["goals"][0] == "Mitt osparade mål"


def test_edit_plan_validation(world: SipWorld):
    client = client_for(world.owner_staff.user)
    url = reverse("sip:edit", args=[world.sip.pk])
    response = client.post(
        url,
        plan_post(
            world,
            **{
                "goals-0-text": "",
                "goals-1-text": "",
                "interventions-0-start": "2027-03-01",
                "interventions-0-end": "2027-01-01",
                "interventions-1-title": "Utan organisation",
                "others-0-who": "Mamma",
                "follow_up_dates-0-day": "15/2",
            },
        ),
    )
    body = text(response)
    assert response.status_code == 400
    assert "Slutdatumet får inte vara före startdatumet" in body
    assert 'href="#id_interventions-0-end"' in body
    assert "Välj vilken organisation som ansvarar för insatsen" in body
    assert 'href="#id_interventions-1-organisation"' in body
    assert "Ange vad som ska göras" in body
    assert "Ange ett giltigt datum (ÅÅÅÅ-MM-DD)" in body
    assert "Utan organisation" in body and "Mamma" in body
    assert PlanVersion.objects.filter(sip=world.sip).count() == 1
    # With the rows fixed, the service's own rule (at least one goal) shows at the goals.
    response = client.post(url, plan_post(world, **{"goals-0-text": "", "goals-1-text": ""}))
    body = text(response)
    assert response.status_code == 400
    assert "Ange minst ett mål" in body
    assert 'href="#id_goals-0-text"' in body


def test_edit_plan_add_row(world: SipWorld):
    client = client_for(world.owner_staff.user)
    url = reverse("sip:edit", args=[world.sip.pk])
    response = client.post(url, plan_post(world, add="goals", **{"goals-2-text": "Tredje"}))
    body = text(response)
    assert response.status_code == 200
    assert "Tredje" in body
    assert 'name="goals-TOTAL_FORMS" value="4"' in body
    assert re.search(
        r'<textarea[^>]*autofocus[^>]*name="goals-3-text"|name="goals-3-text"[^>]*autofocus', body
    )
    assert 'class="error-summary"' not in body
    assert PlanVersion.objects.filter(sip=world.sip).count() == 1


def test_first_plan_from_an_empty_form(bare_world: SipWorld):
    world = bare_world
    client = client_for(world.owner_staff.user)
    url = reverse("sip:edit", args=[world.sip.pk])
    page = text(client.get(url))
    assert "Skriv planen" in page
    data = plan_post(world, **{"interventions-0-organisation": str(world.owner.pk)})
    response = client.post(url, data)
    assert response.status_code == 302
    assert PlanVersion.objects.get(sip=world.sip).number == 1


def test_bup_may_revise_but_not_name_an_unknown_organisation(world: SipWorld):
    client = client_for(world.bup_staff.user)
    url = reverse("sip:edit", args=[world.sip.pk])
    response = client.post(url, plan_post(world, lead_organisation="999999"))
    assert response.status_code == 400
    assert "Välj ett giltigt alternativ" in text(response) or "giltig" in text(response)
    response = client.post(url, plan_post(world))
    assert response.status_code == 302


# --- links ---------------------------------------------------------------------------------


def test_create_link_shows_it_once(world: SipWorld):
    client = client_for(world.owner_staff.user)
    url = reverse("sip:create_link", args=[world.sip.pk])
    page = text(client.get(url))
    assert "Personen som planen gäller" in page and "Per Exempel" in page
    assert "BUP Kiruna" not in page  # organisations reach the plan with their own accounts
    response = client.post(url, {"participant": "", "valid_days": "3"})
    body = text(response)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    match = re.search(r'value="(http://testserver/sip/lank/([^/"]+)/)"', body)
    assert match, body
    link = InvitationLink.objects.get(sip=world.sip)
    assert link.expires_at - timezone.now() > dt.timedelta(days=2, hours=23)
    assert match.group(2) not in str(InvitationLink.objects.values().get())
    assert "Kopiera länken" in body
    assert log_count(world.sip, "link_created") == 1
    # For the guardian.
    guardian = world.participant("guardian")
    client.post(url, {"participant": str(guardian.pk), "valid_days": "7"})
    assert InvitationLink.objects.filter(participant=guardian).exists()
    # Validity limits.
    response = client.post(url, {"participant": "", "valid_days": "31"})
    assert response.status_code == 400 and "högst 30 dagar" in text(response)


# --- versions, comparison, log -------------------------------------------------------------


def test_versions_and_compare(world: SipWorld):
    services.revise_plan(
        world.owner_staff,
        world.sip.pk,
        expected_version=world.version,
        content=plan_content(
            world.owner, world.bup, goals=["Att kunna gå till skolan varje dag", "Att ha en vän"]
        ),
    )
    client = client_for(world.owner_staff.user)
    body = text(client.get(reverse("sip:versions", args=[world.sip.pk])))
    assert "Version 2" in body and "Version 1" in body
    assert "Vad ändrades sedan version 1?" in body
    body = text(client.get(reverse("sip:version", args=[world.sip.pk, 1])))
    assert "Att sova bättre" in body
    assert client.get(reverse("sip:version", args=[world.sip.pk, 9])).status_code == 404
    response = client.get(reverse("sip:compare", args=[world.sip.pk]) + "?a=1&b=2")
    body = text(response)
    assert response.status_code == 200
    assert "Jämför version 1 och 2" in body
    assert re.search(r"<del>.*Att sova bättre</del>", body)
    assert re.search(r"<ins>.*Att ha en vän</ins>", body)
    assert "ändrad" in body
    assert log_count(world.sip, "compare") == 1
    bad = client.get(reverse("sip:compare", args=[world.sip.pk]) + "?a=1&b=7")
    assert bad.status_code == 400 and "Version 7 finns inte" in text(bad)
    assert client.get(reverse("sip:compare", args=[world.sip.pk]) + "?a=x").status_code == 400


def test_access_log_page(world: SipWorld):
    client = client_for(world.owner_staff.user)
    client.get(reverse("sip:detail", args=[world.sip.pk]))
    client_for(world.bup_staff.user).get(reverse("sip:detail", args=[world.sip.pk]))
    response = client.get(reverse("sip:access_log", args=[world.sip.pk]))
    body = text(response)
    assert response.status_code == 200
    assert world.bup_staff.user.username in body and world.bup.name in body
    assert "Läste planen" in body and "Startade planen" in body and "Läste loggen" in body
    assert log_count(world.sip, "access_log") == 1


# --- CSRF ----------------------------------------------------------------------------------


def test_writes_need_a_csrf_token(world: SipWorld):
    client = client_for(world.owner_staff.user, csrf=True)
    posts = [
        (reverse("sip:start"), start_data()),
        (reverse("sip:edit", args=[world.sip.pk]), plan_post(world)),
        (
            reverse("sip:close", args=[world.sip.pk]),
            {"expected_version": world.version, "reason": "moved"},
        ),
        (reverse("sip:create_link", args=[world.sip.pk]), {"participant": "", "valid_days": "7"}),
        (reverse("sip:withdraw_consent", args=[world.sip.pk]), {}),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code == 403, url
    assert Sip.objects.count() == 1
    assert PlanVersion.objects.filter(sip=world.sip).count() == 1
    assert not InvitationLink.objects.exists()
    assert world.refresh().status == "active"
    # With the token from the page the same post works.
    page = text(client.get(reverse("sip:close", args=[world.sip.pk])))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token
    response = client.post(
        reverse("sip:close", args=[world.sip.pk]),
        {
            "expected_version": world.version,
            "reason": "moved",
            "csrfmiddlewaretoken": token.group(1),
        },
    )
    assert response.status_code == 302


def test_english_switch(world: SipWorld):
    client = client_for(world.owner_staff.user)
    client.post(reverse("set_language"), {"language": "en", "next": "/sip/"})
    body = text(client.get(reverse("sip:list")))
    assert "My SIPs" in body
    assert "Start SIP" in body


def test_other_kommun_owner_is_independent(db):  # type: ignore[no-untyped-def]
    """Two organisations each keep their own plans for the same person."""
    owner = kiruna_social()
    other = lulea_social()
    a = member(Role.CASEWORKER, owner)
    b = member(Role.CASEWORKER, other)
    number = personnummer(dt.date(2009, 9, 9), 111)
    for user in (a, b):
        response = client_for(user).post(reverse("sip:start"), start_data(person_id=number))
        assert response.status_code == 302
    assert Sip.objects.count() == 2 and Person.objects.count() == 1
    assert text(client_for(a).get(reverse("sip:list"))).count("20090909-****") == 1
