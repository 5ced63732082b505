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

import re
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


#: Sex codes of the prevalence tables, as words (translated on English pages).
SEX_LABELS: dict[str, Promise] = {"1": _("män"), "2": _("kvinnor"), "T": _("alla")}


def sex_label(code: str) -> str:
    found = SEX_LABELS.get(code)
    return str(found) if found else code


#: The measures the prevalence files name (in English, as published), in words for the
#: pages. Why: the files keep the publishers' wording so rows stay traceable, but a
#: Swedish page must not show English method text, nor an English page Swedish. The
#: suffix "(basis for needs)" is the platform's own marker and is shown as a tag instead.
MEASURES: dict[str, Promise] = {
    "12-month incidence of an episode": _("insjuknande i en episod under 12 månader"),
    "12-month prevalence": _("12-månadersprevalens"),
    "12-month prevalence (survey)": _("12-månadersprevalens (enkät)"),
    "annual period prevalence": _("årsprevalens"),
    "annual period prevalence (inpatients)": _("årsprevalens (slutenvårdade)"),
    "lifetime risk": _("livstidsrisk"),
    "lifetime risk (upper estimate)": _("livstidsrisk (övre skattning)"),
    "point prevalence": _("punktprevalens"),
    "point prevalence (self-report)": _("punktprevalens (självrapporterad)"),
    "prevalence": _("prevalens"),
    "prevalence (estimate)": _("prevalens (skattning)"),
    "year prevalence": _("årsprevalens"),
    "year prevalence (diagnosed)": _("årsprevalens (diagnostiserade)"),
}
_CUMULATIVE = re.compile(r"^cumulative incidence by age (\d+)$")
_BASIS_SUFFIX = " (basis for needs)"


def measure_label(measure: str) -> str:
    """A published measure in the page's language; an unknown wording is shown as the
    general word for prevalence rather than as untranslated source text."""
    text = measure.strip()
    if text.casefold().endswith(_BASIS_SUFFIX):
        text = text[: -len(_BASIS_SUFFIX)].strip()
    match = _CUMULATIVE.match(text.casefold())
    if match:
        return str(_("kumulativ incidens till %(age)s års ålder") % {"age": match.group(1)})
    found = MEASURES.get(text.casefold())
    return str(found) if found else str(_("prevalens"))
