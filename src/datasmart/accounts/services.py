"""Business actions on organisations, users, memberships, API tokens and the audit log.

Every write is a keyword-only function taking the acting user as ``by=``. It checks the
actor's rights first (a denial is audited and raises ``PermissionDenied``), then changes
the data and writes the audit event inside one ``transaction.atomic`` block, so a change
never lands without its audit row. Bad input raises :class:`AccountsError` (a
``ValueError``) with a Swedish / English message that the CLI can print as it is.

``by=SYSTEM`` (from :mod:`datasmart.accounts.audit`) is the platform itself: the CLI and
the first-admin bootstrap, which already run with operator rights.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from typing import TYPE_CHECKING, Any, Final

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from datasmart.geo.models import NATION_CODE, Level, Unit

from .audit import SYSTEM, SystemActor, record_event
from .models import (
    ApiToken,
    AuditEvent,
    Language,
    Membership,
    Organisation,
    OrganisationKind,
    Role,
    TokenScope,
    User,
    organisation_name_key,
)
from .permissions import (
    Permission,
    deny,
    forget_roles,
    has_permission,
    organisations_with_permission,
    require_permission,
)

if TYPE_CHECKING:
    from django.http import HttpRequest

__all__ = [
    "SYSTEM",
    "TOKEN_PREFIX",
    "AccountsError",
    "NotFoundError",
    "add_membership",
    "audit_events",
    "authenticate_api_token",
    "bootstrap_admin",
    "cli_create_token",
    "cli_create_user",
    "create_api_token",
    "create_organisation",
    "create_user",
    "find_api_token",
    "list_api_tokens",
    "revoke_api_token",
    "set_user_language",
    "token_expiry",
    "use_api_token",
]

TOKEN_PREFIX: Final = "ds_"  # noqa: S105  (a marker, not a secret)
BOOTSTRAP_ORGANISATION: Final = "Datasmart förvaltning"
#: ``last_used_at`` is written at most this often per token (one write, not one per call).
LAST_USED_RESOLUTION: Final = dt.timedelta(minutes=1)


class AccountsError(ValueError):
    """Invalid input to an accounts action; the message is meant for the user."""


class NotFoundError(AccountsError):
    """The organisation, user or token asked for does not exist (or is not yours)."""


def _validation_message(error: ValidationError) -> str:
    return " ".join(str(m) for m in error.messages)


def _is_system(by: Any) -> bool:
    return isinstance(by, SystemActor)


# --- organisations ---------------------------------------------------------------------


def _unit_within(unit: Unit, scope: Unit) -> bool:
    """Whether ``unit`` is ``scope`` or lies below it in the geography."""
    if scope.level == Level.NATION or unit.pk == scope.pk:
        return True
    if scope.pk in (unit.region_id, unit.sjukvardsregion_id):
        return True
    current: Unit | None = unit
    for _step in range(len(Level.values)):
        if current is None or current.parent_id is None:
            return False
        if current.parent_id == scope.pk:
            return True
        current = current.parent
    return False


def create_organisation(
    *,
    name: str,
    kind: OrganisationKind | str,
    unit: Unit,
    org_number: str = "",
    by: Any,
    request: HttpRequest | None = None,
) -> Organisation:
    """Create an organisation.

    Allowed for superusers, SYSTEM, and admins (``MANAGE_ORGANISATIONS``) of an
    organisation whose unit contains ``unit``: a region's admin may add organisations in
    that region and its kommuner, a national organisation's admin anywhere.
    """
    if not _is_system(by):
        require_permission(by, Permission.MANAGE_ORGANISATIONS, request=request)
        scopes = organisations_with_permission(by, Permission.MANAGE_ORGANISATIONS)
        if not by.is_superuser and not any(
            _unit_within(unit, org.unit) for org in scopes.select_related("unit")
        ):
            deny(
                by,
                Permission.MANAGE_ORGANISATIONS,
                request=request,
                detail={"unit": unit.code, "reason": "outside_scope"},
            )
    name = name.strip()
    if Organisation.objects.filter(name_key=organisation_name_key(name)).exists():
        raise AccountsError(
            f"Organisationen {name!r} finns redan / Organisation {name!r} already exists."
        )
    org = Organisation(name=name, kind=kind, unit=unit, org_number=org_number.strip())
    org.name_key = organisation_name_key(name)
    try:
        org.full_clean()
    except ValidationError as exc:
        raise AccountsError(_validation_message(exc)) from exc
    with transaction.atomic():
        org.save()
        record_event(
            "organisation.create",
            actor=by,
            organisation=org,
            target=org,
            detail={"name": org.name, "kind": str(org.kind), "unit": unit.code},
            request=request,
        )
    return org


# --- users and memberships ---------------------------------------------------------------


def _check_role(role: Role | str) -> Role:
    try:
        return Role(role)
    except ValueError:
        choices = ", ".join(Role.values)
        raise AccountsError(
            f"Okänd roll {role!r}; välj en av {choices} / "
            f"Unknown role {role!r}; choose one of {choices}."
        ) from None


def create_user(
    *,
    username: str,
    email: str,
    password: str,
    organisation: Organisation,
    role: Role | str,
    by: Any,
    request: HttpRequest | None = None,
) -> User:
    """Create a user with one membership; needs ``MANAGE_USERS`` in ``organisation``."""
    role = _check_role(role)
    if not _is_system(by):
        require_permission(by, Permission.MANAGE_USERS, organisation, request=request)
    username = username.strip()
    if User.objects.filter(username__iexact=username).exists():
        raise AccountsError(
            f"Användarnamnet {username!r} är upptaget / Username {username!r} is taken."
        )
    user = User(username=username, email=User.objects.normalize_email(email.strip()))
    try:
        user.full_clean(exclude=["password"])
        validate_password(password, user)
    except ValidationError as exc:
        raise AccountsError(_validation_message(exc)) from exc
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
            membership = Membership.objects.create(user=user, organisation=organisation, role=role)
            record_event(
                "user.create",
                actor=by,
                organisation=organisation,
                target=user,
                detail={"username": user.username, "role": str(role)},
                request=request,
            )
            _audit_membership(membership, by=by, request=request)
    except IntegrityError as exc:  # created concurrently by someone else
        raise AccountsError(
            f"Användarnamnet {username!r} är upptaget / Username {username!r} is taken."
        ) from exc
    return user


def _audit_membership(
    membership: Membership, *, by: Any, request: HttpRequest | None
) -> AuditEvent:
    return record_event(
        "membership.create",
        actor=by,
        organisation=membership.organisation,
        target=membership,
        detail={"username": membership.user.username, "role": str(membership.role)},
        request=request,
    )


def add_membership(
    *,
    user: User,
    organisation: Organisation,
    role: Role | str,
    by: Any,
    request: HttpRequest | None = None,
) -> Membership:
    """Give ``user`` a role in ``organisation``; needs ``MANAGE_USERS`` there."""
    role = _check_role(role)
    if not _is_system(by):
        require_permission(by, Permission.MANAGE_USERS, organisation, request=request)
    if Membership.objects.filter(user=user, organisation=organisation).exists():
        raise AccountsError(
            f"{user.username} är redan medlem i {organisation.name} / "
            f"{user.username} is already a member of {organisation.name}."
        )
    try:
        with transaction.atomic():
            membership = Membership.objects.create(user=user, organisation=organisation, role=role)
            _audit_membership(membership, by=by, request=request)
    except IntegrityError as exc:  # added concurrently
        raise AccountsError(
            f"{user.username} är redan medlem i {organisation.name} / "
            f"{user.username} is already a member of {organisation.name}."
        ) from exc
    forget_roles(user)
    return membership


# --- API tokens --------------------------------------------------------------------------


def hash_token(secret: str) -> str:
    """SHA-256 (hex) of a token secret: what the database stores instead of the secret."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def token_expiry(expires_at: dt.datetime | None = None, *, days: int | None = None) -> dt.datetime:
    """When a new token expires: ``expires_at``, or ``days`` from now, or the default
    (``API_TOKEN_DEFAULT_DAYS``). Refuses the past and anything beyond
    ``API_TOKEN_MAX_DAYS``: a key must not outlive the reason it was made for."""
    now = timezone.now()
    longest = int(settings.API_TOKEN_MAX_DAYS)
    if expires_at is not None and days is not None:
        raise AccountsError(
            "Ange antingen utgångsdatum eller antal dagar / Give an expiry or a number of days."
        )
    if days is not None:
        if not 1 <= days <= longest:
            raise AccountsError(
                f"En nyckel kan gälla 1–{longest} dagar / A token can be valid 1–{longest} days."
            )
        return now + dt.timedelta(days=days)
    if expires_at is None:
        return now + dt.timedelta(days=int(settings.API_TOKEN_DEFAULT_DAYS))
    if expires_at <= now:
        raise AccountsError(
            "Utgångsdatumet måste ligga i framtiden / The expiry must be in the future."
        )
    # One day of slack: a form picks "the end of that day" for the last allowed date.
    if expires_at > now + dt.timedelta(days=longest + 1):
        raise AccountsError(
            f"En nyckel kan gälla högst {longest} dagar / A token can be valid at most "
            f"{longest} days."
        )
    return expires_at


