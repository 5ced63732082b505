"""REST endpoints for organisations (public) and personal API tokens (signed in).

Mount with ``api.add_router("/", "datasmart.accounts.api.router")`` or
``api.add_router("/", router)``; paths are ``/organisations`` and ``/tokens``.

Creating a token needs a browser session (with CSRF): a token cannot mint new tokens, so
a leaked token cannot outlive its own revocation. Listing and revoking work with either.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError

from .api_auth import ApiTokenAuth, token_or_session
from .models import ApiToken, Organisation, OrganisationKind, TokenScope
from .services import (
    AccountsError,
    NotFoundError,
    create_api_token,
    list_api_tokens,
    revoke_api_token,
)

router = Router(tags=["organisationer och API-nycklar"])


class ErrorOut(Schema):
    """Error body: ``detail`` is a human-readable message (Swedish / English)."""

    detail: str


class OrganisationOut(Schema):
    id: int
    name: str
    kind: OrganisationKind = Field(description="Typ av organisation (API-stavning)")
    kind_label: str = Field(description="Typ av organisation i klartext")
    unit_code: str = Field(description="Kod för kommun, region/län, sjukvårdsregion eller riket")
    unit_name: str
    unit_level: str
    org_number: str = Field(description="Organisationsnummer (NNNNNN-NNNN) eller tomt")


class OrganisationPage(Schema):
    count: int
    limit: int
    offset: int
    next: str | None
    previous: str | None
    items: list[OrganisationOut]


class OrganisationFilters(Schema):
    unit: str | None = Field(
        None, max_length=32, description="Enhetens kod, t.ex. '0180' eller '01'"
    )
    kind: OrganisationKind | None = Field(None, description="Typ av organisation")
    limit: int = Field(100, ge=1, le=1000)
    offset: int = Field(0, ge=0)


class TokenOut(Schema):
    id: int
    name: str
    prefix: str = Field(description="Nyckelns första 8 tecken, för att känna igen den")
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    expires_at: dt.datetime
    revoked_at: dt.datetime | None
    scope: TokenScope = Field(description="read: bara läsa; write: även ändra")
    active: bool


class TokenCreatedOut(TokenOut):
    secret: str = Field(description="Själva nyckeln. Visas bara nu; spara den säkert.")


class TokenIn(Schema):
    name: str = Field(..., min_length=1, max_length=100)
    expires_at: dt.datetime | None = Field(
        None, description="Går ut då (högst API_TOKEN_MAX_DAYS fram); eller ange days"
    )
    days: int | None = Field(None, ge=1, description="Giltig så många dagar från nu")
    scope: TokenScope = Field(TokenScope.READ, description="read (standard) eller write")


def _organisation_dict(org: Organisation) -> dict[str, Any]:
    return {
        "id": org.pk,
        "name": org.name,
        "kind": org.kind,
        "kind_label": str(OrganisationKind(org.kind).label),
        "unit_code": org.unit.code,
        "unit_name": org.unit.name,
        "unit_level": org.unit.level,
        "org_number": org.org_number,
    }


def _token_dict(token: ApiToken) -> dict[str, Any]:
    return {
        "id": token.pk,
        "name": token.name,
        "prefix": token.prefix,
        "created_at": token.created_at,
        "last_used_at": token.last_used_at,
        "expires_at": token.effective_expiry(),
        "revoked_at": token.revoked_at,
        "scope": token.scope,
        "active": token.is_usable(),
    }


def _page_links(request: HttpRequest, *, count: int, limit: int, offset: int) -> dict[str, Any]:
    def link(new_offset: int) -> str:
        params = request.GET.copy()
        params["offset"] = str(new_offset)
        params["limit"] = str(limit)
        return request.build_absolute_uri(f"{request.path}?{params.urlencode()}")

    return {
        "count": count,
        "limit": limit,
        "offset": offset,
        "next": link(offset + limit) if offset + limit < count else None,
        "previous": link(max(offset - limit, 0)) if offset > 0 else None,
    }


@router.get(
    "/organisations",
    response={200: OrganisationPage, 422: ErrorOut},
    auth=None,
    summary="Lista organisationer",
    description="Offentligt. Filtrera på enhetens kod (`unit`) och typ (`kind`).",
)
def organisations(request: HttpRequest, filters: Query[OrganisationFilters]) -> Any:
    qs = Organisation.objects.select_related("unit").order_by("name", "id")
    if filters.unit:
        qs = qs.filter(unit__code=filters.unit)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    count = qs.count()
    items = [_organisation_dict(o) for o in qs[filters.offset : filters.offset + filters.limit]]
    return {
        **_page_links(request, count=count, limit=filters.limit, offset=filters.offset),
        "items": items,
    }


@router.get(
    "/organisations/{org_id}",
    response={200: OrganisationOut, 404: ErrorOut},
    auth=None,
    summary="En organisation",
)
def organisation_detail(request: HttpRequest, org_id: int) -> Any:
    org = Organisation.objects.select_related("unit").filter(pk=org_id).first()
    if org is None:
        raise HttpError(
            404, f"Organisationen {org_id} finns inte / Organisation {org_id} not found"
        )
    return _organisation_dict(org)


@router.get(
    "/tokens",
    response={200: list[TokenOut], 401: ErrorOut},
    auth=token_or_session,
    summary="Mina API-nycklar",
)
def tokens(request: HttpRequest) -> Any:
    return [_token_dict(t) for t in list_api_tokens(request.auth)]  # type: ignore[attr-defined]


@router.post(
    "/tokens",
    response={201: TokenCreatedOut, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut},
    auth=token_or_session,
    summary="Skapa API-nyckel",
    description="Kräver inloggad session (med CSRF-token). Nyckeln visas bara i svaret.",
)
def create_token(request: HttpRequest, payload: TokenIn) -> Any:
    if request.headers.get(ApiTokenAuth.header):
        raise HttpError(
            403,
            "API-nycklar skapas i en inloggad session, inte med en API-nyckel / "
            "API tokens are created in a signed-in session, not with an API token",
        )
    try:
        token, secret = create_api_token(
            user=request.auth,  # type: ignore[attr-defined]
            name=payload.name,
            expires_at=payload.expires_at,
            days=payload.days,
            scope=payload.scope,
            by=request.auth,  # type: ignore[attr-defined]
            request=request,
        )
    except AccountsError as exc:
        raise HttpError(400, str(exc)) from exc
    except PermissionDenied as exc:
        raise HttpError(403, str(exc)) from exc
    return Status(201, {**_token_dict(token), "secret": secret})


@router.delete(
    "/tokens/{token_id}",
    response={204: None, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    auth=token_or_session,
    summary="Återkalla API-nyckel",
)
def delete_token(request: HttpRequest, token_id: int) -> Any:
    try:
        revoke_api_token(token_id=token_id, by=request.auth, request=request)  # type: ignore[attr-defined]
    except NotFoundError as exc:
        raise HttpError(404, str(exc)) from exc
    except PermissionDenied as exc:
        raise HttpError(403, str(exc)) from exc
    return HttpResponse(status=204)
