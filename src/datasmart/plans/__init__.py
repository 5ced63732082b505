"""The governance cycle domain: political goals → operative goals (delmål) → indicators
with targets → activities, grouped in versioned action plans (handlingsplaner), and joint
län plans that the region and every kommun of the län approve in their own names.

Why a domain of its own: the cycle in source 000 (goals → quality indicators → action plan
→ needs analysis) is what the agreements ask for ("utifrån handlingsplaner"), and funding
reads :func:`datasmart.plans.services.agreed_joint_plan_exists` rather than keeping a copy.

May import ``accounts``, ``geo`` and ``datasmart.indicators.services`` (baselines come from
the indicator's stored result for the owner's unit); nothing else's internals.
"""
