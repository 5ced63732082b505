"""Tables of the governance cycle: plans, goals, goal indicators, activities, parties.

Only tables; every write goes through :mod:`datasmart.plans.services` (rights, frozen
plans, audit).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from datasmart.accounts.models import Role
from datasmart.geo.models import Level


class PlanStatus(models.TextChoices):
    DRAFT = "draft", _("Utkast")
    AGREED = "agreed", _("Överenskommen")
    ACTIVE = "active", _("Aktiv")
    FOLLOWED_UP = "followed_up", _("Uppföljd")
    CLOSED = "closed", _("Avslutad")


class Visibility(models.TextChoices):
    PUBLIC = "public", _("Offentlig")
    PARTIES = "parties", _("Endast parterna")


class GoalKind(models.TextChoices):
    POLITICAL = "political", _("Politiskt mål")
    OPERATIVE = "operative", _("Delmål")


class Direction(models.TextChoices):
    INCREASE = "increase", _("Öka")
    DECREASE = "decrease", _("Minska")
    KEEP = "keep", _("Behålla")


class IndicatorKind(models.TextChoices):
    PROCESS = "process", _("Processindikator")
    EFFECT = "effect", _("Effektindikator")


class ActivityStatus(models.TextChoices):
    PLANNED = "planned", _("Planerad")
    ONGOING = "ongoing", _("Pågående")
    DONE = "done", _("Genomförd")
    STOPPED = "stopped", _("Avbruten")


class ActionPlan(models.Model):
    """A handlingsplan: goals and activities of one owner for a period, in versions.

    A joint län plan has ``lan`` set and :class:`PlanParty` rows; it is agreed only when
    every party that has not left has approved.
    """

    owner = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.PROTECT,
        related_name="action_plans",
        verbose_name=_("ägare"),
    )
    title = models.CharField(_("titel"), max_length=200)
    start_year = models.PositiveIntegerField(_("första år"))
    end_year = models.PositiveIntegerField(_("sista år"))
    status = models.CharField(
        _("status"), max_length=16, choices=PlanStatus.choices, default=PlanStatus.DRAFT
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    previous = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="next_version",
        verbose_name=_("föregående version"),
    )
    visibility = models.CharField(
        _("synlighet"), max_length=8, choices=Visibility.choices, default=Visibility.PUBLIC
    )
    lan = models.ForeignKey(
        "geo.Unit",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="joint_plans",
        verbose_name=_("län (gemensam plan)"),
    )
    agreed_at = models.DateTimeField(_("överenskommen"), null=True, blank=True)
    activated_at = models.DateTimeField(_("aktiverad"), null=True, blank=True)
    followed_up_at = models.DateTimeField(_("markerad som uppföljd"), null=True, blank=True)
    closed_at = models.DateTimeField(_("avslutad"), null=True, blank=True)
    close_reason = models.TextField(_("skäl att avsluta"), blank=True)
    next_follow_up = models.DateField(_("nästa uppföljning"), null=True, blank=True)
    created_at = models.DateTimeField(_("skapad"), auto_now_add=True)

    class Meta:
        ordering = ["-start_year", "title", "version"]
        verbose_name = _("handlingsplan")
        verbose_name_plural = _("handlingsplaner")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_year__gte=models.F("start_year")),
                name="plans_plan_period_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.start_year}–{self.end_year}, v{self.version})"

    @property
    def is_joint(self) -> bool:
        return self.lan_id is not None

    @property
    def is_frozen(self) -> bool:
        """Only a draft may change; an agreed version is changed by making a new version."""
        return self.status != PlanStatus.DRAFT


class Goal(models.Model):
    """A political goal or an operative goal (delmål) under it: programme logic as a tree."""

    plan = models.ForeignKey(
        ActionPlan, on_delete=models.CASCADE, related_name="goals", verbose_name=_("handlingsplan")
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("övergripande mål"),
    )
    kind = models.CharField(_("typ"), max_length=16, choices=GoalKind.choices)
    text = models.TextField(_("mål"))
    start_year = models.PositiveIntegerField(_("första år"))
    end_year = models.PositiveIntegerField(_("sista år"))
    decided_by = models.CharField(_("beslutat av"), max_length=200, blank=True)
    decided_on = models.DateField(_("beslutsdatum"), null=True, blank=True)
    document = models.CharField(_("beslutsdokument"), max_length=300, blank=True)
    owner = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.PROTECT,
        related_name="goals",
        verbose_name=_("ägare"),
    )
    level = models.CharField(_("nivå"), max_length=16, choices=Level.choices)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("mål")
        verbose_name_plural = _("mål")

    def __str__(self) -> str:
        return self.text[:80]


class GoalIndicator(models.Model):
    """An indicator the goal is followed with: target, direction and the baseline taken
    from the indicator's stored result for the owner's unit when the link was made."""

    goal = models.ForeignKey(
        Goal, on_delete=models.CASCADE, related_name="indicators", verbose_name=_("mål")
    )
    indicator_code = models.CharField(_("indikatorkod"), max_length=64)
    kind = models.CharField(_("typ"), max_length=8, choices=IndicatorKind.choices)
    direction = models.CharField(_("riktning"), max_length=8, choices=Direction.choices)
    target_value = models.FloatField(_("målvärde"))
    target_year = models.PositiveIntegerField(_("målår"))
    baseline_value = models.FloatField(_("utgångsvärde"), null=True, blank=True)
    baseline_period = models.PositiveIntegerField(_("utgångsperiod"), null=True, blank=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("målindikator")
        verbose_name_plural = _("målindikatorer")
        constraints = [
            models.UniqueConstraint(
                fields=["goal", "indicator_code"], name="plans_goal_indicator_once"
            ),
        ]

    def __str__(self) -> str:
        return self.indicator_code


class Activity(models.Model):
    """Work meant to move one or more goals: who, when, status, money."""

    plan = models.ForeignKey(
        ActionPlan,
        on_delete=models.CASCADE,
        related_name="activities",
        verbose_name=_("handlingsplan"),
    )
    goals = models.ManyToManyField(Goal, related_name="activities", verbose_name=_("mål"))
    title = models.CharField(_("aktivitet"), max_length=300)
    owner = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.PROTECT,
        related_name="plan_activities",
        verbose_name=_("ägare"),
    )
    responsible_role = models.CharField(_("ansvarig roll"), max_length=16, choices=Role.choices)
    start = models.DateField(_("startdatum"))
    end = models.DateField(_("slutdatum"))
    status = models.CharField(
        _("status"), max_length=8, choices=ActivityStatus.choices, default=ActivityStatus.PLANNED
    )
    budget = models.DecimalField(
        _("budgetbelopp"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    cost = models.DecimalField(_("kostnad"), max_digits=14, decimal_places=2, null=True, blank=True)
    funding_post = models.ForeignKey(
        "funding.Post",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="plan_activities",
        verbose_name=_("finansieras från (post i överenskommelse)"),
    )
    needs_scenario = models.ForeignKey(
        "needs.NeedsScenario",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="plan_activities",
        verbose_name=_("svarar mot behovsanalys"),
    )

    class Meta:
        ordering = ["start", "pk"]
        verbose_name = _("aktivitet")
        verbose_name_plural = _("aktiviteter")

    def __str__(self) -> str:
        return self.title


class PlanParty(models.Model):
    """A party to a joint län plan and its approval (who, when) or its leaving (why)."""

    plan = models.ForeignKey(
        ActionPlan,
        on_delete=models.CASCADE,
        related_name="parties",
        verbose_name=_("handlingsplan"),
    )
    organisation = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.PROTECT,
        related_name="plan_parties",
        verbose_name=_("part"),
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("godkänd av"),
    )
    approved_by_name = models.CharField(_("godkänd av (namn)"), max_length=200, blank=True)
    approved_at = models.DateTimeField(_("godkänd"), null=True, blank=True)
    left_at = models.DateTimeField(_("lämnade"), null=True, blank=True)
    leave_reason = models.TextField(_("skäl att lämna"), blank=True)

    class Meta:
        ordering = ["organisation__name"]
        verbose_name = _("part")
        verbose_name_plural = _("parter")
        constraints = [
            models.UniqueConstraint(fields=["plan", "organisation"], name="plans_party_once"),
        ]

    def __str__(self) -> str:
        return str(self.organisation)


class FollowUp(models.Model):
    """A recorded follow-up of a plan for a year: the judgements as they stood then.

    The snapshot is what "what changed since the last follow-up" compares with; it is
    written by :mod:`datasmart.plans.followup` only, never edited.
    """

    plan = models.ForeignKey(
        ActionPlan,
        on_delete=models.CASCADE,
        related_name="follow_ups",
        verbose_name=_("handlingsplan"),
    )
    year = models.PositiveIntegerField(_("uppföljningsår"))
    made_at = models.DateTimeField(_("gjord"), auto_now_add=True)
    made_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("gjord av"),
    )
    made_by_name = models.CharField(_("gjord av (namn)"), max_length=200, blank=True)
    snapshot = models.JSONField(_("bedömningar"), default=dict)
    note = models.TextField(_("kommentar"), blank=True)

    class Meta:
        ordering = ["plan", "-made_at"]
        verbose_name = _("uppföljning")
        verbose_name_plural = _("uppföljningar")

    def __str__(self) -> str:
        return f"{self.plan} – {self.year}"


# Sent follow-up reminders live in their own module (datasmart.plans.reminders writes them).
from .models_reminders import PlanReminder as PlanReminder  # noqa: E402
from .models_reminders import ReminderStage as ReminderStage  # noqa: E402
