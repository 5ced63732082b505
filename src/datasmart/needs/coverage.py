"""Which of the required condition × age cells have a sourced low / central / high share,
and why the others have none.

Why this module: issue #13 §2 asks for low / central / high for ten conditions in three
age groups (children 0–17, young adults 18–25, adults). The published material behind the
platform (``prevalence/prevalence_estimates.csv``, its SOURCE.md, the source documents
000–004 and ``needs/data/prevalence_added.csv``) does not give all thirty. A missing cell
must not be a silent zero in an expected-cases sum: every page, the API, the CLI and the
report show the cell with the words "ingen publicerad siffra i underlaget" and the reason
given here. No figure is invented to fill a cell.

Status of a cell (from the basis figures, ``use_in_needs``, that overlap its ages):

- ``sourced``  — every figure has low, central and high, and both sexes are covered;
- ``partial``  — a central figure exists but a range or one sex is missing;
- ``missing``  — no figure at all.

A cell that is not ``sourced`` must have a reason in :data:`REASONS` (the test
``tests/needs/test_coverage.py`` lists the thirty cells and checks this). A sourced cell
whose range is put together from several publications (``range_is_judgement``) carries
:data:`JUDGEMENTS` text saying which figure is low and which high.
"""

from __future__ import annotations

from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from datasmart.needs import conditions
from datasmart.needs.prevalence import MAX_AGE, basis_estimates

#: The phrase shown wherever a required figure is not in the published material.
NO_FIGURE = _("ingen publicerad siffra i underlaget")

#: The three age groups of issue #13 §2: (code, first age, last age, label).
AGE_GROUPS: tuple[tuple[str, int, int, Promise], ...] = (
    ("0-17", 0, 17, _("barn 0–17 år")),
    ("18-25", 18, 25, _("unga vuxna 18–25 år")),
    ("26+", 26, MAX_AGE, _("vuxna 26 år och äldre")),
)

#: The cells the issue requires: every core condition × every age group.
REQUIRED_CELLS: tuple[tuple[str, str], ...] = tuple(
    (code, group) for code in conditions.CORE_CODES for group, *_rest in AGE_GROUPS
)

#: Why a required cell has no figure, or no range, in the published material.
REASONS: dict[tuple[str, str], Promise] = {
    ("any_mental", "26+"): _(
        "Underlaget har ingen andel med psykisk ohälsa för vuxna över 25 år (bara "
        "livstidsrisk för depression och ångest och användning av antidepressiva, som inte "
        "är samma mått)."
    ),
    ("depression", "0-17"): _(
        "Bara en siffra finns: kumulativ incidens till 18 år i en dansk födelsekohort (1,84 %), "
        "utan intervall."
    ),
    ("anxiety", "0-17"): _(
        "Bara flickor: kumulativ incidens till 18 år i danska register (7,85 %), utan "
        "intervall. För pojkar finns ingen siffra; '10 % av barn före puberteten' kommer "
        "från en svag sekundärkälla och används inte."
    ),
    ("anxiety", "18-25"): _(
        "Ingen diagnosuppgift. Självrapporterade svåra besvär av oro eller ångest 16–29 år "
        "(18 % kvinnor, 9 % män, Nationella folkhälsoenkäten 2020) är symtom, inte "
        "ångestsyndrom, och kan bara läsas som ett tak."
    ),
    ("anxiety", "26+"): _(
        "Bara livstidsrisk (en fjärdedel, Socialstyrelsen 2019 via sekundärkälla); ingen "
        "punkt- eller årsprevalens för vuxna."
    ),
    ("adhd", "0-17"): _(
        "Siffran gäller skolåldern 6–17 år; för 0–5 år finns ingen uppgift (diagnosen ställs "
        "sällan före skolåldern)."
    ),
    ("autism", "0-17"): _(
        "Diagnostiserad autism i Stockholms läns register per åldersband, utan intervall "
        "(ett golv). Danska kumulativa incidensen till 18 år (1,79 %) är ett annat mått."
    ),
    ("autism", "18-25"): _(
        "Diagnostiserad autism 18–27 år i Stockholms läns register (1,76 %), utan intervall."
    ),
    ("autism", "26+"): _(
        "Bara 18–27 år finns (Stockholms läns register); för äldre vuxna finns ingen siffra."
    ),
    ("eating", "0-17"): _("Underlaget har ingen siffra för ätstörningar hos barn."),
    ("eating", "18-25"): _(
        "Bara kvinnor (anorexi och bulimi, Psykiatristöd Region Stockholm); för män finns "
        "ingen siffra."
    ),
    ("eating", "26+"): _(
        "Bara kvinnor (anorexi och bulimi, Psykiatristöd Region Stockholm); för män finns "
        "ingen siffra."
    ),
    ("conduct", "0-17"): _(
        "Bara en siffra finns: kumulativ incidens till 18 år i en dansk födelsekohort (1,32 %), "
        "utan intervall."
    ),
    ("conduct", "18-25"): _(
        "Beteendestörning är en diagnos i barndomen; underlaget har ingen siffra för vuxna."
    ),
    ("conduct", "26+"): _(
        "Beteendestörning är en diagnos i barndomen; underlaget har ingen siffra för vuxna."
    ),
    ("self_harm", "0-17"): _(
        "Bara slutenvårdade efter självskada 13–19 år (patientregistret 2022), utan intervall: "
        "ett golv, de flesta självskador vårdas aldrig i slutenvård. Under 13 år finns ingen "
        "siffra."
    ),
    ("self_harm", "18-25"): _(
        "Bara slutenvårdade efter självskada 13–24 år (patientregistret 2022), utan intervall: "
        "ett golv."
    ),
    ("self_harm", "26+"): _("Underlaget har ingen siffra för självskada hos vuxna över 24 år."),
    ("substance", "0-17"): _(
        "Bara en siffra finns: kumulativ incidens till 18 år i en dansk födelsekohort (1,02 %), "
        "utan intervall."
    ),
}

