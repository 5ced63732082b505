"""SIP pages for the person: opening an invitation link (once, in time, new session key),
the plan in plain language, agreeing and commenting, "who has read my plan", withdrawing
consent, ending the plan, downloading the data; limits of a link session; CSRF."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from datasmart.sip import services
from datasmart.sip.domain.access import LINK_SESSION
from datasmart.sip.models import Consent, InvitationLink, PersonResponse, PlanVersion, SipAccessLog
from datasmart.sip.pages.support import SESSION_LINK

from .sip_support import SipWorld, make_world, personnummer, plan_content

pytestmark = pytest.mark.django_db


def text(response: Any) -> str:
    return response.content.decode()


def new_link(world: SipWorld, participant: Any = None, **kwargs: Any) -> str:
    _link, secret = services.create_invitation_link(
        world.owner_staff, world.sip.pk, participant.pk if participant else None, **kwargs
    )
    return secret


def opened(world: SipWorld, participant: Any = None, *, csrf: bool = False) -> Client:
    """A fresh browser that has opened a new link to the plan."""
    client = Client(enforce_csrf_checks=csrf)
    secret = new_link(world, participant)
    if csrf:
        page = text(client.get(reverse("sip:redeem", args=[secret])))
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert token
        response = client.post(
            reverse("sip:redeem", args=[secret]), {"csrfmiddlewaretoken": token.group(1)}
        )
    else:
        response = client.post(reverse("sip:redeem", args=[secret]))
    assert response.status_code == 302
    return client


def token_from(client: Client, url: str) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', text(client.get(url)))
    assert match
    return match.group(1)


# --- the link ------------------------------------------------------------------------------


def test_looking_at_the_link_does_not_use_it(world: SipWorld):
    secret = new_link(world)
    client = Client()
    url = reverse("sip:redeem", args=[secret])
    for _ in range(2):  # a mail program checking the link, then the person
        response = client.get(url)
        assert response.status_code == 200
        assert "Öppna min plan" in text(response)
        assert "Elsa" not in text(response)  # nothing about the plan before the button
    assert InvitationLink.objects.get().used_at is None
    # The address holds the secret: it is never sent to another site. (Not "no-referrer":
    # browsers then send "Origin: null" with the button's POST, which CSRF refuses.)
    assert response["Referrer-Policy"] == "same-origin"
    assert "no-store" in response["Cache-Control"]


def test_opening_the_link_starts_a_new_session_for_that_plan(world: SipWorld):
    secret = new_link(world)
    client = Client()
    client.get(reverse("sip:redeem", args=[secret]))
    before = client.session.session_key
    response = client.post(reverse("sip:redeem", args=[secret]))
    assert response.status_code == 302
    assert response["Location"] == reverse("sip:person_plan", args=[world.sip.pk])
    assert client.session.session_key != before
    stored = client.session[SESSION_LINK]
    assert stored["sip"] == str(world.sip.pk)
    assert secret not in json.dumps(stored)
    assert client.session.get_expiry_age() <= int(LINK_SESSION.total_seconds())
    assert SipAccessLog.objects.filter(sip_id=world.sip.pk, action="link_redeemed").count() == 1
    # /sip/min-plan/ leads to the same plan.
    response = client.get(reverse("sip:my_plans"))
    assert response["Location"] == reverse("sip:person_plan", args=[world.sip.pk])


def test_used_expired_and_unknown_links_say_ask_for_a_new_one(world: SipWorld):
    secret = new_link(world)
    Client().post(reverse("sip:redeem", args=[secret]))
    expired = new_link(world, valid_for=dt.timedelta(minutes=5))
    InvitationLink.objects.filter(used_at__isnull=True).update(expires_at=timezone.now())
    for bad in (secret, expired, "inte-en-riktig-lank"):
        for method in ("get", "post"):
            response = getattr(Client(), method)(reverse("sip:redeem", args=[bad]))
            body = text(response)
            assert response.status_code == 404, (bad, method)
            assert "Länken fungerar inte längre" in body
            assert "Be den som samordnar din plan om en ny länk" in body
            assert "Elsa" not in body


def test_person_view_in_plain_language(world: SipWorld):
    client = opened(world)
    response = client.get(reverse("sip:person_plan", args=[world.sip.pk]))
    body = text(response)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert "Planen för Elsa Exempel" in body
    assert "Det här vill du uppnå" in body and "Att kunna gå till skolan varje dag" in body
    assert "Det här ska göras, och vem som gör det" in body and "Stödsamtal i hemmet" in body
    assert "Vem håller ihop planen?" in body and "Anna Samordnare" in body
    assert "Vilka får se planen?" in body and world.bup.name in body
    assert "Jag håller med om planen" in body
    assert "Vem har läst min plan?" in body and "Ladda ner mina uppgifter" in body
    assert "Återkalla mitt samtycke" in body and "Avsluta min SIP" in body
    assert world.person_number not in body
    # No staff controls on the person's page, and no staff navigation or search.
    assert reverse("sip:edit", args=[world.sip.pk]) not in body
    assert reverse("indicators:list") not in body and 'role="search"' not in body
    assert reverse("sip:my_plans") in body


def test_agree_and_comment(world: SipWorld):
    client = opened(world)
    url = reverse("sip:person_respond", args=[world.sip.pk])
    response = client.post(url, {"kind": "agree", "plan_version": "1"})
    assert response.status_code == 302
    response = PersonResponse.objects.get()
    assert response.kind == "agree" and response.plan_version.number == 1
    page = text(client.get(reverse("sip:person_plan", args=[world.sip.pk])))
    assert "Tack! Vi har noterat att du håller med om planen." in page
    assert "Du har sagt att du håller med om version 1" in page
    # An empty comment is refused with a plain message, kept on the page.
    response = client.post(url, {"kind": "comment", "plan_version": "1", "text": "  "})
    assert response.status_code == 400 and "Skriv din kommentar i rutan" in text(response)
    client.post(url, {"kind": "comment", "plan_version": "1", "text": "Jag vill börja senare."})
    assert PersonResponse.objects.filter(kind="comment", text="Jag vill börja senare.").exists()
    # The caseworker sees the answers.
    from .test_pages_staff import client_for

    staff_page = text(
        client_for(world.owner_staff.user).get(reverse("sip:detail", args=[world.sip.pk]))
    )
    assert "Jag håller med om planen" in staff_page and "Jag vill börja senare." in staff_page


def test_answer_to_an_old_version_is_not_recorded(world: SipWorld):
    client = opened(world)
    services.revise_plan(
        world.owner_staff,
        world.sip.pk,
        expected_version=world.version,
        content=plan_content(world.owner),
    )
    response = client.post(
        reverse("sip:person_respond", args=[world.sip.pk]), {"kind": "agree", "plan_version": "1"}
    )
    assert response.status_code == 302
    assert not PersonResponse.objects.exists()
    assert "Planen har ändrats sedan du öppnade sidan" in text(client.get(response["Location"]))


def test_who_has_read_my_plan(world: SipWorld):
    from .test_pages_staff import client_for

    client_for(world.bup_staff.user).get(reverse("sip:detail", args=[world.sip.pk]))
    client = opened(world)
    body = text(client.get(reverse("sip:person_log", args=[world.sip.pk])))
    assert "Vem har läst min plan?" in body
    # staff by name and organisation, never their login name
    staff_user = world.bup_staff.user
    assert world.bup.name in body and staff_user.get_full_name() in body
    assert staff_user.username not in body
    assert "Öppnade planen via länk" in body and "Personen via länk" in body
    staff_user.first_name = staff_user.last_name = ""
    staff_user.save()
    body = text(client.get(reverse("sip:person_log", args=[world.sip.pk])))
    assert "En medarbetare" in body and staff_user.username not in body


def test_withdraw_consent_with_a_confirm_step(world: SipWorld):
    client = opened(world)
    url = reverse("sip:person_withdraw", args=[world.sip.pk])
    body = text(client.get(url))
    assert "Vill du återkalla ditt samtycke?" in body and world.bup.name in body
    assert Consent.objects.filter(sip=world.sip, withdrawn_at__isnull=True).exists()
    response = client.post(url)
    assert response.status_code == 302
    assert not Consent.objects.filter(sip=world.sip, withdrawn_at__isnull=True).exists()
    assert Consent.objects.get(sip=world.sip).withdrawn_by_label == "Personen via länk"
    page = text(client.get(response["Location"]))
    assert "Ditt samtycke är återkallat" in page
    from .test_pages_staff import client_for

    assert (
        client_for(world.bup_staff.user).get(reverse("sip:detail", args=[world.sip.pk])).status_code
        == 404
    )


def test_end_my_sip_with_a_confirm_step(world: SipWorld):
    client = opened(world)
    url = reverse("sip:person_end", args=[world.sip.pk])
    body = text(client.get(url))
    assert "Vill du avsluta din SIP?" in body
    response = client.post(url, {"expected_version": world.version})
    assert response.status_code == 302
    sip = world.refresh()
    assert sip.status == "closed" and sip.closed_reason == "person_ended"
    page = text(client.get(response["Location"]))
    assert "Din SIP är avslutad" in page and "Planen är avslutad" in page
    assert "Jag håller med om planen" not in page


def test_end_with_a_stale_version_asks_again(world: SipWorld):
    client = opened(world)
    url = reverse("sip:person_end", args=[world.sip.pk])
    response = client.post(url, {"expected_version": world.version - 1})
    assert response.status_code == 409
    assert "tryck på knappen en gång till" in text(response)
    assert f'value="{world.version}"' in text(response)
    assert world.refresh().status == "active"


def test_download_my_data(world: SipWorld):
    client = opened(world)
    response = client.get(reverse("sip:person_export", args=[world.sip.pk]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"].startswith('attachment; filename="min-sip-')
    data = json.loads(response.content)
    assert data["person"]["identity_number"] == world.person_number
    assert data["sip"]["id"] == str(world.sip.pk)
    assert any(row["action"] == "export" for row in data["access_log"])


def test_my_data_as_a_readable_page(world: SipWorld):
    """ "Ladda ner mina uppgifter" gave only a JSON file; the same data is also a page."""
    client = opened(world)
    plan = text(client.get(reverse("sip:person_plan", args=[world.sip.pk])))
    url = reverse("sip:person_export_page", args=[world.sip.pk])
    assert url in plan
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")
    assert "no-store" in response["Cache-Control"]
    body = text(response)
    assert "Mina uppgifter i SIP" in body and world.person_number in body
    assert "Vem har läst eller ändrat planen" in body and world.owner.name in body
    assert world.owner_staff.user.username not in body


def test_a_link_session_reaches_only_its_plan(world: SipWorld):
    other = make_world(consent=False, person_number=personnummer(dt.date(2011, 2, 3)))
    client = opened(world)
    for name in (
        "person_plan",
        "person_log",
        "person_withdraw",
        "person_end",
        "person_export",
        "person_export_page",
    ):
        response = client.get(reverse(f"sip:{name}", args=[other.sip.pk]))
        assert response.status_code == 404, name
        assert "Vi kan inte visa planen" in text(response)
    assert (
        client.post(
            reverse("sip:person_respond", args=[other.sip.pk]),
            {"kind": "agree", "plan_version": "1"},
        ).status_code
        == 404
    )
    assert not PersonResponse.objects.exists()


def test_the_person_cannot_use_staff_pages(world: SipWorld):
    client = opened(world)
    for url in (
        reverse("sip:list"),
        reverse("sip:detail", args=[world.sip.pk]),
        reverse("sip:edit", args=[world.sip.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(
            reverse("accounts:login")
        )
    from .test_pages_staff import plan_post

    response = client.post(reverse("sip:edit", args=[world.sip.pk]), plan_post(world))
    assert response.status_code == 302
    assert PlanVersion.objects.filter(sip=world.sip).count() == 1


def test_session_ends_after_its_time(world: SipWorld):
    client = opened(world)
    session = client.session
    data = dict(session[SESSION_LINK])
    data["expires"] = (timezone.now() - dt.timedelta(seconds=1)).isoformat()
    session[SESSION_LINK] = data
    session.save()
    response = client.get(reverse("sip:person_plan", args=[world.sip.pk]))
    assert response.status_code == 404
    assert "Be den som samordnar din plan om en ny länk" in text(response)
    # The services check the link's time too, whatever the session says.
    client = opened(world)
    InvitationLink.objects.filter(used_at__isnull=False).update(
        used_at=timezone.now() - LINK_SESSION - dt.timedelta(minutes=1)
    )
    assert client.get(reverse("sip:person_plan", args=[world.sip.pk])).status_code == 404


def test_leave_ends_the_session(world: SipWorld):
    client = opened(world)
    response = client.post(reverse("sip:leave"))
    assert response.status_code == 200 and "Planen är stängd" in text(response)
    assert client.get(reverse("sip:person_plan", args=[world.sip.pk])).status_code == 404


def test_no_session_no_account(world: SipWorld):
    response = Client().get(reverse("sip:person_plan", args=[world.sip.pk]))
    assert response.status_code == 404
    response = Client().get(reverse("sip:my_plans"))
    assert response.status_code == 302 and response["Location"].startswith(
        reverse("accounts:login")
    )
    from .test_pages_staff import client_for

    # A staff member who is not a person with plans.
    response = client_for(world.owner_staff.user).get(reverse("sip:my_plans"))
    assert response.status_code == 404
    response = client_for(world.owner_staff.user).get(
        reverse("sip:person_plan", args=[world.sip.pk])
    )
    assert response.status_code == 404


def test_relative_on_a_link_reads_but_does_not_act(world: SipWorld):
    client = opened(world, world.participant("relative"))
    body = text(client.get(reverse("sip:person_plan", args=[world.sip.pk])))
    assert "Att kunna gå till skolan varje dag" in body
    assert "Jag håller med om planen" not in body
    assert reverse("sip:person_withdraw", args=[world.sip.pk]) not in body
    assert "Bara personen själv eller en vårdnadshavare" in body
    assert client.post(reverse("sip:person_withdraw", args=[world.sip.pk])).status_code == 403
    assert (
        client.post(
            reverse("sip:person_end", args=[world.sip.pk]), {"expected_version": world.version}
        ).status_code
        == 403
    )
    assert client.get(reverse("sip:person_export", args=[world.sip.pk])).status_code == 403
    assert Consent.objects.filter(sip=world.sip, withdrawn_at__isnull=True).exists()
    # The guardian may act for the child.
    guardian = opened(world, world.participant("guardian"))
    guardian.post(
        reverse("sip:person_respond", args=[world.sip.pk]), {"kind": "agree", "plan_version": "1"}
    )
    assert PersonResponse.objects.count() == 1


def test_person_with_an_account(world: SipWorld):
    actor = world.person_account()
    client = Client()
    client.force_login(actor.person.user)
    response = client.get(reverse("sip:my_plans"))
    assert response["Location"] == reverse("sip:person_plan", args=[world.sip.pk])
    body = text(client.get(response["Location"]))
    assert "Planen för Elsa Exempel" in body
    assert "Stäng planen" not in body  # that is for link sessions
    client.post(
        reverse("sip:person_respond", args=[world.sip.pk]), {"kind": "agree", "plan_version": "1"}
    )
    assert PersonResponse.objects.count() == 1
    row = SipAccessLog.objects.filter(sip_id=world.sip.pk, action="person_response").get()
    assert row.actor == actor.person.user and row.actor_label == "Personen (eget konto)"
    # Not another person's plan.
    other = make_world(consent=False, person_number=personnummer(dt.date(2011, 2, 3)))
    assert client.get(reverse("sip:person_plan", args=[other.sip.pk])).status_code == 404


def test_person_writes_need_a_csrf_token(world: SipWorld):
    secret = new_link(world)
    client = Client(enforce_csrf_checks=True)
    assert client.post(reverse("sip:redeem", args=[secret])).status_code == 403
    assert InvitationLink.objects.get().used_at is None
    client = opened(world, csrf=True)
    plan_url = reverse("sip:person_plan", args=[world.sip.pk])
    for url, data in (
        (
            reverse("sip:person_respond", args=[world.sip.pk]),
            {"kind": "agree", "plan_version": "1"},
        ),
        (reverse("sip:person_withdraw", args=[world.sip.pk]), {}),
        (reverse("sip:person_end", args=[world.sip.pk]), {"expected_version": world.version}),
        (reverse("sip:leave"), {}),
    ):
        assert client.post(url, data).status_code == 403, url
    assert not PersonResponse.objects.exists()
    assert world.refresh().status == "active"
    token = token_from(client, plan_url)
    response = client.post(
        reverse("sip:person_respond", args=[world.sip.pk]),
        {"kind": "agree", "plan_version": "1", "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302 and PersonResponse.objects.count() == 1
