"""Plan pages under /planer/."""

from django.urls import path

from datasmart.plans import followup_views, views

app_name = "plans"

urlpatterns = [
    path("", views.plan_list, name="list"),
    path("<int:plan_id>/", views.plan_detail, name="detail"),
    path("<int:plan_id>/godkann/", views.approve, name="approve"),
    path("<int:plan_id>/lamna/", views.leave, name="leave"),
    # editing (plans/views.py)
    path("ny/", views.plan_create, name="create"),
    path("ny-gemensam/", views.joint_plan_create, name="create_joint"),
    path("<int:plan_id>/andra/", views.plan_edit, name="edit"),
    path("<int:plan_id>/mal/ny/", views.goal_create, name="goal_create"),
    path("<int:plan_id>/mal/<int:goal_id>/", views.goal_edit, name="goal_edit"),
    path("<int:plan_id>/mal/<int:goal_id>/ta-bort/", views.goal_delete, name="goal_delete"),
    path(
        "<int:plan_id>/mal/<int:goal_id>/indikatorer/ny/",
        views.indicator_add,
        name="indicator_add",
    ),
    path("<int:plan_id>/indikatorer/<int:link_id>/", views.indicator_edit, name="indicator_edit"),
    path(
        "<int:plan_id>/indikatorer/<int:link_id>/ta-bort/",
        views.indicator_remove,
        name="indicator_remove",
    ),
    path("<int:plan_id>/aktiviteter/ny/", views.activity_create, name="activity_create"),
    path(
        "<int:plan_id>/aktiviteter/<int:activity_id>/",
        views.activity_edit,
        name="activity_edit",
    ),
    path(
        "<int:plan_id>/aktiviteter/<int:activity_id>/ta-bort/",
        views.activity_delete,
        name="activity_delete",
    ),
    path("<int:plan_id>/ny-version/", views.new_version, name="new_version"),
    path("<int:plan_id>/aktivera/", views.activate, name="activate"),
    path("<int:plan_id>/uppfoljd/", views.followed_up, name="followed_up"),
    path("<int:plan_id>/avsluta/", views.close, name="close"),
    path("<int:plan_id>/jamfor/<int:other_id>/", views.compare, name="compare"),
    # follow-up (plans/followup_views.py)
    path("<int:plan_id>/uppfoljning/", followup_views.follow_up, name="follow_up"),
    path("<int:plan_id>/uppfoljning/spara/", followup_views.record, name="follow_up_record"),
    path("<int:plan_id>/uppfoljning/rapport.pdf", followup_views.report_pdf, name="follow_up_pdf"),
    path(
        "<int:plan_id>/uppfoljning/rapport.xlsx",
        followup_views.report_xlsx,
        name="follow_up_xlsx",
    ),
    path("jamfor-enheter/", followup_views.compare_units, name="compare_units"),
]
