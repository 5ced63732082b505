"""The questions as reference data: ``data/questions.toml`` → :class:`ChecklistVersion` and
:class:`Question` rows.

Why a version: a round keeps the version it answered, so editing a question never changes
what an organisation already answered. A loaded version is therefore frozen: loading the
same code with other content is refused (give the changed list a new ``[version] code``),
loading it unchanged writes nothing. The file is checked whole before anything is written.

:func:`read_questions` is pure (file → checked dicts); :func:`write_version` takes the
model classes as arguments so the data migration (``0002_load_questions``) can call it with
its historical models, and ``datasmart checklist load`` with the real ones.
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .models import EvidenceKind, Section

QUESTIONS_FILE = Path(__file__).parent / "data" / "questions.toml"
_CODE = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
_REQUIRED = ("code", "section", "evidence", "text_sv", "text_en", "source")


class QuestionFileError(ValueError):
    """The questions file is wrong; the Swedish message names file, question and field."""


@dataclass
class LoadReport:
    version: str
    created: bool
    questions: int

    def line(self) -> str:
        state = "inläst" if self.created else "oförändrad"
        return f"Politikerchecklistan version {self.version}: {self.questions} frågor ({state})."


def _text(entry: dict[str, Any], key: str, where: str, *, required: bool = True) -> str:
    value = entry.get(key, "")
    if not isinstance(value, str):
        raise QuestionFileError(f"{where}, fältet {key}: ska vara text.")
    value = value.strip()
    if required and not value:
        raise QuestionFileError(f"{where}, fältet {key}: får inte vara tomt.")
    return value


def read_questions(path: Path = QUESTIONS_FILE) -> dict[str, Any]:
    """The checked content of a questions file: ``{"version": {...}, "questions": [...]}``
    with ``order`` 1, 2, … in file order, and the content's SHA-256."""
    name = path.name
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise QuestionFileError(f"{name}: kan inte läsas ({exc}).") from exc
    head = data.get("version")
    if not isinstance(head, dict):
        raise QuestionFileError(f"{name}: avsnittet [version] saknas.")
    version = {k: _text(head, k, f"{name} [version]") for k in ("code", "title_sv", "title_en")}
    if not _CODE.match(version["code"]):
        raise QuestionFileError(f"{name} [version], fältet code: bara a–z, 0–9 och bindestreck.")
    entries = data.get("question")
    if not isinstance(entries, list) or not entries:
        raise QuestionFileError(f"{name}: inga frågor ([[question]]).")
    questions: list[dict[str, Any]] = []
    seen: set[str] = set()
    for i, entry in enumerate(entries, start=1):
        where = f"{name}, fråga {i}"
        if not isinstance(entry, dict):
            raise QuestionFileError(f"{where}: ska vara en tabell.")
        unknown = sorted(set(entry) - {*_REQUIRED, "help_sv", "help_en"})
        if unknown:
            raise QuestionFileError(f"{where}: okänt fält {', '.join(unknown)}.")
        q: dict[str, Any] = {k: _text(entry, k, where) for k in _REQUIRED}
        q["help_sv"] = _text(entry, "help_sv", where, required=False)
        q["help_en"] = _text(entry, "help_en", where, required=False)
        if not _CODE.match(q["code"]):
            raise QuestionFileError(f"{where}, fältet code: bara a–z, 0–9 och bindestreck.")
        if q["code"] in seen:
            raise QuestionFileError(f"{where}, fältet code: {q['code']} finns redan.")
        seen.add(q["code"])
        if q["section"] not in Section.values:
            raise QuestionFileError(
                f"{where}, fältet section: välj en av {', '.join(Section.values)}."
            )
        if q["evidence"] not in EvidenceKind.values:
            raise QuestionFileError(
                f"{where}, fältet evidence: välj en av {', '.join(EvidenceKind.values)}."
            )
        q["order"] = i
        questions.append(q)
    content = json.dumps({"version": version, "questions": questions}, sort_keys=True)
    return {
        "version": version,
        "questions": questions,
        "sha256": hashlib.sha256(content.encode()).hexdigest(),
    }


def write_version(version_model: Any, question_model: Any, content: dict[str, Any]) -> LoadReport:
    """Create the version and its questions, or nothing if it is loaded unchanged.

    The caller holds the transaction (the migration's, or :func:`services.load_questions`'s).
    """
    head = content["version"]
    existing = version_model.objects.filter(code=head["code"]).first()
    if existing is not None:
        if existing.content_sha256 != content["sha256"]:
            raise QuestionFileError(
                f"Version {head['code']} finns redan med andra frågor; en inläst version ändras "
                "inte (svar hänvisar till den). Ge den ändrade listan en ny versionskod."
            )
        return LoadReport(head["code"], False, existing.questions.count())
    version = version_model.objects.create(
        code=head["code"],
        title_sv=head["title_sv"],
        title_en=head["title_en"],
        content_sha256=content["sha256"],
    )
    question_model.objects.bulk_create(
        question_model(
            version=version,
            code=q["code"],
            order=q["order"],
            section=q["section"],
            text_sv=q["text_sv"],
            text_en=q["text_en"],
            help_sv=q["help_sv"],
            help_en=q["help_en"],
            source_ref=q["source"],
            evidence_kind=q["evidence"],
        )
        for q in content["questions"]
    )
    return LoadReport(head["code"], True, len(content["questions"]))
