"""The conformance suite cannot pass by being absent or by leaving a file unread
(``tests/conformance_guard.py``)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from stats_support import REPO_ROOT, Table, conformance_dir
from tests import conformance_guard as guard


def test_missing_folder_fails_instead_of_skipping(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("DATASMART_CONFORMANCE_DIR", str(tmp_path / "absent"))
    with pytest.raises(pytest.fail.Exception, match="conformance data not found at"):
        guard.require_folder()
    monkeypatch.setenv("DATASMART_CONFORMANCE_DIR", str(tmp_path))
    assert guard.require_folder() == tmp_path


def test_table_records_the_file_it_opens(tmp_path) -> None:
    path = tmp_path / "guard_probe_file.csv"
    path.write_text("a\n1\n", encoding="utf-8")
    Table(path)
    assert "guard_probe_file.csv" in guard.opened()
    assert guard.unused_files(tmp_path, guard.opened()) == []
    (tmp_path / "other.csv").write_text("a\n", encoding="utf-8")
    (tmp_path / "notes.md").write_text("x", encoding="utf-8")
    assert guard.unused_files(tmp_path, guard.opened()) == ["other.csv"]


def test_controller_merges_what_workers_opened(monkeypatch) -> None:
    monkeypatch.setattr(guard, "_opened", set())
    monkeypatch.setattr(guard, "_guard_ran", [])
    node = SimpleNamespace(
        workeroutput={"conformance_opened": ["x.csv"], "conformance_guard_ran": True}
    )
    guard.pytest_testnodedown(node, None)
    guard.pytest_testnodedown(SimpleNamespace(workeroutput={}), None)
    assert guard.opened() == {"x.csv"} and guard._guard_ran == [True]


@pytest.mark.slow
def test_an_unopened_file_fails_the_run_under_xdist(tmp_path: Path) -> None:
    """End to end with two xdist workers: the mean files are read by ``test_mean``,
    ``esp2013.csv`` by no selected test, so the run must fail and name it."""
    for name in ("mean_input.csv", "mean_expected.csv", "esp2013.csv"):
        shutil.copy(conformance_dir() / name, tmp_path / name)
    env = os.environ | {"DATASMART_CONFORMANCE_DIR": str(tmp_path)}
    run = subprocess.run(
        [
            sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-n", "2",
            "tests/stats/test_stats_conformance_intervals.py::test_mean",
            "tests/stats/test_stats_doctests.py::test_every_conformance_file_is_used",
        ],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert run.returncode == 1, run.stdout + run.stderr
    assert "2 passed" in run.stdout
    assert "conformance files not opened by any test in this run: esp2013.csv" in run.stdout