def create_api_token(
    *,
    user: User,
    name: str,
    by: Any,
    expires_at: dt.datetime | None = None,
    days: int | None = None,
    scope: TokenScope | str = TokenScope.READ,
    request: HttpRequest | None = None,
) -> tuple[ApiToken, str]:
    """Create a personal API token and return ``(token, secret)``.

    The secret (``ds_`` + 43 URL-safe characters, 256 bits) is returned once and never
    stored. Users create tokens for themselves only (``MANAGE_TOKENS_OWN``); nobody can
    mint a token that acts as someone else, except SYSTEM (the operator's CLI). Every
    token expires (:func:`token_expiry`) and is ``read`` unless ``write`` is asked for
    (least privilege: most scripts only fetch figures).
    """
    if not _is_system(by):
        if getattr(by, "pk", None) != user.pk:
            deny(by, Permission.MANAGE_TOKENS_OWN, request=request, detail={"for_user": user.pk})
        require_permission(by, Permission.MANAGE_TOKENS_OWN, request=request)
    name = name.strip()
    if not name:
        raise AccountsError("Ange ett namn för nyckeln / Give the token a name.")
    if len(name) > 100:
        raise AccountsError(
            "Namnet får vara högst 100 tecken / The name may be at most 100 characters."
        )
    if not user.is_active:
        raise AccountsError("Användaren är inaktiv / The user is inactive.")
    if scope not in TokenScope.values:
        raise AccountsError(
            f"Okänd behörighet {scope!r}: read eller write / Unknown scope {scope!r}: "
            "read or write."
        )
    expires_at = token_expiry(expires_at, days=days)
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user,
            name=name,
            prefix=secret[: ApiToken.PREFIX_LENGTH],
            token_hash=hash_token(secret),
            expires_at=expires_at,
            scope=TokenScope(scope),
        )
        record_event(
            "token.create",
            actor=by,
            target=token,
            detail={
                "name": token.name,
                "prefix": token.prefix,
                "user": user.username,
                "expires_at": expires_at.isoformat(),
                "scope": str(token.scope),
            },
            request=request,
        )
    return token, secret


