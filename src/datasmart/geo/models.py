"""Geography and population: the units everything in datasmart is compared across.

The hierarchy is nation → sjukvårdsregion → region (län) → kommun. It is not a perfect
tree: Hallands län is split between Västra and Södra sjukvårdsregion, so a kommun carries
its own ``sjukvardsregion`` and a split region has the nation as its parent. Population is
stored only for the finest level a source gives (kommun, or län for older years);
everything above is computed in :mod:`datasmart.geo.services`, never stored by hand.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Level(models.TextChoices):
    """Administrative level of a unit. Values are the API and CLI spelling."""

    NATION = "nation", _("Riket")
    SJUKVARDSREGION = "sjukvardsregion", _("Sjukvårdsregion")
    REGION = "region", _("Region/län")
    KOMMUN = "kommun", _("Kommun")


LEVEL_ORDER = [Level.NATION, Level.SJUKVARDSREGION, Level.REGION, Level.KOMMUN]
NATION_CODE = "00"  # the code the indicator sources use for "Riket"


class Unit(models.Model):
    """A geographic unit: the nation, a sjukvårdsregion, a region/län or a kommun.

    Codes are strings: kommun ``"0180"``, län ``"01"``, sjukvårdsregion a slug such as
    ``"vastra"``, and the nation ``"00"``.
    """

    code = models.CharField(_("kod"), max_length=32, unique=True)
    name = models.CharField(_("namn"), max_length=128)
    official_name = models.CharField(_("officiellt namn"), max_length=160, blank=True)
    level = models.CharField(_("nivå"), max_length=16, choices=Level.choices, db_index=True)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    region = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="kommuner",
        help_text="For a kommun: its region/län.",
    )
    sjukvardsregion = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="member_kommuner",
        help_text="For a kommun: its sjukvårdsregion (exact also in split Halland).",
    )
    is_split = models.BooleanField(
        default=False, help_text="A region whose kommuner belong to more than one sjukvårdsregion."
    )
    search_name = models.CharField(max_length=160, db_index=True, editable=False)

    class Meta:
        ordering = ["code"]
        verbose_name = _("enhet")
        verbose_name_plural = _("enheter")

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    def save(self, *args: object, **kwargs: object) -> None:
        self.search_name = self.name.casefold()
        super().save(*args, **kwargs)  # type: ignore[arg-type]


class ComparatorGroup(models.Model):
    """A versioned grouping of kommuner, e.g. SKR's kommungrupp ``B3`` in edition 2017."""

    kind = models.CharField(max_length=32, default="kommungrupp")
    edition = models.CharField(max_length=16)
    code = models.CharField(max_length=16)
    number = models.PositiveSmallIntegerField(null=True, blank=True)
    name = models.CharField(max_length=128)
    main_group_code = models.CharField(max_length=8, blank=True)
    main_group_name = models.CharField(max_length=128, blank=True)
    members = models.ManyToManyField(Unit, through="ComparatorMembership", related_name="groups")

    class Meta:
        ordering = ["kind", "edition", "code"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "edition", "code"], name="uniq_group_code")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name} ({self.edition})"


class ComparatorMembership(models.Model):
    """Which group a kommun belongs to in one edition of a grouping."""

    group = models.ForeignKey(ComparatorGroup, on_delete=models.CASCADE)
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["group", "unit"], name="uniq_group_member")]

    def __str__(self) -> str:
        return f"{self.unit_id} in {self.group_id}"


class Sex(models.TextChoices):
    """SCB sex codes."""

    MEN = "1", _("Män")
    WOMEN = "2", _("Kvinnor")


