"""``{% attribution keys %}``: the source line every page showing figures must carry.

Why a tag: the attribution the licences require (Kolada, Eurostat) and the sources ask for
(SCB, Socialstyrelsen, NASP) must appear wherever figures appear, worded the same
everywhere; pages pass the dataset keys their figures come from and the text comes from
the one table of datasets through :func:`datasmart.geo.services.attribution_for`.

Usage::

    {% load geo_attribution %}
    {% attribution "kolada_psychiatry_region" %}
    {% attribution dataset_keys %}            {# a list, or a comma-separated string #}
    {% population_attribution granularities %} {# e.g. ["age", "total"] #}
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import template

from datasmart.geo import services

register = template.Library()


def _keys(values: tuple[Any, ...]) -> list[str]:
    keys: list[str] = []
    for value in values:
        if isinstance(value, str):
            keys += [k.strip() for k in value.split(",") if k.strip()]
        elif isinstance(value, Iterable):
            keys += [str(k) for k in value]
    return keys


@register.inclusion_tag("geo/_attribution.html")
def attribution(*dataset_keys: Any) -> dict[str, Any]:
    """The attribution line for figures from ``dataset_keys``."""
    return {"attributions": services.attribution_for(_keys(dataset_keys))}


@register.inclusion_tag("geo/_attribution.html")
def population_attribution(*granularities: Any) -> dict[str, Any]:
    """The attribution line for population figures of the given granularities."""
    texts: list[str] = []
    for g in _keys(granularities):
        for text in services.population_attribution(g):
            if text not in texts:
                texts.append(text)
    return {"attributions": texts}
