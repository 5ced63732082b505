"""Starting, reading, revising and closing plans (part of :mod:`datasmart.sip.services`).

Every function takes an actor, checks access first (:mod:`datasmart.sip.domain.access`), logs
to :class:`~datasmart.sip.models.SipAccessLog` in the same transaction as the read or
write, and writes apply optimistic locking (:func:`datasmart.sip.domain.guards.apply_write`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from datasmart.accounts.models import Organisation
from datasmart.geo.models import Level, Unit
from datasmart.sip.domain.access import get_visible_sip, visible_sips
from datasmart.sip.domain.access_log import log_access, log_list, log_of
from datasmart.sip.domain.actors import Actor, PersonActor
from datasmart.sip.domain.diff import diff_plan_content
from datasmart.sip.domain.errors import SipValidationError
from datasmart.sip.domain.guards import (
    apply_write,
    audit,
    bounded_text,
    bump,
    require_active,
    require_caseworker,
    require_owner,
    require_person,
    require_staff,
    resolve_organisations,
)
from datasmart.sip.domain.identity import IdKind, parse_identity_number
from datasmart.sip.domain.plausibility import (
    ADULT_AGE,
    age_on,
    check_birth_date,
    check_is_child,
    check_plan_dates,
)
from datasmart.sip.domain.schemas import PlanContent, parse_plan_content
from datasmart.sip.models import (
    AccessAction,
    CloseReason,
    Meeting,
    Person,
    PersonResponse,
    PlanVersion,
    ResponseKind,
    Sip,
    SipAccessLog,
    SipStatus,
)

__all__ = [
    "access_log",
    "close_sip",
    "compare_versions",
    "geography_of",
    "get_sip",
    "list_sips",
    "person_respond",
    "plan_versions",
    "revise_plan",
    "start_sip",
]

MAX_NEED = 5000
MAX_NOTE = 2000
MAX_RESPONSE = 5000


def geography_of(organisation: Organisation) -> tuple[Unit | None, Unit | None]:
    """``(kommun, region)`` for statistics: a kommun organisation counts in its kommun and
    that kommun's region, a region-level one in its region only, others in neither."""
    unit = organisation.unit
    if unit.level == Level.KOMMUN:
        return unit, unit.region
    if unit.level == Level.REGION:
        return None, unit
    return None, None


def person_for(number: Any, display_name: str) -> Person:
    """The person with this identity number, created if new.

    An existing person keeps the name already recorded: a second organisation starting a
    plan must not overwrite it. Nor may it read it: every plan carries the name its own
    organisation recorded (:attr:`Sip.display_name`), and pages, API and exports show
    that one, never ``Person.display_name``.
    """
    digest = number.digest
    person = Person.objects.filter(id_digest=digest).first()
    if person is not None:
        return person
    try:
        with transaction.atomic():
            return Person.objects.create(
                id_kind=number.kind,
                id_digest=digest,
                id_masked=number.masked,
                id_encrypted=number.encrypt(),
                display_name=display_name,
                birth_date=number.birth_date,
            )
    except IntegrityError:  # created at the same moment by someone else
        return Person.objects.get(id_digest=digest)


def start_sip(
    actor: Actor,
    *,
    person_id: str,
    display_name: str,
    need: str,
    is_child: bool | None = None,
    id_kind: IdKind | str | None = None,
) -> Sip:
    """Start a plan for the person with identity number ``person_id``.

    Needs the caseworker role (``CREATE_SIP`` through a role, not superuser status:
    :func:`~datasmart.sip.domain.guards.require_caseworker`) in the actor's organisation, which
    becomes the owner. ``id_kind`` forces the kind of number (see
    :func:`datasmart.sip.domain.identity.parse_identity_number`); by default it is detected.
    One ongoing plan per person and owner organisation.

    ``is_child`` must agree with the age the number gives (under 18: a child); None
    takes it from the number (a reserve number without a date of birth: not a child).
    The plan keeps ``display_name`` as given, and the answer says nothing about plans
    other organisations have for the same person (not their name for the person, not
    that they exist).
    """
    staff = require_staff(actor, None, "start")
    require_caseworker(staff, "start")
    number = parse_identity_number(person_id, kind=id_kind)
    check_birth_date(number.birth_date, "person_id")
    display_name = bounded_text(display_name, "display_name", max_length=200, required=True)
    need = bounded_text(need, "need", max_length=MAX_NEED, required=True)
    if is_child is None:
        is_child = (
            number.birth_date is not None
            and age_on(number.birth_date, timezone.localdate()) < ADULT_AGE
        )
    if not isinstance(is_child, bool):
        raise SipValidationError(_("Ange ja eller nej."), field="is_child")
    check_is_child(number.birth_date, is_child)
    kommun, region = geography_of(staff.organisation)
    duplicate = SipValidationError(
        _("Det finns redan en pågående SIP för personen i er organisation."), field="person_id"
    )
    try:
        with transaction.atomic():
            person = person_for(number, display_name)
            if Sip.objects.filter(
                person=person, owner_organisation=staff.organisation, status=SipStatus.ACTIVE
            ).exists():
                raise duplicate
            sip = Sip.objects.create(
                person=person,
                owner_organisation=staff.organisation,
                started_by=staff.user,
                display_name=display_name,
                need=need,
                is_child=is_child,
                kommun=kommun,
                region=region,
            )
            log_access(staff, sip.pk, AccessAction.START)
            audit("sip.sip.create", staff, sip, is_child=is_child, id_kind=str(number.kind))
    except IntegrityError as exc:  # the same plan started concurrently
        raise duplicate from exc
    return sip