class PopulationCount(models.Model):
    """Population on 31 December of ``year`` for one unit, one-year age and sex.

    ``age`` 100 means 100 or older (SCB's "100+").
    """

    # No database FK constraint or separate index: this fact table is written only by the
    # validating loader (every code is checked against the units first), and per-row FK
    # triggers made a bulk load ~10x slower than COPY. The unique index leads with year and
    # unit, which serves every query. See docs/decisions/0002-population-fact-table.md.
    unit = models.ForeignKey(
        Unit,
        on_delete=models.DO_NOTHING,
        related_name="population",
        db_constraint=False,
        db_index=False,
    )
    year = models.PositiveSmallIntegerField()
    age = models.PositiveSmallIntegerField()
    sex = models.CharField(max_length=1, choices=Sex.choices)
    population = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["year", "unit", "sex", "age"], name="uniq_population_cell"
            )
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.year} {self.sex} {self.age}: {self.population}"


class Granularity(models.TextChoices):
    """How finely a population figure is broken down by age, finest first.

    Sources overlap (2013–2015 by län comes both as one-year ages and as five-year bands;
    län totals 2011–2024 overlap both), so every figure says which one it was computed
    from. Values are the API, CSV and CLI spelling.
    """

    AGE = "age", _("ettårsklasser")
    AGE_BAND = "age_band", _("åldersgrupper")
    TOTAL = "total", _("endast total")


GRANULARITY_ORDER = [Granularity.AGE, Granularity.AGE_BAND, Granularity.TOTAL]


class PopulationBand(models.Model):
    """Population on 31 December of ``year`` for one unit, age band and sex.

    For sources that give age bands only (Eurostat ``demo_r_pjangrp3``: five-year bands
    ``0-4`` … ``85-89`` and an open ``90+``). The band structure is explicit: ``age_from``
    to ``age_to`` inclusive, ``age_to`` None for the open top band. Stored beside
    :class:`PopulationCount` where both exist (the loader checks that they agree), never
    mixed with it in one sum. A fact table like :class:`PopulationCount` (see
    docs/decisions/0002-population-fact-table.md).
    """

    unit = models.ForeignKey(
        Unit,
        on_delete=models.DO_NOTHING,
        related_name="population_bands",
        db_constraint=False,
        db_index=False,
    )
    year = models.PositiveSmallIntegerField()
    sex = models.CharField(max_length=1, choices=Sex.choices)
    age_from = models.PositiveSmallIntegerField()
    age_to = models.PositiveSmallIntegerField(null=True, blank=True)
    population = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["year", "unit", "sex", "age_from"], name="uniq_population_band"
            )
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.year} {self.sex} {self.label}: {self.population}"

    @property
    def label(self) -> str:
        return f"{self.age_from}+" if self.age_to is None else f"{self.age_from}-{self.age_to}"


class PopulationTotal(models.Model):
    """Total population of a unit on 31 December (sources without an age/sex split).

    May exist beside detailed rows for the same unit-year (län totals 2011–2024 overlap the
    age files); the loader checks that they agree, and queries use the finest available.
    The nation's own total (``00``) is stored too, as the source gives it; sums over the
    nation still come from its kommuner or län, which the loader checks add up to it.
    """

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="population_totals")
    year = models.PositiveSmallIntegerField()
    population = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["year", "unit"], name="uniq_population_total")
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.year}: {self.population}"


class DataLoad(models.Model):
    """Provenance of a loaded reference file: which file, its hash, when and how many rows,
    and who published it under which licence, with the attribution text shown with the
    figures. Source, licence and attribution are copied from the one table of datasets,
    :data:`datasmart.geo.datasets.DATASETS`, at every load."""

    dataset = models.CharField(max_length=64, unique=True)
    path = models.CharField(max_length=500)
    sha256 = models.CharField(max_length=64)
    rows = models.PositiveIntegerField()
    loaded_at = models.DateTimeField(auto_now=True)
    source = models.CharField(_("källa"), max_length=300, blank=True, default="")
    licence = models.CharField(_("licens"), max_length=200, blank=True, default="")
    attribution = models.CharField(_("källhänvisning"), max_length=200, blank=True, default="")

    class Meta:
        ordering = ["dataset"]

    def __str__(self) -> str:
        return f"{self.dataset} ({self.rows} rows)"
