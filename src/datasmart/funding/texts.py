"""Plain-Swedish explanations of allocation keys and money, for pages, API and annexes.

Pure functions (no database): callers pass the recipient names they need.

>>> kronor(1_716_000_000)
'1\\xa0716\\xa0000\\xa0000\\xa0kr'
>>> explain_key("population_share", {"age_min": 0, "age_max": 25}, level="region",
...             population_year=2019)
'Fördelas efter andel av befolkningen 0–25 år i varje region, befolkning 31 december 2019.'
"""

from __future__ import annotations

from collections.abc import Mapping

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

NBSP = "\u00a0"

#: "i varje …" per recipient level (whole phrases, so that each language words them).
IN_EACH = {
    "region": gettext_lazy("i varje region"),
    "kommun": gettext_lazy("i varje kommun"),
    "lan": gettext_lazy("i varje län"),
}
#: "till varje …" per recipient level.
TO_EACH = {
    "region": gettext_lazy("varje region"),
    "kommun": gettext_lazy("varje kommun"),
    "lan": gettext_lazy("varje län"),
}
LEVEL_PLURAL = {
    "region": "regionerna",
    "kommun": "kommunerna",
    "lan": "länen",
    "skr": "SKR",
    "administration": "administration (SKR)",
}


def grouped(value: int) -> str:
    """``1716000000`` → ``'1 716 000 000'`` with no-break spaces (Swedish grouping)."""
    sign = "\u2212" if value < 0 else ""
    return sign + f"{abs(int(value)):,}".replace(",", NBSP)


def kronor(value: int) -> str:
    """An amount in whole kronor, Swedish style: ``1 716 000 000 kr``."""
    return _("%(amount)s\u00a0kr") % {"amount": grouped(value)}


def msek(value: int) -> str:
    """An amount in miljoner kronor when it is a whole number of them, else in kronor."""
    if value % 1_000_000 == 0:
        return _("%(amount)s\u00a0mnkr") % {"amount": grouped(value // 1_000_000)}
    return kronor(value)


def age_band(age_min: int | None, age_max: int | None) -> str:
    """``0–25 år``, ``65 år och äldre``, ``högst 17 år``; empty for no band."""
    if age_min is None and age_max is None:
        return ""
    if age_max is None:
        return _("%(min)s år och äldre") % {"min": age_min}
    return _("%(min)s–%(max)s år") % {"min": age_min or 0, "max": age_max}


def _names(codes: list[str], names: Mapping[str, str]) -> str:
    parts = [f"{names.get(c, c)} ({c})" if names.get(c) else c for c in codes]
    if len(parts) <= 1:
        return "".join(parts)
    return _("%(list)s och %(last)s") % {"list": ", ".join(parts[:-1]), "last": parts[-1]}


def _population_phrase(level: str, age_min: object, age_max: object, year: int | None) -> str:
    band = age_band(
        age_min if isinstance(age_min, int) else None,
        age_max if isinstance(age_max, int) else None,
    )
    text = _("andel av befolkningen") + (f" {band}" if band else "") + f" {IN_EACH[level]}"
    if year is not None:
        text += _(", befolkning 31 december %(year)s") % {"year": year}
    return text


def explain_key(
    key_type: str,
    params: Mapping[str, object],
    *,
    level: str,
    population_year: int | None,
    amount_sek: int | None = None,
    n_recipients: int | None = None,
    names: Mapping[str, str] | None = None,
) -> str:
    """One or two Swedish sentences saying how a post is split.

    >>> explain_key("fixed_plus_population", {"fixed_per_recipient": 5_000_000}, level="lan",
    ...             population_year=2019, amount_sek=200_000_000, n_recipients=21)
    ... # doctest: +NORMALIZE_WHITESPACE
    '5\\xa0000\\xa0000\\xa0kr till varje län (21 × 5\\xa0000\\xa0000\\xa0kr =
    105\\xa0000\\xa0000\\xa0kr). Resten, 95\\xa0000\\xa0000\\xa0kr, fördelas efter andel av
    befolkningen i varje län, befolkning 31 december 2019.'
    """
    names = names or {}
    if key_type == "population_share":
        phrase = _population_phrase(
            level, params.get("age_min"), params.get("age_max"), population_year
        )
        return _("Fördelas efter %(phrase)s.") % {"phrase": phrase}
    if key_type == "fixed_plus_population":
        fixed = int(params["fixed_per_recipient"])  # type: ignore[call-overload]
        text = _("%(amount)s till %(each)s") % {
            "amount": kronor(fixed),
            "each": TO_EACH.get(level, _("varje mottagare")),
        }
        if n_recipients is not None:
            text += f" ({n_recipients} × {kronor(fixed)} = {kronor(fixed * n_recipients)})"
        phrase = _population_phrase(level, None, None, population_year)
        if amount_sek is not None and n_recipients is not None:
            rest = amount_sek - fixed * n_recipients
            return _("%(text)s. Resten, %(rest)s, fördelas efter %(phrase)s.") % {
                "text": text,
                "rest": kronor(rest),
                "phrase": phrase,
            }
        return _("%(text)s; resten fördelas efter %(phrase)s.") % {"text": text, "phrase": phrase}
    if key_type == "fixed_amounts":
        default = int(params["default"])  # type: ignore[call-overload]
        exceptions = dict(params.get("exceptions") or {})  # type: ignore[call-overload]
        text = _("%(amount)s till %(each)s") % {
            "amount": kronor(default),
            "each": TO_EACH.get(level, _("varje mottagare")),
        }
        by_amount: dict[int, list[str]] = {}
        for code, amount in sorted(exceptions.items()):
            by_amount.setdefault(int(amount), []).append(str(code))
        for amount, codes in sorted(by_amount.items()):
            exception = (
                _(", utom %(names)s som får %(amount)s var")
                if len(codes) > 1
                else _(", utom %(names)s som får %(amount)s")
            )
            text += exception % {"names": _names(codes, names), "amount": kronor(amount)}
        return text + "."
    if key_type == "direct_amount":
        code = str(params["recipient_code"])
        return _("Hela beloppet till %(name)s.") % {"name": names.get(code, code)}
    if key_type == "unspecified":
        return _(
            "Källan anger inte hur beloppet fördelas mellan mottagarna; "
            "det redovisas därför som ej fördelat."
        )
    raise ValueError(f"unknown key type {key_type!r}")
