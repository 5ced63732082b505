"""The checklist's pages, PDF, Excel and API with hostile text in every model's free-text
fields (the shared world of tests/web/test_hostile_strings.py, which also walks every route;
this runs the checklist's routes on their own, as every client of that test)."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from tests.web.test_hostile_strings import MARK, _clients, build_world, fill_every_model

pytestmark = pytest.mark.django_db


def test_checklist_routes_survive_hostile_text(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    built = build_world()
    filled = fill_every_model()
    for label in ("checklist.Question", "checklist.Answer", "checklist.ChecklistVersion"):
        assert label in filled, sorted(filled)
    urls = [
        reverse("checklist:index"),
        reverse("checklist:round", args=["0180", 2020]),
        reverse("checklist:report", args=["0180", 2020]),
        reverse("checklist:report_pdf", args=["0180", 2020]),
        reverse("checklist:compare") + "?lan=01&ar=2020",
        reverse("checklist:compare") + "?lan=01&ar=2020&format=xlsx",
        "/api/checklist/questions",
        "/api/checklist/rounds",
        "/api/checklist/rounds/0180/2020/report",
        "/api/checklist/comparison?lan=01&year=2020",
    ]
    for who, client in _clients(built).items():
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, (who, url, response.status_code)
            if response["Content-Type"].startswith("text/html"):
                assert MARK not in response.content.decode(), (who, url)
