"""NUL characters are refused at the door (PostgreSQL text cannot hold them): the API
answers 422 with the project's error body, pages 400, never a 500 on either database."""

from __future__ import annotations

import json

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_api_query_parameter_with_nul_is_a_422_naming_the_field(client: Client) -> None:
    response = client.get("/api/needs/projections", {"unit": "01\x80\x00", "from_year": 2019})
    assert response.status_code == 422
    body = response.json()
    assert body["field"] == "unit"
    assert "NUL" in body["detail"]


def test_api_json_body_with_nul_is_refused(client: Client) -> None:
    response = client.post(
        "/api/tokens", data=json.dumps({"name": "a\u0000b"}), content_type="application/json"
    )
    assert response.status_code == 422
    assert response.json()["field"] == "innehållet"


def test_page_with_nul_in_query_or_form_is_a_400(client: Client) -> None:
    assert client.get("/enheter/", {"q": "Sto\x00ckholm"}).status_code == 400
    response = client.post(
        "/konto/logga-in/",
        "username=a%00&password=x",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 400
    assert "NUL" in response.content.decode()
    # multipart forms are not read at the door; Django's form fields refuse NUL themselves
    assert (
        client.post("/konto/logga-in/", {"username": "a\x00", "password": "x"}).status_code == 200
    )


def test_ordinary_requests_pass(client: Client) -> None:
    assert client.get("/api/units", {"level": "region"}).status_code == 200
