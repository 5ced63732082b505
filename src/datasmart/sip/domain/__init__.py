"""SIP's core rules, shared by every way in: who the actors are, identity numbers,
need-to-know access and the access log, the role guards, plausible facts, the pydantic
plan content, plan diffs and snapshots, and the user-facing errors.

The Django models are in :mod:`datasmart.sip.models` and
:mod:`datasmart.sip.models_reminders` (where Django looks for them). Modules here may
import Django, :mod:`datasmart.accounts`, :mod:`datasmart.geo`, the SIP models and each
other — never :mod:`~datasmart.sip.services`, pages, API, FHIR, statistics or jobs
(tests/architecture checks this).
"""
