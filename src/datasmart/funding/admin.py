"""Read-only admin for funding: every change goes through the audited services
(:mod:`datasmart.funding.services`, the CLI or the API), never through admin forms."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import (
    Acceptance,
    Agreement,
    AllocationLine,
    AllocationRun,
    Condition,
    Fulfilment,
    Payout,
    Post,
    Survey,
    SurveyResponse,
)


class ReadOnlyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class PostInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Post
    fields = ("order", "code", "name", "amount_sek", "recipient_level", "key_type", "key_params")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Agreement)
class AgreementAdmin(ReadOnlyAdmin):
    list_display = ("year", "title", "status", "total_sek", "population_year", "version")
    inlines = (PostInline,)


@admin.register(Acceptance)
class AcceptanceAdmin(ReadOnlyAdmin):
    list_display = ("agreement", "unit", "accepted", "date")
    list_filter = ("agreement", "accepted")


@admin.register(AllocationRun)
class AllocationRunAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "agreement",
        "agreement_version",
        "population_year",
        "policy",
        "is_scenario",
        "created_by_username",
        "created_at",
        "paid_sek",
    )
    list_filter = ("agreement", "is_scenario")
    exclude = ("inputs",)


@admin.register(AllocationLine)
class AllocationLineAdmin(ReadOnlyAdmin):
    list_display = (
        "run",
        "post_code",
        "recipient_code",
        "recipient_name",
        "amount_sek",
        "withheld",
    )
    list_filter = ("run__agreement",)
    search_fields = ("recipient_code", "recipient_name", "post_code")


@admin.register(Condition)
class ConditionAdmin(ReadOnlyAdmin):
    list_display = ("agreement", "code", "recipient_level", "due_date")


@admin.register(Fulfilment)
class FulfilmentAdmin(ReadOnlyAdmin):
    list_display = ("condition", "unit", "status", "assessed_at", "assessed_by_username")
    list_filter = ("status",)


@admin.register(Payout)
class PayoutAdmin(ReadOnlyAdmin):
    list_display = ("line", "status", "date", "reference", "updated_by_username")
    list_filter = ("status",)


@admin.register(Survey)
class SurveyAdmin(ReadOnlyAdmin):
    list_display = ("agreement", "code", "title", "respondent_level", "due_date")


@admin.register(SurveyResponse)
class SurveyResponseAdmin(ReadOnlyAdmin):
    list_display = ("survey", "unit", "status", "submitted_at", "reopened")
    list_filter = ("survey", "status")
