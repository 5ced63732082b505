"""SIP data: people, plans, consents, meetings, participants, plan versions, responses,
invitation links and the access log (ADR 0004, "Model").

Read and write these only through :mod:`datasmart.sip.services`, which checks need-to-know
access, logs every read and write in :class:`SipAccessLog` and applies optimistic locking
on :attr:`Sip.version`. The models enforce what the database can: choices as check
constraints, one version number per plan, immutability of plan versions and the
append-only access log.

Identity numbers are never stored in the clear (see :mod:`datasmart.sip.domain.identity`).
``Sip.kommun``/``Sip.region`` are copied from the owner organisation's unit so statistics
can count plans per kommun and region without reading anything personal.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from datasmart.accounts.models import AppendOnlyError
from datasmart.sip.domain.identity import IdKind

__all__ = [
    "AccessAction",
    "CloseReason",
    "Consent",
    "ConsentGivenBy",
    "IdKind",
    "InvitationLink",
    "Meeting",
    "MeetingKind",
    "Participant",
    "ParticipantKind",
    "ParticipantStatus",
    "Person",
    "PersonResponse",
    "PlanVersion",
    "ReminderKind",
    "ResponseKind",
    "Sip",
    "SipAccessLog",
    "SipReminder",
    "SipStatus",
]


def _in(field: str, choices: type[models.TextChoices], *, blank: bool = False) -> models.Q:
    values = list(choices.values) + ([""] if blank else [])
    return models.Q(**{f"{field}__in": values})


class SipStatus(models.TextChoices):
    ACTIVE = "active", _("Pågående")
    CLOSED = "closed", _("Avslutad")


class CloseReason(models.TextChoices):
    GOALS_MET = "goals_met", _("Målen är uppnådda")
    PERSON_ENDED = "person_ended", _("Personen har avslutat planen")
    CONSENT_WITHDRAWN = "consent_withdrawn", _("Samtycket har återkallats")
    MOVED = "moved", _("Personen har flyttat")
    OTHER = "other", _("Annat skäl")


class ConsentGivenBy(models.TextChoices):
    PERSON = "person", _("Personen själv")
    GUARDIAN = "guardian", _("Vårdnadshavare")


class MeetingKind(models.TextChoices):
    FIRST = "first", _("Första SIP-mötet")
    FOLLOW_UP = "follow_up", _("Uppföljning")


class ParticipantKind(models.TextChoices):
    ORGANISATION = "organisation", _("Organisation")
    PERSON = "person", _("Personen")
    GUARDIAN = "guardian", _("Vårdnadshavare")
    RELATIVE = "relative", _("Närstående")
    OTHER = "other", _("Annan")


class ParticipantStatus(models.TextChoices):
    INVITED = "invited", _("Inbjuden")
    ACCEPTED = "accepted", _("Har tackat ja")
    DECLINED = "declined", _("Har tackat nej")


class ResponseKind(models.TextChoices):
    AGREE = "agree", _("Jag håller med om planen")
    COMMENT = "comment", _("Kommentar")


class AccessAction(models.TextChoices):
    """What a :class:`SipAccessLog` row records. Reads and writes alike."""

    START = "start", _("Startade planen")
    LIST = "list", _("Såg planen i en lista")
    READ = "read", _("Läste planen")
    CONSENT = "consent", _("Registrerade samtycke")
    CONSENT_WITHDRAWN = "consent_withdrawn", _("Återkallade samtycket")
    INVITE = "invite", _("Bjöd in till möte")
    RESPOND = "respond", _("Svarade på inbjudan")
    REVISE = "revise", _("Skrev en ny version av planen")
    MEETING_HELD = "meeting_held", _("Registrerade att mötet hållits")
    FOLLOW_UP = "follow_up", _("Bokade uppföljning")
    CLOSE = "close", _("Avslutade planen")
    PERSON_RESPONSE = "person_response", _("Personen svarade på planen")
    VERSIONS = "versions", _("Läste planens versioner")
    COMPARE = "compare", _("Jämförde versioner")
    ACCESS_LOG = "access_log", _("Läste loggen")
    LINK_CREATED = "link_created", _("Skapade en inbjudningslänk")
    LINK_REDEEMED = "link_redeemed", _("Öppnade planen via länk")
    EXPORT = "export", _("Exporterade personens uppgifter")
    FHIR_EXPORT = "fhir_export", _("Exporterade planen som FHIR")
    FHIR_IMPORT = "fhir_import", _("Importerade planen från FHIR")
    ERASE = "erase", _("Gallrade planen")


class Person(models.Model):
    """The person a plan is about. One row per identity number (``id_digest`` is unique).

    ``user`` is set when the person has their own account and may read their plans.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    id_kind = models.CharField(_("typ av identitetsnummer"), max_length=20, choices=IdKind.choices)
    id_digest = models.CharField(_("identitetsnummer (HMAC)"), max_length=64, unique=True)
    id_masked = models.CharField(_("identitetsnummer (maskerat)"), max_length=32)
    id_encrypted = models.TextField(_("identitetsnummer (krypterat)"))
    display_name = models.CharField(_("namn"), max_length=200)
    birth_date = models.DateField(_("födelsedatum"), null=True, blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="sip_person",
        verbose_name=_("personens konto"),
    )
    created_at = models.DateTimeField(_("skapad"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("personer")
        constraints = [
            models.CheckConstraint(condition=_in("id_kind", IdKind), name="sip_person_kind_valid")
        ]

    def __str__(self) -> str:
        return f"{self.display_name} ({self.id_masked})"


class Sip(models.Model):
    """One coordinated individual plan: who it is for, who started it, its state.

    ``version`` is bumped by every write (optimistic locking, ADR 0004 principle 4).
    After erasure (``erased_at`` set) only dates, organisations, geography and the closure
    reason remain, for statistics.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    person = models.ForeignKey(
        Person,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sips",
        verbose_name=_("person"),
    )
    status = models.CharField(
        _("status"), max_length=16, choices=SipStatus.choices, default=SipStatus.ACTIVE
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    owner_organisation = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.PROTECT,
        related_name="owned_sips",
        verbose_name=_("startad av organisation"),
    )
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("startad av"),
    )
    started_at = models.DateTimeField(_("startad"), default=timezone.now)
    #: The person's name as *this plan's* organisation recorded it. Kept per plan, not
    #: read from :attr:`Person.display_name`: a second organisation starting a plan for
    #: the same person must not learn the name another organisation wrote.
    display_name = models.CharField(_("namn"), max_length=200, blank=True)
    need = models.TextField(_("upptäckt behov"), blank=True)
    is_child = models.BooleanField(_("gäller barn"), default=False)
    lead_organisation = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="led_sips",
        verbose_name=_("huvudansvarig organisation"),
    )
    coordinator_name = models.CharField(_("samordnare"), max_length=200, blank=True)
    coordinator_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("samordnare (användare)"),
    )
    closed_at = models.DateTimeField(_("avslutad"), null=True, blank=True)
    closed_reason = models.CharField(
        _("skäl för avslut"), max_length=20, choices=CloseReason.choices, blank=True
    )
    closed_note = models.TextField(_("anteckning om avslut"), blank=True)
    retain_until = models.DateField(_("gallras efter"), null=True, blank=True)
    erased_at = models.DateTimeField(_("gallrad"), null=True, blank=True)
    kommun = models.ForeignKey(
        "geo.Unit",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("kommun"),
    )
    region = models.ForeignKey(
        "geo.Unit",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("region"),
    )

    class Meta:
        ordering = ["-started_at", "id"]
        verbose_name = _("SIP")
        verbose_name_plural = _("SIP:ar")
        constraints = [
            models.CheckConstraint(condition=_in("status", SipStatus), name="sip_status_valid"),
            models.CheckConstraint(
                condition=_in("closed_reason", CloseReason, blank=True),
                name="sip_closed_reason_valid",
            ),
            models.CheckConstraint(condition=models.Q(version__gte=1), name="sip_version_positive"),
            models.CheckConstraint(
                condition=(
                    models.Q(status=SipStatus.ACTIVE, closed_at__isnull=True, closed_reason="")
                    | (
                        models.Q(status=SipStatus.CLOSED, closed_at__isnull=False)
                        & ~models.Q(closed_reason="")
                    )
                ),
                name="sip_closed_consistent",
            ),
            models.CheckConstraint(
                condition=models.Q(erased_at__isnull=True) | models.Q(status=SipStatus.CLOSED),
                name="sip_erased_only_closed",
            ),
            # One ongoing plan per person and owner organisation: a second start is a
            # mistake (or a double click), caught even when two requests race.
            models.UniqueConstraint(
                fields=["person", "owner_organisation"],
                condition=models.Q(status=SipStatus.ACTIVE),
                name="sip_one_active_per_owner",
            ),
        ]
        indexes = [
            models.Index(fields=["owner_organisation", "status"], name="sip_owner_status_idx"),
            models.Index(fields=["status", "started_at"], name="sip_status_started_idx"),
            models.Index(fields=["started_at"], name="sip_started_idx"),
            models.Index(fields=["kommun", "started_at"], name="sip_kommun_started_idx"),
            models.Index(fields=["region", "started_at"], name="sip_region_started_idx"),
            models.Index(fields=["status", "retain_until"], name="sip_retention_idx"),
        ]

    def __str__(self) -> str:
        return f"SIP {self.pk} (v{self.version})"

    @property
    def is_active(self) -> bool:
        return self.status == SipStatus.ACTIVE


class Consent(models.Model):
    """The person's (or guardian's) consent to share the plan with named organisations.

    A plan has at most one active consent: the one neither withdrawn nor superseded.
    Recording a consent closes every earlier open one (``superseded_at``) in the same
    transaction, so a narrower consent really replaces a wider one whatever the dates
    say; only organisations the active consent names (besides the owner) may see the
    plan. Withdrawal withdraws every open consent.
    """

    sip = models.ForeignKey(Sip, on_delete=models.CASCADE, related_name="consents")
    given_by = models.CharField(_("givet av"), max_length=16, choices=ConsentGivenBy.choices)
    guardian_name = models.CharField(_("vårdnadshavarens namn"), max_length=200, blank=True)
    given_at = models.DateTimeField(_("givet"), default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("registrerat av"),
    )
    organisations = models.ManyToManyField(
        "accounts.Organisation", related_name="sip_consents", verbose_name=_("organisationer")
    )
    withdrawn_at = models.DateTimeField(_("återkallat"), null=True, blank=True)
    withdrawn_by_label = models.CharField(_("återkallat av"), max_length=200, blank=True)
    superseded_at = models.DateTimeField(_("ersatt av ett nyare samtycke"), null=True, blank=True)

    class Meta:
        ordering = ["-given_at", "-id"]
        verbose_name = _("samtycke")
        verbose_name_plural = _("samtycken")
        constraints = [
            models.CheckConstraint(
                condition=_in("given_by", ConsentGivenBy), name="sip_consent_given_by_valid"
            ),
            # At most one consent in force per plan: the newest recording replaces the rest.
            models.UniqueConstraint(
                fields=["sip"],
                condition=models.Q(withdrawn_at__isnull=True, superseded_at__isnull=True),
                name="sip_consent_one_open",
            ),
        ]
        indexes = [
            models.Index(fields=["sip", "withdrawn_at", "given_at"], name="sip_consent_active_idx")
        ]

    def __str__(self) -> str:
        return f"Samtycke {self.pk} för {self.sip_id}"

    @property
    def is_active(self) -> bool:
        return self.withdrawn_at is None and self.superseded_at is None


class Meeting(models.Model):
    """A SIP meeting: the first one, or a follow-up."""

    sip = models.ForeignKey(Sip, on_delete=models.CASCADE, related_name="meetings")
    kind = models.CharField(_("typ"), max_length=16, choices=MeetingKind.choices)
    scheduled_at = models.DateTimeField(_("planerat"))
    location = models.CharField(_("plats"), max_length=200, blank=True)
    held_at = models.DateTimeField(_("hållet"), null=True, blank=True)

    class Meta:
        ordering = ["scheduled_at", "id"]
        verbose_name = _("SIP-möte")
        verbose_name_plural = _("SIP-möten")
        constraints = [
            models.CheckConstraint(
                condition=_in("kind", MeetingKind), name="sip_meeting_kind_valid"
            )
        ]
        indexes = [models.Index(fields=["sip", "kind", "held_at"], name="sip_meeting_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.scheduled_at:%Y-%m-%d}"


class Participant(models.Model):
    """Someone invited to the plan: an organisation (with a unit), the person, a guardian,
    a relative or another party."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    sip = models.ForeignKey(Sip, on_delete=models.CASCADE, related_name="participants")
    kind = models.CharField(_("typ"), max_length=16, choices=ParticipantKind.choices)
    organisation = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sip_participations",
        verbose_name=_("organisation"),
    )
    unit_name = models.CharField(_("enhet"), max_length=200, blank=True)
    name = models.CharField(_("namn"), max_length=200, blank=True)
    email = models.EmailField(_("e-post"), blank=True)
    status = models.CharField(
        _("svar"),
        max_length=16,
        choices=ParticipantStatus.choices,
        default=ParticipantStatus.INVITED,
    )
    responded_at = models.DateTimeField(_("svarade"), null=True, blank=True)
    invited_at = models.DateTimeField(_("inbjuden"), default=timezone.now)

    class Meta:
        ordering = ["invited_at", "id"]
        verbose_name = _("deltagare")
        verbose_name_plural = _("deltagare")
        constraints = [
            models.CheckConstraint(
                condition=_in("kind", ParticipantKind), name="sip_participant_kind_valid"
            ),
            models.CheckConstraint(
                condition=_in("status", ParticipantStatus), name="sip_participant_status_valid"
            ),
            models.CheckConstraint(
                condition=~models.Q(kind=ParticipantKind.ORGANISATION)
                | models.Q(organisation__isnull=False),
                name="sip_participant_org_required",
            ),
        ]

    def __str__(self) -> str:
        return self.unit_name or self.name or self.get_kind_display()


