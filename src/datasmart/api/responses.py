"""Shared response helpers for the API: pagination envelope, CSV output, error bodies.

Every list endpoint offers JSON (paginated) and CSV (all matching rows, streamed) from the
same query, so a download and a page never disagree.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from enum import StrEnum
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils import translation
from ninja import Schema

from datasmart.geo.cache import cached


class OutputFormat(StrEnum):
    json = "json"
    csv = "csv"


class ErrorOut(Schema):
    """Error body: ``detail`` is a human-readable message (Swedish by default)."""

    detail: str
    field: str | None = None


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_response(
    rows: Iterable[dict[str, Any]], columns: Sequence[str], filename: str
) -> StreamingHttpResponse:
    """Stream ``rows`` as UTF-8 CSV with a header row (with BOM so Excel reads å, ä, ö)."""
    writer = csv.writer(_Echo())

    def generate() -> Iterator[str]:
        yield "\ufeff" + writer.writerow(columns)
        for row in rows:
            yield writer.writerow(["" if row.get(c) is None else row.get(c) for c in columns])

    response = StreamingHttpResponse(generate(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def page_envelope(
    request: HttpRequest, items: list[Any], *, count: int, limit: int, offset: int
) -> dict[str, Any]:
    """A page of results with total count and links to the neighbouring pages."""

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
        "items": items,
    }


def cached_json(request: HttpRequest, namespace: str, compute: Callable[[], Any]) -> HttpResponse:
    """A JSON response whose body is computed once per data version, URL and language.

    For read-only reference data: the serialised bytes are cached, so a repeated request
    costs a cache lookup. Errors raised by ``compute`` are not cached.
    """
    parts = (request.get_host(), request.get_full_path(), translation.get_language())
    body = cached(
        f"api:{namespace}", parts, lambda: json.dumps(compute(), cls=DjangoJSONEncoder).encode()
    )
    return HttpResponse(body, content_type="application/json; charset=utf-8")
