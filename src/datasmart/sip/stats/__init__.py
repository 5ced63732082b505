"""SIP statistics published as indicators (:mod:`.publish`): counts per kommun and
month, suppressed like every other indicator, written through
:mod:`datasmart.indicators.services` (the only way into the indicator domain).

May import :mod:`~datasmart.sip.domain` and the models; not pages, API or FHIR.
"""
