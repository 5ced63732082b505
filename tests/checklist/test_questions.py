"""The questions are reference data: loaded by the migration, versioned, each with a source."""

from __future__ import annotations

from pathlib import Path

import pytest

from datasmart.checklist import services
from datasmart.checklist.models import ChecklistVersion, EvidenceKind, Question, Section
from datasmart.checklist.questions import QUESTIONS_FILE, QuestionFileError, read_questions

pytestmark = pytest.mark.django_db


def test_migration_loaded_the_questions_each_with_a_source() -> None:
    version = services.current_version()
    questions = services.questions(version)
    assert 12 <= len(questions) <= 20
    assert [q.order for q in questions] == list(range(1, len(questions) + 1))
    for q in questions:
        assert q.source_ref.strip(), q.code
        # a source names the document by its number in /work/shared/sources (000–004)
        assert q.source_ref[:3] in {"000", "001", "002", "003", "004"}, q.source_ref
        assert q.text_sv and q.text_en and q.text_sv != q.text_en
        assert q.section in Section.values and q.evidence_kind in EvidenceKind.values
    kinds = {q.evidence_kind for q in questions}
    assert {"needs", "goals", "plans", "indicators", "sip"} <= kinds


def test_loading_again_changes_nothing() -> None:
    before = Question.objects.count()
    report = services.load_questions()
    assert not report.created and Question.objects.count() == before


def test_a_changed_file_under_a_loaded_version_code_is_refused(tmp_path: Path) -> None:
    text = QUESTIONS_FILE.read_text(encoding="utf-8").replace("Vet nämnden", "Vet styrelsen", 1)
    changed = tmp_path / "q.toml"
    changed.write_text(text, encoding="utf-8")
    with pytest.raises(services.ChecklistError, match="ny versionskod"):
        services.load_questions(changed)
    new = tmp_path / "q2.toml"
    new.write_text(text.replace('code = "2026-1"', 'code = "2027-1"', 1), encoding="utf-8")
    assert services.load_questions(new).created
    assert services.current_version().code == "2027-1"
    assert ChecklistVersion.objects.count() == 2


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ('section = "behov"', 'section = "okand"', "section"),
        ('evidence = "needs"', 'evidence = "karta"', "evidence"),
        ('source = "000, bild', 'source = "', "source"),
        ('code = "behov-framtid"', 'code = "behov-nu"', "code"),
    ],
)
def test_bad_question_files_name_question_and_field(
    tmp_path: Path, old: str, new: str, field: str
) -> None:
    text = QUESTIONS_FILE.read_text(encoding="utf-8")
    assert old in text
    bad = tmp_path / "bad.toml"
    if field == "source":
        # empty the first question's source
        start = text.index('source = "000, bild')
        end = text.index("\n", start)
        text = text[:start] + 'source = ""' + text[end:]
    else:
        text = text.replace(old, new, 1)
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(QuestionFileError, match=f"fråga \\d+, fältet {field}"):
        read_questions(bad)
