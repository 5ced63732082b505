"""Pages of the checklist domain."""

from django.urls import path  # noqa: F401

app_name = "checklist"

urlpatterns: list = []
