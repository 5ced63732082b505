"""Funding pages; mount with ``path("medel/", include("datasmart.funding.urls"))``."""

from django.urls import path

from . import views

app_name = "funding"

urlpatterns = [
    path("", views.agreement_list, name="list"),
    path("<int:year>/", views.agreement_detail, name="agreement"),
    path("<int:year>/scenario/", views.scenario, name="scenario"),
    path("<int:year>/bilaga.xlsx", views.annex, {"fmt": "xlsx"}, name="annex_xlsx"),
    path("<int:year>/bilaga.csv", views.annex, {"fmt": "csv"}, name="annex_csv"),
    path("<int:year>/korningar/", views.run_create, name="run_create"),
    path("<int:year>/rapportering/", views.reporting, name="reporting"),
]
