"""Plan pages under /planer/."""

from django.urls import path

from datasmart.plans import views

app_name = "plans"

urlpatterns = [
    path("", views.plan_list, name="list"),
    path("<int:plan_id>/", views.plan_detail, name="detail"),
    path("<int:plan_id>/godkann/", views.approve, name="approve"),
    path("<int:plan_id>/lamna/", views.leave, name="leave"),
]
