"""The only way in to Kraftsamling for pages, API, CLI and other domains.

Every write takes ``by`` (a user or ``SYSTEM``), checks :mod:`.rights` first (scoped to
the delarena's participant organisations), validates, and writes in one transaction with
an audit event. User errors are :class:`KraftsamlingError` with a Swedish message naming
the field.

The handslag's goals and activities are a plan of the plans domain, written through
:mod:`datasmart.plans.services`. Kraftsamling's rights decide who changes a handslag
(any editor of a participant, not only the plan owner's), so the plan is written as
``SYSTEM`` after this module's own check, and the real user is in this module's audit
event (the pattern indicator imports use for computing results).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from datasmart.accounts.audit import SYSTEM, SystemActor, record_event
from datasmart.accounts.models import Organisation, OrganisationKind, Role
from datasmart.plans import services as plans

from . import reference, rights
from .models import (
    Area,
    Delarena,
    DelarenaParticipant,
    Handslag,
    HandslagActivity,
    HandslagGoal,
    HandslagSignature,
    HandslagStatus,
    KraftsamlingGoal,
    OutputStatus,
    ParticipantRole,
    WorkshopOutput,
    WorkshopStage,
)

if TYPE_CHECKING:
    from django.http import HttpRequest

__all__ = [
    "KraftsamlingError",
    "add_activity",
    "add_goal",
    "add_participant",
    "areas",
    "create_delarena",
    "create_handslag",
    "delarena_view",
    "delarenor",
    "delete_activity",
    "delete_goal",
    "delete_output",
    "get_delarena",
    "get_handslag",
    "get_handslag_activity",
    "get_handslag_goal",
    "get_output",
    "goals",
    "handslag_document",
    "handslag_markdown",
    "handslag_pdf",
    "load_reference",
    "participant_group",
    "record_output",
    "remove_participant",
    "sign",
    "stages",
    "update_activity",
    "update_goal",
    "update_output",
]

NAME_MAX = 200
TEXT_MAX = 20_000


class KraftsamlingError(ValueError):
    """A user error in a Kraftsamling write; the message is Swedish and safe to show."""


# --- reference data ----------------------------------------------------------------------


def load_reference() -> int:
    """Write the goals, areas and stages of source 003 (idempotent); the data migration
    does the same, this is for a database that was flushed."""
    with transaction.atomic():
        return reference.write_reference(KraftsamlingGoal, Area, WorkshopStage)


def goals() -> list[KraftsamlingGoal]:
    return list(KraftsamlingGoal.objects.prefetch_related("areas"))


def areas() -> list[Area]:
    return list(Area.objects.prefetch_related("goals"))


def stages() -> list[WorkshopStage]:
    return list(WorkshopStage.objects.all())


def title_of(obj: KraftsamlingGoal | Area | WorkshopStage) -> str:
    """The reference title in the active language (English is our translation)."""
    return obj.title_en if (get_language() or "sv").startswith("en") and obj.title_en else obj.title


#: The actor groups of the source's handslag vision (003, "Visionen om ett handslag":
#: Myndigheter, Näringsliv, Regioner/kommuner, Civilsamhälle) and of its list of
#: participating organisations ("Forskning & utbildning").
_GROUPS: dict[str, tuple[str, ...]] = {
    "authorities": (OrganisationKind.AUTHORITY, OrganisationKind.NATIONAL_OFFICE),
    "business": (OrganisationKind.BUSINESS,),
    "regions_kommuner": (
        OrganisationKind.KOMMUN_SOCIAL,
        OrganisationKind.SCHOOL,
        OrganisationKind.REGION_BUP,
        OrganisationKind.REGION_PSYCHIATRY,
        OrganisationKind.PRIMARY_CARE,
        OrganisationKind.LAN_SUPPORT,
        OrganisationKind.SKR,
        OrganisationKind.SJUKVARDSREGION,
    ),
    "civil_society": (OrganisationKind.CIVIL_SOCIETY, OrganisationKind.USER_ORGANISATION),
    "research": (OrganisationKind.KNOWLEDGE_NODE,),
}
GROUP_ORDER = ("authorities", "business", "regions_kommuner", "civil_society", "research", "other")


def group_label(key: str) -> str:
    labels = {
        "authorities": _("Myndigheter"),
        "business": _("Näringsliv"),
        "regions_kommuner": _("Regioner/kommuner"),
        "civil_society": _("Civilsamhälle"),
        "research": _("Forskning och utbildning"),
        "other": _("Övriga"),
    }
    return labels[key]


def participant_group(kind: str) -> str:
    """The source's actor group of an organisation kind (``other`` if none fits)."""
    for key, kinds in _GROUPS.items():
        if kind in kinds:
            return key
    return "other"


def initiative_kind_label(kind: str) -> str:
    labels = {
        "knowledge": _("Ta fram kunskap"),
        "implement": _("Genomföra/testa insatser"),
        "spread": _("Spridning av kunskap/insatser"),
    }
    return labels.get(kind, kind)


# --- parsing for pages, API and CLI ---------------------------------------------------------


def parse_int(value: Any, field_name: str) -> int:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        raise KraftsamlingError(
            _("Fältet %(field)s: ange ett heltal.") % {"field": field_name}
        ) from None


