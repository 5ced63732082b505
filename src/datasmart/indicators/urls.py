"""Indicator pages, mounted at ``/indikatorer/`` (Swedish paths)."""

from django.urls import path

from datasmart.indicators import views

app_name = "indicators"

urlpatterns = [
    path("", views.indicator_list, name="list"),
    path("index/", views.composite, name="composite"),
    path("profil/<str:unit_code>/", views.unit_profile, name="profile"),
    path("<slug:code>/", views.indicator_detail, name="detail"),
]
