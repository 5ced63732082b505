"""Kraftsamling's reference data as read from source 003 (SKR's slides, 2020): the three
goals, areas A–I, the five workshops of a delarena and what the handslag is.

Why a module of constants: the slides are fixed text; the data migration
(``migrations/0002_reference_data``) and :func:`datasmart.kraftsamling.services.load_reference`
both write these rows, so a test can compare the database with the source in one place.
Titles are the source's words (facts, not sentences); English titles are our translation.
Citations name the slide by its heading and the line range in the text extract
``sources/003_*.txt`` (the extract has no page numbers; slide numbers are given where
the slide prints one).
"""

from __future__ import annotations

from typing import Final

SOURCE: Final = "003"

_WORK_AREAS = "Källa 003, bild ”Kraftsamling för psykisk hälsa – Arbetsområden” (textrad 243–280)"
_PROPOSALS = (
    "Källa 003, bilderna ”Förslag nationella delarenor” (bild 30 och följande, textrad 631–722)"
)
_PROCESS = (
    "Källa 003, bild ”Förslag diskussion: övergripande arbetsprocess för en delarena” "
    "(textrad 809–846)"
)
_HANDSLAG = "Källa 003, bilderna ”Handslag” och ”Visionen om ett handslag” (textrad 849–897)"

#: (number, title, English title, proposed national delarenor under the goal)
GOALS: Final[tuple[tuple[int, str, str, tuple[str, ...]], ...]] = (
    (
        1,
        "Ett mer hälsofrämjande samhälle och levnadssätt",
        "A more health-promoting society and way of life",
        (
            "1.1 Mediabild för psykisk hälsa",
            "1.2 Urbaniseringskonsekvenser i stad och land",
            "1.3 Samhällsdiskussion om sociala medier",
            "1.4 Meningsskapande i en sekulär tid",
            "1.5 Arbetsliv för personer med psykiatriska tillstånd",
            "1.6 Framtidstro i samhällsdiskussionen",
            "1.7 Socialt ansvar och narkotikakonsumtion",
        ),
    ),
    (
        2,
        "Individer som är rustade för att nå sin fulla potential och välmående",
        "Individuals equipped to reach their full potential and well-being",
        (
            "2.1 Fungerande skolgång för barn och unga med NPF",
            "2.2 Etisk stress i arbetslivet",
            "2.3 Huskurer för psykisk hälsa",
            "2.4 Rusta barn och unga",
            "2.5 Ofrivillig ensamhet bland äldre",
            "2.6 Miljö och fysisk aktivitet för psykisk hälsa",
            "2.7 Hälsofrämjande digitalt liv",
        ),
    ),
    (
        3,
        "Hållbara stöd till de som behöver",
        "Sustainable support for those who need it",
        (
            "3.1 Hela samhällets suicidprevention",
            "3.2 Smart tillgänglighet i första linjen",
            "3.3 Lokalt stöd för utsatta områden",
            "3.4 Utökat anhörigstöd",
            "3.5 Ändamålsenliga insatser för äldre med psykiatriska problem",
            "3.6 Rätt insatser för asylsökande och nyanlända",
        ),
    ),
)
GOAL_SOURCE: Final = _WORK_AREAS
PROPOSALS_SOURCE: Final = _PROPOSALS

#: (letter, title, English title, goal number). The slide lists the three goals and then
#: A–I; the grouping A–C / D–F / G–I under goals 1 / 2 / 3 is the slide's three-column
#: layout as the text extract orders it (see docs/kraftsamling.md).
AREAS: Final[tuple[tuple[str, str, str, int], ...]] = (
    (
        "A",
        "En samhällsdesign för hälsa och välmående",
        "A society designed for health and well-being",
        1,
    ),
    ("B", "En hälsofrämjande samhällsdiskussion", "A health-promoting public debate", 1),
    (
        "C",
        "Ett arbets- och vardagsliv med krav som svarar mot människors förmågor",
        "Working and everyday life with demands that match people's abilities",
        1,
    ),
    (
        "D",
        "Ökad motståndskraft mot livets påfrestningar i alla åldrar",
        "Greater resilience to the strains of life at all ages",
        2,
    ),
    (
        "E",
        "Ett utbildningssystem som för ihop samhällets och individens behov",
        "An education system that brings together the needs of society and the individual",
        2,
    ),
    (
        "F",
        "Ett samlat ändamålsenligt erbjudande av främjande och förebyggande insatser",
        "A coherent, fit-for-purpose offer of health-promoting and preventive interventions",
        2,
    ),
    (
        "G",
        "Ökad tillgång till ändamålsenliga insatser för personer med psykisk ohälsa",
        "Greater access to fit-for-purpose interventions for people with mental ill-health",
        3,
    ),
    (
        "H",
        "Kompetens och kapacitet för att utföra det nya välfärdsuppdraget",
        "Competence and capacity to carry out the new welfare mission",
        3,
    ),
    ("I", "Ett skyddsnät med täta maskor", "A safety net with a fine mesh", 3),
)
AREA_SOURCE: Final = _WORK_AREAS

