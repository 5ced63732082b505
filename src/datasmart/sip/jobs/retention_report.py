"""Counts for ``datasmart sip purge``: what retention would erase, without erasing it.

:func:`retention_counts` uses the same rule as
:func:`datasmart.sip.jobs.retention.erase_expired` (closed, not yet erased, ``retain_until``
before today) so ``--dry-run`` reports exactly what a real run would do.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from datasmart.sip.models import Sip, SipStatus

__all__ = ["RetentionCounts", "retention_counts"]


@dataclass(frozen=True)
class RetentionCounts:
    due: int  # closed plans whose retain_until has passed: erased by the next run
    waiting: int  # closed plans not erased whose day has not come (or is not set)
    erased: int  # plans already erased


def retention_counts(now: dt.datetime | None = None) -> RetentionCounts:
    today = timezone.localdate(now or timezone.now())
    closed = Sip.objects.filter(status=SipStatus.CLOSED)
    kept = closed.filter(erased_at__isnull=True)
    due = kept.filter(retain_until__lt=today).count()
    return RetentionCounts(
        due=due,
        waiting=kept.count() - due,
        erased=closed.filter(erased_at__isnull=False).count(),
    )
