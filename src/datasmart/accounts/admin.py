"""Django admin for accounts.

Changes made in the admin are audited like service calls (``AuditedModelAdmin`` writes
``<app>.<model>.<create|update|delete>`` in the admin's own transaction). Other apps may
reuse the mixin. The audit log itself is read-only here, and API tokens can only be
revoked (creating one must show the secret once, which the "Mina API-nycklar" page does).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from datasmart.geo.models import Level, Unit

from .audit import record_event
from .models import ApiToken, AuditEvent, Membership, Organisation, User
from .services import revoke_api_token


def _changed_fields(form: Any) -> list[str]:
    return sorted(str(name) for name in getattr(form, "changed_data", []) or [])


class AuditedModelAdmin(admin.ModelAdmin):
    """A ModelAdmin that writes an audit event for every save and delete."""

    def _action(self, obj: Model, verb: str) -> str:
        return f"{obj._meta.app_label}.{obj._meta.model_name}.{verb}"

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        record_event(
            self._action(obj, "update" if change else "create"),
            actor=request.user,
            target=obj,
            detail={"fields": _changed_fields(form), "via": "admin"},
            request=request,
        )

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        target_id, label = str(obj.pk), str(obj)
        record_event(
            self._action(obj, "delete"),
            actor=request.user,
            target_type=obj._meta.label_lower,
            target_id=target_id,
            detail={"object": label[:200], "via": "admin"},
            request=request,
        )
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for obj in queryset:
            self.delete_model(request, obj)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["organisation"]
    fk_name = "user"


#: Order of the levels in the unit list: the nation first, kommuner last.
_LEVEL_ORDER: dict[str, int] = {
    Level.NATION: 0,
    Level.SJUKVARDSREGION: 1,
    Level.REGION: 2,
    Level.KOMMUN: 3,
}


class UnitChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    """A unit chosen by code and name ("0180 Stockholm"), grouped by level: the admin once
    asked for the unit's internal database id."""

    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.code} {obj.name}"


def unit_choices() -> list[tuple[str, list[tuple[int, str]]]]:
    """``(level label, [(pk, "0180 Stockholm"), …])`` groups for a ``<select>``."""
    groups: dict[str, list[tuple[int, str]]] = {}
    units = sorted(Unit.objects.all(), key=lambda u: (_LEVEL_ORDER.get(u.level, 9), u.code))
    labels = dict(Level.choices)
    for unit in units:
        groups.setdefault(str(labels.get(unit.level, unit.level)), []).append(
            (unit.pk, f"{unit.code} {unit.name}")
        )
    return list(groups.items())


@admin.register(Organisation)
class OrganisationAdmin(AuditedModelAdmin):
    list_display = ["name", "kind", "unit", "org_number"]
    list_filter = ["kind", "unit__level"]
    search_fields = ["name", "org_number", "unit__name", "unit__code"]

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "unit":
            field = UnitChoiceField(
                queryset=Unit.objects.all(),
                label=db_field.verbose_name,
                help_text=_("Välj kommun, region eller riket efter kod eller namn."),
            )
            field.choices = [("", "---------"), *unit_choices()]
            return field
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(User)
class UserAdmin(AuditedModelAdmin, DjangoUserAdmin):
    inlines = [MembershipInline]
    list_display = ["username", "email", "first_name", "last_name", "is_active", "is_superuser"]
    fieldsets = (*(DjangoUserAdmin.fieldsets or ()), (_("Språk"), {"fields": ("language",)}))

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        instances = formset.save(commit=False)
        for deleted in formset.deleted_objects:
            record_event(
                "accounts.membership.delete",
                actor=request.user,
                target_type="accounts.membership",
                target_id=str(deleted.pk),
                detail={"object": str(deleted)[:200], "via": "admin"},
                request=request,
            )
            deleted.delete()
        for obj in instances:
            adding = obj.pk is None
            obj.save()
            record_event(
                f"accounts.membership.{'create' if adding else 'update'}",
                actor=request.user,
                organisation=obj.organisation,
                target=obj,
                detail={"username": obj.user.username, "role": obj.role, "via": "admin"},
                request=request,
            )
        formset.save_m2m()


@admin.register(Membership)
class MembershipAdmin(AuditedModelAdmin):
    list_display = ["user", "organisation", "role", "created_at"]
    list_filter = ["role", "organisation__kind"]
    search_fields = ["user__username", "organisation__name"]
    raw_id_fields = ["user"]
    autocomplete_fields = ["organisation"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "user",
        "prefix",
        "created_at",
        "last_used_at",
        "expires_at",
        "scope",
        "revoked_at",
    ]
    list_filter = ["scope", "revoked_at"]
    search_fields = ["name", "prefix", "user__username"]
    readonly_fields = [
        "user",
        "name",
        "prefix",
        "created_at",
        "last_used_at",
        "expires_at",
        "scope",
        "revoked_at",
    ]
    exclude = ["token_hash"]
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description=_("Återkalla valda API-nycklar"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        count = 0
        for token in queryset.filter(revoked_at__isnull=True):
            revoke_api_token(token_id=token.pk, by=request.user, request=request)
            count += 1
        self.message_user(request, _("%(n)d nycklar återkallade.") % {"n": count}, messages.SUCCESS)


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = [
        "timestamp",
        "action",
        "actor_username",
        "organisation",
        "target_type",
        "target_id",
        "ip_address",
    ]
    list_filter = ["action"]
    search_fields = ["actor_username", "organisation", "target_id", "action"]
    date_hierarchy = "timestamp"
    readonly_fields = [f.name for f in AuditEvent._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
