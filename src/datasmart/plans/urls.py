"""Plan pages under /planer/."""

from django.urls import path

from datasmart.plans import followup_views, views

app_name = "plans"

urlpatterns = [
    path("", views.plan_list, name="list"),
    path("<int:plan_id>/", views.plan_detail, name="detail"),
    path("<int:plan_id>/godkann/", views.approve, name="approve"),
    path("<int:plan_id>/lamna/", views.leave, name="leave"),
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
