"""Pages of the kraftsamling domain."""

from django.urls import path  # noqa: F401

app_name = "kraftsamling"

urlpatterns: list = []
