"""Kraftsamling för psykisk hälsa (source 003): its three goals and areas A–I as reference
data, delarenor with their participants, the five workshops (Verkstad 1–5) as stages with
their outputs, and the "handslag": a 3–5 year plan saying who does what, when and how.

A domain of its own because its participants are not only kommuner and regions
(authorities, business, civil society); the handslag's plan is a
:class:`datasmart.plans.models.ActionPlan`, read and written through ``plans.services``.
"""