def parse_date(value: Any, field_name: str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except (TypeError, ValueError):
        raise KraftsamlingError(
            _("Fältet %(field)s: ange ett datum som ÅÅÅÅ-MM-DD.") % {"field": field_name}
        ) from None


def _text(value: str | None, field_name: str, max_length: int, *, required: bool = True) -> str:
    value = (value or "").strip()
    if max_length <= NAME_MAX:
        value = " ".join(value.split())
    if required and not value:
        raise KraftsamlingError(_("Fältet %(field)s får inte vara tomt.") % {"field": field_name})
    if len(value) > max_length:
        raise KraftsamlingError(
            _("Fältet %(field)s får vara högst %(n)s tecken.")
            % {"field": field_name, "n": max_length}
        )
    return value


def _audit(action: str, by: Any, target: Any, organisation: Organisation, **detail: Any) -> None:
    record_event(action, actor=by, organisation=organisation, target=target, detail=detail or None)


def _user(by: Any) -> Any:
    return None if isinstance(by, SystemActor) or not rights.signed_in(by) else by


def _name(by: Any) -> str:
    return str(by.get_username())[:200] if hasattr(by, "get_username") else str(by)[:200]


# --- reading -------------------------------------------------------------------------------


def delarenor() -> QuerySet[Delarena]:
    return (
        Delarena.objects.select_related("created_by_organisation")
        .prefetch_related(
            "areas",
            Prefetch(
                "participants",
                queryset=DelarenaParticipant.objects.filter(left_on__isnull=True),
                to_attr="active_participants",
            ),
            "outputs__stage",
        )
        .select_related("handslag")
    )


def get_delarena(delarena_id: int) -> Delarena:
    """One delarena; ``LookupError`` if it does not exist (all delarenor are public)."""
    try:
        return Delarena.objects.select_related("created_by_organisation").get(pk=delarena_id)
    except Delarena.DoesNotExist:
        raise LookupError(_("Delarenan finns inte.")) from None


def get_handslag(handslag_id: int) -> Handslag:
    try:
        return Handslag.objects.select_related("delarena", "plan", "plan__owner").get(
            pk=handslag_id
        )
    except Handslag.DoesNotExist:
        raise LookupError(_("Handslaget finns inte.")) from None


def handslag_of(delarena: Delarena) -> Handslag | None:
    return Handslag.objects.select_related("plan", "plan__owner").filter(delarena=delarena).first()


def _areas_by_letter(letters: list[str]) -> list[Area]:
    wanted = sorted({(x or "").strip().upper() for x in letters if (x or "").strip()})
    found = {a.letter: a for a in Area.objects.filter(letter__in=wanted)}
    unknown = [x for x in wanted if x not in found]
    if unknown:
        raise KraftsamlingError(
            _("Fältet områden: okänt område %(letters)s (giltiga är A–I).")
            % {"letters": ", ".join(unknown)}
        )
    return [found[x] for x in wanted]


def _active(delarena: Delarena, organisation: Organisation) -> DelarenaParticipant:
    participant = delarena.participants.filter(
        organisation=organisation, left_on__isnull=True
    ).first()
    if participant is None:
        raise KraftsamlingError(
            _("Fältet organisation: %(org)s deltar inte i delarenan.") % {"org": organisation.name}
        )
    return participant


# --- delarenor and participants -----------------------------------------------------------


def create_delarena(
    organisation: Organisation,
    *,
    name: str,
    description: str = "",
    area_letters: list[str],
    by: Any,
    request: HttpRequest | None = None,
) -> Delarena:
    """A delarena created in ``organisation``'s name, which becomes its convenor."""
    rights.require_create(by, organisation, request=request)
    name = _text(name, _("namn"), NAME_MAX)
    description = _text(description, _("beskrivning"), TEXT_MAX, required=False)
    chosen = _areas_by_letter(area_letters)
    if not chosen:
        raise KraftsamlingError(_("Fältet områden: välj minst ett område (A–I)."))
    with transaction.atomic():
        delarena = Delarena.objects.create(
            name=name,
            description=description,
            created_by_organisation=organisation,
            created_by=_user(by),
        )
        delarena.areas.set(chosen)
        DelarenaParticipant.objects.create(
            delarena=delarena,
            organisation=organisation,
            role=ParticipantRole.CONVENOR,
            joined_on=timezone.localdate(),
        )
        _audit(
            "kraftsamling.delarena_created",
            by,
            delarena,
            organisation,
            name=name,
            areas=[a.letter for a in chosen],
        )
    return delarena


def add_participant(
    delarena: Delarena,
    organisation: Organisation,
    *,
    role: str = ParticipantRole.MEMBER,
    by: Any,
    request: HttpRequest | None = None,
) -> DelarenaParticipant:
    """Add ``organisation`` (or take it back after it left) to the delarena."""
    rights.require_edit(by, delarena, action="add_participant", request=request)
    if role not in ParticipantRole.values:
        raise KraftsamlingError(_("Fältet roll i delarenan: okänt värde."))
    with transaction.atomic():
        participant = (
            DelarenaParticipant.objects.select_for_update()
            .filter(delarena=delarena, organisation=organisation)
            .first()
        )
        if participant is not None and participant.left_on is None:
            raise KraftsamlingError(
                _("Fältet organisation: %(org)s deltar redan i delarenan.")
                % {"org": organisation.name}
            )
        if participant is None:
            participant = DelarenaParticipant.objects.create(
                delarena=delarena,
                organisation=organisation,
                role=role,
                joined_on=timezone.localdate(),
            )
        else:
            participant.role = role
            participant.joined_on = timezone.localdate()
            participant.left_on = None
            participant.leave_reason = ""
            participant.save(update_fields=["role", "joined_on", "left_on", "leave_reason"])
        _audit(
            "kraftsamling.participant_added",
            by,
            delarena,
            organisation,
            delarena=delarena.pk,
            role=role,
        )
    return participant


def remove_participant(
    delarena: Delarena,
    organisation: Organisation,
    *,
    reason: str = "",
    by: Any,
    request: HttpRequest | None = None,
) -> DelarenaParticipant:
    """Mark ``organisation`` as having left (the row stays: who took part, and when)."""
    rights.require_edit(by, delarena, action="remove_participant", request=request)
    reason = _text(reason, _("skäl"), 2000, required=False)
    with transaction.atomic():
        participant = _active(delarena, organisation)
        if len(rights.active_participant_ids(delarena)) <= 1:
            raise KraftsamlingError(
                _("Fältet organisation: den sista deltagaren kan inte tas bort ur delarenan.")
            )
        participant.left_on = timezone.localdate()
        participant.leave_reason = reason
        participant.save(update_fields=["left_on", "leave_reason"])
        _audit(
            "kraftsamling.participant_removed",
            by,
            delarena,
            organisation,
            delarena=delarena.pk,
        )
        handslag = handslag_of(delarena)
        if handslag is not None:
            _complete_if_all_signed(handslag, by)
    return participant


# --- workshops -----------------------------------------------------------------------------


def record_output(
    delarena: Delarena,
    *,
    stage_number: int,
    organisation: Organisation,
    text: str = "",
    document: str = "",
    status: str = OutputStatus.DRAFT,
    held_on: dt.date,
    by: Any,
    request: HttpRequest | None = None,
) -> WorkshopOutput:
    """What the delarena produced at Verkstad ``stage_number``, recorded in the name of
    ``organisation`` (a participant whose editor ``by`` is)."""
    rights.require_edit(by, delarena, action="record_output", request=request)
    rights.require_act_for(by, delarena, organisation, action="record_output", request=request)
    _active(delarena, organisation)
    stage = WorkshopStage.objects.filter(number=stage_number).first()
    if stage is None:
        raise KraftsamlingError(_("Fältet verkstad: ange 1–5."))
    text = _text(text, _("resultat"), TEXT_MAX, required=False)
    document = _text(document, _("dokument"), 300, required=False)
    if not text and not document:
        raise KraftsamlingError(_("Fältet resultat: skriv resultatet eller ange ett dokument."))
    if status not in OutputStatus.values:
        raise KraftsamlingError(_("Fältet status: okänt värde."))
    if not (dt.date(2000, 1, 1) <= held_on <= timezone.localdate() + dt.timedelta(days=366)):
        raise KraftsamlingError(_("Fältet datum: datumet är orimligt."))
    with transaction.atomic():
        output = WorkshopOutput.objects.create(
            delarena=delarena,
            stage=stage,
            text=text,
            document=document,
            status=status,
            held_on=held_on,
            organisation=organisation,
            recorded_by=_user(by),
            recorded_by_name=_name(by),
        )
        _audit(
            "kraftsamling.output_recorded",
            by,
            output,
            organisation,
            delarena=delarena.pk,
            stage=stage_number,
        )
    return output


# --- handslag ------------------------------------------------------------------------------


def _check_period(start_year: int, end_year: int) -> None:
    if not (2000 <= start_year <= 2100 and 2000 <= end_year <= 2100):
        raise KraftsamlingError(_("Fältet första år: ange ett år mellan 2000 och 2100."))
    years = end_year - start_year + 1
    if not (reference.HANDSLAG_MIN_YEARS <= years <= reference.HANDSLAG_MAX_YEARS):
        raise KraftsamlingError(
            _(
                "Fältet sista år: ett handslag är en 3–5-årig plan (källa 003); "
                "%(start)s–%(end)s är %(years)s år."
            )
            % {"start": start_year, "end": end_year, "years": years}
        )


def _require_unsigned(handslag: Handslag) -> None:
    if handslag.signatures.exists():
        raise KraftsamlingError(_("Handslaget har undertecknats och kan inte längre ändras."))


def create_handslag(
    delarena: Delarena,
    *,
    organisation: Organisation,
    start_year: int,
    end_year: int,
    vision: str = "",
    unmet_needs: str = "",
    title: str = "",
    by: Any,
    request: HttpRequest | None = None,
) -> Handslag:
    """The delarena's handslag: a draft action plan of ``organisation`` (a participant,
    the plan's owner) for 3–5 years, created through ``plans.services``."""
    rights.require_edit(by, delarena, action="create_handslag", request=request)
    rights.require_act_for(by, delarena, organisation, action="create_handslag", request=request)
    _active(delarena, organisation)
    _check_period(start_year, end_year)
    vision = _text(vision, _("gemensam målbild"), TEXT_MAX, required=False)
    unmet_needs = _text(unmet_needs, _("behov som inte kan mötas"), TEXT_MAX, required=False)
    title = _text(title or f"{_('Handslag')}: {delarena.name}"[:NAME_MAX], _("titel"), NAME_MAX)
    if Handslag.objects.filter(delarena=delarena).exists():
        raise KraftsamlingError(_("Fältet delarena: delarenan har redan ett handslag."))
    try:
        with transaction.atomic():
            plan = plans.create_plan(
                organisation, title=title, start_year=start_year, end_year=end_year, by=SYSTEM
            )
            handslag = Handslag.objects.create(
                delarena=delarena,
                plan=plan,
                start_year=start_year,
                end_year=end_year,
                vision=vision,
                unmet_needs=unmet_needs,
            )
            _audit(
                "kraftsamling.handslag_created",
                by,
                handslag,
                organisation,
                delarena=delarena.pk,
                plan=plan.pk,
                period=f"{start_year}-{end_year}",
            )
    except plans.PlanError as exc:
        raise KraftsamlingError(str(exc)) from exc
    except IntegrityError:
        raise KraftsamlingError(_("Fältet delarena: delarenan har redan ett handslag.")) from None
    return handslag


def add_goal(
    handslag: Handslag,
    *,
    text: str,
    goal_number: int | None = None,
    area_letter: str | None = None,
    by: Any,
    request: HttpRequest | None = None,
) -> Any:
    """A goal of the handslag (a political goal of its plan), tied to Kraftsamling's goal
    1–3 and/or an area A–I. Returns the plan's goal."""
    delarena = handslag.delarena
    rights.require_edit(by, delarena, action="add_handslag_goal", request=request)
    _require_unsigned(handslag)
    text = _text(text, _("mål"), TEXT_MAX)
    kgoal = None
    if goal_number is not None:
        kgoal = KraftsamlingGoal.objects.filter(number=goal_number).first()
        if kgoal is None:
            raise KraftsamlingError(_("Fältet Kraftsamlingsmål: ange 1, 2 eller 3."))
    area = None
    if area_letter:
        area = _areas_by_letter([area_letter])[0]
    if kgoal is None and area is None:
        raise KraftsamlingError(
            _("Fältet Kraftsamlingsmål: välj ett mål (1–3) eller ett område (A–I).")
        )
    if kgoal is None and area is not None:
        kgoal = area.goals.order_by("number").first()
    try:
        with transaction.atomic():
            goal = plans.create_goal(handslag.plan, text=text, by=SYSTEM)
            HandslagGoal.objects.create(
                handslag=handslag, plan_goal=goal, kraftsamling_goal=kgoal, area=area
            )
            _audit(
                "kraftsamling.handslag_goal_added",
                by,
                handslag,
                handslag.plan.owner,
                goal=goal.pk,
                kraftsamling_goal=kgoal.number if kgoal else None,
                area=area.letter if area else None,
            )
    except plans.PlanError as exc:
        raise KraftsamlingError(str(exc)) from exc
    return goal


def add_activity(
    handslag: Handslag,
    *,
    title: str,
    goal_ids: list[int],
    organisation: Organisation,
    start: dt.date,
    end: dt.date,
    responsible_role: str = Role.COORDINATOR,
    kind: str = "implement",
    how: str = "",
    by: Any,
    request: HttpRequest | None = None,
) -> Any:
    """An initiative of the handslag: what (``title``), who (``organisation``, a participant,
    and the responsible role), when (``start``–``end`` inside the handslag's years) and how
    (the kind of initiative and a description). Returns the plan's activity."""
    delarena = handslag.delarena
    rights.require_edit(by, delarena, action="add_handslag_activity", request=request)
    _require_unsigned(handslag)
    _active(delarena, organisation)
    title = _text(title, _("aktivitet"), 300)
    how = _text(how, _("hur"), TEXT_MAX, required=False)
    if kind not in dict(reference.INITIATIVE_KINDS):
        raise KraftsamlingError(_("Fältet typ av initiativ: okänt värde."))
    if responsible_role not in Role.values:
        raise KraftsamlingError(_("Fältet ansvarig roll: okänt värde."))
    if end < start:
        raise KraftsamlingError(_("Fältet slut: det kan inte ligga före start."))
    if start.year < handslag.start_year or end.year > handslag.end_year:
        raise KraftsamlingError(
            _("Fältet start: aktiviteten ska ligga inom handslagets år %(s)s–%(e)s.")
            % {"s": handslag.start_year, "e": handslag.end_year}
        )
    plan_goals = list(handslag.plan.goals.filter(pk__in=goal_ids))
    if not goal_ids or len(plan_goals) != len(set(goal_ids)):
        raise KraftsamlingError(_("Fältet mål: välj minst ett av handslagets mål."))
    try:
        with transaction.atomic():
            activity = plans.create_activity(
                handslag.plan,
                title=title,
                goals=plan_goals,
                start=start,
                end=end,
                responsible_role=responsible_role,
                by=SYSTEM,
            )
            HandslagActivity.objects.create(
                handslag=handslag, activity=activity, organisation=organisation, kind=kind, how=how
            )
            _audit(
                "kraftsamling.handslag_activity_added",
                by,
                handslag,
                organisation,
                activity=activity.pk,
            )
    except plans.PlanError as exc:
        raise KraftsamlingError(str(exc)) from exc
    return activity


# --- correcting a draft handslag and workshop outputs --------------------------------------

#: Fields :func:`update_goal` changes (``area`` is a letter A–I or empty).
GOAL_FIELDS = ("text", "goal_number", "area")
#: Fields :func:`update_activity` changes (``organisation`` is who; ``goal_ids`` the goals).
ACTIVITY_FIELDS = (
    "title",
    "goal_ids",
    "organisation",
    "start",
    "end",
    "responsible_role",
    "kind",
    "how",
)
#: Fields :func:`update_output` changes.
OUTPUT_FIELDS = ("stage_number", "text", "document", "status", "held_on")


def _unknown(changes: dict[str, Any], allowed: tuple[str, ...]) -> None:
    unknown = sorted(set(changes) - set(allowed))
    if unknown:
        raise KraftsamlingError(_("Okända fält: %(f)s") % {"f": ", ".join(unknown)})


def _locked_unsigned(handslag: Handslag) -> Handslag:
    """The handslag row locked for this transaction (a signature waits for it), refused
    once anyone has signed: what a participant signed must not change under its name."""
    locked = Handslag.objects.select_for_update().get(pk=handslag.pk)
    _require_unsigned(locked)
    return locked


def get_handslag_goal(handslag: Handslag, goal_id: int) -> Any:
    """A goal of the handslag's plan (``LookupError`` if it is not one of its goals)."""
    try:
        return plans.get_goal(handslag.plan, goal_id)
    except LookupError:
        raise LookupError(_("Målet finns inte i handslaget.")) from None


def get_handslag_activity(handslag: Handslag, activity_id: int) -> Any:
    """An activity of the handslag's plan (``LookupError`` if it is not one of its)."""
    try:
        return plans.get_activity(handslag.plan, activity_id)
    except LookupError:
        raise LookupError(_("Aktiviteten finns inte i handslaget.")) from None


def get_output(delarena: Delarena, output_id: int) -> WorkshopOutput:
    """A workshop output of the delarena (``LookupError`` if it is not one of its)."""
    try:
        return WorkshopOutput.objects.select_related("stage", "organisation").get(
            pk=output_id, delarena=delarena
        )
    except WorkshopOutput.DoesNotExist:
        raise LookupError(_("Verkstadsresultatet finns inte i delarenan.")) from None


def update_goal(
    handslag: Handslag,
    goal: Any,
    *,
    by: Any,
    request: HttpRequest | None = None,
    **changes: Any,
) -> Any:
    """Correct a goal of a draft handslag: its text and its Kraftsamling goal (1–3) and/or
    area (A–I); only the fields given change. Refused after the first signature."""
    delarena = handslag.delarena
    rights.require_edit(by, delarena, action="update_handslag_goal", request=request)
    _require_unsigned(handslag)
    _unknown(changes, GOAL_FIELDS)
    if goal.plan_id != handslag.plan_id:
        raise LookupError(_("Målet finns inte i handslaget."))
    link = HandslagGoal.objects.filter(plan_goal=goal).first()
    plan_changes: dict[str, Any] = {}
    if "text" in changes:
        plan_changes["text"] = _text(changes["text"], _("mål"), TEXT_MAX)
    kgoal = link.kraftsamling_goal if link else None
    area = link.area if link else None
    if "goal_number" in changes:
        kgoal = None
        if changes["goal_number"] not in (None, ""):
            kgoal = KraftsamlingGoal.objects.filter(number=changes["goal_number"]).first()
            if kgoal is None:
                raise KraftsamlingError(_("Fältet Kraftsamlingsmål: ange 1, 2 eller 3."))
    if "area" in changes:
        letter = (changes["area"] or "").strip()
        area = _areas_by_letter([letter])[0] if letter else None
    if kgoal is None and area is None:
        raise KraftsamlingError(
            _("Fältet Kraftsamlingsmål: välj ett mål (1–3) eller ett område (A–I).")
        )
    if kgoal is None and area is not None:
        kgoal = area.goals.order_by("number").first()
    try:
        with transaction.atomic():
            _locked_unsigned(handslag)
            if plan_changes:
                plans.update_goal(goal, by=SYSTEM, **plan_changes)
            HandslagGoal.objects.update_or_create(
                plan_goal=goal,
                defaults={"handslag": handslag, "kraftsamling_goal": kgoal, "area": area},
            )
            _audit(
                "kraftsamling.handslag_goal_updated",
                by,
                handslag,
                handslag.plan.owner,
                goal=goal.pk,
                fields=sorted(changes),
                kraftsamling_goal=kgoal.number if kgoal else None,
                area=area.letter if area else None,
            )
    except plans.PlanError as exc:
        raise KraftsamlingError(str(exc)) from exc
    return goal


def delete_goal(
    handslag: Handslag, goal: Any, *, by: Any, request: HttpRequest | None = None
) -> None:
    """Delete a goal of a draft handslag. Refused (through ``plans.services``) while an
    initiative belongs to this goal only: remove it or tie it to another goal first."""
    delarena = handslag.delarena
    rights.require_edit(by, delarena, action="delete_handslag_goal", request=request)
    _require_unsigned(handslag)
    if goal.plan_id != handslag.plan_id:
        raise LookupError(_("Målet finns inte i handslaget."))
    try:
        with transaction.atomic():
            _locked_unsigned(handslag)
            pk, text = goal.pk, goal.text[:200]
            plans.delete_goal(goal, by=SYSTEM)
            _audit(
                "kraftsamling.handslag_goal_deleted",
                by,
                handslag,
                handslag.plan.owner,
                goal=pk,
                text=text,
            )
    except plans.PlanError as exc:
        raise KraftsamlingError(str(exc)) from exc


def update_activity(
    handslag: Handslag,
    activity: Any,
    *,
    by: Any,
    request: HttpRequest | None = None,
    **changes: Any,
) -> Any:
    """Correct an initiative of a draft handslag: what (``title``), which goals, who
    (``organisation``, an active participant), when (inside the handslag's years) and how
    (``kind``, ``how``); only the fields given change. Refused after the first signature."""
    delarena = handslag.delarena
    rights.require_edit(by, delarena, action="update_handslag_activity", request=request)
    _require_unsigned(handslag)
    _unknown(changes, ACTIVITY_FIELDS)
    if activity.plan_id != handslag.plan_id:
        raise LookupError(_("Aktiviteten finns inte i handslaget."))
    link = HandslagActivity.objects.filter(activity=activity).first()
    plan_changes: dict[str, Any] = {}
    link_changes: dict[str, Any] = {}
    if "title" in changes:
        plan_changes["title"] = _text(changes["title"], _("aktivitet"), 300)
    if "organisation" in changes:
        organisation = changes["organisation"]
        if not isinstance(organisation, Organisation):
            raise KraftsamlingError(_("Fältet vem: välj en organisation."))
        _active(delarena, organisation)
        link_changes["organisation"] = organisation
    if "how" in changes:
        link_changes["how"] = _text(changes["how"], _("hur"), TEXT_MAX, required=False)
    if "kind" in changes:
        if changes["kind"] not in dict(reference.INITIATIVE_KINDS):
            raise KraftsamlingError(_("Fältet typ av initiativ: okänt värde."))
        link_changes["kind"] = changes["kind"]
    if "responsible_role" in changes:
        if changes["responsible_role"] not in Role.values:
            raise KraftsamlingError(_("Fältet ansvarig roll: okänt värde."))
        plan_changes["responsible_role"] = changes["responsible_role"]
    start = changes.get("start", activity.start)
    end = changes.get("end", activity.end)
    for value, name in ((start, _("start")), (end, _("slut"))):
        if not isinstance(value, dt.date):
            raise KraftsamlingError(_("Fältet %(field)s: ange ett datum.") % {"field": name})
    if end < start:
        raise KraftsamlingError(_("Fältet slut: det kan inte ligga före start."))
    if start.year < handslag.start_year or end.year > handslag.end_year:
        raise KraftsamlingError(
            _("Fältet start: aktiviteten ska ligga inom handslagets år %(s)s–%(e)s.")
            % {"s": handslag.start_year, "e": handslag.end_year}
        )
    for name in ("start", "end"):
        if name in changes:
            plan_changes[name] = changes[name]
    if "goal_ids" in changes:
        goal_ids = list(changes["goal_ids"] or [])
        plan_goals = list(handslag.plan.goals.filter(pk__in=goal_ids))
        if not goal_ids or len(plan_goals) != len(set(goal_ids)):
            raise KraftsamlingError(_("Fältet mål: välj minst ett av handslagets mål."))
        plan_changes["goals"] = plan_goals
    try:
        with transaction.atomic():
            _locked_unsigned(handslag)
            if plan_changes:
                plans.update_activity(activity, by=SYSTEM, **plan_changes)
            if link is None:
                link = HandslagActivity(
                    handslag=handslag,
                    activity=activity,
                    organisation=link_changes.get("organisation", handslag.plan.owner),
                    kind=link_changes.get("kind", "implement"),
                    how=link_changes.get("how", ""),
                )
                link.save()
            elif link_changes:
                for name, value in link_changes.items():
                    setattr(link, name, value)
                link.save(update_fields=list(link_changes))
            _audit(
                "kraftsamling.handslag_activity_updated",
                by,
                handslag,
                link.organisation,
                activity=activity.pk,
                fields=sorted(changes),
            )
    except plans.PlanError as exc:
        raise KraftsamlingError(str(exc)) from exc
    return activity


def delete_activity(
    handslag: Handslag, activity: Any, *, by: Any, request: HttpRequest | None = None
) -> None:
    """Delete an initiative of a draft handslag (its who/how goes with it)."""
    delarena = handslag.delarena
    rights.require_edit(by, delarena, action="delete_handslag_activity", request=request)
    _require_unsigned(handslag)
    if activity.plan_id != handslag.plan_id:
        raise LookupError(_("Aktiviteten finns inte i handslaget."))
    link = HandslagActivity.objects.filter(activity=activity).select_related("organisation").first()
    organisation = link.organisation if link else handslag.plan.owner
    try:
        with transaction.atomic():
            _locked_unsigned(handslag)
            pk, title = activity.pk, activity.title[:200]
            plans.delete_activity(activity, by=SYSTEM)
            _audit(
                "kraftsamling.handslag_activity_deleted",
                by,
                handslag,
                organisation,
                activity=pk,
                title=title,
            )
    except plans.PlanError as exc:
        raise KraftsamlingError(str(exc)) from exc


def _outputs_open(delarena: Delarena) -> None:
    """Outputs are part of the handslag document ("Vägen hit"): once a participant has
    signed it they stay as signed."""
    if HandslagSignature.objects.filter(handslag__delarena=delarena).exists():
        raise KraftsamlingError(
            _("Handslaget har undertecknats; verkstädernas resultat kan inte längre ändras.")
        )


def update_output(
    output: WorkshopOutput,
    *,
    by: Any,
    request: HttpRequest | None = None,
    **changes: Any,
) -> WorkshopOutput:
    """Correct a workshop output (verkstad, text, document, status, date); only the fields
    given change. Any editor of an active participant corrects it (the delarena's shared
    record); refused once the handslag has been signed."""
    delarena = output.delarena
    rights.require_edit(by, delarena, action="update_output", request=request)
    _outputs_open(delarena)
    _unknown(changes, OUTPUT_FIELDS)
    values: dict[str, Any] = {}
    if "stage_number" in changes:
        stage = WorkshopStage.objects.filter(number=changes["stage_number"]).first()
        if stage is None:
            raise KraftsamlingError(_("Fältet verkstad: ange 1–5."))
        values["stage"] = stage
    if "text" in changes:
        values["text"] = _text(changes["text"], _("resultat"), TEXT_MAX, required=False)
    if "document" in changes:
        values["document"] = _text(changes["document"], _("dokument"), 300, required=False)
    if not values.get("text", output.text) and not values.get("document", output.document):
        raise KraftsamlingError(_("Fältet resultat: skriv resultatet eller ange ett dokument."))
    if "status" in changes:
        if changes["status"] not in OutputStatus.values:
            raise KraftsamlingError(_("Fältet status: okänt värde."))
        values["status"] = changes["status"]
    if "held_on" in changes:
        held_on = changes["held_on"]
        if not isinstance(held_on, dt.date) or not (
            dt.date(2000, 1, 1) <= held_on <= timezone.localdate() + dt.timedelta(days=366)
        ):
            raise KraftsamlingError(_("Fältet datum: datumet är orimligt."))
        values["held_on"] = held_on
    with transaction.atomic():
        Delarena.objects.select_for_update().filter(pk=delarena.pk).first()
        _outputs_open(delarena)
        for name, value in values.items():
            setattr(output, name, value)
        if values:
            output.save(update_fields=list(values))
        _audit(
            "kraftsamling.output_updated",
            by,
            output,
            output.organisation,
            delarena=delarena.pk,
            fields=sorted(changes),
        )
    return output


def delete_output(output: WorkshopOutput, *, by: Any, request: HttpRequest | None = None) -> None:
    """Delete a workshop output recorded by mistake; refused once the handslag is signed."""
    delarena = output.delarena
    rights.require_edit(by, delarena, action="delete_output", request=request)
    _outputs_open(delarena)
    with transaction.atomic():
        Delarena.objects.select_for_update().filter(pk=delarena.pk).first()
        _outputs_open(delarena)
        _audit(
            "kraftsamling.output_deleted",
            by,
            output,
            output.organisation,
            delarena=delarena.pk,
            output=output.pk,
            stage=output.stage.number,
        )
        output.delete()


def _complete_if_all_signed(handslag: Handslag, by: Any) -> None:
    if handslag.status == HandslagStatus.SIGNED:
        return
    active = rights.active_participant_ids(handslag.delarena)
    signed = set(handslag.signatures.values_list("organisation_id", flat=True))
    if active and active <= signed:
        handslag.status = HandslagStatus.SIGNED
        handslag.signed_at = timezone.now()
        handslag.save(update_fields=["status", "signed_at"])
        plans.agree_plan(handslag.plan, by=SYSTEM)
        _audit("kraftsamling.handslag_signed", by, handslag, handslag.plan.owner, all=True)


def sign(
    handslag: Handslag,
    organisation: Organisation,
    *,
    by: Any,
    request: HttpRequest | None = None,
) -> HandslagSignature:
    """``organisation`` signs the handslag in its own name (its coordinator). When every
    participant that has not left has signed, the handslag is signed and its plan agreed."""
    rights.require_sign(by, organisation, request=request)
    with transaction.atomic():
        handslag = Handslag.objects.select_for_update().get(pk=handslag.pk)
        _active(handslag.delarena, organisation)
        if handslag.signatures.filter(organisation=organisation).exists():
            raise KraftsamlingError(
                _("Fältet organisation: %(org)s har redan undertecknat handslaget.")
                % {"org": organisation.name}
            )
        if not handslag.plan.goals.exists() or not handslag.plan.activities.exists():
            raise KraftsamlingError(
                _("Handslaget behöver minst ett mål och en aktivitet innan det undertecknas.")
            )
        signature = HandslagSignature.objects.create(
            handslag=handslag,
            organisation=organisation,
            signed_by=_user(by),
            signed_by_name=_name(by),
            signed_at=timezone.now(),
        )
        _audit("kraftsamling.handslag_signature", by, handslag, organisation)
        _complete_if_all_signed(handslag, by)
    return signature


# --- views of the data ---------------------------------------------------------------------


@dataclass
class StageRow:
    stage: WorkshopStage
    title: str
    expected: str
    outputs: list[WorkshopOutput] = field(default_factory=list)

    @property
    def state(self) -> str:
        """``done`` (an output marked done), ``started`` (a draft) or ``todo``."""
        if any(o.status == OutputStatus.DONE for o in self.outputs):
            return "done"
        return "started" if self.outputs else "todo"


def stage_rows(delarena: Delarena) -> list[StageRow]:
    outputs = list(
        delarena.outputs.select_related("stage", "organisation").order_by("held_on", "pk")
    )
    en = (get_language() or "sv").startswith("en")
    rows = []
    for stage in stages():
        rows.append(
            StageRow(
                stage=stage,
                title=title_of(stage),
                expected=stage.expected_output_en if en else stage.expected_output,
                outputs=[o for o in outputs if o.stage_id == stage.pk],
            )
        )
    return rows


def participants_by_group(
    delarena: Delarena, *, include_left: bool = False
) -> list[tuple[str, list[DelarenaParticipant]]]:
    rows = delarena.participants.select_related("organisation", "organisation__unit")
    if not include_left:
        rows = rows.filter(left_on__isnull=True)
    groups: dict[str, list[DelarenaParticipant]] = {}
    for p in rows:
        groups.setdefault(participant_group(p.organisation.kind), []).append(p)
    return [(group_label(k), groups[k]) for k in GROUP_ORDER if k in groups]


def delarena_view(delarena: Delarena, by: Any = None) -> dict[str, Any]:
    """Everything the delarena page shows, in one structure (page and API agree)."""
    handslag = handslag_of(delarena)
    signed = (
        {s.organisation_id: s for s in handslag.signatures.all()} if handslag is not None else {}
    )
    participants = list(
        delarena.participants.select_related("organisation").order_by("organisation__name")
    )
    return {
        "delarena": delarena,
        "areas": list(delarena.areas.prefetch_related("goals")),
        "groups": participants_by_group(delarena),
        "former": [p for p in participants if p.left_on is not None],
        "stages": stage_rows(delarena),
        "handslag": handslag,
        "signatures": signed,
        "unsigned": [
            p for p in participants if p.left_on is None and p.organisation_id not in signed
        ],
        "editor_orgs": rights.editor_organisations(by, delarena) if by is not None else [],
        "may_edit": rights.may_edit(by, delarena) if by is not None else False,
        # outputs are part of the signed handslag document: corrected only before that
        "outputs_editable": (rights.may_edit(by, delarena) if by is not None else False)
        and not signed,
    }


def handslag_document(handslag: Handslag) -> dict[str, Any]:
    """The handslag as a document: who, what, when, how, per goal and area, signatures.

    One structure for the PDF, the Markdown file and the API, so they never disagree."""
    delarena = handslag.delarena
    plan = handslag.plan
    goal_links = {
        g.plan_goal_id: g for g in handslag.goal_links.select_related("kraftsamling_goal", "area")
    }
    activity_links = {
        a.activity_id: a for a in handslag.activity_links.select_related("organisation")
    }
    plan_goals = list(plan.goals.order_by("pk"))
    activities = list(plan.activities.prefetch_related("goals").order_by("start", "pk"))

    def activity_row(a: Any) -> dict[str, Any]:
        link = activity_links.get(a.pk)
        return {
            "id": a.pk,
            "title": a.title,
            "who": link.organisation.name if link else a.owner.name,
            "organisation_id": link.organisation_id if link else a.owner_id,
            "responsible_role": a.responsible_role,
            "kind_value": link.kind if link else "",
            "role": str(Role(a.responsible_role).label),
            "start": a.start,
            "end": a.end,
            "kind": initiative_kind_label(link.kind) if link else "",
            "how": link.how if link else "",
            "status": str(a.get_status_display()),
            "goals": [g.pk for g in a.goals.all()],
        }

    rows = [activity_row(a) for a in activities]
    goal_rows: list[dict[str, Any]] = []
    for g in plan_goals:
        link = goal_links.get(g.pk)
        goal_rows.append(
            {
                "id": g.pk,
                "text": g.text,
                "kraftsamling_goal": link.kraftsamling_goal if link else None,
                "area": link.area if link else None,
                "activities": [r for r in rows if g.pk in r["goals"]],
            }
        )
    by_goal: list[dict[str, Any]] = []
    all_areas = {a.letter: a for a in Area.objects.all()}
    for kg in goals():
        mine = [
            r for r in goal_rows if r["kraftsamling_goal"] and r["kraftsamling_goal"].pk == kg.pk
        ]
        if not mine:
            continue
        area_groups: dict[str, list[dict[str, Any]]] = {}
        for r in mine:
            area_groups.setdefault(r["area"].letter if r["area"] else "", []).append(r)
        by_goal.append(
            {
                "goal": kg,
                "title": title_of(kg),
                "areas": [
                    {
                        "area": all_areas.get(letter),
                        "title": title_of(all_areas[letter]) if letter in all_areas else "",
                        "goals": items,
                    }
                    for letter, items in sorted(area_groups.items())
                ],
            }
        )
    years = list(range(handslag.start_year, handslag.end_year + 1))
    timeline = [
        {
            "year": year,
            "activities": [r for r in rows if r["start"].year <= year <= r["end"].year],
        }
        for year in years
    ]
    signatures = {s.organisation_id: s for s in handslag.signatures.select_related("organisation")}
    participants = list(
        delarena.participants.filter(left_on__isnull=True)
        .select_related("organisation")
        .order_by("organisation__name")
    )
    return {
        "handslag": handslag,
        "delarena": delarena,
        "plan": plan,
        "title": plan.title,
        "areas": [(a, title_of(a)) for a in delarena.areas.all()],
        "groups": participants_by_group(delarena),
        "stages": stage_rows(delarena),
        "goals": goal_rows,
        "by_goal": by_goal,
        "activities": rows,
        "timeline": timeline,
        "signatories": [
            {"organisation": p.organisation, "signature": signatures.get(p.organisation_id)}
            for p in participants
        ],
        "source": reference.HANDSLAG_SOURCE,
        "process_source": reference.STAGE_SOURCE,
        "generated": timezone.localdate(),
    }


def _md(value: Any) -> str:
    """Text for a Markdown line: no markup of its own, one line."""
    text = " ".join(str(value or "").split())
    for ch in "\\`*_[]<>#|":
        text = text.replace(ch, "\\" + ch)
    return text


def handslag_markdown(doc: dict[str, Any]) -> str:
    """The handslag as a Markdown document (opens in any editor; converts to Word with
    pandoc). Free text is escaped so nobody's input becomes markup."""
    h = doc["handslag"]
    lines = [
        f"# {_md(doc['title'])}",
        "",
        f"{_('Delarena')}: {_md(doc['delarena'].name)}  ",
        f"{_('Period')}: {h.start_year}–{h.end_year}  ",
        f"{_('Status')}: {_md(h.get_status_display())}",
        "",
        f"## {_('Områden')}",
        "",
        *[f"- {a.letter}. {_md(t)}" for a, t in doc["areas"]],
        "",
        f"## {_('Gemensam målbild')}",
        "",
        _md(h.vision) or "–",
        "",
        f"## {_('Vilka: deltagare')}",
        "",
    ]
    for label, members in doc["groups"]:
        lines.append(f"### {_md(label)}")
        lines.append("")
        lines += [f"- {_md(p.organisation.name)} ({_md(p.get_role_display())})" for p in members]
        lines.append("")
    lines += [f"## {_('Vad: mål och initiativ per Kraftsamlingsmål och område')}", ""]
    for g in doc["by_goal"]:
        lines += [f"### {g['goal'].number}. {_md(g['title'])}", ""]
        for a in g["areas"]:
            if a["area"] is not None:
                lines += [f"#### {a['area'].letter}. {_md(a['title'])}", ""]
            for goal in a["goals"]:
                lines.append(f"- **{_md(goal['text'])}**")
                for r in goal["activities"]:
                    lines.append(
                        f"  - {_md(r['title'])}: {_md(r['who'])} ({_md(r['role'])}), "
                        f"{r['start']:%Y-%m-%d}–{r['end']:%Y-%m-%d}; {_md(r['kind'])}"
                        + (f"; {_md(r['how'])}" if r["how"] else "")
                    )
            lines.append("")
    lines += [f"## {_('När: tidsplan')}", ""]
    for t in doc["timeline"]:
        names = ", ".join(_md(r["title"]) for r in t["activities"]) or "–"
        lines.append(f"- {t['year']}: {names}")
    lines += ["", f"## {_('Behov som inte kan mötas inom delarenan')}", ""]
    lines.append(_md(h.unmet_needs) or "–")
    lines += ["", f"## {_('Underskrifter')}", ""]
    for s in doc["signatories"]:
        sig = s["signature"]
        when = (
            f"{_md(sig.signed_by_name)}, {timezone.localtime(sig.signed_at):%Y-%m-%d}"
            if sig
            else _("ej undertecknat")
        )
        lines.append(f"- {_md(s['organisation'].name)}: {when}")
    lines += ["", f"{_('Källa för arbetssättet')}: {_md(doc['source'])}", ""]
    return "\n".join(lines)


def handslag_pdf(html: str, base_url: str) -> bytes:
    """Render the print page to PDF with WeasyPrint (as the needs report does)."""
    from weasyprint import HTML

    return bytes(HTML(string=html, base_url=base_url).write_pdf())
