"""SIP's REST API: the ninja router (:mod:`.routes`, mounted at ``/api/sip``) and its
request and response bodies (:mod:`.schemas`).

Routes call :mod:`datasmart.sip.services` and :mod:`datasmart.sip.fhir.service` and turn
their exceptions into 403/404/409/422 answers. They may import
:mod:`~datasmart.sip.domain`, the services, FHIR and the models; nothing in SIP imports
them. ``router`` is re-exported because :mod:`datasmart.api.router` mounts
``"datasmart.sip.api.router"``.
"""

from datasmart.sip.api.routes import router

__all__ = ["router"]
