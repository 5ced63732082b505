"""Admin for the needs app.

- Prevalence figures: every save goes through the service (checked, versioned, audited);
  versions are read-only history; a deletion is audited too.
- Saved scenarios: edits and deletions audited like the accounts admin
  (:class:`~datasmart.accounts.admin.AuditedModelAdmin`).
- Results (projection runs, imported and published projections): read-only, as the
  funding admin keeps its results; they change only through the audited importers and
  the projection service (``datasmart needs import-projection``, ``datasmart needs load``).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from datasmart.accounts.admin import AuditedModelAdmin
from datasmart.accounts.audit import record_event
from datasmart.needs.models import (
    ImportedProjection,
    NeedsScenario,
    PrevalenceEstimate,
    PrevalenceVersion,
    ProjectionRun,
    PublishedProjectionPoint,
)
from datasmart.needs.prevalence import PrevalenceFileError, save_estimate


class VersionInline(admin.TabularInline):
    model = PrevalenceVersion
    extra = 0
    can_delete = False
    readonly_fields = ("version", "changed_by", "changed_at", "reason", "data")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(PrevalenceEstimate)
class PrevalenceEstimateAdmin(admin.ModelAdmin):
    list_display = (
        "condition",
        "age_band",
        "sex",
        "low",
        "central",
        "high",
        "use_in_needs",
        "range_is_judgement",
        "version",
    )
    list_filter = ("condition", "use_in_needs", "range_is_judgement", "period_type")
    search_fields = ("publication", "note", "measure")
    readonly_fields = ("key", "version", "age_from", "age_to", "origin", "origin_row", "updated_at")
    inlines = [VersionInline]

    def save_model(
        self, request: HttpRequest, obj: PrevalenceEstimate, form: Any, change: bool
    ) -> None:
        try:
            save_estimate(obj, by=request.user, request=request, reason="admin")
        except PrevalenceFileError as exc:
            messages.error(request, str(exc))

    def delete_model(self, request: HttpRequest, obj: PrevalenceEstimate) -> None:
        record_event(
            "needs.prevalence_deleted",
            actor=request.user,
            target_type=obj._meta.label_lower,
            target_id=str(obj.pk),
            detail={
                "condition": obj.condition,
                "age_band": obj.age_band,
                "version": obj.version,
                "via": "admin",
            },
            request=request,
        )
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[PrevalenceEstimate]) -> None:
        for obj in queryset:
            self.delete_model(request, obj)


@admin.register(NeedsScenario)
class NeedsScenarioAdmin(AuditedModelAdmin):
    list_display = (
        "name",
        "organisation",
        "unit",
        "projection_variant",
        "prevalence_variant",
        "created_by",
        "created_at",
    )
    readonly_fields = ("created_by", "created_at")


class ResultAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Read-only: computed or imported results are never edited by hand."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ProjectionRun)
class ProjectionRunAdmin(ResultAdmin):
    list_display = ("id", "method", "base_year", "created_at", "fingerprint")
    list_filter = ("method", "base_year")
    search_fields = ("fingerprint",)
    readonly_fields = (
        "fingerprint",
        "method",
        "base_year",
        "parameters",
        "data_versions",
        "nation_totals",
        "created_at",
    )


@admin.register(ImportedProjection)
class ImportedProjectionAdmin(ResultAdmin):
    list_display = (
        "scenario",
        "title",
        "publisher",
        "first_year",
        "last_year",
        "rows",
        "imported_at",
    )
    search_fields = ("scenario", "title", "publisher")
    readonly_fields = (
        "scenario",
        "title",
        "publisher",
        "source",
        "file_name",
        "sha256",
        "rows",
        "first_year",
        "last_year",
        "imported_at",
    )


@admin.register(PublishedProjectionPoint)
class PublishedProjectionPointAdmin(ResultAdmin):
    list_display = ("dataset", "region_code", "region_name", "year", "age_group", "series")
    list_filter = ("dataset", "series")
    search_fields = ("region_code", "region_name")
