"""Issue #10, section 3 (SIP leaks and integrity): each defect found by a hostile tester,
through the services, the API, the pages and the FHIR import.

- a narrower consent replaces the earlier one, whatever dates the earlier one carries;
- starting a plan for a person another organisation has a plan for reveals nothing;
- identity numbers are ASCII digits only (no full-width or Arabic-Indic twins);
- FHIR imports and ``publish-indicators`` refuse or ignore implausible dates;
- impossible facts (an adult child, a 12-year-old's own consent, a meeting in 2099 …);
- every SIP API answer is sent with ``Cache-Control: no-store``.
"""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from datasmart.accounts.models import User
from datasmart.sip import services
from datasmart.sip.domain.errors import SipNotFound, SipValidationError
from datasmart.sip.domain.identity import parse_identity_number
from datasmart.sip.fhir.service import export_fhir, import_fhir
from datasmart.sip.models import Consent, Person, Sip
from datasmart.sip.stats.publish import FIRST_MONTH, count_sips
from tests.accounts.factories import make_token

from .sip_support import (
    BUP_NAME,
    OWNER_NAME,
    SipWorld,
    first_meeting_at,
    make_world,
    personnummer,
    plan_content,
)
from .statistics_support import build_plan

pytestmark = pytest.mark.django_db

API = "/api/sip"
ADULT_1912 = personnummer(dt.date(1912, 3, 1), 234)
TEEN_2010 = dt.date(2010, 3, 4)  # 16 in December 2026


def api_client(user: User) -> Client:
    _token, secret = make_token(user)
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")


def page_client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def post_json(client: Client, url: str, body: Any) -> Any:
    return client.post(url, body, content_type="application/json")


def start_body(number: str, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "person_id": number,
        "display_name": "E. E.",
        "need": "Behöver samordnat stöd.",
    }
    body.update(overrides)
    return body


