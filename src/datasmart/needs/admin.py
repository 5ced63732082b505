"""Admin for prevalence figures: every save goes through the service (checked, versioned,
audited); versions are read-only history."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.http import HttpRequest

from datasmart.needs.models import NeedsScenario, PrevalenceEstimate, PrevalenceVersion
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


@admin.register(NeedsScenario)
class NeedsScenarioAdmin(admin.ModelAdmin):
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
