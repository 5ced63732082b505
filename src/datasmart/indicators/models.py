"""Indicator catalogue, observations and import history.

An :class:`Indicator` is a definition (what is counted, over what, with which multiplier
and direction); its definition lives in TOML files under ``catalogue/`` and is synced into
the database (:func:`datasmart.indicators.catalogue.sync_catalogue`). An
:class:`Observation` is one published or imported figure for one unit, period (a year, or
a month as ``YYYYMM``: :mod:`datasmart.indicators.periods`), sex and age group, always
with a status. Every observation comes from an :class:`ImportBatch` that
records who loaded which file (by SHA-256) and when.

Rates and proportions carry numerator and denominator, so that values for larger units
are computed by summing both (never by averaging rates) and confidence intervals can be
computed; indicators of type ``value`` carry only the published value.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from datasmart.geo.models import Unit


class IndicatorType(models.TextChoices):
    """How a value is formed. Values are the API, TOML and CLI spelling."""

    PROPORTION = "proportion", _("Andel")
    RATE = "rate", _("Kvot (per invånare)")
    MEAN = "mean", _("Medelvärde")
    DSR = "dsr", _("Åldersstandardiserad kvot")
    COUNT = "count", _("Antal")
    COMPOSITE = "composite", _("Sammanvägt index")
    VALUE = "value", _("Publicerat värde")


class Polarity(models.TextChoices):
    """Which direction is better, for colouring comparisons."""

    HIGHER_IS_BETTER = "higher_is_better", _("Högre är bättre")
    LOWER_IS_BETTER = "lower_is_better", _("Lägre är bättre")
    NO_JUDGEMENT = "no_judgement", _("Ingen bedömning")


class CiMethod(models.TextChoices):
    """Default confidence-interval method for the engine (see docs/methods/statistics.md)."""

    WILSON = "wilson", _("Wilson (andelar)")
    BYAR = "byar", _("Byar (Poisson, kvoter)")
    DOBSON = "dobson", _("Dobson (standardiserade kvoter)")
    NORMAL = "normal", _("Normalapproximation (medelvärden)")
    NONE = "none", _("Inget konfidensintervall")


class ObservationStatus(models.TextChoices):
    """Status of a figure besides its number (Kolada's markers in brackets)."""

    OK = "ok", _("Värde")
    MISSING = "missing", _("Uppgift saknas")  # Kolada "Missing"
    SUPPRESSED_AT_SOURCE = "suppressed_at_source", _("Sekretess hos källan")  # "Privacy"
    NOT_APPLICABLE = "not_applicable", _("Ej tillämpligt")  # "Not applicable"


class ObservationSex(models.TextChoices):
    """SCB codes plus ``T`` for both sexes together."""

    TOTAL = "T", _("Totalt")
    MEN = "1", _("Män")
    WOMEN = "2", _("Kvinnor")


BREAKDOWN_CHOICES = ("sex", "age_group")
LEVEL_CHOICES = ("nation", "sjukvardsregion", "region", "kommun")


class Indicator(models.Model):
    """An indicator definition, synced from ``catalogue/*.toml`` (or edited in the admin).

    ``code`` is the stable slug used in URLs, files and the API. ``version`` is the
    catalogue file's version of this definition: a sync overwrites the row only when the
    file's version is higher (admin edits between releases win until then; they set
    ``locally_edited``).
    """

    code = models.SlugField(_("kod"), max_length=80, unique=True)
    group = models.CharField(
        _("grupp"), max_length=80, blank=True, help_text="Catalogue file stem, e.g. 'kolada'."
    )
    source_code = models.CharField(
        _("källans kod"),
        max_length=40,
        blank=True,
        help_text="The publisher's own id, e.g. Kolada KPI 'N15428' or ATC 'N06BA04'.",
    )
    title_sv = models.CharField(_("titel (svenska)"), max_length=300)
    title_en = models.CharField(_("titel (engelska)"), max_length=300, blank=True)
    definition_sv = models.TextField(_("definition (svenska)"), blank=True)
    definition_en = models.TextField(_("definition (engelska)"), blank=True)
    type = models.CharField(_("typ"), max_length=16, choices=IndicatorType.choices)
    multiplier = models.FloatField(
        _("multiplikator"), default=1, help_text="100 for per cent, 100000 for per 100 000."
    )
    value_unit = models.CharField(
        _("enhet"), max_length=60, blank=True, help_text="Display unit, e.g. '%', 'per 100 000'."
    )
    polarity = models.CharField(
        _("riktning"), max_length=20, choices=Polarity.choices, default=Polarity.NO_JUDGEMENT
    )
    polarity_reason = models.TextField(_("motivering för riktning"), blank=True)
    numerator_definition = models.TextField(_("täljare"), blank=True)
    denominator_definition = models.TextField(_("nämnare"), blank=True)
    numerator_population = models.JSONField(
        _("täljare från befolkningen"),
        null=True,
        blank=True,
        help_text='E.g. {"age_min": 0, "age_max": 17, "sex": null}: numerator = that population.',
    )
    denominator_population = models.JSONField(
        _("nämnare från befolkningen"),
        null=True,
        blank=True,
        help_text='E.g. {"age_min": 0, "age_max": 17, "sex": null}: denominator = that population.',
    )
    source = models.TextField(_("källa"), blank=True)
    licence = models.CharField(_("licens"), max_length=200, blank=True)
    attribution = models.CharField(_("källhänvisning"), max_length=300, blank=True)
    levels = models.JSONField(_("nivåer"), default=list, help_text="Levels data is stored at.")
    breakdowns = models.JSONField(_("uppdelningar"), default=list, blank=True)
    age_groups = models.JSONField(
        _("åldersgrupper"), default=list, blank=True, help_text="Allowed age groups ('' = all)."
    )
    first_period = models.PositiveSmallIntegerField(_("första år"), null=True, blank=True)
    last_period = models.PositiveSmallIntegerField(_("sista år"), null=True, blank=True)
    value_min = models.FloatField(_("lägsta värde"), null=True, blank=True)
    value_max = models.FloatField(_("högsta värde"), null=True, blank=True)
    domain = models.CharField(
        _("domän"), max_length=8, blank=True, help_text="Composite-index domain, e.g. 'A'…'D'."
    )
    quality_notes = models.TextField(_("kvalitetsanmärkningar"), blank=True)
    targets = models.JSONField(
        _("målvärden"),
        default=list,
        blank=True,
        help_text=(
            'Targets the source names, e.g. [{"value": 80, "label_sv": "…", "label_en": "…"}]: '
            "drawn as horizontal lines in the trend chart and listed on the page."
        ),
    )
    ci_method = models.CharField(
        _("KI-metod"), max_length=16, choices=CiMethod.choices, default=CiMethod.NONE
    )
    observations_public = models.BooleanField(
        _("observationer offentliga"),
        default=True,
        help_text=(
            "False for indicators computed from datasmart's own person-level data (SIP): "
            "their observations hold raw counts before small-number suppression and are "
            "never served; only the suppressed results are."
        ),
    )
    disclosure_group = models.CharField(
        _("röjandeskyddsgrupp"),
        max_length=80,
        blank=True,
        help_text=(
            "Indicators with the same non-empty group count the same population (e.g. "
            "plans started, and the denominator of a share of those plans): the engine "
            "suppresses them together, hiding the same units in all of them."
        ),
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    catalogue_file = models.CharField(_("katalogfil"), max_length=200, blank=True)
    locally_edited = models.BooleanField(
        _("ändrad i admin"),
        default=False,
        help_text="Set by an admin edit; cleared when a newer catalogue version is synced.",
    )
    updated_at = models.DateTimeField(_("uppdaterad"), auto_now=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("indikator")
        verbose_name_plural = _("indikatorer")

    def __str__(self) -> str:
        return f"{self.code}: {self.title_sv}"

    @property
    def has_counts(self) -> bool:
        """Whether observations carry numerator and denominator (sum-able up the hierarchy)."""
        return self.type in (IndicatorType.PROPORTION, IndicatorType.RATE)


class ImportKind(models.TextChoices):
    CSV = "csv", "CSV"
    XLSX = "xlsx", "Excel (xlsx)"
    REFERENCE = "reference", _("Referensdata")


class ImportBatch(models.Model):
    """One loaded file: who, when, which file (name and SHA-256), how many rows."""

    indicators = models.ManyToManyField(
        Indicator, related_name="batches", verbose_name=_("indikatorer")
    )
    indicator_codes = models.CharField(
        _("indikatorer"),
        max_length=2000,
        help_text="Sorted, comma-separated codes: the set the re-import check compares.",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="indicator_imports",
        help_text="Empty for system loads (CLI, reference data).",
        verbose_name=_("användare"),
    )
    actor_username = models.CharField(_("användarnamn"), max_length=150, blank=True)
    created_at = models.DateTimeField(_("tidpunkt"), auto_now_add=True, db_index=True)
    file_name = models.CharField(_("fil"), max_length=300)
    sha256 = models.CharField(_("SHA-256"), max_length=64, db_index=True)
    row_count = models.PositiveIntegerField(_("rader"))
    kind = models.CharField(_("typ"), max_length=16, choices=ImportKind.choices)
    dataset = models.CharField(
        _("datamängd"), max_length=80, blank=True, help_text="Reference dataset name, if any."
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("inläsning")
        verbose_name_plural = _("inläsningar")

    def __str__(self) -> str:
        return f"{self.file_name} ({self.row_count} rader, {self.created_at:%Y-%m-%d %H:%M})"


class Observation(models.Model):
    """One figure: indicator × unit × period × sex × age group, with a status.

    ``age_group`` ``""`` means all ages; ``sex`` ``"T"`` both sexes. ``numerator`` and
    ``denominator`` are set for rates and proportions; ``value`` is the published or
    computed value (``numerator / denominator × multiplier``) and empty when the status is
    not ``ok``.
    """

    indicator = models.ForeignKey(
        Indicator,
        on_delete=models.CASCADE,
        related_name="observations",
        verbose_name=_("indikator"),
    )
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="observations", verbose_name=_("enhet")
    )
    period = models.PositiveIntegerField(
        _("period"), help_text="Year (2023) or, for monthly indicators, YYYYMM (202603)."
    )
    sex = models.CharField(
        _("kön"), max_length=1, choices=ObservationSex.choices, default=ObservationSex.TOTAL
    )
    age_group = models.CharField(_("åldersgrupp"), max_length=16, blank=True, default="")
    numerator = models.FloatField(_("täljare"), null=True, blank=True)
    denominator = models.FloatField(_("nämnare"), null=True, blank=True)
    denominator_year = models.PositiveSmallIntegerField(
        _("nämnarens år"),
        null=True,
        blank=True,
        help_text=(
            "Set when the denominator is another year's population (the period's own is "
            "not available by the ages and sex needed): shown as a note with the figure."
        ),
    )
    value = models.FloatField(_("värde"), null=True, blank=True)
    status = models.CharField(
        _("status"),
        max_length=24,
        choices=ObservationStatus.choices,
        default=ObservationStatus.OK,
    )
    batch = models.ForeignKey(
        ImportBatch,
        on_delete=models.PROTECT,
        related_name="observations",
        verbose_name=_("inläsning"),
    )

    class Meta:
        ordering = ["indicator", "period", "unit", "sex", "age_group"]
        verbose_name = _("observation")
        verbose_name_plural = _("observationer")
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "unit", "period", "sex", "age_group"],
                name="uniq_observation_cell",
            )
        ]
        indexes = [models.Index(fields=["unit", "period"], name="observation_unit_period_idx")]

    def __str__(self) -> str:
        return (
            f"{self.indicator_id} {self.unit_id} {self.period} {self.sex} "
            f"{self.age_group or 'alla'}: {self.value}"
        )

    def key(self) -> tuple[Any, ...]:
        return (self.indicator_id, self.unit_id, self.period, self.sex, self.age_group)


