"""Tables of Politikerchecklistan: question versions, questions, rounds and answers.

Only tables; every write goes through :mod:`datasmart.checklist.services` (rights, frozen
rounds, audit). Questions are reference data (``data/questions.toml``, loaded by
:mod:`datasmart.checklist.questions`): a round keeps the version it answered, so a later
version of the questions never changes what an organisation answered.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Section(models.TextChoices):
    BEHOV = "behov", _("Behov")
    MAL = "mal", pgettext_lazy("checklist section", "Mål")
    UPPFOLJNING = "uppfoljning", _("Uppföljning")
    SAMVERKAN = "samverkan", _("Plan och samverkan")
    DELAKTIGHET = "delaktighet", _("Delaktighet och SIP")
    RESURSER = "resurser", _("Resurser")


class EvidenceKind(models.TextChoices):
    """Which page of the platform holds the facts a question is about."""

    NEEDS = "needs", _("Behovsanalys")
    GOALS = "goals", _("Mål och handlingsplaner")
    PLANS = "plans", _("Gemensam länsplan")
    INDICATORS = "indicators", _("Indikatorer")
    SIP = "sip", _("SIP-statistik")
    NONE = "none", _("Inget underlag på plattformen")


class AnswerValue(models.TextChoices):
    YES = "yes", _("Ja")
    PARTLY = "partly", _("Delvis")
    NO = "no", _("Nej")
    UNKNOWN = "unknown", _("Vet inte")


class RoundStatus(models.TextChoices):
    DRAFT = "draft", _("Utkast")
    SUBMITTED = "submitted", _("Inskickad")


class ChecklistVersion(models.Model):
    """One edition of the questions; frozen once loaded (a change is a new version)."""

    code = models.CharField(_("kod"), max_length=32, unique=True)
    title_sv = models.CharField(_("titel (svenska)"), max_length=200)
    title_en = models.CharField(_("titel (engelska)"), max_length=200)
    content_sha256 = models.CharField(max_length=64, editable=False)
    loaded_at = models.DateTimeField(_("inläst"), auto_now_add=True)

    class Meta:
        ordering = ["-loaded_at", "-pk"]
        verbose_name = _("version av checklistan")
        verbose_name_plural = _("versioner av checklistan")

    def __str__(self) -> str:
        return f"{self.title_sv} ({self.code})"


class Question(models.Model):
    version = models.ForeignKey(
        ChecklistVersion,
        on_delete=models.PROTECT,
        related_name="questions",
        verbose_name=_("version"),
    )
    code = models.SlugField(_("kod"), max_length=40)
    order = models.PositiveSmallIntegerField(_("ordning"))
    section = models.CharField(_("avsnitt"), max_length=16, choices=Section.choices)
    text_sv = models.TextField(_("fråga (svenska)"))
    text_en = models.TextField(_("fråga (engelska)"))
    help_sv = models.TextField(_("hjälptext (svenska)"), blank=True)
    help_en = models.TextField(_("hjälptext (engelska)"), blank=True)
    source_ref = models.TextField(_("källa"))
    evidence_kind = models.CharField(
        _("underlag"), max_length=16, choices=EvidenceKind.choices, default=EvidenceKind.NONE
    )

    class Meta:
        ordering = ["version", "order"]
        verbose_name = _("fråga")
        verbose_name_plural = _("frågor")
        constraints = [
            models.UniqueConstraint(fields=["version", "code"], name="checklist_question_code"),
            models.UniqueConstraint(fields=["version", "order"], name="checklist_question_order"),
        ]

    def __str__(self) -> str:
        return f"{self.order}. {self.code}"


class ChecklistRound(models.Model):
    """One organisation's answers for its unit (kommun or region) and year.

    Several rounds may exist for a unit and year (``number`` 1, 2, …): a submitted round is
    frozen, and changing the answers means opening a new round (a copy as a draft). The
    latest submitted round is the unit's answer for the year.
    """

    organisation = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.PROTECT,
        related_name="checklist_rounds",
        verbose_name=_("organisation"),
    )
    unit = models.ForeignKey(
        "geo.Unit",
        on_delete=models.PROTECT,
        related_name="checklist_rounds",
        verbose_name=_("enhet"),
    )
    year = models.PositiveSmallIntegerField(_("år"))
    number = models.PositiveSmallIntegerField(_("omgång"), default=1)
    version = models.ForeignKey(
        ChecklistVersion,
        on_delete=models.PROTECT,
        related_name="rounds",
        verbose_name=_("version av frågorna"),
    )
    status = models.CharField(
        _("status"), max_length=16, choices=RoundStatus.choices, default=RoundStatus.DRAFT
    )
    created_at = models.DateTimeField(_("skapad"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("skapad av"),
    )
    submitted_at = models.DateTimeField(_("inskickad"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("inskickad av"),
    )

    class Meta:
        ordering = ["unit__code", "-year", "-number"]
        verbose_name = _("omgång av checklistan")
        verbose_name_plural = _("omgångar av checklistan")
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "year", "number"], name="checklist_round_number"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit} {self.year} ({self.number})"

    @property
    def is_frozen(self) -> bool:
        return self.status == RoundStatus.SUBMITTED


class Answer(models.Model):
    round = models.ForeignKey(
        ChecklistRound, on_delete=models.CASCADE, related_name="answers", verbose_name=_("omgång")
    )
    question = models.ForeignKey(
        Question, on_delete=models.PROTECT, related_name="answers", verbose_name=_("fråga")
    )
    value = models.CharField(_("svar"), max_length=16, choices=AnswerValue.choices)
    comment = models.TextField(_("kommentar"), blank=True)
    #: an internal path (``/behov/enhet/0180/``) or an https address; checked by the service
    evidence_url = models.CharField(_("länk till underlag"), max_length=500, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("besvarad av"),
    )
    answered_at = models.DateTimeField(_("besvarad"), auto_now=True)

    class Meta:
        ordering = ["round", "question__order"]
        verbose_name = _("svar")
        verbose_name_plural = _("svar")
        constraints = [
            models.UniqueConstraint(fields=["round", "question"], name="checklist_answer_once"),
            models.CheckConstraint(
                condition=models.Q(value__in=AnswerValue.values), name="checklist_answer_value"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.question.code}: {self.value}"
