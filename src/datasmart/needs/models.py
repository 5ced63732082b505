"""Stored state of the needs domain: projection runs and imported official projections.

The platform's own projection is computed on demand from the stored population (fast: a
few hundred milliseconds, then cached per data version), so its results are not stored;
what is stored is the record of every distinct run — its parameters and the hashes of the
data it was computed from — so that any figure can be reproduced and explained.
An imported projection (e.g. SCB's befolkningsframskrivning) has no parameters of ours: its
numbers are stored as they were imported, with the file's hash.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from datasmart.geo.models import Sex, Unit


class ProjectionRun(models.Model):
    """One distinct projection: parameters + data versions (``fingerprint`` = hash of
    both). Created on first use, reused when the same projection is asked again."""

    fingerprint = models.CharField(_("fingeravtryck"), max_length=64, unique=True)
    method = models.CharField(_("metod"), max_length=64, default="hamilton-perry")
    base_year = models.PositiveSmallIntegerField(_("basår"))
    parameters = models.JSONField(_("parametrar"))
    data_versions = models.JSONField(_("dataversioner"), default=dict)
    nation_totals = models.JSONField(_("rikets totaler"), default=dict)
    created_at = models.DateTimeField(_("skapad"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("framskrivningskörning")
        verbose_name_plural = _("framskrivningskörningar")

    def __str__(self) -> str:
        return f"{self.method} {self.base_year} ({self.fingerprint[:8]})"


class ImportedProjection(models.Model):
    """An official projection imported from a CSV file (a second scenario)."""

    scenario = models.SlugField(_("scenarionamn"), max_length=64, unique=True)
    title = models.CharField(_("titel"), max_length=200)
    publisher = models.CharField(_("utgivare"), max_length=120)
    source = models.CharField(_("källa"), max_length=300, blank=True, default="")
    file_name = models.CharField(_("filnamn"), max_length=300)
    sha256 = models.CharField(_("kontrollsumma (SHA-256)"), max_length=64)
    rows = models.PositiveIntegerField(_("rader"))
    first_year = models.PositiveSmallIntegerField(_("första år"))
    last_year = models.PositiveSmallIntegerField(_("sista år"))
    imported_at = models.DateTimeField(_("inläst"), auto_now=True)

    class Meta:
        ordering = ["scenario"]
        verbose_name = _("importerad framskrivning")
        verbose_name_plural = _("importerade framskrivningar")

    def __str__(self) -> str:
        return f"{self.scenario}: {self.title}"


class ImportedProjectionCell(models.Model):
    """Projected population on 31 December of ``year`` for one unit, one-year age (100 =
    100+) and sex, as the imported file gives it."""

    projection = models.ForeignKey(
        ImportedProjection, on_delete=models.CASCADE, related_name="cells"
    )
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    age = models.PositiveSmallIntegerField()
    sex = models.CharField(max_length=1, choices=Sex.choices)
    population = models.FloatField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["projection", "year", "unit", "sex", "age"],
                name="uniq_imported_projection_cell",
            )
        ]

    def __str__(self) -> str:
        return f"{self.projection_id} {self.unit_id} {self.year} {self.sex} {self.age}"


# --- prevalence, published projections and saved needs scenarios (issue #13 §2–4) ---------


class PeriodType(models.TextChoices):
    """What kind of share a prevalence figure is: they are not interchangeable."""

    POINT = "point", _("punktprevalens")
    TWELVE_MONTHS = "12m", _("12-månadersprevalens")
    CUMULATIVE = "cumulative", _("kumulativ incidens till en ålder")
    LIFETIME = "lifetime", _("livstidsprevalens")
    OTHER = "other", _("annat mått")


class PrevalenceEstimate(models.Model):
    """One published prevalence figure (shares 0–1, not percent) with its source.

    Rows come from the reference file and the repository's own file (loader), and an
    administrator may change them in the admin; every change is kept as a
    :class:`PrevalenceVersion` and audited (``needs.prevalence_changed``). Only rows with
    ``use_in_needs`` enter expected cases; their age bands may not overlap for the same
    condition and sex (a person would be counted twice)."""

    key = models.CharField(_("nyckel"), max_length=64, unique=True)
    condition = models.CharField(_("tillstånd"), max_length=32)
    definition = models.CharField(_("definition"), max_length=300, blank=True, default="")
    measure = models.CharField(_("mått"), max_length=200)
    period_type = models.CharField(
        _("periodtyp"), max_length=16, choices=PeriodType.choices, default=PeriodType.OTHER
    )
    country = models.CharField(_("land"), max_length=40, blank=True, default="")
    age_band = models.CharField(_("åldersband"), max_length=60)
    age_from = models.PositiveSmallIntegerField(_("från ålder"), null=True, blank=True)
    age_to = models.PositiveSmallIntegerField(_("till ålder"), null=True, blank=True)
    sex = models.CharField(
        _("kön"), max_length=1, choices=[("1", _("män")), ("2", _("kvinnor")), ("T", _("totalt"))]
    )
    low = models.FloatField(_("låg andel"), null=True, blank=True)
    central = models.FloatField(_("central andel"), null=True, blank=True)
    high = models.FloatField(_("hög andel"), null=True, blank=True)
    reference_period = models.CharField(_("referensperiod"), max_length=120, blank=True, default="")
    source_type = models.CharField(_("typ av källa"), max_length=120, blank=True, default="")
    publication = models.TextField(_("publikation"))
    source_table = models.CharField(_("tabell"), max_length=200, blank=True, default="")
    source_year = models.CharField(_("utgivningsår"), max_length=20, blank=True, default="")
    link = models.CharField(_("länk"), max_length=500, blank=True, default="")
    note = models.TextField(_("anmärkning"), blank=True, default="")
    range_is_judgement = models.BooleanField(_("intervallet är en bedömning"), default=False)
    use_in_needs = models.BooleanField(_("används för förväntat antal"), default=False)
    origin = models.CharField(_("fil"), max_length=200, blank=True, default="")
    origin_row = models.PositiveIntegerField(_("rad i filen"), null=True, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    updated_at = models.DateTimeField(_("ändrad"), auto_now=True)

    class Meta:
        ordering = ["condition", "age_from", "sex", "pk"]
        verbose_name = _("prevalensuppgift")
        verbose_name_plural = _("prevalensuppgifter")

    def __str__(self) -> str:
        return f"{self.condition} {self.age_band} {self.sex}"


class PrevalenceVersion(models.Model):
    """An earlier (or the current) content of a prevalence figure: history kept for good."""

    estimate = models.ForeignKey(
        PrevalenceEstimate, on_delete=models.CASCADE, related_name="versions"
    )
    version = models.PositiveIntegerField(_("version"))
    data = models.JSONField(_("innehåll"))
    changed_by = models.CharField(_("ändrad av"), max_length=150)
    changed_at = models.DateTimeField(_("ändrad"), auto_now_add=True)
    reason = models.CharField(_("anledning"), max_length=200, blank=True, default="")

    class Meta:
        ordering = ["estimate", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["estimate", "version"], name="uniq_prevalence_version")
        ]
        verbose_name = _("prevalensversion")
        verbose_name_plural = _("prevalensversioner")

    def __str__(self) -> str:
        return f"{self.estimate_id} v{self.version}"


class PublishedProjectionPoint(models.Model):
    """One figure of a published projection file in broad groups (Region Halland's own
    and SCB's national projection as given in ``../shared/data/projections``): observed
    and projected population, total (``age_group`` blank) or by broad age group."""

    dataset = models.CharField(_("datamängd"), max_length=64)
    region_code = models.CharField(_("områdeskod"), max_length=8)
    region_name = models.CharField(_("område"), max_length=80)
    year = models.PositiveSmallIntegerField(_("år"))
    age_group = models.CharField(_("åldersgrupp"), max_length=16, blank=True, default="")
    series = models.CharField(_("serie"), max_length=40)
    population = models.FloatField(_("folkmängd"))

    class Meta:
        ordering = ["dataset", "region_code", "age_group", "year"]
        constraints = [
            models.UniqueConstraint(
                fields=["dataset", "region_code", "age_group", "year"],
                name="uniq_published_projection_point",
            )
        ]
        verbose_name = _("publicerad framskrivning")
        verbose_name_plural = _("publicerade framskrivningar")

    def __str__(self) -> str:
        return f"{self.dataset} {self.region_code} {self.year} {self.age_group}"


class PrevalenceVariant(models.TextChoices):
    LOW = "low", _("låg")
    CENTRAL = "central", _("central")
    HIGH = "high", _("hög")


class NeedsScenario(models.Model):
    """A saved needs scenario: which projection and which prevalence variant, with the
    analyst's comment, owned by an organisation (only its analysts save and change it)."""

    organisation = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.CASCADE,
        related_name="needs_scenarios",
        verbose_name=_("organisation"),
    )
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="+", verbose_name=_("enhet")
    )
    name = models.CharField(_("namn"), max_length=120)
    projection_variant = models.CharField(_("framskrivning"), max_length=64, default="platform")
    prevalence_variant = models.CharField(
        _("prevalensvariant"),
        max_length=8,
        choices=PrevalenceVariant.choices,
        default=PrevalenceVariant.CENTRAL,
    )
    comment = models.TextField(_("kommentar"), blank=True, default="")
    created_by = models.CharField(_("skapad av"), max_length=150)
    created_at = models.DateTimeField(_("skapad"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("behovsscenario")
        verbose_name_plural = _("behovsscenarier")

    def __str__(self) -> str:
        return self.name