class Result(models.Model):
    """One computed figure from :func:`datasmart.indicators.engine.compute`.

    Rows are replaced as a whole per indicator by
    :func:`datasmart.indicators.results.compute_indicator`; suppression has already been
    applied (a suppressed row has ``status = "suppressed"`` and no value, interval or
    numerator). ``level`` repeats ``unit.level`` so that a level's rows are one index scan.
    """

    indicator = models.ForeignKey(
        Indicator, on_delete=models.CASCADE, related_name="results", verbose_name=_("indikator")
    )
    unit = models.ForeignKey(
        Unit, on_delete=models.CASCADE, related_name="indicator_results", verbose_name=_("enhet")
    )
    level = models.CharField(_("nivå"), max_length=16)
    period = models.PositiveIntegerField(_("period"))
    sex = models.CharField(_("kön"), max_length=1, default=ObservationSex.TOTAL)
    age_group = models.CharField(_("åldersgrupp"), max_length=16, blank=True, default="")
    numerator = models.FloatField(_("täljare"), null=True, blank=True)
    denominator = models.FloatField(_("nämnare"), null=True, blank=True)
    denominator_year = models.PositiveSmallIntegerField(
        _("nämnarens år"),
        null=True,
        blank=True,
        help_text=(
            "Set when the denominator is another year's population (the period's own is "
            "not available by the ages and sex needed): shown as a note with the figure."
        ),
    )
    value = models.FloatField(_("värde"), null=True, blank=True)
    lower = models.FloatField(_("undre gräns"), null=True, blank=True)
    upper = models.FloatField(_("övre gräns"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=24)
    suppression = models.CharField(_("röjandeskydd"), max_length=16, blank=True, null=True)  # noqa: DJ001 (engine null = not applicable)
    aggregated_from = models.CharField(_("summerat från"), max_length=40, blank=True, null=True)  # noqa: DJ001 (engine null = not applicable)
    national_value = models.FloatField(_("rikets värde"), null=True, blank=True)
    vs_nation = models.CharField(_("jämfört med riket"), max_length=24, blank=True, null=True)  # noqa: DJ001 (engine null = not applicable)
    group_code = models.CharField(_("kommungrupp"), max_length=16, blank=True, null=True)  # noqa: DJ001 (engine null = not applicable)
    group_value = models.FloatField(_("kommungruppens värde"), null=True, blank=True)
    vs_group = models.CharField(_("jämfört med gruppen"), max_length=24, blank=True, null=True)  # noqa: DJ001 (engine null = not applicable)
    group_edition = models.CharField(
        _("kommungruppsindelning"),
        max_length=8,
        blank=True,
        default="",
        help_text="SKR edition the kommungrupp comparison uses (in force for the period).",
    )
    previous_period = models.PositiveIntegerField(_("föregående period"), null=True, blank=True)
    previous_value = models.FloatField(_("föregående värde"), null=True, blank=True)
    vs_previous = models.CharField(_("jämfört med föregående"), max_length=24, null=True)  # noqa: DJ001 (engine null = not applicable)
    rank = models.PositiveIntegerField(_("rang"), null=True, blank=True)
    n_ranked = models.PositiveIntegerField(_("antal rangordnade"), null=True, blank=True)
    quintile = models.PositiveSmallIntegerField(_("kvintil"), null=True, blank=True)
    funnel_zone = models.CharField(_("trattzon"), max_length=24, blank=True, null=True)  # noqa: DJ001 (engine null = not applicable)
    method = models.CharField(_("metod"), max_length=300, blank=True)
    computed_at = models.DateTimeField(_("beräknad"))

    class Meta:
        ordering = ["indicator", "period", "level", "unit"]
        verbose_name = _("resultat")
        verbose_name_plural = _("resultat")
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "unit", "period", "sex", "age_group"],
                name="uniq_result_cell",
            )
        ]
        indexes = [
            models.Index(
                fields=["indicator", "period", "level"], name="result_ind_period_level_idx"
            ),
            models.Index(fields=["unit", "period"], name="result_unit_period_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.indicator_id} {self.unit_id} {self.period} {self.sex}: {self.value}"
