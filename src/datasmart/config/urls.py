"""Top-level URL map: pages, API, admin, language switch."""

from django.contrib import admin
from django.urls import include, path

from datasmart.accounts.views import set_language
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
    # Django's set_language (all django.conf.urls.i18n holds), also storing a signed-in
    # user's choice (accounts.User.language)
    path("i18n/setlang/", set_language, name="set_language"),
    path("admin/", admin.site.urls),
]
