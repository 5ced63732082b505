"""Run the docstring examples of the funding engine; it must stay free of Django."""

from __future__ import annotations

import doctest
import importlib
from pathlib import Path

import pytest

import datasmart.funding

MODULES = ["datasmart.funding.allocation", "datasmart.funding.keys"]


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0
    assert result.failed == 0, f"{result.failed} doctest(s) failed in {name}"


@pytest.mark.parametrize("name", ["allocation.py", "keys.py"])
def test_no_django_imports(name):
    text = (Path(datasmart.funding.__file__).parent / name).read_text(encoding="utf-8")
    assert "import django" not in text and "from django" not in text
