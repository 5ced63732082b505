"""REST endpoints for follow-up (judgements, recorded follow-ups, reports), mounted at
``/api/plans`` beside :mod:`datasmart.plans.api`."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["uppföljning av handlingsplaner"])
