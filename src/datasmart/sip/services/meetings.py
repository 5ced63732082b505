"""Invitations, answers and meetings (part of :mod:`datasmart.sip.services`).

Inviting an organisation shares the plan with it, so an organisation may be invited
only when the active consent names it (or it is the owner). Answers carry no version:
an invitee answers whatever the plan's state, and the answer bumps the version like any
change.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from datasmart.sip.domain.access import (
    active_consent,
    audit_denied,
    get_visible_sip,
    parse_uuid,
    valid_link,
)
from datasmart.sip.domain.access_log import log_access
from datasmart.sip.domain.actors import Actor, StaffActor
from datasmart.sip.domain.errors import SipNotFound, SipValidationError
from datasmart.sip.domain.guards import (
    apply_write,
    audit,
    aware_datetime,
    bounded_text,
    bump,
    forbid,
    require_active,
    require_staff,
    resolve_organisations,
)
from datasmart.sip.domain.plausibility import MEETING_HORIZON, check_event_time
from datasmart.sip.domain.schemas import ParticipantIn, parse_participants
from datasmart.sip.models import (
    AccessAction,
    Meeting,
    MeetingKind,
    Participant,
    ParticipantKind,
    ParticipantStatus,
    Sip,
)

__all__ = ["invite", "record_meeting_held", "respond", "schedule_follow_up"]


def _birth(sip: Sip) -> dt.date | None:
    return sip.person.birth_date if sip.person is not None else None


def invite(
    actor: Actor,
    sip_id: Any,
    *,
    expected_version: int,
    participants: list[dict[str, Any] | ParticipantIn],
    meeting_at: dt.datetime,
    location: str = "",
) -> Meeting:
    """Invite participants to a meeting (the first SIP meeting if there is none yet,
    otherwise a follow-up). ``participants`` are dicts shaped like
    :class:`~datasmart.sip.domain.schemas.ParticipantIn`."""
    sip = get_visible_sip(actor, sip_id)
    staff = require_staff(actor, sip, "invite")
    require_active(sip)
    invitees = parse_participants(participants)
    meeting_at = aware_datetime(meeting_at, "meeting_at")
    check_event_time(meeting_at, "meeting_at", birth=_birth(sip), ahead=MEETING_HORIZON)
    location = bounded_text(location, "location", max_length=200)
    organisations = resolve_organisations(
        {
            f"participants[{i}].organisation_id": p.organisation_id
            for i, p in enumerate(invitees)
            if p.organisation_id is not None
        }
    )
    consent = active_consent(sip)
    covered = set(consent.organisations.values_list("pk", flat=True)) if consent else set()
    for path, org in organisations.items():
        if org.pk != sip.owner_organisation_id and org.pk not in covered:
            raise SipValidationError(
                _(
                    "Samtycket omfattar inte %(organisation)s. Registrera ett samtycke som "
                    "gäller organisationen innan den bjuds in."
                )
                % {"organisation": org.name},
                field=path,
            )
    with transaction.atomic():
        apply_write(staff, sip, expected_version)
        first_exists = Meeting.objects.filter(sip=sip, kind=MeetingKind.FIRST).exists()
        meeting = Meeting.objects.create(
            sip=sip,
            kind=MeetingKind.FOLLOW_UP if first_exists else MeetingKind.FIRST,
            scheduled_at=meeting_at,
            location=location,
        )
        now = timezone.now()
        created = Participant.objects.bulk_create(
            [
                Participant(
                    sip=sip,
                    kind=p.kind,
                    organisation=organisations.get(f"participants[{i}].organisation_id"),
                    unit_name=p.unit_name,
                    name=p.name,
                    email=p.email,
                    # A microsecond apart, so ordering by invited_at keeps the order given.
                    invited_at=now + dt.timedelta(microseconds=i),
                )
                for i, p in enumerate(invitees)
            ]
        )
        log_access(
            staff,
            sip.pk,
            AccessAction.INVITE,
            {"meeting": meeting.pk, "participants": [str(p.pk) for p in created]},
        )
        audit(
            "sip.meeting.create",
            staff,
            sip,
            meeting=meeting.pk,
            kind=str(meeting.kind),
            participants=len(created),
        )
    return meeting


def _may_answer_for(actor: Actor, participant: Participant) -> bool:
    """An organisation answers through its own staff; the person, guardian and others
    through their link (or the person's account), or through the owner's staff, who may
    record an answer given by phone or letter."""
    if participant.kind == ParticipantKind.ORGANISATION:
        return (
            isinstance(actor, StaffActor) and actor.organisation.pk == participant.organisation_id
        )
    if isinstance(actor, StaffActor):
        return actor.organisation.pk == participant.sip.owner_organisation_id
    if actor.via == "link":
        link = valid_link(actor)
        if link is None:
            return False
        if link.participant_id is not None:
            return link.participant_id == participant.pk
        return participant.kind == ParticipantKind.PERSON
    return participant.kind == ParticipantKind.PERSON


def respond(actor: Actor, participant_id: Any, *, accept: bool) -> Participant:
    """Accept or decline an invitation (see :func:`_may_answer_for` for who may)."""
    pk = parse_uuid(participant_id)
    participant = Participant.objects.select_related("sip").filter(pk=pk).first() if pk else None
    if participant is None:
        audit_denied(actor, participant_id, target="participant")
        raise SipNotFound()
    sip = get_visible_sip(actor, participant.sip_id)
    if not _may_answer_for(actor, participant):
        forbid(actor, sip, "respond")
    if not isinstance(accept, bool):
        raise SipValidationError(_("Ange ja eller nej."), field="accept")
    require_active(sip)
    status = ParticipantStatus.ACCEPTED if accept else ParticipantStatus.DECLINED
    with transaction.atomic():
        bump(actor, sip)
        now = timezone.now()
        Participant.objects.filter(pk=participant.pk).update(status=status, responded_at=now)
        participant.status, participant.responded_at = status, now
        detail = {"participant": str(participant.pk), "status": str(status)}
        log_access(actor, sip.pk, AccessAction.RESPOND, detail)
        audit("sip.participant.update", actor, sip, **detail)
    return participant


def _meeting(sip_id: Any, meeting_id: Any) -> Meeting:
    if isinstance(meeting_id, bool) or not isinstance(meeting_id, int):
        raise SipNotFound(_("Mötet finns inte."))
    meeting = Meeting.objects.filter(pk=meeting_id, sip_id=sip_id).first()
    if meeting is None:
        raise SipNotFound(_("Mötet finns inte."))
    return meeting


def record_meeting_held(
    actor: Actor, sip_id: Any, meeting_id: int, *, expected_version: int, held_at: dt.datetime
) -> Meeting:
    """Record that a meeting took place (a correction replaces the earlier time)."""
    sip = get_visible_sip(actor, sip_id)
    staff = require_staff(actor, sip, "record_meeting_held")
    meeting = _meeting(sip.pk, meeting_id)
    held_at = aware_datetime(held_at, "held_at", not_future=True)
    check_event_time(held_at, "held_at", birth=_birth(sip))
    require_active(sip)
    with transaction.atomic():
        apply_write(staff, sip, expected_version)
        Meeting.objects.filter(pk=meeting.pk).update(held_at=held_at)
        meeting.held_at = held_at
        log_access(staff, sip.pk, AccessAction.MEETING_HELD, {"meeting": meeting.pk})
        audit("sip.meeting.update", staff, sip, meeting=meeting.pk, change="held")
    return meeting


def schedule_follow_up(
    actor: Actor, sip_id: Any, *, expected_version: int, meeting_at: dt.datetime, location: str = ""
) -> Meeting:
    """Book a follow-up meeting."""
    sip = get_visible_sip(actor, sip_id)
    staff = require_staff(actor, sip, "schedule_follow_up")
    meeting_at = aware_datetime(meeting_at, "meeting_at")
    check_event_time(meeting_at, "meeting_at", birth=_birth(sip), ahead=MEETING_HORIZON)
    location = bounded_text(location, "location", max_length=200)
    require_active(sip)
    with transaction.atomic():
        apply_write(staff, sip, expected_version)
        meeting = Meeting.objects.create(
            sip=sip, kind=MeetingKind.FOLLOW_UP, scheduled_at=meeting_at, location=location
        )
        log_access(staff, sip.pk, AccessAction.FOLLOW_UP, {"meeting": meeting.pk})
        audit("sip.meeting.create", staff, sip, meeting=meeting.pk, kind=str(meeting.kind))
    return meeting
