"""The project's URLs plus the funding pages, for tests run before they are mounted in
``datasmart/config/urls.py`` (once mounted there, nothing is added twice)."""

from django.urls import include, path

from datasmart.config.urls import urlpatterns as project_urlpatterns


def _mounted() -> bool:
    return any(getattr(p, "namespace", None) == "funding" for p in project_urlpatterns)


urlpatterns = list(project_urlpatterns)
if not _mounted():
    urlpatterns.append(path("medel/", include("datasmart.funding.urls")))
