"""Read-mostly admin for plans: writes belong in the services (rights, frozen plans, audit)."""

from django.contrib import admin

from .models import ActionPlan, Activity, Goal, GoalIndicator, PlanParty


@admin.register(ActionPlan)
class ActionPlanAdmin(admin.ModelAdmin):
    list_display = ("title", "owner", "start_year", "end_year", "version", "status")
    list_filter = ("status", "visibility")


@admin.register(Goal)
class GoalAdmin(admin.ModelAdmin):
    list_display = ("text", "kind", "owner", "plan")


@admin.register(GoalIndicator)
class GoalIndicatorAdmin(admin.ModelAdmin):
    list_display = ("indicator_code", "goal", "target_value", "target_year")


@admin.register(Activity)
class ActivityAdmin(admin.ModelAdmin):
    list_display = ("title", "owner", "status", "start", "end")


@admin.register(PlanParty)
class PlanPartyAdmin(admin.ModelAdmin):
    list_display = ("organisation", "plan", "approved_at", "left_at")