def list_api_tokens(user: User) -> QuerySet[ApiToken]:
    """A user's own tokens, newest first (revoked ones included, marked by ``revoked_at``)."""
    return ApiToken.objects.filter(user_id=user.pk).order_by("-created_at", "-id")


def _may_manage_tokens_of(by: Any, owner: User) -> bool:
    if not getattr(by, "is_authenticated", False):
        return False
    if by.is_superuser:
        return has_permission(by, Permission.MANAGE_TOKENS_ALL)
    owner_orgs = Membership.objects.filter(user=owner).values_list("organisation_id", flat=True)
    return any(has_permission(by, Permission.MANAGE_TOKENS_ALL, org) for org in owner_orgs)


def revoke_api_token(*, token_id: int, by: Any, request: HttpRequest | None = None) -> ApiToken:
    """Revoke a token. Your own always; someone else's only as their organisation's admin.

    Revoking twice is harmless (the first revocation time is kept). A token that does not
    exist, or that the actor may not see, raises :class:`NotFoundError` after auditing.
    """
    token = ApiToken.objects.select_related("user").filter(pk=token_id).first()
    if token is None:
        raise NotFoundError(f"API-nyckeln {token_id} finns inte / API token {token_id} not found.")
    own = getattr(by, "pk", None) == token.user_id
    if not (own or _is_system(by) or _may_manage_tokens_of(by, token.user)):
        deny(by, Permission.MANAGE_TOKENS_ALL, request=request, detail={"token_id": token_id})
    with transaction.atomic():
        locked = ApiToken.objects.select_for_update().get(pk=token.pk)
        if locked.revoked_at is not None:
            return locked
        locked.revoked_at = timezone.now()
        locked.save(update_fields=["revoked_at"])
        record_event(
            "token.revoke",
            actor=by,
            target=locked,
            detail={"name": locked.name, "prefix": locked.prefix, "user": token.user.username},
            request=request,
        )
    return locked


