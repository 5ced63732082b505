"""Needs analysis (behovsanalys): how many people in a kommun, län, sjukvårdsregion or the
nation are likely to need help now, in five and in ten years.

The domain: population projections (:mod:`.projection`, Hamilton–Perry cohort-change
ratios, pure numpy), imported official projections as a second scenario (:mod:`.imports`),
and — built on those — prevalence, expected cases and the gap to care delivered.

Dependencies: this app may import ``datasmart.geo`` (units, population, cache),
``datasmart.stats`` (pure statistics), ``datasmart.accounts`` (permissions, audit) and the
*service* modules of ``datasmart.indicators`` (delivered-care indicators). It never imports
the internals of ``datasmart.sip`` or ``datasmart.funding``: those domains publish what
needs analysis may use through indicators.
"""
