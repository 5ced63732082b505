"""Sent SIP reminders (:mod:`datasmart.sip.jobs.reminders`): what was sent, for which plan, when.

One row per reminder and day, created in the same transaction as the e-mails are sent;
the unique constraint makes a second run the same day (even two at once) send nothing
more. No addresses or names are stored: the row names the plan, the kind of reminder and
the meeting or plan it was about.

Imported by :mod:`datasmart.sip.models`, so Django and migrations always see it.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

__all__ = ["ReminderKind", "SipReminder"]


class ReminderKind(models.TextChoices):
    FOLLOW_UP = "follow_up", _("Kommande uppföljningsmöte")
    UNANSWERED = "unanswered", _("Obesvarad inbjudan")


class SipReminder(models.Model):
    """A reminder e-mailed about a plan; at most one per kind, subject and day."""

    sip = models.ForeignKey("sip.Sip", on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(_("typ"), max_length=16, choices=ReminderKind.choices)
    subject_key = models.CharField(
        _("gäller"),
        max_length=100,
        help_text="What the reminder is about: 'meeting:<id>:<scheduled time>' or 'sip:<id>'.",
    )
    sent_on = models.DateField(_("skickad dag"))
    addresses = models.PositiveSmallIntegerField(_("antal mottagare"), default=0)
    created_at = models.DateTimeField(_("skickad"), auto_now_add=True)

    class Meta:
        app_label = "sip"
        ordering = ["-sent_on", "-id"]
        verbose_name = _("SIP-påminnelse")
        verbose_name_plural = _("SIP-påminnelser")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "subject_key", "sent_on"], name="sip_reminder_once_a_day"
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=ReminderKind.values), name="sip_reminder_kind_valid"
            ),
        ]
        indexes = [models.Index(fields=["kind", "subject_key"], name="sip_reminder_subject_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.subject_key} {self.sent_on}"
