"""Run the docstring examples of every module in datasmart.stats."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import datasmart.stats

MODULES = sorted(m.name for m in pkgutil.iter_modules(datasmart.stats.__path__, "datasmart.stats."))


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} doctest(s) failed in {name}"


def test_no_django_imports():
    """The statistics package is a library: nothing in it may import Django."""
    from pathlib import Path

    for path in Path(datasmart.stats.__file__).parent.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "import django" not in text and "from django" not in text, path.name


def test_public_names_documented():
    for name in datasmart.stats.__all__:
        obj = getattr(datasmart.stats, name)
        if callable(obj) and not isinstance(obj, type):
            doc = obj.__doc__ or ""
            for section in ("Parameters", "Returns", "References", "Examples", ".. math::"):
                assert section in doc, f"{name} docstring lacks {section}"


def test_every_conformance_file_is_used(phe):
    """The conformance folder holds CSVs; that each one is opened by some test of this
    run is checked when the session ends (``tests/conformance_guard.py``, which
    aggregates the files opened on every pytest-xdist worker)."""
    from stats_support import conformance_dir

    assert sorted(conformance_dir().glob("*.csv")), "no conformance CSVs"
