"""Django admin for indicators: edit definitions between catalogue releases.

Which wins: an admin edit sets ``locally_edited`` and keeps ``version``; the next
``sync_catalogue`` leaves the row alone until the catalogue file raises that indicator's
``version``, and then overwrites it (and clears ``locally_edited``). Changing an indicator
here needs ``EDIT_INDICATORS`` besides staff status; saves are audited. Import batches,
observations and computed results are read-only here: data changes go through imports.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from datasmart.accounts.admin import AuditedModelAdmin
from datasmart.accounts.permissions import Permission, has_permission
from datasmart.indicators.rights import may_edit_catalogue

from .models import ImportBatch, Indicator, Observation, Result


@admin.register(Indicator)
class IndicatorAdmin(AuditedModelAdmin):
    list_display = ["code", "title_sv", "type", "polarity", "group", "version", "locally_edited"]
    list_filter = ["group", "type", "polarity", "locally_edited"]
    search_fields = ["code", "title_sv", "title_en", "source_code"]
    # observations_public guards raw SIP counts and disclosure_group links the suppression
    # of indicators counting the same plans: only a catalogue release may change them.
    readonly_fields = [
        "code",
        "version",
        "catalogue_file",
        "locally_edited",
        "observations_public",
        "disclosure_group",
        "updated_at",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # new indicators come from the catalogue files

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # deleting would delete its observations

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # the catalogue is shared by every unit: national EDIT_INDICATORS only
        return bool(request.user.is_staff) and may_edit_catalogue(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_staff) and has_permission(
            request.user, Permission.VIEW_INDICATORS
        )

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        obj.locally_edited = True
        super().save_model(request, obj, form, change)


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_staff) and has_permission(
            request.user, Permission.VIEW_INDICATORS
        )

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)


@admin.register(ImportBatch)
class ImportBatchAdmin(_ReadOnly):
    list_display = [
        "id",
        "created_at",
        "file_name",
        "kind",
        "dataset",
        "row_count",
        "actor_username",
    ]
    list_filter = ["kind"]
    search_fields = ["file_name", "sha256", "indicator_codes", "actor_username"]


@admin.register(Observation)
class ObservationAdmin(_ReadOnly):
    list_display = ["indicator", "unit", "period", "sex", "age_group", "value", "status"]
    list_filter = ["status", "sex"]
    list_select_related = ["indicator", "unit"]
    search_fields = ["indicator__code", "unit__code"]
    raw_id_fields = ["indicator", "unit", "batch"]
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Observation]:
        # Raw counts of SIP indicators (before small-number suppression) are never shown.
        return super().get_queryset(request).filter(indicator__observations_public=True)


@admin.register(Result)
class ResultAdmin(_ReadOnly):
    list_display = [
        "indicator",
        "unit",
        "level",
        "period",
        "sex",
        "age_group",
        "value",
        "status",
        "vs_nation",
        "computed_at",
    ]
    list_filter = ["status", "level", "sex", "vs_nation"]
    list_select_related = ["indicator", "unit"]
    search_fields = ["indicator__code", "unit__code"]
    raw_id_fields = ["indicator", "unit"]
    show_full_result_count = False