def resources(bundle: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def error_of(call: Any) -> SipValidationError:
    with pytest.raises(SipValidationError) as info:
        call()
    return info.value


# --- 1. a narrower consent replaces the earlier one ---------------------------------------------


def _widen(world: SipWorld) -> Consent:
    return services.record_consent(
        world.owner_staff,
        world.sip.pk,
        expected_version=world.version,
        given_by="guardian",
        guardian_name="Per Exempel",
        organisation_ids=[world.bup.pk, world.outsider.pk],
    )


def test_narrower_consent_shuts_out_a_removed_organisation_even_if_the_old_one_is_future_dated(
    world: SipWorld,
):
    wide = _widen(world)
    # As an earlier FHIR import could store it: a consent "given" in 2031.
    Consent.objects.filter(pk=wide.pk).update(given_at=dt.datetime(2031, 1, 1, 10, tzinfo=dt.UTC))
    outsider = api_client(world.outsider_staff.user)
    assert outsider.get(f"{API}/sips/{world.sip.pk}/fhir").status_code == 200

    services.record_consent(
        world.owner_staff,
        world.sip.pk,
        expected_version=world.version,
        given_by="guardian",
        guardian_name="Per Exempel",
        organisation_ids=[world.bup.pk],
    )

    with pytest.raises(SipNotFound):
        services.get_sip(world.outsider_staff, world.sip.pk)
    assert world.sip.pk not in {s.pk for s in services.list_sips(world.outsider_staff)}
    for url in (f"{API}/sips/{world.sip.pk}", f"{API}/sips/{world.sip.pk}/fhir"):
        response = outsider.get(url)
        assert response.status_code == 404, url
        assert world.person_number.replace("-", "") not in response.content.decode()
    # BUP, named in the new consent, still reads it.
    assert (
        api_client(world.bup_staff.user).get(f"{API}/sips/{world.sip.pk}/fhir").status_code == 200
    )


def test_recording_consent_closes_every_earlier_one(world: SipWorld):
    _widen(world)
    consents = list(Consent.objects.filter(sip=world.sip).order_by("id"))
    assert len(consents) == 2
    assert [c.is_active for c in consents] == [False, True]
    assert consents[0].superseded_at is not None and consents[0].withdrawn_at is None
    detail = api_client(world.owner_staff.user).get(f"{API}/sips/{world.sip.pk}").json()
    assert [c["active"] for c in detail["consents"]] == [True, False]
    assert detail["consents"][1]["superseded_at"] is not None
    page = page_client(world.owner_staff.user).get(reverse("sip:detail", args=[world.sip.pk]))
    assert "av ett nyare samtycke" in page.content.decode()


def test_a_second_open_consent_is_refused_by_the_database(world: SipWorld):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Consent.objects.create(sip=world.sip, given_by="guardian", guardian_name="X")


def test_future_dated_consent_is_refused_on_fhir_import(world: SipWorld):
    bundle = export_fhir(world.owner_staff, world.sip.pk)
    resources(bundle, "Consent")[0]["period"]["start"] = "2031-01-01T10:00:00+01:00"
    error = error_of(lambda: import_fhir(world.outsider_staff, bundle))
    assert error.field == "Consent[0].period.start"
    assert "2031-01-01" in error.message and "framtiden" in error.message
    response = post_json(api_client(world.outsider_staff.user), f"{API}/sips/fhir", bundle)
    assert response.status_code == 422
    assert response.json()["field"] == "Consent[0].period.start"
    assert Sip.objects.count() == 1


def test_imported_consents_keep_one_in_force(world: SipWorld):
    _widen(world)
    bundle = export_fhir(world.owner_staff, world.sip.pk)
    statuses = [c["status"] for c in resources(bundle, "Consent")]
    assert statuses == ["inactive", "active"]
    imported = import_fhir(world.outsider_staff, bundle)
    kept = list(Consent.objects.filter(sip=imported).order_by("given_at", "id"))
    assert [c.is_active for c in kept] == [False, True]
    assert kept[0].superseded_at is not None and kept[0].withdrawn_at is None

    # A bundle from elsewhere with two open consents: the earlier is superseded.
    for consent in resources(bundle, "Consent"):
        consent["status"] = "active"
        consent["period"].pop("end", None)
        consent.pop("extension", None)
    Sip.objects.filter(pk=imported.pk).update(
        status="closed", closed_at=timezone.now(), closed_reason="other"
    )
    again = import_fhir(world.outsider_staff, bundle)
    kept = list(Consent.objects.filter(sip=again).order_by("given_at", "id"))
    assert [c.is_active for c in kept] == [False, True]
    assert kept[0].superseded_at == kept[1].given_at


# --- 2. starting a plan reveals nothing of another organisation's plan --------------------------


def test_api_start_for_a_person_with_a_plan_elsewhere_reveals_nothing(world: SipWorld):
    client = api_client(world.outsider_staff.user)
    response = post_json(client, f"{API}/sips", start_body(world.person_number, is_child=True))
    assert response.status_code == 201
    assert response.json()["person"]["display_name"] == "E. E."
    new_id = response.json()["id"]
    for answer in (
        response,
        client.get(f"{API}/sips/{new_id}"),
        client.get(f"{API}/sips"),
        client.get(f"{API}/sips/{new_id}/fhir"),
        client.get(f"{API}/sips/{new_id}/export"),
    ):
        body = answer.content.decode()
        assert answer.status_code in (200, 201)
        for secret in ("Elsa", OWNER_NAME, BUP_NAME, "Skolfrånvaro", str(world.sip.pk)):
            assert secret not in body, secret
    # The owner still sees the name it recorded.
    own = api_client(world.owner_staff.user).get(f"{API}/sips/{world.sip.pk}").json()
    assert own["person"]["display_name"] == "Elsa Exempel"


def test_start_page_for_a_person_with_a_plan_elsewhere_reveals_nothing(world: SipWorld):
    client = page_client(world.outsider_staff.user)
    response = client.post(
        reverse("sip:start"),
        {
            "id_kind": "personnummer",
            "person_id": world.person_number,
            "display_name": "E. E.",
            "need": "Behöver samordnat stöd.",
            "is_child": "ja",
        },
    )
    assert response.status_code == 302
    for url in (response["Location"], reverse("sip:list")):
        body = client.get(url).content.decode()
        assert "E. E." in body
        for secret in ("Elsa", OWNER_NAME, BUP_NAME, "Skolfrånvaro"):
            assert secret not in body, (url, secret)
    assert Person.objects.count() == 1  # one person, two plans, two names


# --- 3. identity numbers are ASCII digits only --------------------------------------------------

FOREIGN_DIGITS = {
    "full-width": "０１２３４５６７８９",
    "arabic-indic": "٠١٢٣٤٥٦٧٨٩",
    "persian": "۰۱۲۳۴۵۶۷۸۹",
    "devanagari": "०१२३४५६७८९",
    "mathematical-bold": "𝟎𝟏𝟐𝟑𝟒𝟓𝟔𝟕𝟖𝟗",
}


def foreign(number: str, script: str, *, only_last: bool = False) -> str:
    table = str.maketrans("0123456789", FOREIGN_DIGITS[script])
    if only_last:
        return number[:-1] + number[-1].translate(table)
    return number.translate(table)


@pytest.mark.parametrize("script", sorted(FOREIGN_DIGITS))
def test_non_ascii_digits_are_not_an_identity_number(world: SipWorld, script: str):
    for variant in (
        foreign(world.person_number, script),
        foreign(world.person_number, script, only_last=True),
    ):
        error = error_of(lambda v=variant: parse_identity_number(v))
        assert error.field == "person_id" and "0–9" in error.message
        error = error_of(
            lambda v=variant: services.start_sip(
                world.outsider_staff, person_id=v, display_name="X", need="Y", is_child=True
            )
        )
        assert error.field == "person_id"
    # Also not as a reserve number, and not for the owner (no second person, no second plan).
    with pytest.raises(SipValidationError):
        parse_identity_number(foreign(world.person_number, script), kind="reserve")
    with pytest.raises(SipValidationError):
        services.start_sip(
            world.owner_staff,
            person_id=foreign(world.person_number, script),
            display_name="Elsa",
            need="Y",
            is_child=True,
        )
    assert Person.objects.count() == 1 and Sip.objects.count() == 1


def test_non_ascii_digits_are_refused_by_form_api_and_fhir_import(world: SipWorld):
    number = foreign(world.person_number, "full-width")
    page = page_client(world.owner_staff.user).post(
        reverse("sip:start"),
        {
            "id_kind": "personnummer",
            "person_id": number,
            "display_name": "Elsa",
            "need": "Y",
            "is_child": "ja",
        },
    )
    assert page.status_code == 400 and "0–9" in page.content.decode()
    response = post_json(
        api_client(world.owner_staff.user), f"{API}/sips", start_body(number, is_child=True)
    )
    assert response.status_code == 422 and response.json()["field"] == "person_id"

    bundle = export_fhir(world.owner_staff, world.sip.pk)
    patient = resources(bundle, "Patient")[0]
    patient["identifier"][0]["value"] = foreign(patient["identifier"][0]["value"], "arabic-indic")
    error = error_of(lambda: import_fhir(world.outsider_staff, bundle))
    assert error.field == "Patient.identifier"
    assert Person.objects.count() == 1 and Sip.objects.count() == 1


# --- 4. FHIR dates and publish-indicators -------------------------------------------------------


def _bundle(world: SipWorld) -> dict[str, Any]:
    return copy.deepcopy(export_fhir(world.owner_staff, world.sip.pk))


@pytest.mark.parametrize(
    ("where", "value", "field"),
    [
        (("CarePlan", "period", "start"), "0001-01-01T00:00:00+01:00", "CarePlan.period.start"),
        (("CarePlan", "period", "start"), "2009-12-31T12:00:00+01:00", "CarePlan.period.start"),
        (("CarePlan", "period", "start"), "9999-12-31T12:00:00+01:00", "CarePlan.period.start"),
        (("Appointment", "start"), "9999-12-31T10:00:00+01:00", "Appointment[0].start"),
        (("Appointment", "start"), "0001-01-01T10:00:00+01:00", "Appointment[0].start"),
        (("Consent", "period", "start"), "0001-01-01T10:00:00+01:00", "Consent[0].period.start"),
        (("Consent", "period", "start"), "9999-01-01T10:00:00+01:00", "Consent[0].period.start"),
    ],
)
def test_fhir_import_refuses_implausible_dates(
    world: SipWorld, where: tuple[str, ...], value: str, field: str
):
    bundle = _bundle(world)
    kind, *path = where
    target = resources(bundle, kind)[0]
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    error = error_of(lambda: import_fhir(world.outsider_staff, bundle))
    assert error.field == field
    assert value[:4] in error.message or value[:10] in error.message
    assert Sip.objects.count() == 1


def test_fhir_import_refuses_plan_dates_before_birth_or_far_ahead(world: SipWorld):
    bundle = _bundle(world)
    requests = resources(bundle, "ServiceRequest")
    requests[0]["occurrencePeriod"]["start"] = "2011-01-01"  # the person was born 2012
    error = error_of(lambda: import_fhir(world.outsider_staff, bundle))
    assert error.field == "CarePlan.interventions[0].start" and "föddes" in error.message

    bundle = _bundle(world)
    care_plan = resources(bundle, "CarePlan")[0]
    for extension in care_plan["extension"]:
        if extension["url"].endswith("sip-follow-up-date"):
            extension["valueDate"] = "9999-01-01"
    error = error_of(lambda: import_fhir(world.outsider_staff, bundle))
    assert error.field == "CarePlan.follow_up_dates[0]"


def test_statistics_ignore_months_before_sip_and_refuse_an_absurd_now(world: SipWorld):
    build_plan(world.owner, dt.datetime(1, 1, 10, 12, tzinfo=dt.UTC))
    build_plan(world.owner, dt.datetime(1990, 6, 10, 12, tzinfo=dt.UTC))
    counts = count_sips()
    for frame in (counts.started, counts.first_meeting, counts.follow_up, counts.closed):
        assert frame.height == 0 or min(frame["period"].to_list()) >= FIRST_MONTH
    with pytest.raises(ValueError, match="orimlig"):
        count_sips(dt.datetime(9999, 1, 1, tzinfo=dt.UTC))
    with pytest.raises(ValueError, match="orimlig"):
        count_sips(dt.datetime(1, 1, 2, tzinfo=dt.UTC))


# --- 5. impossible facts ------------------------------------------------------------------------


def test_an_adult_is_not_a_child_and_a_child_is_not_an_adult(world: SipWorld):
    error = error_of(
        lambda: services.start_sip(
            world.owner_staff, person_id=ADULT_1912, display_name="A", need="B", is_child=True
        )
    )
    assert error.field == "is_child" and "inte ett barn" in error.message
    child = personnummer(dt.date(2015, 1, 2), 345)
    error = error_of(
        lambda: services.start_sip(
            world.owner_staff, person_id=child, display_name="A", need="B", is_child=False
        )
    )
    assert error.field == "is_child" and "ett barn" in error.message
    # Not said: taken from the number.
    assert services.start_sip(
        world.owner_staff, person_id=child, display_name="A", need="B"
    ).is_child
    adult = services.start_sip(world.owner_staff, person_id=ADULT_1912, display_name="A", need="B")
    assert not adult.is_child


def test_a_birth_before_1900_is_refused(world: SipWorld):
    error = error_of(
        lambda: services.start_sip(
            world.owner_staff,
            person_id=personnummer(dt.date(1899, 12, 31), 111),
            display_name="A",
            need="B",
        )
    )
    assert error.field == "person_id" and "1899-12-31" in error.message


def test_who_may_consent_depends_on_age(world: SipWorld):
    # World's person is 14: not on their own.
    error = error_of(
        lambda: services.record_consent(
            world.owner_staff,
            world.sip.pk,
            expected_version=world.version,
            given_by="person",
            organisation_ids=[world.bup.pk],
        )
    )
    assert error.field == "given_by" and "vårdnadshavaren" in error.message
    # 16: the young person may.
    teen = make_world(consent=False, person_number=personnummer(TEEN_2010, 456))
    services.record_consent(
        teen.owner_staff,
        teen.sip.pk,
        expected_version=teen.version,
        given_by="person",
        organisation_ids=[teen.bup.pk],
    )
    # An adult has no vårdnadshavare.
    adult = services.start_sip(world.owner_staff, person_id=ADULT_1912, display_name="A", need="B")
    error = error_of(
        lambda: services.record_consent(
            world.owner_staff,
            adult.pk,
            expected_version=1,
            given_by="guardian",
            guardian_name="X",
            organisation_ids=[world.bup.pk],
        )
    )
    assert error.field == "given_by" and "vuxen" in error.message


def test_meetings_cannot_be_decades_ahead_or_before_birth(world: SipWorld):
    far = first_meeting_at().replace(year=2099)
    error = error_of(
        lambda: services.invite(
            world.owner_staff,
            world.sip.pk,
            expected_version=world.version,
            participants=[{"kind": "guardian", "name": "Per"}],
            meeting_at=far,
        )
    )
    assert error.field == "meeting_at" and "2099" in error.message
    error = error_of(
        lambda: services.schedule_follow_up(
            world.owner_staff, world.sip.pk, expected_version=world.version, meeting_at=far
        )
    )
    assert error.field == "meeting_at"
    assert world.meeting is not None
    error = error_of(
        lambda: services.record_meeting_held(
            world.owner_staff,
            world.sip.pk,
            world.meeting.pk,
            expected_version=world.version,
            held_at=dt.datetime(2011, 5, 1, 10, tzinfo=dt.UTC),
        )
    )
    assert error.field == "held_at" and "föddes" in error.message


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"start": "2011-01-01"}, "interventions[0].start"),
        ({"start": "2026-12-01", "end": "2099-01-01"}, "interventions[0].end"),
        ({"follow_up_dates": ["1990-01-01"]}, "follow_up_dates[0]"),
        ({"follow_up_dates": ["2099-01-01"]}, "follow_up_dates[0]"),
    ],
)
def test_plan_dates_must_be_plausible(world: SipWorld, overrides: dict[str, Any], field: str):
    content = plan_content(world.owner, world.bup).model_dump(mode="json")
    follow = overrides.pop("follow_up_dates", None)
    if follow is not None:
        content["follow_up_dates"] = follow
    content["interventions"][0].update(overrides)
    error = error_of(
        lambda: services.revise_plan(
            world.owner_staff, world.sip.pk, expected_version=world.version, content=content
        )
    )
    assert error.field == field
    response = api_client(world.owner_staff.user).put(
        f"{API}/sips/{world.sip.pk}/plan",
        {"expected_version": world.version, "content": content},
        content_type="application/json",
    )
    assert response.status_code == 422 and response.json()["field"] == f"content.{field}"