class PlanVersionQuerySet(models.QuerySet["PlanVersion"]):
    """Plan versions are written once; only retention erasure deletes them."""

    def update(self, **kwargs: Any) -> int:
        raise AppendOnlyError("plan versions are immutable")

    def bulk_update(self, *args: Any, **kwargs: Any) -> int:
        raise AppendOnlyError("plan versions are immutable")


class PlanVersion(models.Model):
    """One version of the plan's content (validated by ``schemas.PlanContent``).

    Immutable: a change is a new version with the next number, so earlier versions can
    always be shown and compared.
    """

    sip = models.ForeignKey(Sip, on_delete=models.CASCADE, related_name="plan_versions")
    number = models.PositiveIntegerField(_("versionsnummer"))
    content = models.JSONField(_("innehåll"))
    created_by_label = models.CharField(_("skriven av"), max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("skriven av (användare)"),
    )
    created_at = models.DateTimeField(_("skriven"), default=timezone.now)
    meeting = models.ForeignKey(
        Meeting,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="plan_versions",
        verbose_name=_("möte"),
    )

    objects = PlanVersionQuerySet.as_manager()

    class Meta:
        ordering = ["sip", "number"]
        verbose_name = _("planversion")
        verbose_name_plural = _("planversioner")
        constraints = [
            models.UniqueConstraint(fields=["sip", "number"], name="sip_plan_version_unique"),
            models.CheckConstraint(
                condition=models.Q(number__gte=1), name="sip_plan_version_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"Version {self.number} av {self.sip_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding or kwargs.get("force_update") or kwargs.get("update_fields"):
            raise AppendOnlyError("plan versions are immutable: write a new version instead")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)


class PersonResponse(models.Model):
    """The person's answer to a plan version: agreement or a comment."""

    sip = models.ForeignKey(Sip, on_delete=models.CASCADE, related_name="person_responses")
    plan_version = models.ForeignKey(
        PlanVersion, on_delete=models.CASCADE, related_name="person_responses"
    )
    kind = models.CharField(_("typ"), max_length=16, choices=ResponseKind.choices)
    text = models.TextField(_("text"), blank=True)
    created_at = models.DateTimeField(_("skrivet"), default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("personens svar")
        verbose_name_plural = _("personens svar")
        constraints = [
            models.CheckConstraint(
                condition=_in("kind", ResponseKind), name="sip_person_response_kind_valid"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.sip_id})"


class InvitationLink(models.Model):
    """A one-use link letting the person (or a guardian, relative …) open the plan.

    Only the SHA-256 of the secret is stored; the secret is shown once when created.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    sip = models.ForeignKey(Sip, on_delete=models.CASCADE, related_name="invitation_links")
    participant = models.ForeignKey(
        Participant,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="invitation_links",
    )
    token_digest = models.CharField(max_length=64, unique=True, editable=False)
    expires_at = models.DateTimeField(_("går ut"))
    used_at = models.DateTimeField(_("använd"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("skapad av"),
    )
    created_at = models.DateTimeField(_("skapad"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("inbjudningslänk")
        verbose_name_plural = _("inbjudningslänkar")

    def __str__(self) -> str:
        return f"Länk {self.pk}"


class SipAccessLogQuerySet(models.QuerySet["SipAccessLog"]):
    """Access log rows can be added and read, never updated or deleted through the ORM."""

    def update(self, **kwargs: Any) -> int:
        raise AppendOnlyError("the SIP access log is append-only")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("the SIP access log is append-only")

    def bulk_update(self, *args: Any, **kwargs: Any) -> int:
        raise AppendOnlyError("the SIP access log is append-only")


class SipAccessLog(models.Model):
    """Who read or changed a plan, when, for which organisation. Append-only.

    ``sip_id`` is a plain UUID, not a foreign key, so the log survives erasure and a
    plan's history can never be cascaded away. Labels are copied text for the same reason.
    ``detail`` holds ids and numbers, never plan content.
    """

    sip_id = models.UUIDField(_("plan"), db_index=False)
    at = models.DateTimeField(_("tidpunkt"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("användare"),
    )
    actor_label = models.CharField(_("vem"), max_length=200)
    organisation_name = models.CharField(_("organisation"), max_length=200, blank=True)
    action = models.CharField(_("händelse"), max_length=32, choices=AccessAction.choices)
    detail = models.JSONField(_("detaljer"), default=dict, blank=True)

    objects = SipAccessLogQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("SIP-logg")
        verbose_name_plural = _("SIP-loggar")
        indexes = [
            models.Index(fields=["sip_id", "at"], name="sip_access_log_sip_idx"),
            models.Index(fields=["actor", "at"], name="sip_access_log_actor_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.action} {self.actor_label}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding or kwargs.get("force_update") or kwargs.get("update_fields"):
            raise AppendOnlyError("the SIP access log is append-only: a row cannot change")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("the SIP access log is append-only: a row cannot be deleted")


# Sent reminders live in their own module (owned by the reminders job); imported here so
# Django and the migrations always see the model.
from datasmart.sip.models_reminders import ReminderKind, SipReminder  # noqa: E402
