"""Agreements (överenskommelser), their posts and keys, acceptance, and allocation runs.

An :class:`Agreement` splits ``total_sek`` kronor into :class:`Post` rows; each post names
its recipients (``recipient_level``) and a key (``key_type`` + ``key_params``, stored as
data and interpreted by :mod:`datasmart.funding.keys` / :mod:`datasmart.funding.allocation`).
An :class:`AllocationRun` records one computation: the inputs as a JSON snapshot
(posts, keys, recipients, populations, acceptance, policy) and the result as
:class:`AllocationLine` rows, so a decision can be reproduced from the run alone.

Writes go through :mod:`datasmart.funding.services` (atomic, audited); the models hold no
business rules beyond choices and constraints.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AgreementStatus(models.TextChoices):
    DRAFT = "draft", _("Utkast")
    PROPOSAL = "proposal", _("Förslag")
    DECIDED = "decided", _("Beslutad")


class AcceptancePolicy(models.TextChoices):
    """What happens to the share of a recipient that did not accept the agreement."""

    WITHHOLD = "withhold", _("Hålls inne (betalas inte ut)")
    REDISTRIBUTE = "redistribute", _("Fördelas om till dem som tackat ja")


class RecipientLevel(models.TextChoices):
    """Who receives a post. ``region`` and ``lan`` are the same 21 units (codes 01–25);
    the distinction is the source's (money "till regionerna" vs "till länen"). ``mixed`` is
    for a sum the source gives only in total for kommuner, regions and län together; such a
    post can only have the ``unspecified`` key."""

    REGION = "region", _("Regioner")
    KOMMUN = "kommun", _("Kommuner")
    LAN = "lan", _("Län")
    SKR = "skr", _("SKR")
    ADMINISTRATION = "administration", _("Administration")
    MIXED = "mixed", _("Kommuner, regioner och län (ej uppdelat)")


class KeyType(models.TextChoices):
    """How a post is split (see :mod:`datasmart.funding.keys`)."""

    POPULATION_SHARE = "population_share", _("Andel av befolkningen")
    FIXED_PLUS_POPULATION = "fixed_plus_population", _("Fast belopp per mottagare + befolkning")
    FIXED_AMOUNTS = "fixed_amounts", _("Fasta belopp per mottagare")
    DIRECT_AMOUNT = "direct_amount", _("Hela beloppet till en mottagare")
    UNSPECIFIED = "unspecified", _("Fördelningen anges inte i källan")


class Agreement(models.Model):
    """One year's agreement (or proposal) between the government and SKR."""

    year = models.PositiveSmallIntegerField(_("år"), unique=True)
    title = models.CharField(_("titel"), max_length=200)
    total_sek = models.BigIntegerField(_("totalt belopp (kr)"))
    parties = models.CharField(_("parter"), max_length=300, blank=True)
    decision_date = models.DateField(_("beslutsdatum"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=AgreementStatus.choices, default=AgreementStatus.DRAFT
    )
    population_year = models.PositiveSmallIntegerField(
        _("befolkningsår"),
        null=True,
        blank=True,
        help_text=_("Befolkningen 31 december detta år används för befolkningsnycklarna."),
    )
    population_year_reason = models.TextField(_("motivering för befolkningsår"), blank=True)
    acceptance_policy = models.CharField(
        _("hantering av mottagare som tackat nej"),
        max_length=16,
        choices=AcceptancePolicy.choices,
        default=AcceptancePolicy.WITHHOLD,
    )
    acceptance_summary = models.JSONField(
        _("antal som tackat ja enligt källan"),
        default=dict,
        blank=True,
        help_text=_('Till exempel {"kommun": [288, 290]} när källan bara anger antal.'),
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    source = models.TextField(_("källa"), blank=True)
    notes = models.TextField(_("anmärkningar"), blank=True)
    source_file = models.CharField(max_length=300, blank=True, verbose_name=_("källfil"))
    source_sha256 = models.CharField(
        max_length=64, blank=True, verbose_name=_("källfilens kontrollsumma (SHA-256)")
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("skapad"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("uppdaterad"))

    class Meta:
        ordering = ["-year"]
        verbose_name = _("överenskommelse")
        verbose_name_plural = _("överenskommelser")

    def __str__(self) -> str:
        return f"{self.year}: {self.title}"


class Post(models.Model):
    """One post (budget line) of an agreement and its allocation key."""

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="posts")
    code = models.SlugField(_("kod"), max_length=60)
    name = models.CharField(_("namn"), max_length=200)
    amount_sek = models.BigIntegerField(_("belopp (kr)"))
    recipient_level = models.CharField(
        _("mottagare"), max_length=16, choices=RecipientLevel.choices
    )
    purpose = models.TextField(_("syfte"), blank=True)
    key_type = models.CharField(_("fördelningsnyckel"), max_length=32, choices=KeyType.choices)
    key_params = models.JSONField(_("nyckelns parametrar"), default=dict, blank=True)
    order = models.PositiveSmallIntegerField(_("ordning"), default=0)

    class Meta:
        ordering = ["agreement", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["agreement", "code"], name="funding_post_code_uniq"),
            models.CheckConstraint(
                condition=models.Q(amount_sek__gte=0), name="funding_post_amount_nonneg"
            ),
        ]
        verbose_name = _("post")
        verbose_name_plural = _("poster")

    def __str__(self) -> str:
        return f"{self.agreement.year} {self.code}"


class Acceptance(models.Model):
    """Whether a kommun or region accepted (tackade ja till) the agreement's money."""

    agreement = models.ForeignKey(
        Agreement,
        on_delete=models.CASCADE,
        related_name="acceptances",
        verbose_name=_("överenskommelse"),
    )
    unit = models.ForeignKey(
        "geo.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("enhet")
    )
    accepted = models.BooleanField(_("tackat ja"))
    date = models.DateField(_("datum"), null=True, blank=True)

    class Meta:
        ordering = ["agreement", "unit__code"]
        constraints = [
            models.UniqueConstraint(fields=["agreement", "unit"], name="funding_acceptance_uniq")
        ]
        verbose_name = _("svar på överenskommelse")
        verbose_name_plural = _("svar på överenskommelse")

    def __str__(self) -> str:
        return f"{self.agreement.year} {self.unit_id}: {'ja' if self.accepted else 'nej'}"


class AllocationRun(models.Model):
    """One computation of an agreement's allocation, with its full input snapshot.

    ``inputs`` holds everything the engine used (posts, keys, recipients and their names,
    population weights, acceptance, policy), so :func:`services.reproduce_run` can recompute
    the lines without reading any other table. ``result_sha256`` fingerprints the lines.
    """

    agreement = models.ForeignKey(
        Agreement, on_delete=models.PROTECT, related_name="runs", verbose_name=_("överenskommelse")
    )
    agreement_version = models.PositiveIntegerField(verbose_name=_("överenskommelsens version"))
    population_year = models.PositiveSmallIntegerField(
        null=True, blank=True, verbose_name=_("befolkningsår")
    )
    policy = models.CharField(
        max_length=16,
        choices=AcceptancePolicy.choices,
        verbose_name=_("hantering av mottagare som tackat nej"),
    )
    is_scenario = models.BooleanField(default=False, verbose_name=_("scenario"))
    label = models.CharField(max_length=200, blank=True, verbose_name=_("etikett"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("skapad av"),
    )
    created_by_username = models.CharField(
        max_length=150, blank=True, verbose_name=_("skapad av (användarnamn)")
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("skapad"))
    inputs = models.JSONField(verbose_name=_("indata"))
    total_sek = models.BigIntegerField(verbose_name=_("totalt (kr)"))
    paid_sek = models.BigIntegerField(verbose_name=_("utbetalas (kr)"))
    withheld_sek = models.BigIntegerField(verbose_name=_("hålls inne (kr)"))
    result_sha256 = models.CharField(
        max_length=64, verbose_name=_("resultatets kontrollsumma (SHA-256)")
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("fördelningskörning")
        verbose_name_plural = _("fördelningskörningar")

    def __str__(self) -> str:
        kind = "scenario" if self.is_scenario else "run"
        return f"{self.agreement.year} {kind} #{self.pk}"


class AllocationLine(models.Model):
    """One post × recipient of a run. ``post_code``/``recipient_*`` are snapshots so the line
    survives later edits of the agreement; ``unit`` is empty for SKR and unallocated rows."""

    run = models.ForeignKey(
        AllocationRun,
        on_delete=models.CASCADE,
        related_name="lines",
        verbose_name=_("fördelningskörning"),
    )
    post = models.ForeignKey(
        Post,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("post"),
    )
    post_code = models.CharField(max_length=60, verbose_name=_("postens kod"))
    unit = models.ForeignKey(
        "geo.Unit",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("enhet"),
    )
    recipient_code = models.CharField(max_length=32, blank=True, verbose_name=_("mottagarens kod"))
    recipient_name = models.CharField(max_length=200, verbose_name=_("mottagarens namn"))
    population = models.BigIntegerField(null=True, blank=True, verbose_name=_("befolkning"))
    amount_sek = models.BigIntegerField(verbose_name=_("belopp (kr)"))
    withheld = models.BooleanField(default=False, verbose_name=_("hålls inne"))
    order = models.PositiveIntegerField(default=0, verbose_name=_("ordning"))

    class Meta:
        ordering = ["run", "order"]
        indexes = [models.Index(fields=["run", "post_code"], name="funding_line_run_post")]
        verbose_name = _("fördelningsrad")
        verbose_name_plural = _("fördelningsrader")

    def __str__(self) -> str:
        return f"{self.post_code} {self.recipient_code}: {self.amount_sek}"

    @property
    def paid_sek(self) -> int:
        return 0 if self.withheld else self.amount_sek


# --------------------------------------------------------------------------- follow-up


class ConditionRule(models.TextChoices):
    """How a condition's fulfilment is known: assessed by hand, or read from another domain
    (never copied: :mod:`datasmart.funding.plan_conditions` asks each time)."""

    MANUAL = "manual", _("Bedöms av administratören")
    JOINT_PLAN = "joint_plan", _("Överenskommen gemensam länsplan för överenskommelsens år")


class Condition(models.Model):
    """A condition (prestationsmål, villkor) a recipient must meet for a post's money.

    ``rule`` says how fulfilment is known: ``manual`` conditions are assessed per recipient
    (:class:`Fulfilment` rows); ``joint_plan`` is fulfilled when the recipient's län has an
    agreed joint plan covering the agreement's year (the 2016 and 2020 agreements' money
    "utifrån handlingsplaner"), read live from the plans domain.
    """

    agreement = models.ForeignKey(
        Agreement,
        on_delete=models.CASCADE,
        related_name="conditions",
        verbose_name=_("överenskommelse"),
    )
    post = models.ForeignKey(
        Post,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="conditions",
        verbose_name=_("post"),
    )
    code = models.SlugField(max_length=60, verbose_name=_("kod"))
    text = models.TextField(_("villkor"))
    recipient_level = models.CharField(
        max_length=16, choices=RecipientLevel.choices, verbose_name=_("mottagare")
    )
    due_date = models.DateField(_("senast"), null=True, blank=True)
    order = models.PositiveSmallIntegerField(default=0, verbose_name=_("ordning"))
    rule = models.CharField(
        _("bedöms"),
        max_length=16,
        choices=ConditionRule.choices,
        default=ConditionRule.MANUAL,
    )

    class Meta:
        ordering = ["agreement", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["agreement", "code"], name="funding_condition_uniq")
        ]
        verbose_name = _("villkor")
        verbose_name_plural = _("villkor")

    def __str__(self) -> str:
        return f"{self.agreement.year} {self.code}"


class FulfilmentStatus(models.TextChoices):
    FULFILLED = "fulfilled", _("Uppfyllt")
    PARTLY = "partly", _("Delvis uppfyllt")
    NOT_FULFILLED = "not_fulfilled", _("Inte uppfyllt")


class Fulfilment(models.Model):
    """Whether one recipient met one condition (no row = not yet assessed)."""

    condition = models.ForeignKey(
        Condition, on_delete=models.CASCADE, related_name="fulfilments", verbose_name=_("villkor")
    )
    unit = models.ForeignKey(
        "geo.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("enhet")
    )
    status = models.CharField(max_length=16, choices=FulfilmentStatus.choices)
    note = models.TextField(blank=True, verbose_name=_("anteckning"))
    assessed_at = models.DateTimeField(auto_now=True, verbose_name=_("bedömd"))
    assessed_by_username = models.CharField(max_length=150, blank=True, verbose_name=_("bedömd av"))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["condition", "unit"], name="funding_fulfilment_uniq")
        ]
        verbose_name = _("uppfyllelse av villkor")
        verbose_name_plural = _("uppfyllelser av villkor")

    def __str__(self) -> str:
        return f"{self.condition_id} {self.unit_id}: {self.status}"


