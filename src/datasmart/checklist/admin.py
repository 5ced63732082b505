"""Read-only admin for the checklist: questions are reference data (a new version is a new
file), answers are written through the services (rights, frozen rounds, audit)."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import Answer, ChecklistRound, ChecklistVersion, Question


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ChecklistVersion)
class ChecklistVersionAdmin(_ReadOnly):
    list_display = ("code", "title_sv", "loaded_at")


@admin.register(Question)
class QuestionAdmin(_ReadOnly):
    list_display = ("order", "code", "section", "evidence_kind", "version")
    list_filter = ("version", "section")


@admin.register(ChecklistRound)
class ChecklistRoundAdmin(_ReadOnly):
    list_display = ("unit", "year", "number", "organisation", "status", "submitted_at")
    list_filter = ("status", "year")


@admin.register(Answer)
class AnswerAdmin(_ReadOnly):
    list_display = ("round", "question", "value", "answered_at")