#: (number, the stage's words on the slide, English, what the stage gives, English)
STAGES: Final[tuple[tuple[int, str, str, str, str], ...]] = (
    (
        1,
        "Gemensam problemformulering",
        "Shared problem statement",
        "Gemensam problemformulering",
        "A shared problem statement",
    ),
    (
        2,
        "Generera idéer om möjliga initiativ och formulera målbild",
        "Generate ideas for possible initiatives and formulate a target picture",
        "Idéer om möjliga initiativ; målbild",
        "Ideas for possible initiatives; a target picture",
    ),
    (
        3,
        "Undersöka hypoteser om initiativ (iterativ process)",
        "Examine hypotheses about initiatives (iterative process)",
        "Undersökta hypoteser om initiativ",
        "Examined hypotheses about initiatives",
    ),
    (
        4,
        "Workshop för att utforma handslag",
        "Workshop to shape the handslag",
        "Utformat handslag",
        "A shaped handslag",
    ),
    (
        5,
        "Finalisering och handslag",
        "Finalisation and handslag",
        "Handslag: vilka, vad, när, hur; ca 5–10 sidor; 3–5-årig genomförandeplan",
        "Handslag: who, what, when, how; about 5–10 pages; 3–5 year implementation plan",
    ),
)
STAGE_SOURCE: Final = _PROCESS
HANDSLAG_SOURCE: Final = _HANDSLAG

#: The handslag's length in years (source 003: "3-5-årig genomförandeplan").
HANDSLAG_MIN_YEARS: Final = 3
HANDSLAG_MAX_YEARS: Final = 5

#: The kinds of initiative the source's illustrative handslag names ("Ta fram kunskap",
#: "Genomföra/testa insatser", "Spridning av kunskap/insatser"), textrad 860–864.
INITIATIVE_KINDS: Final[tuple[tuple[str, str], ...]] = (
    ("knowledge", "Ta fram kunskap"),
    ("implement", "Genomföra/testa insatser"),
    ("spread", "Spridning av kunskap/insatser"),
)


def write_reference(goal_model: type, area_model: type, stage_model: type) -> int:
    """Write the rows above into the given model classes (the live models or a migration's
    historical ones); idempotent. Returns how many rows were created or changed."""
    changed = 0
    goals = {}
    for number, title, title_en, proposals in GOALS:
        description = "Förslag nationella delarenor: " + "; ".join(proposals) + "."
        goal, made = goal_model.objects.update_or_create(  # type: ignore[attr-defined]
            number=number,
            defaults={
                "title": title,
                "title_en": title_en,
                "description": description,
                "source_ref": f"{GOAL_SOURCE}; {PROPOSALS_SOURCE}",
            },
        )
        goals[number] = goal
        changed += 1 if made else 0
    for letter, title, title_en, goal_number in AREAS:
        area, made = area_model.objects.update_or_create(  # type: ignore[attr-defined]
            letter=letter,
            defaults={"title": title, "title_en": title_en, "source_ref": AREA_SOURCE},
        )
        area.goals.set([goals[goal_number]])
        changed += 1 if made else 0
    for number, title, title_en, output, output_en in STAGES:
        _stage, made = stage_model.objects.update_or_create(  # type: ignore[attr-defined]
            number=number,
            defaults={
                "title": title,
                "title_en": title_en,
                "expected_output": output,
                "expected_output_en": output_en,
                "source_ref": STAGE_SOURCE,
            },
        )
        changed += 1 if made else 0
    return changed