class PayoutStatus(models.TextChoices):
    PLANNED = "planned", _("Planerad")
    PAID = "paid", _("Utbetald")
    HELD = "held", _("Innehållen")
    RECLAIMED = "reclaimed", _("Återkrävd")


class Payout(models.Model):
    """Payout status of one line of a saved (decided) run."""

    line = models.OneToOneField(
        AllocationLine,
        on_delete=models.PROTECT,
        related_name="payout",
        verbose_name=_("fördelningsrad"),
    )
    status = models.CharField(max_length=16, choices=PayoutStatus.choices)
    date = models.DateField(null=True, blank=True, verbose_name=_("datum"))
    reference = models.CharField(_("verifikation"), max_length=100, blank=True)
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("uppdaterad"))
    updated_by_username = models.CharField(
        max_length=150, blank=True, verbose_name=_("uppdaterad av")
    )

    class Meta:
        verbose_name = _("utbetalning")
        verbose_name_plural = _("utbetalningar")

    def __str__(self) -> str:
        return f"{self.line_id}: {self.status}"


class Survey(models.Model):
    """A reporting survey (enkät) for the recipients of an agreement; questions are data:
    a list of ``{code, text, type (text|number|yesno|choice), required, choices}``."""

    agreement = models.ForeignKey(
        Agreement,
        on_delete=models.CASCADE,
        related_name="surveys",
        verbose_name=_("överenskommelse"),
    )
    code = models.SlugField(max_length=60, verbose_name=_("kod"))
    title = models.CharField(max_length=200, verbose_name=_("titel"))
    respondent_level = models.CharField(
        max_length=16,
        choices=[(RecipientLevel.KOMMUN.value, _("Kommuner")), ("region", _("Regioner/län"))],
        verbose_name=_("svarande"),
    )
    due_date = models.DateField(_("sista dag"))
    questions = models.JSONField(default=list, verbose_name=_("frågor"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("skapad"))

    class Meta:
        ordering = ["agreement", "due_date", "code"]
        constraints = [
            models.UniqueConstraint(fields=["agreement", "code"], name="funding_survey_uniq")
        ]
        verbose_name = _("enkät")
        verbose_name_plural = _("enkäter")

    def __str__(self) -> str:
        return f"{self.agreement.year} {self.code}"


class ResponseStatus(models.TextChoices):
    DRAFT = "draft", _("Utkast")
    SUBMITTED = "submitted", _("Inskickad")


class SurveyResponse(models.Model):
    """One recipient's answers to one survey: a draft until submitted; a coordinator may
    reopen a submitted response (it becomes a draft again, ``reopened`` counts how often)."""

    survey = models.ForeignKey(
        Survey, on_delete=models.CASCADE, related_name="responses", verbose_name=_("enkät")
    )
    unit = models.ForeignKey(
        "geo.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("enhet")
    )
    status = models.CharField(
        max_length=16, choices=ResponseStatus.choices, default=ResponseStatus.DRAFT
    )
    answers = models.JSONField(default=dict, verbose_name=_("svar"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("uppdaterad"))
    updated_by_username = models.CharField(
        max_length=150, blank=True, verbose_name=_("uppdaterad av")
    )
    submitted_at = models.DateTimeField(null=True, blank=True, verbose_name=_("inskickad"))
    submitted_by_username = models.CharField(
        max_length=150, blank=True, verbose_name=_("inskickad av")
    )
    reopened = models.PositiveSmallIntegerField(default=0, verbose_name=_("öppnad igen (antal)"))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["survey", "unit"], name="funding_response_uniq")
        ]
        verbose_name = _("enkätsvar")
        verbose_name_plural = _("enkätsvar")

    def __str__(self) -> str:
        return f"{self.survey_id} {self.unit_id}: {self.status}"


class Reminder(models.Model):
    """A reminder e-mailed to a recipient's users about a survey, at most one per day."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="reminders")
    unit = models.ForeignKey("geo.Unit", on_delete=models.PROTECT, related_name="+")
    sent_on = models.DateField()
    addresses = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-sent_on", "survey", "unit"]
        constraints = [
            models.UniqueConstraint(
                fields=["survey", "unit", "sent_on"], name="funding_reminder_uniq"
            )
        ]

    def __str__(self) -> str:
        return f"{self.survey_id} {self.unit_id} {self.sent_on}"
