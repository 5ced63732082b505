"""SIP's web pages: the staff pages (:mod:`.staff`, :mod:`.staff_edit`), the person's
own pages (:mod:`.person`), their forms and shared page helpers (:mod:`.support`).
Templates stay in ``sip/templates/sip`` and the URL map in :mod:`datasmart.sip.urls`.

Views are thin: they parse the request, call :mod:`datasmart.sip.services` (which checks
access and rights and audits) and turn its exceptions into pages. They may import
:mod:`~datasmart.sip.domain`, :mod:`~datasmart.sip.services`, the models and Django —
nothing imports them except the URL map.
"""
