"""The user's language preference (``User.language``): stored by the site's language
switch (``/i18n/setlang/``) for a signed-in user, never for an anonymous one."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from datasmart.accounts.models import User
from datasmart.accounts.services import set_user_language
from tests.accounts.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db

SETLANG = reverse("set_language")


def _client(user: User | None = None, *, csrf: bool = False) -> Client:
    client = Client(enforce_csrf_checks=csrf)
    if user is not None:
        client.force_login(user)
    return client


def test_the_switch_is_still_at_the_same_address() -> None:
    assert SETLANG == "/i18n/setlang/"


def test_new_users_write_in_swedish(viewer: User) -> None:
    assert viewer.language == "sv"


def test_switching_language_stores_the_preference(viewer: User) -> None:
    client = _client(viewer)
    response = client.post(SETLANG, {"language": "en", "next": "/"})
    assert response.status_code == 302 and response["Location"] == "/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"  # as Django does
    viewer.refresh_from_db()
    assert viewer.language == "en"
    client.post(SETLANG, {"language": "sv", "next": "/"})
    viewer.refresh_from_db()
    assert viewer.language == "sv"


def test_anonymous_switch_stores_nothing(viewer: User) -> None:
    response = _client().post(SETLANG, {"language": "en", "next": "/"})
    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert not User.objects.exclude(language="sv").exists()


def test_unknown_language_or_get_stores_nothing(viewer: User) -> None:
    client = _client(viewer)
    client.post(SETLANG, {"language": "fi", "next": "/"})
    client.post(SETLANG, {"next": "/"})
    client.get(SETLANG, {"language": "en", "next": "/"})
    viewer.refresh_from_db()
    assert viewer.language == "sv"


def test_switch_without_csrf_token_is_refused(viewer: User) -> None:
    response = _client(viewer, csrf=True).post(SETLANG, {"language": "en", "next": "/"})
    assert response.status_code == 403
    viewer.refresh_from_db()
    assert viewer.language == "sv"


def test_service_saves_only_a_change(viewer: User, django_assert_num_queries) -> None:  # type: ignore[no-untyped-def]
    with django_assert_num_queries(0):
        assert set_user_language(viewer, "sv") is False
    assert set_user_language(viewer, "en") is True
    viewer.refresh_from_db()
    assert viewer.language == "en"


def test_admin_can_edit_the_preference(viewer: User) -> None:
    from tests.accounts.factories import superuser

    client = _client(superuser(username="root"))
    html = client.get(reverse("admin:accounts_user_change", args=[viewer.pk])).content.decode()
    assert 'name="language"' in html


def test_signing_in_on_a_new_browser_uses_the_stored_language(viewer: User) -> None:
    set_user_language(viewer, "en")
    fresh = Client()
    response = fresh.post(
        reverse("accounts:login"), {"username": viewer.username, "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    # a browser that already chose keeps its choice
    chosen = Client()
    chosen.cookies[settings.LANGUAGE_COOKIE_NAME] = "sv"
    response = chosen.post(
        reverse("accounts:login"), {"username": viewer.username, "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 302
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies
