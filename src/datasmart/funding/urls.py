"""Funding pages; mount with ``path("medel/", include("datasmart.funding.urls"))``."""

from django.urls import path

from . import followup_views, views

app_name = "funding"

urlpatterns = [
    path("", views.agreement_list, name="list"),
    path("<int:year>/", views.agreement_detail, name="agreement"),
    path("<int:year>/scenario/", views.scenario, name="scenario"),
    path("<int:year>/bilaga.xlsx", views.annex, {"fmt": "xlsx"}, name="annex_xlsx"),
    path("<int:year>/bilaga.csv", views.annex, {"fmt": "csv"}, name="annex_csv"),
    path("<int:year>/korningar/", views.run_create, name="run_create"),
    path("<int:year>/rapportering/", views.reporting, name="reporting"),
    path("<int:year>/enkater/ny/", followup_views.survey_edit, name="survey_create"),
    path("<int:year>/enkater/<str:code>/andra/", followup_views.survey_edit, name="survey_edit"),
    path(
        "<int:year>/enkater/<str:code>/paminnelser/",
        followup_views.remind,
        name="remind",
    ),
    path(
        "<int:year>/enkater/<str:code>/resultat/",
        followup_views.results,
        name="results",
    ),
    path(
        "<int:year>/enkater/<str:code>/<str:unit_code>/",
        followup_views.answer,
        name="answer",
    ),
    path(
        "<int:year>/enkater/<str:code>/<str:unit_code>/oppna/",
        followup_views.reopen,
        name="reopen",
    ),
    path("<int:year>/villkor/", followup_views.condition_create, name="condition_create"),
    path("<int:year>/villkor/<str:code>/", followup_views.condition, name="condition"),
    path("<int:year>/utbetalningar/", followup_views.payouts, name="payouts"),
    path(
        "<int:year>/utbetalningar/<int:line_id>/",
        followup_views.payout_set,
        name="payout_set",
    ),
]
