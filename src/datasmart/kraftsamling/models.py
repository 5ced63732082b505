"""Tables of Kraftsamling: reference data from source 003 (goals, areas, workshop stages),
delarenor with participants and workshop outputs, and the handslag whose plan is a
``plans.ActionPlan``.

Only tables; every write goes through :mod:`datasmart.kraftsamling.services` (rights,
audit). Other domains are named by label (``"plans.ActionPlan"``), never imported.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .reference import INITIATIVE_KINDS


class KraftsamlingGoal(models.Model):
    """One of Kraftsamling's three goals (arbetsområden 1–3), reference data."""

    number = models.PositiveSmallIntegerField(_("nummer"), unique=True)
    title = models.CharField(_("titel"), max_length=200)
    title_en = models.CharField(_("titel (engelska)"), max_length=200)
    description = models.TextField(_("beskrivning"), blank=True)
    source_ref = models.CharField(_("källa"), max_length=300)

    class Meta:
        ordering = ["number"]
        verbose_name = _("Kraftsamlingsmål")
        verbose_name_plural = _("Kraftsamlingsmål")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(number__gte=1, number__lte=3), name="kraftsamling_goal_1_3"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number}. {self.title}"


class Area(models.Model):
    """One of the areas A–I, linked to the goal(s) it serves; reference data."""

    letter = models.CharField(_("bokstav"), max_length=1, unique=True)
    title = models.CharField(_("titel"), max_length=200)
    title_en = models.CharField(_("titel (engelska)"), max_length=200)
    goals = models.ManyToManyField(KraftsamlingGoal, related_name="areas", verbose_name=_("mål"))
    source_ref = models.CharField(_("källa"), max_length=300)

    class Meta:
        ordering = ["letter"]
        verbose_name = _("område")
        verbose_name_plural = _("områden")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(letter__in=list("ABCDEFGHI")), name="kraftsamling_area_a_i"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.letter}. {self.title}"


class WorkshopStage(models.Model):
    """Verkstad 1–5 of a delarena's work process and what each gives; reference data."""

    number = models.PositiveSmallIntegerField(_("verkstad"), unique=True)
    title = models.CharField(_("titel"), max_length=200)
    title_en = models.CharField(_("titel (engelska)"), max_length=200)
    expected_output = models.CharField(_("vad verkstaden ger"), max_length=300)
    expected_output_en = models.CharField(_("vad verkstaden ger (engelska)"), max_length=300)
    source_ref = models.CharField(_("källa"), max_length=300)

    class Meta:
        ordering = ["number"]
        verbose_name = _("verkstad")
        verbose_name_plural = _("verkstäder")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(number__gte=1, number__lte=5), name="kraftsamling_stage_1_5"
            ),
        ]

    def __str__(self) -> str:
        return f"Verkstad {self.number}. {self.title}"


class Delarena(models.Model):
    """A working group on one question that brings actors from the whole society together
    for long-term work (source 003, "Idén om delarenaformatet")."""

    name = models.CharField(_("namn"), max_length=200)
    description = models.TextField(_("beskrivning"), blank=True)
    areas = models.ManyToManyField(Area, related_name="delarenor", verbose_name=_("områden"))
    created_by_organisation = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.PROTECT,
        related_name="created_delarenor",
        verbose_name=_("skapad av organisation"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("skapad av"),
    )
    created_at = models.DateTimeField(_("skapad"), auto_now_add=True)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("delarena")
        verbose_name_plural = _("delarenor")

    def __str__(self) -> str:
        return self.name


class ParticipantRole(models.TextChoices):
    CONVENOR = "convenor", _("Sammankallande")
    MEMBER = "member", _("Deltagare")


class DelarenaParticipant(models.Model):
    """An organisation taking part in a delarena; leaving keeps the row (who was there)."""

    delarena = models.ForeignKey(
        Delarena, on_delete=models.CASCADE, related_name="participants", verbose_name=_("delarena")
    )
    organisation = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.PROTECT,
        related_name="delarena_participations",
        verbose_name=_("organisation"),
    )
    role = models.CharField(
        _("roll i delarenan"),
        max_length=16,
        choices=ParticipantRole.choices,
        default=ParticipantRole.MEMBER,
    )
    joined_on = models.DateField(_("gick med"))
    left_on = models.DateField(_("lämnade"), null=True, blank=True)
    leave_reason = models.TextField(_("skäl att lämna"), blank=True)

    class Meta:
        ordering = ["organisation__name"]
        verbose_name = _("deltagare")
        verbose_name_plural = _("deltagare")
        constraints = [
            models.UniqueConstraint(
                fields=["delarena", "organisation"], name="kraftsamling_participant_once"
            ),
        ]

    def __str__(self) -> str:
        return str(self.organisation)

    @property
    def is_active(self) -> bool:
        return self.left_on is None


class OutputStatus(models.TextChoices):
    DRAFT = "draft", _("Utkast")
    DONE = "done", _("Klar")


