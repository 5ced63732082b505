"""NUL characters in query parameters are refused at the door (PostgreSQL text cannot hold
them): the API answers 422 naming the parameter, pages 400,
never a 500 on either database. Paths and bodies are the views' business (SIP tests)."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_api_query_parameter_with_nul_is_a_422_naming_the_field(client: Client) -> None:
    response = client.get("/api/needs/projections", {"unit": "01\x80\x00", "from_year": 2019})
    assert response.status_code == 422
    body = response.json()
    assert body["field"] == "unit"
    assert "NUL" in body["detail"] and "unit" in body["detail"]


def test_page_with_nul_in_query_is_a_400(client: Client) -> None:
    response = client.get("/sok/", {"q": "Sto\x00ckholm"})
    assert response.status_code == 400
    assert "NUL" in response.content.decode()


def test_ordinary_requests_pass(client: Client) -> None:
    assert client.get("/api/units", {"level": "region"}).status_code == 200
    assert client.get("/sok/", {"q": "Stockholm"}).status_code == 200
