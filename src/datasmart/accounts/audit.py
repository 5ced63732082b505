"""Writing audit events.

:func:`record_event` writes an :class:`~datasmart.accounts.models.AuditEvent` in the
caller's transaction: services call it inside their ``transaction.atomic`` block so the
change and its audit row commit or roll back together.

:func:`record_event_autonomous` is for events that must survive the caller's rollback
(a permission denial raised inside someone's ``atomic`` block rolls that block back). It
writes through a separate database connection, i.e. its own transaction, when the caller
is inside a transaction; otherwise it simply writes (autocommit). SQLite allows one
writer at a time: if the caller's transaction has already written, the separate
connection cannot write, and the event is written in the caller's transaction instead
(and a warning logged). PostgreSQL has no such limit.
"""

from __future__ import annotations

import copy
import ipaddress
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, transaction
from django.db.models import Model
from django.db.models.sql import InsertQuery
from django.db.utils import load_backend

from .models import AuditEvent, Membership, Organisation

if TYPE_CHECKING:
    from django.http import HttpRequest

logger = logging.getLogger(__name__)

#: Keys refused in ``detail``: audit rows never hold secrets.
FORBIDDEN_DETAIL_KEYS: Final = ("password", "passwd", "secret", "hash", "credential")
MAX_DETAIL_TEXT: Final = 1000


class SystemActor:
    """The platform itself acting (CLI, bootstrap, data loads): trusted, not a person.

    Services accept ``by=SYSTEM`` and skip the permission check; only code that already
    runs with operator rights (the CLI, management commands) may pass it.
    """

    username: Final = "[system]"  # brackets are not allowed in usernames: no collision
    is_authenticated: Final = True
    is_active: Final = True
    is_superuser: Final = False
    pk: Final = None

    def __repr__(self) -> str:
        return "SYSTEM"

    def get_username(self) -> str:
        return self.username


SYSTEM: Final = SystemActor()


def client_ip(request: HttpRequest | None) -> str | None:
    """The client address as Django sees it (REMOTE_ADDR), or None if not an IP."""
    if request is None:
        return None
    value = getattr(request, "axes_ip_address", None) or request.META.get("REMOTE_ADDR")
    if not value:
        return None
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def clean_detail(detail: Mapping[str, Any] | None) -> dict[str, Any]:
    """Check that ``detail`` holds only plain text-like values and no secrets."""
    if not detail:
        return {}
    cleaned: dict[str, Any] = {}
    for key, value in detail.items():
        if not isinstance(key, str):
            raise TypeError("audit detail keys must be strings")
        lowered = key.lower()
        if any(word in lowered for word in FORBIDDEN_DETAIL_KEYS):
            raise ValueError(f"audit detail must not hold secrets (key {key!r})")
        cleaned[key] = _plain(value)
    return cleaned


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        return value[:MAX_DETAIL_TEXT]
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    raise TypeError(f"audit detail values must be text, numbers or lists, not {type(value)}")


def _actor_fields(actor: Any) -> tuple[Any, str]:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return None, ""
    if isinstance(actor, SystemActor):
        return None, actor.username
    return actor, actor.get_username()


def _organisation_text(organisation: Organisation | str | None, actor: Any) -> str:
    if isinstance(organisation, Organisation):
        return organisation.name
    if isinstance(organisation, str):
        return organisation
    if actor is not None and getattr(actor, "pk", None) is not None:
        membership = (
            Membership.objects.filter(user_id=actor.pk)
            .select_related("organisation")
            .order_by("id")
            .first()
        )
        if membership is not None:
            return membership.organisation.name
    return ""


def build_event(
    action: str,
    *,
    actor: Any = None,
    organisation: Organisation | str | None = None,
    target: Model | None = None,
    target_type: str = "",
    target_id: str | int = "",
    detail: Mapping[str, Any] | None = None,
    request: HttpRequest | None = None,
) -> AuditEvent:
    """An unsaved audit event; see :func:`record_event` for the arguments."""
    actor_obj, actor_username = _actor_fields(actor)
    if target is not None:
        target_type = target_type or target._meta.label_lower
        target_id = target_id or str(target.pk)
    return AuditEvent(
        actor=actor_obj,
        actor_username=actor_username,
        organisation=_organisation_text(organisation, actor_obj)[:200],
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        detail=clean_detail(detail),
        ip_address=client_ip(request),
        path=(request.path if request is not None else "")[:500],
    )


def record_event(
    action: str,
    *,
    actor: Any = None,
    organisation: Organisation | str | None = None,
    target: Model | None = None,
    target_type: str = "",
    target_id: str | int = "",
    detail: Mapping[str, Any] | None = None,
    request: HttpRequest | None = None,
) -> AuditEvent:
    """Write one audit event in the current transaction and return it.

    ``actor`` is a user, ``SYSTEM``, or None/anonymous. ``organisation`` defaults to the
    actor's first organisation. ``target`` fills ``target_type`` (``app.model``) and
    ``target_id``. ``detail`` holds plain values; keys that look like secrets are refused.
    """
    event = build_event(
        action,
        actor=actor,
        organisation=organisation,
        target=target,
        target_type=target_type,
        target_id=target_id,
        detail=detail,
        request=request,
    )
    event.save()
    return event


def _in_caller_transaction(alias: str = DEFAULT_DB_ALIAS) -> bool:
    """True inside an ``atomic`` block other than the one a test case wraps around a test."""
    conn = connections[alias]
    return any(not getattr(block, "_from_testcase", False) for block in conn.atomic_blocks)


def _insert_on_own_connection(event: AuditEvent, alias: str = DEFAULT_DB_ALIAS) -> None:
    base = connections[alias]
    settings_dict = copy.deepcopy(base.settings_dict)
    if base.vendor == "sqlite":
        # Fail fast rather than wait for the caller's own write lock (a self-deadlock).
        settings_dict.setdefault("OPTIONS", {})["timeout"] = 1
    own = load_backend(settings_dict["ENGINE"]).DatabaseWrapper(settings_dict, alias)
    try:
        fields = [f for f in AuditEvent._meta.local_concrete_fields if not f.primary_key]
        query = InsertQuery(AuditEvent)
        query.insert_values(fields, [event])
        query.get_compiler(connection=own).execute_sql(returning_fields=None)
    finally:
        raw = own.connection
        own.close()
        if raw is not None and own.connection is not None:  # SQLite keeps in-memory DBs open
            raw.close()
            own.connection = None


def record_event_autonomous(action: str, **kwargs: Any) -> None:
    """Write an audit event that survives a rollback of the caller's transaction."""
    event = build_event(action, **kwargs)
    if not _in_caller_transaction():
        event.save()
        return
    try:
        _insert_on_own_connection(event)
    except DatabaseError:
        logger.warning(
            "audit event %s written in the caller's transaction: the database refused a "
            "second writer (SQLite); it is lost if the caller rolls back",
            action,
        )
        with transaction.atomic():
            event.save()
