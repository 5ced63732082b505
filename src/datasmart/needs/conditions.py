"""The code list of conditions a prevalence figure can be about.

Why a code list: the published tables name conditions in many ways ("Any diagnosed mental
disorder", "Diagnosed mental ill-health ..."); expected cases, gaps and the API need one
stable code per condition. A file may give either the code or one of the labels listed
here; anything else is refused (no silent new condition). ``core`` marks the ten
conditions the needs analysis must cover (issue #13 §2); the others are reference figures
(symptoms, treatment proxies) kept beside them with their own codes so they are never
added to a disorder.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Condition:
    code: str
    label: Promise
    core: bool
    aliases: tuple[str, ...] = ()


CONDITIONS: tuple[Condition, ...] = (
    Condition(
        "any_mental",
        _("Någon psykisk ohälsa (diagnos eller vård)"),
        True,
        (
            "Any diagnosed mental disorder",
            "Diagnosed mental ill-health (any psychiatric diagnosis in specialist care)",
            "Care for mental ill-health (diagnosis, psychiatric specialist visit or psychotropic drug)",  # noqa: E501
        ),
    ),
    Condition("depression", _("Depression"), True, ("Depression",)),
    Condition("anxiety", _("Ångestsyndrom"), True, ("Anxiety disorders",)),
    Condition("adhd", _("ADHD"), True, ("ADHD",)),
    Condition("autism", _("Autism"), True, ("Autism spectrum disorder", "Autism")),
    Condition("eating", _("Ätstörningar"), True, ("Eating disorders",)),
    Condition("conduct", _("Beteendestörningar"), True, ("Conduct disorder", "Conduct problems")),
    Condition("self_harm", _("Självskada"), True, ("Self-harm",)),
    Condition("substance", _("Skadligt bruk och beroende"), True, ("Substance use disorder",)),
    Condition("psychosis", _("Psykos"), True, ("Psychosis", "Schizophrenia")),
    Condition(
        "anxiety_symptoms",
        _("Självrapporterad oro eller ångest (symtom)"),
        False,
        (
            'Severe worry/anxiety (self-reported "svåra besvär av ängslan, oro eller ångest")',
            "Any worry/anxiety, mild or severe (self-reported)",
        ),
    ),
    Condition(
        "self_rated_health",
        _("Mycket gott självskattat hälsotillstånd (välbefinnande)"),
        False,
        ("Very good self-rated health (wellbeing indicator, inverse)",),
    ),
    Condition(
        "antidepressant_use",
        _("Användning av antidepressiva (behandlingsmått)"),
        False,
        ("Antidepressant use (treatment proxy)",),
    ),
)

BY_CODE: dict[str, Condition] = {c.code: c for c in CONDITIONS}
_BY_NAME: dict[str, str] = {
    **{c.code.casefold(): c.code for c in CONDITIONS},
    **{alias.casefold(): c.code for c in CONDITIONS for alias in c.aliases},
}
CORE_CODES: tuple[str, ...] = tuple(c.code for c in CONDITIONS if c.core)


def resolve(name: str) -> str | None:
    """The code for a code or a known label (case-insensitive), or None if unknown."""
    return _BY_NAME.get(name.strip().casefold())


def label(code: str) -> str:
    found = BY_CODE.get(code)
    return str(found.label) if found else code


def choices() -> list[tuple[str, Promise]]:
    return [(c.code, c.label) for c in CONDITIONS]
