"""Web test fixtures."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _reset_language() -> Iterator[None]:
    """LocaleMiddleware activates the request's language for the whole thread; a test that
    switches to English must not leave later tests (in any app) running in English."""
    yield
    translation.deactivate()