def list_sips(actor: Actor, *, status: SipStatus | str | None = None) -> list[Sip]:
    """The plans ``actor`` may see, newest first; one ``list`` log row per plan shown."""
    qs = visible_sips(actor)
    if status is not None:
        if status not in SipStatus.values:
            raise SipValidationError(
                _("Okänd status; välj en av: %(choices)s.")
                % {"choices": ", ".join(SipStatus.values)},
                field="status",
            )
        qs = qs.filter(status=status)
    qs = qs.select_related("person", "owner_organisation", "lead_organisation").order_by(
        "-started_at", "id"
    )
    with transaction.atomic():
        sips = list(qs)
        log_list(actor, sips)
    return sips


def get_sip(actor: Actor, sip_id: Any) -> Sip:
    """One plan, if ``actor`` may see it (else :class:`SipNotFound`, audited)."""
    sip = get_visible_sip(actor, sip_id)
    with transaction.atomic():
        log_access(actor, sip.pk, AccessAction.READ)
    return sip


def _meeting_of(sip: Sip, meeting_id: Any) -> Meeting | None:
    if meeting_id is None:
        return None
    if isinstance(meeting_id, bool) or not isinstance(meeting_id, int):
        raise SipValidationError(_("Ska vara ett heltal."), field="meeting_id")
    meeting = Meeting.objects.filter(pk=meeting_id, sip=sip).first()
    if meeting is None:
        raise SipValidationError(_("Mötet hör inte till den här planen."), field="meeting_id")
    return meeting


def revise_plan(
    actor: Actor,
    sip_id: Any,
    *,
    expected_version: int,
    content: PlanContent | dict[str, Any],
    meeting_id: int | None = None,
) -> PlanVersion:
    """Write the next version of the plan's content (staff who may see the plan).

    ``content`` is a :class:`PlanContent` or a dict validated as one; errors name the
    field (``interventions[0].end``). Every organisation named must exist. The plan's
    lead organisation and coordinator name follow the content.
    """
    sip = get_visible_sip(actor, sip_id)
    staff = require_staff(actor, sip, "revise")
    require_active(sip)
    plan = parse_plan_content(content)
    check_plan_dates(plan, sip.person.birth_date if sip.person else None)
    organisations = resolve_organisations(plan.organisation_ids())
    meeting = _meeting_of(sip, meeting_id)
    with transaction.atomic():
        apply_write(
            staff,
            sip,
            expected_version,
            lead_organisation=organisations.get("lead_organisation_id"),
            coordinator_name=plan.coordinator_name,
        )
        last = PlanVersion.objects.filter(sip=sip).aggregate(last=Max("number"))["last"]
        version = PlanVersion.objects.create(
            sip=sip,
            number=(last or 0) + 1,
            content=plan.model_dump(mode="json"),
            created_by_label=staff.label,
            created_by=staff.user,
            meeting=meeting,
        )
        log_access(staff, sip.pk, AccessAction.REVISE, {"plan_version": version.number})
        audit("sip.planversion.create", staff, sip, plan_version=version.number)
    return version


