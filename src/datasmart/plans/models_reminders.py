"""Sent plan reminders (:mod:`datasmart.plans.reminders`): which plan, which follow-up date,
which stage, when, to how many addresses.

One row per plan, follow-up date and stage, created in the same transaction as the e-mails
are sent; the unique constraint makes a second run (even two at once) send nothing more.
A moved follow-up date is a new date and is reminded again. No addresses or names are
stored.

Imported by :mod:`datasmart.plans.models`, so Django and migrations always see it.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

__all__ = ["PlanReminder", "ReminderStage"]


class ReminderStage(models.TextChoices):
    """The first reminder goes some weeks ahead, the second a few days before."""

    AHEAD = "ahead", _("I god tid före uppföljningen")
    SOON = "soon", _("Strax före uppföljningen")


class PlanReminder(models.Model):
    """A reminder e-mailed about a plan's next follow-up; at most one per date and stage."""

    plan = models.ForeignKey(
        "plans.ActionPlan",
        on_delete=models.CASCADE,
        related_name="reminders",
        verbose_name=_("handlingsplan"),
    )
    follow_up_on = models.DateField(_("uppföljningsdag"))
    stage = models.CharField(_("skede"), max_length=8, choices=ReminderStage.choices)
    sent_on = models.DateField(_("skickad dag"))
    addresses = models.PositiveSmallIntegerField(_("antal mottagare"), default=0)
    created_at = models.DateTimeField(_("skickad"), auto_now_add=True)

    class Meta:
        app_label = "plans"
        ordering = ["-sent_on", "-id"]
        verbose_name = _("påminnelse om uppföljning")
        verbose_name_plural = _("påminnelser om uppföljning")
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "follow_up_on", "stage"], name="plans_reminder_once"
            ),
            models.CheckConstraint(
                condition=models.Q(stage__in=ReminderStage.values),
                name="plans_reminder_stage_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.plan_id} {self.follow_up_on} {self.stage}"
