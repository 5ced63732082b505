"""Import of an official projection (file made here; nothing shipped as SCB's): real,
validated whole, refused whole with file/row/column, shown beside the platform's own."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from datasmart.cli import app
from datasmart.geo.validation import DataLoadError
from datasmart.needs import services
from datasmart.needs.imports import import_projection
from datasmart.needs.models import ImportedProjection, ImportedProjectionCell

pytestmark = pytest.mark.django_db
HALLAND = ["1315", "1380", "1381", "1382", "1383", "1384"]


def _write(tmp_path: Path, lines: list[str], name: str = "proj.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join(["region,age,sex,year,population", *lines]) + "\n", encoding="utf-8")
    return path


def _grid(codes: list[str], years: list[int], value: float = 10.0) -> list[str]:
    return [
        f"{c},{'100+' if a == 100 else a},{s},{y},{value}"
        for c in codes
        for y in years
        for s in (1, 2)
        for a in range(101)
    ]


def _import(path: Path, scenario: str = "test-scb") -> None:
    import_projection(path, scenario=scenario, title="Testfil", publisher="Test")


def test_import_and_query_beside_the_platform(tmp_path: Path) -> None:
    _import(_write(tmp_path, _grid(HALLAND, [2025, 2030])))
    record = ImportedProjection.objects.get(scenario="test-scb")
    assert record.rows == 6 * 2 * 202 and record.first_year == 2025 and len(record.sha256) == 64
    kommun = services.projection_rows(
        base_year=2025, years=5, level="kommun", unit="1380", scenario="test-scb"
    )
    assert kommun == [
        {"unit_code": "1380", "year": 2025, "population": 2020},
        {"unit_code": "1380", "year": 2030, "population": 2020},
    ]
    # Halland is complete in the file, so the län is the sum of its six kommuner
    region = services.projection_rows(base_year=2025, years=5, level="region", scenario="test-scb")
    assert region[0] == {"unit_code": "13", "year": 2025, "population": 6 * 2020}
    # the nation is not: refused rather than a partial sum
    with pytest.raises(services.NeedsError, match="täcker ingen enhet"):
        services.projection_rows(base_year=2025, years=5, level="nation", scenario="test-scb")
    assert [s["scenario"] for s in services.scenarios()] == ["platform", "test-scb"]


def test_cli_import_and_project(tmp_path: Path) -> None:
    path = _write(tmp_path, _grid(["00"], [2025]))
    runner = CliRunner()
    result = runner.invoke(
        app,
        [
            "needs",
            "import-projection",
            str(path),
            "--scenario",
            "riket-test",
            "--title",
            "T",
            "--publisher",
            "P",
        ],
    )
    assert result.exit_code == 0, result.output
    rows = runner.invoke(
        app,
        [
            "needs",
            "project",
            "--from",
            "2025",
            "--years",
            "0",
            "--level",
            "nation",
            "--scenario",
            "riket-test",
            "--format",
            "json",
        ],
    )
    assert rows.exit_code == 0 and '"population": 2020' in rows.stdout


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (["9999,0,1,2025,5"], "rad 2, kolumn 'region': okänd enhetskod '9999'"),
        (["0180,101,1,2025,5"], "rad 2, kolumn 'age'"),
        (["0180,x,1,2025,5"], "rad 2, kolumn 'age'"),
        (["0180,0,3,2025,5"], "rad 2, kolumn 'sex'"),
        (["0180,0,1,20x5,5"], "rad 2, kolumn 'year'"),
        (["0180,0,1,2025,-1"], "rad 2, kolumn 'population'"),
        (["0180,0,1,2025,nan"], "rad 2, kolumn 'population'"),
        (["0180,0,1,2025,"], "rad 2, kolumn 'population'"),
    ],
)
def test_bad_cells_name_row_and_column(tmp_path: Path, lines: list[str], expected: str) -> None:
    with pytest.raises(DataLoadError) as err:
        _import(_write(tmp_path, lines))
    assert f"proj.csv, {expected}" in str(err.value)
    assert not ImportedProjection.objects.exists()


def test_duplicates_and_incomplete_grids_are_refused(tmp_path: Path) -> None:
    grid = _grid(["0180"], [2025])
    with pytest.raises(DataLoadError, match="rad 204: dubblett"):
        _import(_write(tmp_path, [*grid, grid[0]]))
    with pytest.raises(DataLoadError, match="0180 år 2025 har 201 rader"):
        _import(_write(tmp_path, grid[:-1]))


def test_a_failed_reimport_keeps_the_previous_one_whole(tmp_path: Path) -> None:
    _import(_write(tmp_path, _grid(["0180"], [2025])))
    before = ImportedProjectionCell.objects.count()
    bad = _grid(["0180"], [2025, 2030])
    bad[300] = bad[300].replace(",1,2030,", ",9,2030,")
    with pytest.raises(DataLoadError, match="kolumn 'sex'"):
        _import(_write(tmp_path, bad))
    assert ImportedProjectionCell.objects.count() == before == 202
    assert ImportedProjection.objects.get().last_year == 2025


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "filen är tom"),
        (b"region,age,sex,year\n0180,0,1,2025\n", "kolumner saknas: population"),
        (b"region,age,sex,year,population\n", "inga datarader"),
        ("region,age,sex,year,population\n0180,0,1,2025,5\n".encode("utf-16"), "inte UTF-8"),
    ],
)
def test_unreadable_files(tmp_path: Path, content: bytes, expected: str) -> None:
    path = tmp_path / "proj.csv"
    path.write_bytes(content)
    with pytest.raises(DataLoadError, match=expected):
        _import(path)


def test_reserved_or_bad_scenario_names(tmp_path: Path) -> None:
    path = _write(tmp_path, _grid(["0180"], [2025]))
    for name in ("platform", "Has Space", ""):
        with pytest.raises(DataLoadError, match="scenariots namn"):
            _import(path, scenario=name)


def test_cli_import_error_exit_2(tmp_path: Path) -> None:
    path = _write(tmp_path, ["9999,0,1,2025,5"])
    result = CliRunner().invoke(
        app,
        [
            "needs",
            "import-projection",
            str(path),
            "--scenario",
            "x",
            "--title",
            "T",
            "--publisher",
            "P",
        ],
    )
    assert result.exit_code == 2 and "okänd enhetskod" in result.output
    assert "Traceback" not in result.output


def test_a_reimport_replaces_the_figures_shown(tmp_path: Path) -> None:
    """Imported figures are cached per file: a new file under the same name shows at once."""
    _import(_write(tmp_path, _grid(["0180"], [2025], value=10.0)))
    query = {"base_year": 2025, "years": 0, "level": "kommun", "scenario": "test-scb"}
    assert services.projection_rows(**query)[0]["population"] == 2020  # type: ignore[arg-type]
    _import(_write(tmp_path, _grid(["0180"], [2025], value=20.0), name="proj2.csv"))
    assert services.projection_rows(**query)[0]["population"] == 4040  # type: ignore[arg-type]
