"""Correcting a draft handslag (its goals and initiatives) and workshop outputs: the
happy paths, refusal after the first signature, denials for every role of a participant
and of an organisation outside the delarena, and the pages and API that call it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client

from datasmart.accounts.audit import SYSTEM
from datasmart.accounts.models import AuditEvent, Role
from datasmart.kraftsamling import services
from datasmart.kraftsamling.models import HandslagActivity, HandslagGoal, WorkshopOutput
from datasmart.plans.models import Activity, Goal
from tests.kraftsamling.support import KsWorld, make_world

pytestmark = pytest.mark.django_db

EDITORS = {Role.ADMIN, Role.ANALYST, Role.COORDINATOR}


def _draft() -> tuple[KsWorld, Any, Any, Any, WorkshopOutput]:
    """A world with a draft handslag: goal ``g1`` (goal 3, area G) with initiative ``a``
    by the region, a spare goal ``g2`` and a Verkstad 1 output."""
    w = make_world(with_handslag=True)
    h = w.handslag
    g1 = services.add_goal(h, text="Färre självmord", goal_number=3, area_letter="G", by=SYSTEM)
    g2 = services.add_goal(h, text="Mer kunskap", area_letter="A", by=SYSTEM)
    a = services.add_activity(
        h,
        title="Utbilda i suicidprevention",
        goal_ids=[g1.pk],
        organisation=w.orgs["region"],
        start=dt.date(2026, 2, 1),
        end=dt.date(2027, 6, 30),
        how="Webbutbildning",
        by=SYSTEM,
    )
    out = services.record_output(
        w.delarena,
        stage_number=1,
        organisation=w.orgs["kommun"],
        text="Problembild",
        held_on=dt.date(2026, 1, 10),
        by=SYSTEM,
    )
    return w, g1, g2, a, out


def _sign_once(w: KsWorld) -> None:
    services.sign(w.handslag, w.orgs["kommun"], by=w.user("kommun", Role.COORDINATOR))


# --- services: happy paths ------------------------------------------------------------------


def test_goal_corrected_and_deleted_with_the_real_user_audited() -> None:
    w, g1, g2, _a, _o = _draft()
    user = w.user("foretag", Role.ANALYST)  # a participant that does not own the plan
    services.update_goal(w.handslag, g1, text="  Färre   självmord bland unga ", area="I", by=user)
    g1.refresh_from_db()
    link = HandslagGoal.objects.get(plan_goal=g1)
    assert g1.text.startswith("Färre") and g1.text.endswith("självmord bland unga")
    assert link.area.letter == "I" and link.kraftsamling_goal.number == 3
    # clearing the area keeps the Kraftsamling goal; clearing both is refused, naming it
    services.update_goal(w.handslag, g1, area="", by=user)
    assert HandslagGoal.objects.get(plan_goal=g1).area is None
    with pytest.raises(services.KraftsamlingError, match="Fältet Kraftsamlingsmål"):
        services.update_goal(w.handslag, g1, goal_number=None, by=user)
    with pytest.raises(services.KraftsamlingError, match="Fältet mål"):
        services.update_goal(w.handslag, g1, text="  ", by=user)
    with pytest.raises(services.KraftsamlingError, match="Fältet områden"):
        services.update_goal(w.handslag, g1, area="X", by=user)
    event = AuditEvent.objects.filter(action="kraftsamling.handslag_goal_updated").first()
    assert event is not None and event.actor == user
    services.delete_goal(w.handslag, g2, by=user)
    assert not Goal.objects.filter(pk=g2.pk).exists()
    assert not HandslagGoal.objects.filter(plan_goal_id=g2.pk).exists()
    assert AuditEvent.objects.get(action="kraftsamling.handslag_goal_deleted").actor == user
    # the goal an initiative belongs to only: refused (plans.services), nothing changes
    with pytest.raises(services.KraftsamlingError, match="Aktiviteten"):
        services.delete_goal(w.handslag, g1, by=user)
    assert Goal.objects.filter(pk=g1.pk).exists()


def test_activity_corrected_who_what_when_how_and_deleted() -> None:
    w, g1, g2, a, _o = _draft()
    user = w.user("kommun", Role.COORDINATOR)
    services.update_activity(
        w.handslag,
        a,
        title="Utbilda skolpersonal",
        goal_ids=[g1.pk, g2.pk],
        organisation=w.orgs["kommun"],
        start=dt.date(2027, 1, 1),
        end=dt.date(2029, 12, 31),
        responsible_role=Role.ANALYST,
        kind="spread",
        how="Träffar i varje skola",
        by=user,
    )
    a.refresh_from_db()
    link = HandslagActivity.objects.get(activity=a)
    assert a.title == "Utbilda skolpersonal" and a.responsible_role == Role.ANALYST
    assert (a.start, a.end) == (dt.date(2027, 1, 1), dt.date(2029, 12, 31))
    assert sorted(g.pk for g in a.goals.all()) == sorted([g1.pk, g2.pk])
    assert (link.organisation, link.kind, link.how) == (
        w.orgs["kommun"],
        "spread",
        "Träffar i varje skola",
    )
    row = services.handslag_document(w.handslag)["activities"][0]
    assert row["who"] == w.orgs["kommun"].name and row["how"] == "Träffar i varje skola"
    assert AuditEvent.objects.get(action="kraftsamling.handslag_activity_updated").actor == user
    # only the fields given change
    services.update_activity(w.handslag, a, how="", by=user)
    a.refresh_from_db()
    assert a.title == "Utbilda skolpersonal" and HandslagActivity.objects.get(activity=a).how == ""
    bad: list[tuple[dict[str, Any], str]] = [
        ({"end": dt.date(2030, 1, 1)}, "Fältet start: aktiviteten ska ligga inom"),
        ({"start": dt.date(2029, 12, 31), "end": dt.date(2029, 1, 1)}, "Fältet slut"),
        ({"organisation": w.orgs["utomstaende"]}, "Fältet organisation"),
        ({"goal_ids": []}, "Fältet mål"),
        ({"goal_ids": [999999]}, "Fältet mål"),
        ({"kind": "magic"}, "Fältet typ av initiativ"),
        ({"responsible_role": "king"}, "Fältet ansvarig roll"),
        ({"title": ""}, "Fältet aktivitet"),
        ({"title": "x" * 301}, "Fältet aktivitet"),
        ({"colour": "red"}, "Okända fält"),
    ]
    for changes, message in bad:
        with pytest.raises(services.KraftsamlingError, match=message):
            services.update_activity(w.handslag, a, by=user, **changes)
    a.refresh_from_db()
    assert a.title == "Utbilda skolpersonal"  # nothing of a refused change was written
    services.delete_activity(w.handslag, a, by=user)
    assert not Activity.objects.filter(pk=a.pk).exists()
    assert not HandslagActivity.objects.filter(activity_id=a.pk).exists()
    assert AuditEvent.objects.get(action="kraftsamling.handslag_activity_deleted").actor == user
    # with the initiative gone its goal may go too
    services.delete_goal(w.handslag, g1, by=user)


def test_output_corrected_and_deleted() -> None:
    w, _g1, _g2, _a, out = _draft()
    user = w.user("forening", Role.ADMIN)  # another participant than the one that recorded it
    services.update_output(
        out,
        stage_number=2,
        text="Problembild, rättad",
        document="Anteckningar.pdf",
        status="done",
        held_on=dt.date(2026, 2, 1),
        by=user,
    )
    out.refresh_from_db()
    assert (out.stage.number, out.text, out.document, out.status, out.held_on) == (
        2,
        "Problembild, rättad",
        "Anteckningar.pdf",
        "done",
        dt.date(2026, 2, 1),
    )
    assert out.organisation == w.orgs["kommun"]  # still recorded in the kommun's name
    for changes, message in [
        ({"stage_number": 9}, "Fältet verkstad"),
        ({"text": "", "document": ""}, "Fältet resultat"),
        ({"status": "gone"}, "Fältet status"),
        ({"held_on": dt.date(1990, 1, 1)}, "Fältet datum"),
    ]:
        with pytest.raises(services.KraftsamlingError, match=message):
            services.update_output(out, by=user, **changes)
    assert AuditEvent.objects.get(action="kraftsamling.output_updated").actor == user
    services.delete_output(out, by=user)
    assert not WorkshopOutput.objects.filter(pk=out.pk).exists()
    assert AuditEvent.objects.get(action="kraftsamling.output_deleted").actor == user


def test_nothing_changes_after_the_first_signature() -> None:
    w, g1, g2, a, out = _draft()
    _sign_once(w)
    user = w.user("kommun", Role.ADMIN)
    for call in (
        lambda: services.update_goal(w.handslag, g1, text="Ny", by=user),
        lambda: services.delete_goal(w.handslag, g2, by=user),
        lambda: services.update_activity(w.handslag, a, title="Ny", by=user),
        lambda: services.delete_activity(w.handslag, a, by=user),
    ):
        with pytest.raises(services.KraftsamlingError, match="undertecknats"):
            call()
    for call in (
        lambda: services.update_output(out, text="Ny", by=user),
        lambda: services.delete_output(out, by=user),
    ):
        with pytest.raises(services.KraftsamlingError, match="undertecknats"):
            call()
    g1.refresh_from_db()
    a.refresh_from_db()
    out.refresh_from_db()
    assert (g1.text, a.title, out.text) == (
        "Färre självmord",
        "Utbilda i suicidprevention",
        "Problembild",
    )


# --- rights -----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", list(Role))
def test_participant_editors_correct_others_and_outsiders_are_denied(role: Role) -> None:
    w, g1, g2, a, out = _draft()
    own = w.user("foretag", role)
    outsider = w.user("utomstaende", role)
    calls = [
        lambda by: services.update_goal(w.handslag, g1, text="Rättat mål", by=by),
        lambda by: services.update_activity(w.handslag, a, title="Rättat initiativ", by=by),
        lambda by: services.update_output(out, text="Rättat resultat", by=by),
        lambda by: services.delete_output(out, by=by),
        lambda by: services.delete_activity(w.handslag, a, by=by),
        lambda by: services.delete_goal(w.handslag, g2, by=by),
    ]
    for call in calls:
        with pytest.raises(PermissionDenied):
            call(outsider)
    denied = AuditEvent.objects.filter(action="auth.permission_denied").count()
    assert denied == len(calls)
    for call in calls:
        if role in EDITORS:
            call(own)
        else:
            with pytest.raises(PermissionDenied):
                call(own)
    assert Goal.objects.filter(pk=g2.pk).exists() is (role not in EDITORS)


def test_a_participant_that_left_no_longer_corrects() -> None:
    w, g1, _g2, _a, _o = _draft()
    user = w.user("foretag", Role.COORDINATOR)
    services.remove_participant(w.delarena, w.orgs["foretag"], by=SYSTEM)
    with pytest.raises(PermissionDenied):
        services.update_goal(w.handslag, g1, text="Ny", by=user)


# --- pages ------------------------------------------------------------------------------------


def _client(w: KsWorld, org: str, role: Role = Role.COORDINATOR) -> Client:
    client = Client()
    client.force_login(w.user(org, role))
    return client


def test_pages_show_the_forms_and_correct_the_draft() -> None:
    w, g1, g2, a, out = _draft()
    client = _client(w, "kommun")
    page = client.get(f"/kraftsamling/handslag/{w.handslag.pk}/").content.decode()
    assert f"/mal/{g1.pk}/ta-bort/" in page and f"/aktivitet/{a.pk}/" in page
    assert 'value="Utbilda i suicidprevention"' in page
    d_page = client.get(f"/kraftsamling/delarena/{w.delarena.pk}/").content.decode()
    assert f"/verkstad/{out.pk}/ta-bort/" in d_page
    r = client.post(
        f"/kraftsamling/handslag/{w.handslag.pk}/aktivitet/{a.pk}/",
        {
            "title": "Utbilda fler",
            "goals": [g1.pk, g2.pk],
            "who": w.orgs["forening"].pk,
            "start": "2026-03-01",
            "end": "2028-12-31",
            "responsible_role": "coordinator",
            "kind": "knowledge",
            "how": "Studiecirklar",
        },
        follow=True,
    )
    assert "Initiativet är ändrat." in r.content.decode()
    a.refresh_from_db()
    assert a.title == "Utbilda fler" and a.kraftsamling.organisation == w.orgs["forening"]
    r = client.post(
        f"/kraftsamling/handslag/{w.handslag.pk}/mal/{g1.pk}/",
        {"text": "Färre självmord", "goal_number": "3", "area": "H"},
        follow=True,
    )
    assert "Målet är ändrat." in r.content.decode()
    r = client.post(
        f"/kraftsamling/handslag/{w.handslag.pk}/aktivitet/{a.pk}/",
        {"title": "x", "goals": [g1.pk], "who": w.orgs["kommun"].pk, "start": "igår", "end": ""},
        follow=True,
    )
    assert "Fältet start: ange ett datum som ÅÅÅÅ-MM-DD." in r.content.decode()
    r = client.post(
        f"/kraftsamling/delarena/{w.delarena.pk}/verkstad/{out.pk}/",
        {"stage": "1", "held_on": "2026-01-11", "status": "done", "text": "Klar problembild"},
        follow=True,
    )
    assert "Verkstadens resultat är ändrat." in r.content.decode()
    r = client.post(f"/kraftsamling/handslag/{w.handslag.pk}/mal/{g2.pk}/ta-bort/", follow=True)
    assert "Målet är borttaget." in r.content.decode()
    # a goal of another handslag, an output of another delarena: 404
    other = make_world(with_handslag=True)
    assert (
        client.post(f"/kraftsamling/handslag/{other.handslag.pk}/mal/{g1.pk}/").status_code == 404
    )
    assert (
        client.post(
            f"/kraftsamling/delarena/{other.delarena.pk}/verkstad/{out.pk}/ta-bort/"
        ).status_code
        == 404
    )
    # a viewer of a participant and an outsider's coordinator: 403
    for who in (_client(w, "kommun", Role.VIEWER), _client(w, "utomstaende")):
        r = who.post(f"/kraftsamling/handslag/{w.handslag.pk}/aktivitet/{a.pk}/ta-bort/")
        assert r.status_code == 403
    # signed: the forms are gone and a post is refused with the reason
    _sign_once(w)
    page = client.get(f"/kraftsamling/handslag/{w.handslag.pk}/").content.decode()
    assert f"/aktivitet/{a.pk}/ta-bort/" not in page
    d_page = client.get(f"/kraftsamling/delarena/{w.delarena.pk}/").content.decode()
    assert f"/verkstad/{out.pk}/ta-bort/" not in d_page
    r = client.post(
        f"/kraftsamling/handslag/{w.handslag.pk}/aktivitet/{a.pk}/ta-bort/", follow=True
    )
    assert "undertecknats" in r.content.decode()
    assert Activity.objects.filter(pk=a.pk).exists()


def test_english_edit_forms() -> None:
    w, _g1, _g2, _a, _o = _draft()
    client = _client(w, "kommun")
    client.cookies["django_language"] = "en"
    page = client.get(f"/kraftsamling/handslag/{w.handslag.pk}/").content.decode()
    assert "Correct goals and initiatives" in page and "Delete the initiative" in page
    assert "Ta bort" not in page


# --- API --------------------------------------------------------------------------------------


def test_api_patch_and_delete() -> None:
    w, g1, g2, a, out = _draft()
    client = _client(w, "region", Role.ANALYST)
    base = f"/api/kraftsamling/handslag/{w.handslag.pk}"
    r = client.patch(
        f"{base}/goals/{g1.pk}", {"text": "Via API", "area": "H"}, content_type="application/json"
    )
    assert r.status_code == 200, r.content
    goal = next(g for g in r.json()["goals"] if g["id"] == g1.pk)
    assert goal["text"] == "Via API" and goal["area"] == "H" and goal["kraftsamling_goal"] == 3
    r = client.patch(
        f"{base}/activities/{a.pk}",
        {"title": "API-initiativ", "organisation_id": w.orgs["kommun"].pk, "end": "2028-06-30"},
        content_type="application/json",
    )
    assert r.status_code == 200, r.content
    row = r.json()["goals"][0]["activities"][0]
    assert (row["id"], row["title"], row["who"], row["end"]) == (
        a.pk,
        "API-initiativ",
        w.orgs["kommun"].name,
        "2028-06-30",
    )
    r = client.patch(
        f"{base}/activities/{a.pk}", {"start": "2024-01-01"}, content_type="application/json"
    )
    assert r.status_code == 422 and "Fältet start" in r.json()["detail"]
    r = client.patch(
        f"{base}/activities/{a.pk}", {"organisation_id": 999999}, content_type="application/json"
    )
    assert r.status_code == 422 and "organisation_id" in r.json()["detail"]
    r = client.patch(
        f"/api/kraftsamling/delarenor/{w.delarena.pk}/outputs/{out.pk}",
        {"status": "done", "stage": 2},
        content_type="application/json",
    )
    assert r.status_code == 200 and r.json()["status"] == "done" and r.json()["stage"] == 2
    assert client.delete(f"{base}/goals/{g2.pk}").status_code == 204
    assert client.delete(f"{base}/goals/{g2.pk}").status_code == 404
    assert client.delete(f"{base}/activities/999999").status_code == 404
    outsider = _client(w, "utomstaende", Role.ADMIN)
    assert outsider.delete(f"{base}/activities/{a.pk}").status_code == 403
    viewer = _client(w, "kommun", Role.VIEWER)
    r = viewer.patch(f"{base}/goals/{g1.pk}", {"text": "x"}, content_type="application/json")
    assert r.status_code == 403
    assert Client().delete(f"{base}/activities/{a.pk}").status_code == 401
    assert (
        client.delete(f"/api/kraftsamling/delarenor/{w.delarena.pk}/outputs/{out.pk}").status_code
        == 204
    )
    _sign_once(w)
    r = client.delete(f"{base}/activities/{a.pk}")
    assert r.status_code == 422 and "undertecknats" in r.json()["detail"]
