"""Allocation keys for agreement funding: small frozen dataclasses (data, not code).

A key says *how* one post of an agreement is split between its recipients; the engine in
:mod:`datasmart.funding.allocation` interprets it. Keys hold no behaviour so they can be
stored (later in a model's JSON field), compared and printed.

>>> PopulationShare(age_min=0, age_max=25)
PopulationShare(age_min=0, age_max=25)
>>> FixedAmounts(1_000_000, {"01": 2_000_000}).amount_for("01")
2000000
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

__all__ = [
    "KEY_PARAMS",
    "KEY_TYPES",
    "DirectAmount",
    "FixedAmounts",
    "FixedPlusPopulation",
    "Key",
    "PopulationShare",
    "key_from_json",
    "key_to_json",
]


def _check_int(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an integer number of kronor, got {value!r}")
    if value < 0:
        raise ValueError(f"{name} = {value} is negative")
    return value


@dataclass(frozen=True)
class PopulationShare:
    """Share of population, optionally only the ages ``age_min``..``age_max`` (inclusive).

    ``PopulationShare(0, 25)`` is "share of population aged 0–25" (youth clinics, 2020).
    ``None`` means no lower / upper limit.
    """

    age_min: int | None = None
    age_max: int | None = None

    def __post_init__(self) -> None:
        for name in ("age_min", "age_max"):
            value = getattr(self, name)
            if value is not None:
                _check_int(name, value)
        if self.age_min is not None and self.age_max is not None and self.age_min > self.age_max:
            raise ValueError(f"age_min = {self.age_min} is greater than age_max = {self.age_max}")

    @property
    def has_age_band(self) -> bool:
        """True when the key restricts the population to an age band."""
        return self.age_min is not None or self.age_max is not None


@dataclass(frozen=True)
class FixedPlusPopulation:
    """``fixed_per_recipient`` kronor to every recipient, the rest of the post by population.

    The 2020 län support structure: 200 MSEK = 5 MSEK to each of 21 län + 95 MSEK by population.
    """

    fixed_per_recipient: int

    def __post_init__(self) -> None:
        _check_int("fixed_per_recipient", self.fixed_per_recipient)


@dataclass(frozen=True)
class FixedAmounts:
    """A fixed amount per recipient: ``default`` unless the code is in ``exceptions``.

    The amounts must add up to the post exactly (checked when the post is allocated).
    Brukarmedverkan 2020: 1 MSEK per län, 2 MSEK for 01, 12 and 14 (24 MSEK in all).
    """

    default: int
    exceptions: Mapping[str, int]

    def __post_init__(self) -> None:
        _check_int("default", self.default)
        frozen = MappingProxyType(dict(self.exceptions))
        for code, amount in frozen.items():
            if not isinstance(code, str):
                raise TypeError(f"exceptions key {code!r} must be a code string")
            _check_int(f"exceptions[{code!r}]", amount)
        object.__setattr__(self, "exceptions", frozen)

    def __hash__(self) -> int:
        return hash((self.default, frozenset(self.exceptions.items())))

    def __repr__(self) -> str:
        return f"FixedAmounts(default={self.default}, exceptions={dict(self.exceptions)!r})"

    def amount_for(self, code: str) -> int:
        """The fixed amount for one recipient code."""
        return self.exceptions.get(code, self.default)


@dataclass(frozen=True)
class DirectAmount:
    """The whole post to one recipient (e.g. a post paid to a named actor)."""

    recipient_code: str

    def __post_init__(self) -> None:
        if not isinstance(self.recipient_code, str) or not self.recipient_code:
            got = self.recipient_code
            raise TypeError(f"recipient_code must be a non-empty string, got {got!r}")


Key = PopulationShare | FixedPlusPopulation | FixedAmounts | DirectAmount
"""Any allocation key."""


#: Stored spelling of each key class (``Post.key_type`` in the database and agreement files).
KEY_TYPES: dict[str, type] = {
    "population_share": PopulationShare,
    "fixed_plus_population": FixedPlusPopulation,
    "fixed_amounts": FixedAmounts,
    "direct_amount": DirectAmount,
}

#: Required and optional parameters of each key type.
KEY_PARAMS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # key type: (required parameters, optional parameters)
    "population_share": ((), ("age_min", "age_max")),
    "fixed_plus_population": (("fixed_per_recipient",), ()),
    "fixed_amounts": (("default",), ("exceptions",)),
    "direct_amount": (("recipient_code",), ()),
}


def key_from_json(key_type: str, params: Mapping[str, object] | None) -> Key:
    """Build a key from its stored form; ``ValueError`` names the bad parameter.

    >>> key_from_json("population_share", {"age_min": 0, "age_max": 25})
    PopulationShare(age_min=0, age_max=25)
    >>> key_from_json("fixed_amounts", {"default": 1, "exceptions": {"01": 2}}).amount_for("01")
    2
    >>> key_from_json("fixed_plus_population", {})
    Traceback (most recent call last):
    ...
    ValueError: key_params.fixed_per_recipient is missing
    """
    if key_type not in KEY_TYPES:
        raise ValueError(
            f"key_type {key_type!r} is unknown (allowed: {', '.join(sorted(KEY_TYPES))})"
        )
    params = dict(params or {})
    required, optional = KEY_PARAMS[key_type]
    unknown = sorted(set(params) - set(required) - set(optional))
    if unknown:
        raise ValueError(f"key_params {unknown} are not parameters of {key_type}")
    for name in required:
        if params.get(name) is None:
            raise ValueError(f"key_params.{name} is missing")
    if key_type == "fixed_amounts":
        exceptions = params.get("exceptions") or {}
        if not isinstance(exceptions, Mapping):
            raise ValueError("key_params.exceptions must be a table of code = amount")
        params["exceptions"] = exceptions
    try:
        key: Key = KEY_TYPES[key_type](**params)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"key_params: {exc}") from None
    return key


def key_to_json(key: Key) -> tuple[str, dict[str, object]]:
    """``(key_type, params)`` for storage; the inverse of :func:`key_from_json`.

    >>> key_to_json(FixedPlusPopulation(5_000_000))
    ('fixed_plus_population', {'fixed_per_recipient': 5000000})
    """
    if isinstance(key, PopulationShare):
        params: dict[str, object] = {}
        if key.age_min is not None:
            params["age_min"] = key.age_min
        if key.age_max is not None:
            params["age_max"] = key.age_max
        return "population_share", params
    if isinstance(key, FixedPlusPopulation):
        return "fixed_plus_population", {"fixed_per_recipient": key.fixed_per_recipient}
    if isinstance(key, FixedAmounts):
        return "fixed_amounts", {
            "default": key.default,
            "exceptions": dict(sorted(key.exceptions.items())),
        }
    if isinstance(key, DirectAmount):
        return "direct_amount", {"recipient_code": key.recipient_code}
    raise TypeError(f"unknown allocation key {key!r}")