def close_sip(
    actor: Actor, sip_id: Any, *, expected_version: int, reason: CloseReason | str, note: str = ""
) -> Sip:
    """Close the plan: staff of the owner organisation with any reason, or the person
    (or guardian), who may always end their own plan (``reason="person_ended"``).

    The closing date starts the retention period (``settings.SIP_RETENTION_DAYS``).
    """
    sip = get_visible_sip(actor, sip_id)
    if isinstance(actor, PersonActor):
        require_person(actor, sip, "close")
        if reason != CloseReason.PERSON_ENDED:
            raise SipValidationError(
                _("Du kan avsluta planen; skälet blir då att personen har avslutat den."),
                field="reason",
            )
    else:
        require_owner(actor, sip, "close")
    if reason not in CloseReason.values:
        raise SipValidationError(
            _("Okänt skäl; välj ett av: %(choices)s.") % {"choices": ", ".join(CloseReason.values)},
            field="reason",
        )
    note = bounded_text(note, "note", max_length=MAX_NOTE)
    require_active(sip)
    now = timezone.now()
    retain_until = timezone.localdate(now) + dt.timedelta(days=settings.SIP_RETENTION_DAYS)
    with transaction.atomic():
        apply_write(
            actor,
            sip,
            expected_version,
            status=SipStatus.CLOSED,
            closed_at=now,
            closed_reason=str(reason),
            closed_note=note,
            retain_until=retain_until,
        )
        log_access(actor, sip.pk, AccessAction.CLOSE, {"reason": str(reason)})
        audit("sip.sip.update", actor, sip, change="close", reason=str(reason))
    return sip


def person_respond(
    actor: Actor, sip_id: Any, *, kind: ResponseKind | str, text: str = ""
) -> PersonResponse:
    """The person (or guardian) agrees with, or comments on, the latest plan version."""
    sip = get_visible_sip(actor, sip_id)
    person = require_person(actor, sip, "person_respond")
    if kind not in ResponseKind.values:
        raise SipValidationError(
            _("Okänd typ av svar; välj ett av: %(choices)s.")
            % {"choices": ", ".join(ResponseKind.values)},
            field="kind",
        )
    text = bounded_text(
        text, "text", max_length=MAX_RESPONSE, required=kind == ResponseKind.COMMENT
    )
    require_active(sip)
    with transaction.atomic():
        bump(person, sip)
        latest = PlanVersion.objects.filter(sip=sip).order_by("-number").first()
        if latest is None:
            raise SipValidationError(
                _("Det finns ingen plan att svara på ännu."), field="plan_version"
            )
        response = PersonResponse.objects.create(
            sip=sip, plan_version=latest, kind=str(kind), text=text
        )
        log_access(
            person,
            sip.pk,
            AccessAction.PERSON_RESPONSE,
            {"kind": str(kind), "plan_version": latest.number},
        )
        audit("sip.personresponse.create", person, sip, kind=str(kind))
    return response


def plan_versions(actor: Actor, sip_id: Any) -> list[PlanVersion]:
    """Every version of the plan's content, oldest first."""
    sip = get_visible_sip(actor, sip_id)
    with transaction.atomic():
        versions = list(PlanVersion.objects.filter(sip=sip).order_by("number"))
        log_access(actor, sip.pk, AccessAction.VERSIONS)
    return versions


def _version_number(value: Any, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise SipValidationError(_("Ange ett versionsnummer (1, 2, …)."), field=field)
    return value


def compare_versions(actor: Actor, sip_id: Any, a: int, b: int) -> dict[str, Any]:
    """Field-wise difference from version ``a`` to version ``b``:
    ``{"a": a, "b": b, "fields": {field: {"changed", "before", "after", …}}}``."""
    sip = get_visible_sip(actor, sip_id)
    a, b = _version_number(a, "a"), _version_number(b, "b")
    with transaction.atomic():
        found = {
            v.number: v.content
            for v in PlanVersion.objects.filter(sip=sip, number__in=[a, b]).only(
                "number", "content"
            )
        }
        for field, number in (("a", a), ("b", b)):
            if number not in found:
                raise SipValidationError(
                    _("Version %(n)d finns inte.") % {"n": number}, field=field
                )
        log_access(actor, sip.pk, AccessAction.COMPARE, {"a": a, "b": b})
    return {"a": a, "b": b, "fields": diff_plan_content(found[a], found[b])}


def access_log(actor: Actor, sip_id: Any) -> list[SipAccessLog]:
    """Who has read or changed the plan, newest first (this look included)."""
    sip = get_visible_sip(actor, sip_id)
    with transaction.atomic():
        log_access(actor, sip.pk, AccessAction.ACCESS_LOG)
        return list(log_of(sip.pk))