def find_api_token(secret: str | None) -> ApiToken | None:
    """The token whose secret is ``secret`` (revoked and expired ones too), or None.

    Candidates are found by prefix; hashes are compared in constant time.
    """
    if not secret or not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        return None
    digest = hash_token(secret)
    candidates = ApiToken.objects.select_related("user").filter(
        prefix=secret[: ApiToken.PREFIX_LENGTH]
    )
    match: ApiToken | None = None
    for token in candidates:
        if hmac.compare_digest(token.token_hash, digest):
            match = token
    return match


def use_api_token(token: ApiToken) -> None:
    """Note that ``token`` was used (at most once per ``LAST_USED_RESOLUTION``)."""
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now


def authenticate_api_token(secret: str | None) -> User | None:
    """The active user owning ``secret``, or None (unknown, revoked, expired, inactive)."""
    match = find_api_token(secret)
    if match is None or not match.is_usable() or not match.user.is_active:
        return None
    use_api_token(match)
    return match.user


# --- audit log ---------------------------------------------------------------------------


def set_user_language(user: Any, language: str | None) -> bool:
    """Store ``language`` as ``user``'s preference when the user switches language on the
    site (their own display and e-mail language: no rights to check and no audit event).
    An anonymous user or a code that is not a site language changes nothing. Returns
    whether the preference was saved."""
    if not getattr(user, "is_authenticated", False) or language not in Language.values:
        return False
    if user.language == language:
        return False
    user.language = language
    user.save(update_fields=["language"])
    return True


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def audit_events(
    *,
    by: Any,
    action: str | None = None,
    actor: str | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    target_type: str | None = None,
    target_id: str | None = None,
    request: HttpRequest | None = None,
) -> QuerySet[AuditEvent]:
    """Audit events that ``by`` may see (``VIEW_AUDIT``), newest first, filtered.

    Superusers see everything; an organisation's admin sees events recorded for their
    organisations and events by their organisations' members. ``action`` matches exactly,
    or as a prefix when it ends with ``.`` (``"auth."``). ``actor`` is a username
    (case-insensitive). ``date_from`` and ``date_to`` are inclusive local dates.
    """
    qs = AuditEvent.objects.all()
    if not _is_system(by):
        require_permission(by, Permission.VIEW_AUDIT, request=request)
        if not by.is_superuser:
            orgs = organisations_with_permission(by, Permission.VIEW_AUDIT)
            names = list(orgs.values_list("name", flat=True))
            member_ids = Membership.objects.filter(organisation__in=orgs).values("user_id")
            qs = qs.filter(Q(organisation__in=names) | Q(actor_id__in=member_ids))
    if action:
        qs = (
            qs.filter(action__startswith=action)
            if action.endswith(".")
            else qs.filter(action=action)
        )
    if actor:
        qs = qs.filter(actor_username__iexact=actor.strip())
    if date_from:
        qs = qs.filter(timestamp__gte=_day_start(date_from))
    if date_to:
        qs = qs.filter(timestamp__lt=_day_start(date_to + dt.timedelta(days=1)))
    if target_type:
        qs = qs.filter(target_type=target_type)
    if target_id:
        qs = qs.filter(target_id=str(target_id))
    return qs.order_by("-timestamp", "-id")