class WorkshopOutput(models.Model):
    """What a delarena produced at one verkstad: text and/or a document reference."""

    delarena = models.ForeignKey(
        Delarena, on_delete=models.CASCADE, related_name="outputs", verbose_name=_("delarena")
    )
    stage = models.ForeignKey(
        WorkshopStage, on_delete=models.PROTECT, related_name="outputs", verbose_name=_("verkstad")
    )
    text = models.TextField(_("resultat"), blank=True)
    document = models.CharField(_("dokument (namn eller länk)"), max_length=300, blank=True)
    status = models.CharField(
        _("status"), max_length=8, choices=OutputStatus.choices, default=OutputStatus.DRAFT
    )
    held_on = models.DateField(_("datum"))
    organisation = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("registrerat av organisation"),
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("registrerat av"),
    )
    recorded_by_name = models.CharField(_("registrerat av (namn)"), max_length=200, blank=True)
    recorded_at = models.DateTimeField(_("registrerat"), auto_now_add=True)

    class Meta:
        ordering = ["stage__number", "held_on", "pk"]
        verbose_name = _("verkstadsresultat")
        verbose_name_plural = _("verkstadsresultat")

    def __str__(self) -> str:
        return f"{self.delarena} – {self.stage}"


class HandslagStatus(models.TextChoices):
    DRAFT = "draft", _("Utkast")
    SIGNED = "signed", _("Undertecknat")


class Handslag(models.Model):
    """The delarena's long-term work plan (3–5 years): its goals and activities are a
    ``plans.ActionPlan``; this row holds what the plan does not (målbild, needs the
    delarena cannot meet) and the signatures of the participants."""

    delarena = models.OneToOneField(
        Delarena, on_delete=models.CASCADE, related_name="handslag", verbose_name=_("delarena")
    )
    plan = models.OneToOneField(
        "plans.ActionPlan",
        on_delete=models.PROTECT,
        related_name="handslag",
        verbose_name=_("handlingsplan"),
    )
    start_year = models.PositiveIntegerField(_("första år"))
    end_year = models.PositiveIntegerField(_("sista år"))
    vision = models.TextField(_("gemensam målbild"), blank=True)
    unmet_needs = models.TextField(_("behov som inte kan mötas inom delarenan"), blank=True)
    status = models.CharField(
        _("status"), max_length=8, choices=HandslagStatus.choices, default=HandslagStatus.DRAFT
    )
    signed_at = models.DateTimeField(_("undertecknat"), null=True, blank=True)
    created_at = models.DateTimeField(_("skapat"), auto_now_add=True)

    class Meta:
        verbose_name = _("handslag")
        verbose_name_plural = _("handslag")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_year__gte=models.F("start_year") + 2)
                & models.Q(end_year__lte=models.F("start_year") + 4),
                name="kraftsamling_handslag_3_5_years",
            ),
        ]

    def __str__(self) -> str:
        return f"Handslag – {self.delarena}"


class HandslagGoal(models.Model):
    """Links a goal of the handslag's plan to Kraftsamling's goals 1–3 and/or areas A–I."""

    handslag = models.ForeignKey(
        Handslag, on_delete=models.CASCADE, related_name="goal_links", verbose_name=_("handslag")
    )
    plan_goal = models.OneToOneField(
        "plans.Goal", on_delete=models.CASCADE, related_name="kraftsamling", verbose_name=_("mål")
    )
    kraftsamling_goal = models.ForeignKey(
        KraftsamlingGoal,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="handslag_goals",
        verbose_name=_("Kraftsamlingsmål"),
    )
    area = models.ForeignKey(
        Area,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="handslag_goals",
        verbose_name=_("område"),
    )

    class Meta:
        ordering = ["pk"]
        verbose_name = _("handslagets mål")
        verbose_name_plural = _("handslagets mål")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kraftsamling_goal__isnull=False) | models.Q(area__isnull=False),
                name="kraftsamling_goal_link_target",
            ),
        ]

    def __str__(self) -> str:
        return str(self.plan_goal_id)


class HandslagActivity(models.Model):
    """Who carries out an activity of the handslag's plan (a participant) and how: the plan's
    activity holds what, when and the responsible role."""

    handslag = models.ForeignKey(
        Handslag,
        on_delete=models.CASCADE,
        related_name="activity_links",
        verbose_name=_("handslag"),
    )
    activity = models.OneToOneField(
        "plans.Activity",
        on_delete=models.CASCADE,
        related_name="kraftsamling",
        verbose_name=_("aktivitet"),
    )
    organisation = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("genomförs av"),
    )
    kind = models.CharField(_("typ av initiativ"), max_length=16, choices=INITIATIVE_KINDS)
    how = models.TextField(_("hur"), blank=True)

    class Meta:
        ordering = ["activity__start", "pk"]
        verbose_name = _("handslagets aktivitet")
        verbose_name_plural = _("handslagets aktiviteter")

    def __str__(self) -> str:
        return str(self.activity_id)


class HandslagSignature(models.Model):
    """A participant organisation's signature of the handslag (who, when)."""

    handslag = models.ForeignKey(
        Handslag, on_delete=models.CASCADE, related_name="signatures", verbose_name=_("handslag")
    )
    organisation = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("organisation"),
    )
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("undertecknat av"),
    )
    signed_by_name = models.CharField(_("undertecknat av (namn)"), max_length=200, blank=True)
    signed_at = models.DateTimeField(_("undertecknat"))

    class Meta:
        ordering = ["signed_at", "pk"]
        verbose_name = _("underskrift")
        verbose_name_plural = _("underskrifter")
        constraints = [
            models.UniqueConstraint(
                fields=["handslag", "organisation"], name="kraftsamling_signature_once"
            ),
        ]

    def __str__(self) -> str:
        return str(self.organisation)
