"""Users, organisations, roles, API tokens and the audit log.

Rights come from :class:`Membership`: a user holds one :class:`Role` in each organisation
they belong to, and :mod:`datasmart.accounts.permissions` maps roles to permissions. Every
change goes through :mod:`datasmart.accounts.services`, which checks the acting user's
rights and writes an :class:`AuditEvent` in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from datasmart.checkdigits import luhn_check_digit
from datasmart.geo.models import Level


class Role(models.TextChoices):
    """A user's role in one organisation. Values are the API and CLI spelling."""

    ADMIN = "admin", _("Administratör")
    ANALYST = "analyst", _("Analytiker")
    COORDINATOR = "coordinator", _("Samordnare")
    CASEWORKER = "caseworker", _("Handläggare")
    VIEWER = "viewer", _("Läsare")


class OrganisationKind(models.TextChoices):
    """What kind of actor an organisation is. Values are the API and CLI spelling."""

    KOMMUN_SOCIAL = "kommun_social", _("Kommun – socialtjänst")
    SCHOOL = "school", _("Skola/elevhälsa")
    REGION_BUP = "region_bup", _("Region – barn- och ungdomspsykiatri (BUP)")
    REGION_PSYCHIATRY = "region_psychiatry", _("Region – vuxenpsykiatri")
    PRIMARY_CARE = "primary_care", _("Primärvård")
    LAN_SUPPORT = "lan_support", _("Stödfunktion på länsnivå")
    SKR = "skr", _("SKR (Sveriges Kommuner och Regioner)")
    NATIONAL_OFFICE = "national_office", _("Nationell myndighet eller kansli")
    # the other actors the documents name beside kommun and region (goals, Kraftsamling)
    SJUKVARDSREGION = "sjukvardsregion", _("Sjukvårdsregion (samverkan)")
    AUTHORITY = "authority", _("Myndighet")
    USER_ORGANISATION = "user_organisation", _("Brukarorganisation")
    CIVIL_SOCIETY = "civil_society", _("Civilsamhälle")
    KNOWLEDGE_NODE = "knowledge_node", _("Kunskapsnod")
    BUSINESS = "business", _("Näringsliv")
    OTHER = "other", _("Annan")


#: Actors that own goals and take part in plans but hold no public authority here: their
#: roles grant only :data:`datasmart.accounts.permissions.PARTICIPANT_PERMISSIONS`.
PARTICIPANT_KINDS: frozenset[str] = frozenset(
    {
        OrganisationKind.USER_ORGANISATION,
        OrganisationKind.CIVIL_SOCIETY,
        OrganisationKind.KNOWLEDGE_NODE,
        OrganisationKind.BUSINESS,
    }
)

#: Which geographic levels an organisation of each kind may belong to.
ALLOWED_UNIT_LEVELS: dict[str, frozenset[str]] = {
    OrganisationKind.KOMMUN_SOCIAL: frozenset({Level.KOMMUN}),
    OrganisationKind.SCHOOL: frozenset({Level.KOMMUN, Level.REGION}),
    OrganisationKind.REGION_BUP: frozenset({Level.REGION}),
    OrganisationKind.REGION_PSYCHIATRY: frozenset({Level.REGION}),
    OrganisationKind.PRIMARY_CARE: frozenset({Level.REGION, Level.KOMMUN}),
    OrganisationKind.LAN_SUPPORT: frozenset({Level.REGION}),
    OrganisationKind.SKR: frozenset({Level.NATION}),
    OrganisationKind.NATIONAL_OFFICE: frozenset({Level.NATION}),
    OrganisationKind.SJUKVARDSREGION: frozenset({Level.SJUKVARDSREGION}),
    OrganisationKind.AUTHORITY: frozenset({Level.NATION, Level.REGION}),
    OrganisationKind.USER_ORGANISATION: frozenset(Level.values),
    OrganisationKind.CIVIL_SOCIETY: frozenset(Level.values),
    OrganisationKind.KNOWLEDGE_NODE: frozenset(Level.values),
    OrganisationKind.BUSINESS: frozenset(Level.values),
    OrganisationKind.OTHER: frozenset(Level.values),
}

_ORG_NUMBER = re.compile(r"^(\d{6})-?(\d{4})$")


