"""REST endpoints of Kraftsamling, mounted at ``/api/kraftsamling``."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["kraftsamling"])