#: How a judged range (low and high from different publications) was put together.
JUDGEMENTS: dict[str, Promise] = {
    "any_mental": _(
        "Intervallet är en bedömning: barn – låg = dansk födelsekohort 1995, central = "
        "Dalsgaard 2020, hög = övre konfidensgräns; unga vuxna – låg = diagnos i "
        "specialistvård 2016 (registergolv), hög = bredare vårdmått 2023."
    ),
    "adhd": _(
        "Intervallet är en bedömning: barn – låg = behandlad ADHD i dansk födelsekohort, "
        "central = SBU:s cirka 5 %, hög = danska pojkar; vuxna – SBU:s 3–4 %, central = "
        "mittpunkten."
    ),
    "depression": _(
        "Vuxna: 6–7 % får en depressionsepisod under ett år (SBU 2004 via Psykiatristöd); "
        "central = mittpunkten."
    ),
    "substance": _(
        "Intervallet är en bedömning: vuxna – CAN:s enkät 2017 och Psykiatristöd (2–6 %), "
        "central = mittpunkten; bara alkohol, så ett golv för skadligt bruk och beroende."
    ),
    "psychosis": _(
        "Intervallet är variation mellan områden (0,3–1 %), inte ett konfidensintervall; bara "
        "schizofreni, så ett golv för alla psykoser."
    ),
    "eating": _(
        "Intervallet är en bedömning: summan av anorexi (0,5–1 %) och bulimi (1–2 %) hos "
        "kvinnor; central = mittpunkten."
    ),
}


def _overlaps(age_from: int | None, age_to: int | None, start: int, end: int) -> bool:
    return (age_from or 0) <= end and (age_to if age_to is not None else MAX_AGE) >= start


def cells() -> list[dict[str, Any]]:
    """Every required cell with its figures (shares 0–1, None where not published),
    status, reason and judgement; shown on the pages, in the API, CLI and report."""
    basis = basis_estimates()
    out = []
    for code, group in REQUIRED_CELLS:
        _g, start, end, group_label = next(a for a in AGE_GROUPS if a[0] == group)
        hits = sorted(
            (
                e
                for e in basis
                if e.condition == code and _overlaps(e.age_from, e.age_to, start, end)
            ),
            key=lambda e: (e.age_from or 0, e.sex),
        )
        sexes = {s for e in hits for s in (("1", "2") if e.sex == "T" else (e.sex,))}
        full = all(e.low is not None and e.high is not None for e in hits)
        if not hits:
            status = "missing"
        elif full and sexes == {"1", "2"}:
            status = "sourced"
        else:
            status = "partial"
        judged = any(e.range_is_judgement for e in hits)
        out.append(
            {
                "condition": code,
                "condition_label": conditions.label(code),
                "age_group": group,
                "age_group_label": str(group_label),
                "status": status,
                "figures": [
                    {
                        "age_band": e.age_band,
                        "sex": e.sex,
                        "low": e.low,
                        "central": e.central,
                        "high": e.high,
                        "estimate_id": e.pk,
                        "range_is_judgement": e.range_is_judgement,
                    }
                    for e in hits
                ],
                "reason": str(REASONS[(code, group)]) if (code, group) in REASONS else "",
                "judgement": str(JUDGEMENTS[code]) if judged and code in JUDGEMENTS else "",
                "no_figure": str(NO_FIGURE),
            }
        )
    return out
