"""The REST API under /api, documented at /api/docs (OpenAPI).

Domain routers are mounted here; errors users can act on become 404/422 JSON bodies with a
``detail`` message, never a 500.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import ValidationError

from datasmart.geo.api import router as geo_router
from datasmart.geo.services import InvalidParameter, PopulationNotAvailable, UnitNotFound

api = NinjaAPI(
    title="datasmart API",
    version="1",
    description=(
        "Öppna referensdata (geografi, befolkning) och plattformens resurser. "
        "Listor kan hämtas som JSON (sidindelad) eller CSV (`format=csv`)."
    ),
    urls_namespace="api",
)


@api.get("/health", tags=["system"], summary="Hälsokontroll")
def health(request: HttpRequest) -> dict[str, str]:
    """Liveness check; also the baseline for API benchmarks."""
    return {"status": "ok"}


@api.exception_handler(UnitNotFound)
def _unit_not_found(request: HttpRequest, exc: UnitNotFound) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc)}, status=404)


@api.exception_handler(PopulationNotAvailable)
def _no_population(request: HttpRequest, exc: PopulationNotAvailable) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc)}, status=404)


@api.exception_handler(InvalidParameter)
def _invalid(request: HttpRequest, exc: InvalidParameter) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc), "field": exc.field}, status=422)


_SOURCES = ("query", "path", "header", "cookie", "form", "file", "body")


def _field(loc: list[Any] | tuple[Any, ...]) -> str:
    """``["body", "payload", "content", "goals", 0]`` → ``content.goals[0]``: the input
    as the client wrote it, without where ninja found it or the body parameter's name."""
    parts = list(loc)
    if parts and parts[0] in _SOURCES:
        source = parts.pop(0)
        if source == "body":
            if len(parts) <= 1:
                return "body"
            parts.pop(0)
    path = ""
    for part in parts:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path = f"{path}.{part}" if path else str(part)
    return path


@api.exception_handler(ValidationError)
def _validation(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    parts = []
    for err in exc.errors:
        loc = ".".join(
            str(p) for p in err.get("loc", []) if p not in ("query", "filters", "path", "body")
        )
        parts.append(f"{loc}: {err.get('msg')}" if loc else str(err.get("msg")))
    return api.create_response(
        request,
        {
            "detail": "Ogiltiga parametrar: " + "; ".join(parts),
            "field": _field(exc.errors[0].get("loc", [])) if exc.errors else None,
            "errors": exc.errors,
        },
        status=422,
    )


api.add_router("/", geo_router)
api.add_router("/", "datasmart.accounts.api.router")
api.add_router("/", "datasmart.indicators.api.router")
api.add_router("/funding", "datasmart.funding.api.router")
api.add_router("/sip", "datasmart.sip.api.router")
api.add_router("/needs", "datasmart.needs.api.router")
api.add_router("/needs", "datasmart.needs.api_needs.router")
api.add_router("/plans", "datasmart.plans.api.router")
api.add_router("/plans", "datasmart.plans.api_followup.router")
api.add_router("/kraftsamling", "datasmart.kraftsamling.api.router")
api.add_router("/checklist", "datasmart.checklist.api.router")