def test_api_refuses_impossible_facts(world: SipWorld):
    client = api_client(world.owner_staff.user)
    response = post_json(client, f"{API}/sips", start_body(ADULT_1912, is_child=True))
    assert response.status_code == 422 and response.json()["field"] == "is_child"
    response = post_json(
        client,
        f"{API}/sips/{world.sip.pk}/consents",
        {
            "expected_version": world.version,
            "given_by": "person",
            "organisation_ids": [world.bup.pk],
        },
    )
    assert response.status_code == 422 and response.json()["field"] == "given_by"


def test_forms_show_impossible_facts_on_their_field(world: SipWorld):
    client = page_client(world.owner_staff.user)
    response = client.post(
        reverse("sip:start"),
        {
            "id_kind": "personnummer",
            "person_id": ADULT_1912,
            "display_name": "A",
            "need": "B",
            "is_child": "ja",
        },
    )
    body = response.content.decode()
    assert response.status_code == 400 and "inte ett barn" in body and 'href="#id_is_child' in body

    response = client.post(
        reverse("sip:consent", args=[world.sip.pk]),
        {"expected_version": world.version, "given_by": "person", "organisations": [world.bup.pk]},
    )
    body = response.content.decode()
    assert response.status_code == 400 and "kan inte själv samtycka" in body

    response = client.post(
        reverse("sip:follow_up", args=[world.sip.pk]),
        {
            "expected_version": world.version,
            "meeting_date": "2099-03-01",
            "meeting_time": "10:00",
        },
    )
    body = response.content.decode()
    assert response.status_code == 400 and "för långt fram" in body


# --- 6. no caching of SIP API answers -----------------------------------------------------------


def test_every_sip_api_answer_and_page_is_not_stored(world: SipWorld):
    client = api_client(world.owner_staff.user)
    answers = [
        client.get(f"{API}/sips"),
        client.get(f"{API}/sips/{world.sip.pk}"),
        client.get(f"{API}/sips/{world.sip.pk}/fhir"),
        client.get(f"{API}/sips/{world.sip.pk}/export"),
        client.get(f"{API}/sips/0b5e3c1a-6c2e-4c7e-9a57-9f1f2d3e4a5b"),  # 404
        post_json(client, f"{API}/sips", {"person_id": "x"}),  # 422
        Client().get(f"{API}/sips"),  # 401
    ]
    pages = page_client(world.owner_staff.user)
    answers += [
        pages.get(reverse("sip:list")),
        pages.get(reverse("sip:detail", args=[world.sip.pk])),
    ]
    for response in answers:
        assert "no-store" in response.get("Cache-Control", ""), response
