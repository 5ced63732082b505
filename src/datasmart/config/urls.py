"""Top-level URL map: pages, API, admin, language switch."""

from django.contrib import admin
from django.urls import include, path

from datasmart.api.router import api

urlpatterns = [
    path("", include("datasmart.web.urls")),
    path("konto/", include("datasmart.accounts.urls")),
    path("medel/", include("datasmart.funding.urls")),
    path("indikatorer/", include("datasmart.indicators.urls")),
    path("sip/", include("datasmart.sip.urls")),
    path("behov/", include("datasmart.needs.urls")),
    path("planer/", include("datasmart.plans.urls")),
    path("kraftsamling/", include("datasmart.kraftsamling.urls")),
    path("politikerchecklistan/", include("datasmart.checklist.urls")),
    path("api/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]
