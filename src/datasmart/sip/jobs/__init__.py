"""SIP's scheduled jobs, run from the CLI: reminders before meetings and follow-ups
(:mod:`.reminders`), erasure of expired plans (:mod:`.retention`) and the retention
counts (:mod:`.retention_report`).

May import :mod:`~datasmart.sip.domain` and the models; not pages or API.
"""
