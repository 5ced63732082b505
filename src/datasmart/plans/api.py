"""REST endpoints for plans, goals, goal indicators, activities and joint-plan approvals,
mounted at ``/api/plans``; every write goes through :mod:`datasmart.plans.services`
(rights, frozen plans, audit)."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["mål och handlingsplaner"])
