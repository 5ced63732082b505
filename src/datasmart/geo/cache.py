"""Caching of computed reference figures, keyed by the version of the loaded data.

Population above the stored level is computed on request (summing thousands of rows); the
result only changes when a load writes, so it is cached under a key that includes the
data version. Any cache backend works: per-process memory by default, a shared Redis or
Memcached in production (``CACHE_URL``), so app processes stay stateless.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import TypeVar

from django.core.cache import cache
from django.db.models import Count, Max

from datasmart.geo.models import DataLoad

T = TypeVar("T")
TIMEOUT_SECONDS = 3600
VERSION_KEY = "datasmart:geo:data-version"
VERSION_TTL_SECONDS = 5
"""How long a process trusts its cached data version. A load clears it in the shared cache
at once; processes with a private (in-memory) cache see a new load within this time."""


def data_version() -> str:
    """A string that changes whenever a load writes anything.

    Read from the database (one tiny query) at most every few seconds per cache.
    """
    version = cache.get(VERSION_KEY)
    if version is None:
        agg = DataLoad.objects.aggregate(n=Count("id"), t=Max("loaded_at"))
        stamp = agg["t"].timestamp() if agg["t"] else 0
        version = f"{agg['n']}-{stamp}"
        cache.set(VERSION_KEY, version, VERSION_TTL_SECONDS)
    return str(version)


def forget_data_version() -> None:
    """Called after a load writes, so this process (and a shared cache) sees it at once."""
    cache.delete(VERSION_KEY)


def cached(namespace: str, parts: tuple[object, ...], compute: Callable[[], T]) -> T:
    """Return the cached value for ``parts`` under the current data version, computing once."""
    # Hash the parts: URLs and user input may hold characters or lengths that memcached
    # (and Django's key check) refuse.
    digest = hashlib.sha256("\x1f".join(map(str, parts)).encode()).hexdigest()
    key = f"datasmart:geo:{namespace}:{data_version()}:{digest}"
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, TIMEOUT_SECONDS)
    return value
