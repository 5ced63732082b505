"""SIP as FHIR R5: the code systems (:mod:`.codes`), the mapping of a plan snapshot to a
CarePlan bundle (:mod:`.export`) and back (:mod:`.imports`), and the checked, logged
service that pages, API and CLI call (:mod:`.service`).

The mapping modules are pure (snapshot in, resources out); only :mod:`.service` checks
access and writes. They may import :mod:`~datasmart.sip.domain`,
:mod:`~datasmart.sip.services` and the models.
"""
