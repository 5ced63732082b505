"""Needs pages under /behov/."""

from django.urls import path

from datasmart.needs import views

app_name = "needs"

urlpatterns = [
    path("kallor/", views.sources, name="sources"),
    path("enhet/<str:code>/", views.unit_needs, name="unit"),
    path("enhet/<str:code>/scenario/", views.save_scenario, name="save_scenario"),
    path("lan/<str:code>/", views.lan, name="lan"),
    path("lan/<str:code>/rapport.pdf", views.lan_pdf_view, name="lan_pdf"),
    path("lan/<str:code>/rapport.xlsx", views.lan_xlsx_view, name="lan_xlsx"),
]
