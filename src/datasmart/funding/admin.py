"""Read-only admin for funding: every change goes through the audited services
(:mod:`datasmart.funding.services`, the CLI or the API), never through admin forms. The one
exception, deleting a condition, also calls a service (``followup.delete_condition``)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
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
from .rights import is_administrator
from .services.followup import delete_condition


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
    """Read-only, except that an agreement administrator may delete a condition (one
    entered by mistake cannot otherwise be removed); the delete goes through
    :func:`datasmart.funding.services.followup.delete_condition`, which checks and audits it."""

    list_display = ("agreement", "code", "recipient_level", "due_date")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_administrator(request.user)

    def get_deleted_objects(self, objs: Any, request: HttpRequest) -> Any:
        """The condition's assessments go with it (the service deletes and audits them),
        so their own read-only admin must not block the delete."""
        deleted, counts, _perms_needed, protected = super().get_deleted_objects(objs, request)
        return deleted, counts, set(), protected

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        delete_condition(obj, by=request.user, request=request)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for condition in queryset:
            delete_condition(condition, by=request.user, request=request)


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
