"""Reporting on an agreement's allocation: every post's key in plain Swedish, a summary
per recipient level, and the filters the pages, API and CLI share.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from ..models import (
    Agreement,
    KeyType,
    RecipientLevel,
)
from ..texts import explain_key

if TYPE_CHECKING:
    pass
from .common import (
    FundingError,
    recipients_for,
)
from .runs import (
    Line,
)

# --------------------------------------------------------------------------- explanations


def post_explanations(
    agreement: Agreement, population_year: int | None = None
) -> list[dict[str, Any]]:
    """Every post with its key in plain Swedish (for pages and the API)."""
    year = population_year if population_year is not None else agreement.population_year
    names: dict[str, str] = {}
    counts: dict[str, int] = {}
    out = []
    for post in agreement.posts.order_by("order", "id"):
        level = post.recipient_level
        if level not in counts:
            rec = recipients_for(level)
            counts[level] = len(rec)
            names.update({r.code: r.name for r in rec if level != RecipientLevel.REGION})
        out.append(
            {
                "post": post,
                "code": post.code,
                "name": post.name,
                "amount_sek": post.amount_sek,
                "recipient_level": level,
                "recipient_level_label": RecipientLevel(level).label,
                "recipients": counts[level] if post.key_type != KeyType.UNSPECIFIED else 0,
                "purpose": post.purpose,
                "key_type": post.key_type,
                "key_type_label": KeyType(post.key_type).label,
                "key_params": post.key_params,
                "key_explained": explain_key(
                    post.key_type,
                    post.key_params,
                    level=level,
                    population_year=year,
                    amount_sek=post.amount_sek,
                    n_recipients=counts[level],
                    names=names,
                ),
            }
        )
    return out


def level_summary(agreement: Agreement) -> list[dict[str, Any]]:
    """Sum of the posts per recipient level, in the order levels first appear."""
    acc: dict[str, int] = {}
    for post in agreement.posts.order_by("order", "id"):
        acc[post.recipient_level] = acc.get(post.recipient_level, 0) + post.amount_sek
    return [
        {"level": lv, "label": RecipientLevel(lv).label, "amount_sek": amount}
        for lv, amount in acc.items()
    ]


def filter_lines(
    lines: Iterable[Line],
    *,
    post: str | None = None,
    level: str | None = None,
    lan: str | None = None,
) -> list[Line]:
    """Lines of one post, one recipient level and/or one län (a län's kommuner and the
    län/region itself). Unknown values raise :class:`FundingError`."""
    lines = list(lines)
    if post:
        codes = {ln.post_code for ln in lines}
        if post not in codes:
            raise FundingError(f"Okänd post {post!r} (finns: {', '.join(sorted(codes))}).")
        lines = [ln for ln in lines if ln.post_code == post]
    if level:
        if level not in RecipientLevel.values:
            raise FundingError(
                f"Okänd mottagarnivå {level!r} (tillåtna: {', '.join(RecipientLevel.values)})."
            )
        lines = [ln for ln in lines if ln.recipient_level == level]
    if lan:
        if not (len(lan) == 2 and lan.isdigit()):
            raise FundingError(f"Länskoden {lan!r} ska vara två siffror, t.ex. 01.")
        lines = [ln for ln in lines if ln.lan_code == lan]
    return lines