def normalise_org_number(value: str) -> str:
    """Return a Swedish organisationsnummer as ``NNNNNN-NNNN`` or raise ValidationError.

    The last digit is a Luhn check digit over the first nine (as for personnummer).
    """
    match = _ORG_NUMBER.match(value.strip())
    if not match:
        raise ValidationError(
            _("Organisationsnumret ska ha formen NNNNNN-NNNN."), code="org_number_format"
        )
    digits = match.group(1) + match.group(2)
    if luhn_check_digit(digits[:9]) != int(digits[9]):
        raise ValidationError(
            _("Organisationsnumret har fel kontrollsiffra."), code="org_number_checksum"
        )
    return f"{match.group(1)}-{match.group(2)}"


def organisation_name_key(name: str) -> str:
    """How organisation names are compared: case-folded (Unicode, so Å = å), spaces squeezed."""
    return " ".join(name.split()).casefold()


def validate_org_number(value: str) -> None:
    if value:
        normalise_org_number(value)


class Organisation(models.Model):
    """A kommun's social services, a school, a region's BUP, SKR, a national office …

    ``unit`` says where the organisation belongs in the geography (kommun, region/län,
    sjukvårdsregion or the nation); data scoping by level starts from it.
    """

    name = models.CharField(_("namn"), max_length=200)
    kind = models.CharField(_("typ"), max_length=32, choices=OrganisationKind.choices)
    unit = models.ForeignKey(
        "geo.Unit",
        on_delete=models.PROTECT,
        related_name="organisations",
        verbose_name=_("geografisk enhet"),
    )
    org_number = models.CharField(
        _("organisationsnummer"), max_length=11, blank=True, validators=[validate_org_number]
    )
    created_at = models.DateTimeField(_("skapad"), default=timezone.now, editable=False)
    #: ``organisation_name_key(name)``: unique, so names differing only in case or spacing clash
    #: (SQLite's LOWER/LIKE fold ASCII only, so this is computed in Python).
    name_key = models.CharField(max_length=200, unique=True, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisationer")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=OrganisationKind.values),
                name="organisation_kind_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.name = " ".join(self.name.split())
        self.name_key = organisation_name_key(self.name)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "name" in update_fields:
            kwargs["update_fields"] = {*update_fields, "name_key"}
        super().save(*args, **kwargs)

    def clean(self) -> None:
        super().clean()
        key = organisation_name_key(self.name or "")
        if key and Organisation.objects.filter(name_key=key).exclude(pk=self.pk).exists():
            raise ValidationError(
                {"name": _("Det finns redan en organisation med det namnet.")}, code="unique"
            )
        if self.org_number:
            self.org_number = normalise_org_number(self.org_number)
        if self.unit_id is not None and self.kind in ALLOWED_UNIT_LEVELS:
            allowed = ALLOWED_UNIT_LEVELS[self.kind]
            if self.unit.level not in allowed:
                labels = ", ".join(str(Level(level).label) for level in Level if level in allowed)
                raise ValidationError(
                    {
                        "unit": _("En organisation av typen %(kind)s ska höra till: %(levels)s.")
                        % {"kind": OrganisationKind(self.kind).label, "levels": labels}
                    },
                    code="unit_level",
                )


class Language(models.TextChoices):
    """The site's languages (``settings.LANGUAGES``), for a user's preference."""

    SV = "sv", "Svenska"
    EN = "en", "English"


class User(AbstractUser):
    """A person signing in to datasmart. Roles come from organisation memberships.

    ``language`` is the language the user last chose on the site (the language switch
    stores it, :func:`datasmart.accounts.views.set_language`); e-mail reminders are
    written in it. Swedish, the site's default, until the user switches.
    """

    language = models.CharField(
        _("språk"),
        max_length=8,
        choices=Language.choices,
        default=Language.SV,
        help_text=_("Språket för e-post från datasmart; ändras när användaren byter språk."),
    )

    class Meta:
        verbose_name = _("användare")
        verbose_name_plural = _("användare")


class Membership(models.Model):
    """A user's role in one organisation (one row per user and organisation)."""

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("användare")
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="memberships",
        verbose_name=_("organisation"),
    )
    role = models.CharField(_("roll"), max_length=16, choices=Role.choices)
    created_at = models.DateTimeField(_("skapad"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["organisation__name", "user__username"]
        verbose_name = _("medlemskap")
        verbose_name_plural = _("medlemskap")
        constraints = [
            models.UniqueConstraint(fields=["user", "organisation"], name="uniq_membership"),
            models.CheckConstraint(
                condition=models.Q(role__in=Role.values), name="membership_role_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} – {self.organisation} ({self.get_role_display()})"


class TokenScope(models.TextChoices):
    """What an API token may do. Values are the API and CLI spelling."""

    READ = "read", _("Endast läsa")
    WRITE = "write", _("Läsa och ändra")


class ApiToken(models.Model):
    """A personal API key. Only the SHA-256 of the secret is stored, never the secret.

    ``prefix`` (the secret's first 8 characters) identifies the key in lists and narrows
    the lookup; the hash is then compared in constant time. Every key expires (at most
    ``settings.API_TOKEN_MAX_DAYS`` after it was made) and has a ``scope``: a ``read`` key
    is refused on every request that changes something, so a key copied into a report
    script cannot be used to overwrite data.
    """

    PREFIX_LENGTH: ClassVar[int] = 8

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("användare")
    )
    name = models.CharField(_("namn"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=8, db_index=True, editable=False)
    token_hash = models.CharField(_("SHA-256"), max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("skapad"), default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(_("senast använd"), null=True, blank=True)
    expires_at = models.DateTimeField(_("går ut"))
    revoked_at = models.DateTimeField(_("återkallad"), null=True, blank=True)
    scope = models.CharField(
        _("behörighet"), max_length=8, choices=TokenScope.choices, default=TokenScope.READ
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("API-nyckel")
        verbose_name_plural = _("API-nycklar")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(scope__in=TokenScope.values), name="apitoken_scope_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    def effective_expiry(self) -> Any:
        """``expires_at``, cut to ``created_at`` + ``API_TOKEN_MAX_DAYS`` (so lowering the
        setting shortens keys already made)."""
        longest = self.created_at + dt.timedelta(days=settings.API_TOKEN_MAX_DAYS)
        return min(self.expires_at, longest)

    def is_expired(self, now: Any = None) -> bool:
        return self.effective_expiry() <= (now or timezone.now())

    def is_usable(self, now: Any = None) -> bool:
        """True unless revoked or expired."""
        return self.revoked_at is None and not self.is_expired(now)

    @property
    def status(self) -> str:
        if self.revoked_at is not None:
            return str(_("Återkallad"))
        if self.is_expired():
            return str(_("Utgången"))
        return str(_("Aktiv"))


class AppendOnlyError(Exception):
    """Raised when code tries to change or delete an audit event."""


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    """Audit rows can be added and read, never updated or deleted through the ORM."""

    def update(self, **kwargs: Any) -> int:
        raise AppendOnlyError("audit events are append-only")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("audit events are append-only")

    def bulk_update(self, *args: Any, **kwargs: Any) -> int:
        raise AppendOnlyError("audit events are append-only")


class AuditEvent(models.Model):
    """One thing that happened: who, in which organisation, what, to what, from where.

    Append-only: ``save()`` refuses to update an existing row and ``delete()`` refuses.
    Text-only by design (job-server's AuditableEvent): the actor's username and the
    organisation's name are copied, so the record survives deletion of either. ``detail``
    holds plain values and never a secret (enforced in :mod:`datasmart.accounts.audit`).

    ``action`` is ``auth.login``, ``auth.login_failed``, ``auth.locked_out``,
    ``auth.permission_denied``, ``token.create``, ``token.revoke``, ``user.create``,
    ``membership.create``, ``organisation.create`` or ``<app>.<model>.<create|update|delete>``.
    """

    timestamp = models.DateTimeField(_("tidpunkt"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="audit_events",
        verbose_name=_("utförare"),
    )
    actor_username = models.CharField(_("utförarens användarnamn"), max_length=150, blank=True)
    organisation = models.CharField(_("organisation"), max_length=200, blank=True)
    action = models.CharField(_("händelse"), max_length=100, db_index=True)
    target_type = models.CharField(_("objekttyp"), max_length=100, blank=True)
    target_id = models.CharField(_("objekt-id"), max_length=64, blank=True)
    detail = models.JSONField(_("detaljer"), default=dict, blank=True)
    ip_address = models.GenericIPAddressField(_("IP-adress"), null=True, blank=True)
    path = models.CharField(_("sökväg"), max_length=500, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-timestamp", "-id"]
        verbose_name = _("granskningshändelse")
        verbose_name_plural = _("granskningslogg")
        indexes = [
            models.Index(fields=["target_type", "target_id"], name="audit_target_idx"),
            models.Index(fields=["actor_username", "timestamp"], name="audit_actor_idx"),
            models.Index(fields=["organisation", "timestamp"], name="audit_org_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.timestamp:%Y-%m-%d %H:%M:%S} {self.action} {self.actor_username}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding or kwargs.get("force_update") or kwargs.get("update_fields"):
            raise AppendOnlyError("audit events are append-only: an existing row cannot change")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("audit events are append-only: a row cannot be deleted")
