"""Pytest plugin: the PHE conformance suite can neither be absent nor partly unused.

* :func:`conformance_dir` names the folder; a missing folder is a test failure (the
  ``phe`` fixture fails, it does not skip), so a run without the data is never green.
* Every conformance CSV a test reads goes through ``stats_support.Table``, which calls
  :func:`record_opened`. When the guard test ``test_every_conformance_file_is_used``
  is part of the run, the session fails at its end unless every CSV of the folder was
  opened by some test of the same run.

Under pytest-xdist each worker sends its opened files and whether it ran the guard to
the controller (``config.workeroutput``, received in ``pytest_testnodedown``); the
controller checks their union, so the check holds with ``-n 2`` and without it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
GUARD_TEST = "test_every_conformance_file_is_used"

_opened: set[str] = set()
_guard_ran: list[bool] = []


def conformance_dir() -> Path:
    """Folder of the PHEindicatormethods conformance CSVs.

    ``DATASMART_CONFORMANCE_DIR`` overrides the default ``<repo>/../shared/conformance/phe``.
    """
    env = os.environ.get("DATASMART_CONFORMANCE_DIR")
    return Path(env) if env else REPO_ROOT.parent / "shared" / "conformance" / "phe"


def missing_folder_message(folder: Path) -> str:
    return (
        f"conformance data not found at {folder}: the PHE conformance suite must run "
        "(set DATASMART_CONFORMANCE_DIR to the folder holding the CSVs)"
    )


def require_folder() -> Path:
    """The conformance folder, or a test failure (never a skip) when it is missing."""
    folder = conformance_dir()
    if not folder.is_dir():
        pytest.fail(missing_folder_message(folder), pytrace=False)
    return folder


def record_opened(path: Path) -> None:
    """Note that a test opened this conformance file."""
    _opened.add(path.name)


def opened() -> frozenset[str]:
    return frozenset(_opened)


def unused_files(folder: Path, used: set[str] | frozenset[str]) -> list[str]:
    return sorted(p.name for p in folder.glob("*.csv") if p.name not in used)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Any:
    outcome = yield
    report = outcome.get_result()
    if item.name == GUARD_TEST and report.when == "call" and report.passed:
        _guard_ran.append(True)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """xdist controller: collect a worker's opened files and guard flag."""
    out = getattr(node, "workeroutput", None) or {}
    _opened.update(out.get("conformance_opened", ()))
    if out.get("conformance_guard_ran"):
        _guard_ran.append(True)


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    workeroutput = getattr(config, "workeroutput", None)
    if workeroutput is not None:  # an xdist worker: report to the controller
        workeroutput["conformance_opened"] = sorted(_opened)
        workeroutput["conformance_guard_ran"] = bool(_guard_ran)
        return
    if not _guard_ran:
        return
    folder = conformance_dir()
    problem = (
        missing_folder_message(folder)
        if not folder.is_dir()
        else (
            "conformance files not opened by any test in this run: "
            + ", ".join(unused_files(folder, _opened))
            if unused_files(folder, _opened)
            else ""
        )
    )
    if not problem:
        return
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.ensure_newline()
        reporter.write_line(f"FAILED {GUARD_TEST}: {problem}", red=True, bold=True)
    session.exitstatus = pytest.ExitCode.TESTS_FAILED
