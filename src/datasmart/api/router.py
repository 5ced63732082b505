"""The REST API under /api, documented at /api/docs (OpenAPI)."""

from ninja import NinjaAPI

api = NinjaAPI(
    title="datasmart API",
    version="1",
    description="Geografi, befolkning och organisationer för datasmart styrning av psykisk hälsa.",
    urls_namespace="api",
)


@api.get("/health", tags=["system"], auth=None)
def health(request):  # type: ignore[no-untyped-def]
    """Liveness check; also the baseline for API benchmarks."""
    return {"status": "ok"}