# --- bootstrap and CLI -------------------------------------------------------------------


def generate_password() -> str:
    """A strong random password (about 144 bits) that passes the password validators."""
    return secrets.token_urlsafe(18)


def bootstrap_admin(username: str = "admin") -> str | None:
    """Create the first superuser and the "Datasmart förvaltning" organisation.

    Returns the generated password (show it once), or None when any user already exists.
    Needs the nation unit (code ``"00"``): load the geography first.
    """
    if User.objects.exists():
        return None
    nation = Unit.objects.filter(code=NATION_CODE).first()
    if nation is None:
        raise AccountsError(
            "Riket (enhet 00) saknas: läs in geografin först / "
            "The nation unit (00) is missing: load the geography first."
        )
    password = generate_password()
    try:
        with transaction.atomic():
            if User.objects.exists():
                return None
            org = Organisation.objects.filter(
                name_key=organisation_name_key(BOOTSTRAP_ORGANISATION)
            ).first()
            if org is None:
                org = Organisation.objects.create(
                    name=BOOTSTRAP_ORGANISATION, kind=OrganisationKind.OTHER, unit=nation
                )
                record_event(
                    "organisation.create",
                    actor=SYSTEM,
                    organisation=org,
                    target=org,
                    detail={"name": org.name, "kind": str(org.kind), "unit": nation.code},
                )
            user = User.objects.create_superuser(username=username, email="", password=password)
            membership = Membership.objects.create(user=user, organisation=org, role=Role.ADMIN)
            record_event(
                "user.create",
                actor=SYSTEM,
                organisation=org,
                target=user,
                detail={"username": user.username, "role": Role.ADMIN.value, "superuser": True},
            )
            _audit_membership(membership, by=SYSTEM, request=None)
    except IntegrityError:
        return None  # another process bootstrapped at the same moment
    return password


def _find_organisation(org_name_or_id: str | int) -> Organisation:
    text = str(org_name_or_id).strip()
    org = (
        Organisation.objects.filter(pk=int(text)).first()
        if text.isdigit()
        else Organisation.objects.filter(name_key=organisation_name_key(text)).first()
    )
    if org is None:
        raise NotFoundError(
            f"Organisationen {text!r} finns inte / Organisation {text!r} not found."
        )
    return org


def cli_create_user(
    username: str,
    email: str,
    org_name_or_id: str | int,
    role: str,
    password: str | None = None,
) -> str:
    """Create a user from the command line; returns the password (generated if not given)."""
    organisation = _find_organisation(org_name_or_id)
    password = password or generate_password()
    create_user(
        username=username,
        email=email,
        password=password,
        organisation=organisation,
        role=role,
        by=SYSTEM,
    )
    return password


def cli_create_token(
    username: str,
    name: str,
    *,
    scope: TokenScope | str = TokenScope.READ,
    days: int | None = None,
) -> tuple[ApiToken, str]:
    """Create an API token for ``username`` from the command line; returns
    ``(token, secret)``."""
    user = User.objects.filter(username__iexact=username.strip()).first()
    if user is None:
        raise NotFoundError(f"Användaren {username!r} finns inte / User {username!r} not found.")
    return create_api_token(user=user, name=name, by=SYSTEM, scope=scope, days=days)
