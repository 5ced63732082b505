"""Sign-in (audited, throttled by axes) and the audit log page."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from datasmart.accounts.audit import SYSTEM, record_event
from datasmart.accounts.models import AuditEvent, Organisation, Role, User

from .factories import DEFAULT_PASSWORD, member

pytestmark = pytest.mark.django_db

LOGIN = reverse("accounts:login")


def _login(client: Client, username: str, password: str):  # type: ignore[no-untyped-def]
    return client.post(
        LOGIN, {"username": username, "password": password}, REMOTE_ADDR="198.51.100.4"
    )


def test_login_page_has_labels_and_csrf() -> None:
    html = Client().get(LOGIN).content.decode()
    assert '<label for="id_username">' in html and '<label for="id_password">' in html
    assert "csrfmiddlewaretoken" in html


def test_successful_login_is_audited(viewer: User) -> None:
    response = _login(Client(), viewer.username, DEFAULT_PASSWORD)
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="auth.login")
    assert event.actor == viewer and event.ip_address == "198.51.100.4"
    assert event.path == LOGIN


def test_failed_login_is_audited_without_the_password(viewer: User) -> None:
    attempt = "fel-lösenord-som-inte-får-sparas"
    response = _login(Client(), viewer.username, attempt)
    assert response.status_code == 200
    assert "Fel användarnamn eller lösenord" in response.content.decode()
    event = AuditEvent.objects.get(action="auth.login_failed")
    assert event.detail == {"username": viewer.username}
    assert event.actor is None and event.ip_address == "198.51.100.4"
    stored = repr(list(AuditEvent.objects.values_list()))
    assert attempt not in stored


def test_lockout_after_five_failures(viewer: User) -> None:
    client = Client()
    statuses = [_login(client, viewer.username, f"fel-{i}").status_code for i in range(5)]
    assert statuses == [200, 200, 200, 200, 429]
    locked = _login(client, viewer.username, DEFAULT_PASSWORD)
    assert locked.status_code == 429
    assert "tillfälligt spärrad" in locked.content.decode()
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(action="auth.login_failed").count() >= 5
    assert AuditEvent.objects.filter(action="auth.locked_out").exists()
    assert not AuditEvent.objects.filter(action="auth.login").exists()


def test_logout_is_post_only(viewer: User) -> None:
    client = Client()
    client.force_login(viewer)
    assert client.get(reverse("accounts:logout")).status_code == 405
    assert client.post(reverse("accounts:logout")).status_code == 302
    assert "_auth_user_id" not in client.session


# --- audit log page -------------------------------------------------------------------------

AUDIT = reverse("accounts:audit_log")


@pytest.fixture
def events(org: Organisation, other_org: Organisation, viewer: User) -> None:
    record_event("auth.login", actor=viewer)
    record_event("token.create", actor=viewer, detail={"name": '=HYPERLINK("x")'})
    record_event(
        "user.create", actor=SYSTEM, organisation=org, target_type="accounts.user", target_id="7"
    )
    outsider = member(Role.VIEWER, other_org, username="utomstaende")
    record_event("auth.login", actor=outsider)
    old = record_event("auth.login_failed", organisation=org, detail={"username": "x"})
    with connection.cursor() as cursor:  # backdate: the ORM refuses updates on purpose
        cursor.execute(
            "UPDATE accounts_auditevent SET timestamp = %s WHERE id = %s",
            [timezone.now() - dt.timedelta(days=40), old.pk],
        )


def _admin_client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_audit_log_refuses_non_admins_and_audits_it(viewer: User) -> None:
    assert Client().get(AUDIT).status_code == 302  # anonymous: sign in first
    response = _admin_client(viewer).get(AUDIT)
    assert response.status_code == 403
    denial = AuditEvent.objects.get(action="auth.permission_denied")
    assert denial.actor == viewer and denial.detail == {"permission": "view_audit"}
    assert denial.path == AUDIT


def test_org_admin_sees_own_organisation_only(admin_user: User, events: None) -> None:
    html = _admin_client(admin_user).get(AUDIT).content.decode()
    assert "lasare" in html and "utomstaende" not in html


def test_superuser_sees_everything_and_filters(root: User, events: None) -> None:
    client = _admin_client(root)  # force_login records root's own auth.login too
    assert "utomstaende" in client.get(AUDIT).content.decode()

    def found(**filters: str) -> list[str]:
        page = client.get(AUDIT, filters).context["page"]
        return [f"{e.action}:{e.actor_username}" for e in page.paginator.object_list]

    assert sorted(found(action="auth.login")) == [
        "auth.login:lasare",
        "auth.login:root",
        "auth.login:utomstaende",
    ]
    assert len(found(action="auth.")) == 4
    assert found(actor="LASARE") == ["token.create:lasare", "auth.login:lasare"]
    today = timezone.localdate().isoformat()
    assert len(found(date_from=today, date_to=today)) == 5
    assert found(target_type="accounts.user", target_id="7") == ["user.create:[system]"]


def test_audit_log_bad_filters_show_swedish_errors(root: User) -> None:
    response = _admin_client(root).get(AUDIT, {"date_from": "2024-05-02", "date_to": "2024-05-01"})
    assert "Från-datumet ligger efter till-datumet." in response.content.decode()
    response = _admin_client(root).get(AUDIT, {"date_from": "inte ett datum"})
    assert "Ange ett giltigt datum" in response.content.decode()


def test_audit_log_paginates(root: User) -> None:
    for i in range(55):
        record_event("test.thing", actor=SYSTEM, target_id=str(i))
    client = _admin_client(root)
    first = client.get(AUDIT, {"action": "test.thing"})
    assert len(first.context["page"].object_list) == 50
    assert "page=2" in first.content.decode()
    second = client.get(AUDIT, {"action": "test.thing", "page": 2})
    assert len(second.context["page"].object_list) == 5


def test_audit_log_csv_export(root: User, events: None) -> None:
    response = _admin_client(root).get(AUDIT, {"action": "token.create", "format": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["action"] for r in rows] == ["token.create"]
    assert rows[0]["detail"].startswith("{")  # a dict, not a formula
    assert AuditEvent.objects.filter(action="audit.export", actor=root).exists()


def test_csv_cells_cannot_start_formulas() -> None:
    from datasmart.accounts.views import _csv_safe

    assert _csv_safe("=1+1") == "'=1+1"
    assert _csv_safe("-2") == "'-2"
    assert _csv_safe("ok") == "ok" and _csv_safe(None) == ""


def test_pages_are_swedish_by_default_and_english_on_request(viewer: User) -> None:
    assert "Logga in" in Client().get(LOGIN).content.decode()
    client = Client()
    client.cookies["django_language"] = "en"
    html = client.get(LOGIN).content.decode()
    assert "Sign in" in html and "Username" in html
    failed = client.post(LOGIN, {"username": viewer.username, "password": "fel"})
    assert "Wrong username or password" in failed.content.decode()
