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

    scenario = models.SlugField(_("scenario"), max_length=64, unique=True)
    title = models.CharField(_("titel"), max_length=200)
    publisher = models.CharField(_("utgivare"), max_length=120)
    source = models.CharField(_("källa"), max_length=300, blank=True, default="")
    file_name = models.CharField(_("filnamn"), max_length=300)
    sha256 = models.CharField(max_length=64)
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

