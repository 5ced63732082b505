"""The import rules hold for the source tree, and the checker catches each kind of break.

The rules and which imports count (lazy and TYPE_CHECKING ones do) are written in
:mod:`tests.architecture.import_rules` and docs/architecture.md. No database, no Django:
the source is read with :mod:`ast`.
"""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

from tests.architecture.import_rules import (
    cycle_lines,
    cycles,
    import_graph,
    layer_violations,
    sip_layer_violations,
    unresolved,
)

SRC = Path(__file__).resolve().parents[2] / "src"


def _report(graph: dict) -> str:
    lines = layer_violations(graph) + sip_layer_violations(graph) + unresolved(graph)
    for group in cycles(graph):
        lines.append("circle: " + " <-> ".join(group))
        lines.extend("    " + line for line in cycle_lines(graph, group))
    return "\n".join(lines)


def test_source_tree_follows_the_import_rules() -> None:
    graph = import_graph(SRC)
    assert "datasmart.stats" in graph and "datasmart.geo.services" in graph
    assert _report(graph) == ""


def _plant(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")


def test_checker_fails_on_planted_violations(tmp_path: Path) -> None:
    """A synthetic tree with one break of every rule: each is reported, the allowed
    imports are not."""
    _plant(
        tmp_path,
        {
            "datasmart/__init__.py": "",
            "datasmart/stats/__init__.py": "from datasmart.stats import core\n",
            "datasmart/stats/core.py": "import numpy\nfrom django.db import models\n",
            "datasmart/geo/__init__.py": "",
            "datasmart/geo/services.py": """
                def units():
                    from datasmart.sip.models import Plan  # lazy: still counts
                    return Plan
            """,
            "datasmart/funding/__init__.py": "",
            "datasmart/funding/models.py": "",
            "datasmart/funding/services/__init__.py": "from .runs import run\n",
            "datasmart/funding/services/runs.py": "def run(): ...\n",
            "datasmart/sip/__init__.py": "",
            "datasmart/sip/models.py": "",
            "datasmart/sip/statistics.py": """
                from datasmart.funding import services
                from datasmart.funding.services.runs import run
                from datasmart.funding.models import Agreement
            """,
            "datasmart/indicators/__init__.py": "",
            "datasmart/indicators/engine.py": "from .engine_compare import estimate\n",
            "datasmart/indicators/engine_compare.py": """
                from typing import TYPE_CHECKING
                if TYPE_CHECKING:
                    from datasmart.indicators.engine import IndicatorSpec
            """,
        },
    )
    graph = import_graph(tmp_path)
    problems = layer_violations(graph)
    assert problems == [
        "datasmart.geo.services:3 imports datasmart.sip.models: geo imports no domain app",
        "datasmart.sip.statistics:4 imports datasmart.funding.models: a domain uses another "
        "only through its services or rights (import the name from "
        "datasmart.funding.services; re-export it there if missing)",
        "datasmart.stats.core:2 imports django.db: stats imports no Django",
    ]
    assert unresolved(graph) == []
    assert cycles(graph) == [["datasmart.indicators.engine", "datasmart.indicators.engine_compare"]]
    assert cycle_lines(graph, cycles(graph)[0]) == [
        "datasmart.indicators.engine:1 -> datasmart.indicators.engine_compare",
        "datasmart.indicators.engine_compare:4 -> datasmart.indicators.engine",
    ]


def test_checker_finds_longer_circles(tmp_path: Path) -> None:
    """a -> b -> c -> a is one circle of three; d -> a hangs off it and is not in it."""
    _plant(
        tmp_path,
        {
            "datasmart/__init__.py": "",
            "datasmart/web/__init__.py": "",
            "datasmart/web/a.py": "from . import b\n",
            "datasmart/web/b.py": "from datasmart.web.c import x\n",
            "datasmart/web/c.py": "def f():\n    import datasmart.web.a\n",
            "datasmart/web/d.py": "from .a import thing\n",
        },
    )
    assert cycles(import_graph(tmp_path)) == [
        ["datasmart.web.a", "datasmart.web.b", "datasmart.web.c"]
    ]


def test_planted_violation_in_a_copy_of_the_real_tree_fails(tmp_path: Path) -> None:
    """The real source with two plants — geo lazily importing a SIP model and the old
    results -> composite circle put back — is refused."""
    shutil.copytree(
        SRC / "datasmart",
        tmp_path / "datasmart",
        ignore=shutil.ignore_patterns("__pycache__", "locale", "templates", "static", "*.toml"),
    )
    baseline = set(layer_violations(import_graph(tmp_path)))
    geo = tmp_path / "datasmart/geo/services.py"
    geo.write_text(
        geo.read_text(encoding="utf-8")
        + "\n\ndef _planted():\n    from datasmart.sip.models import Plan\n\n    return Plan\n",
        encoding="utf-8",
    )
    results = tmp_path / "datasmart/indicators/results.py"
    results.write_text(
        results.read_text(encoding="utf-8")
        + "\n\ndef _planted():\n    from .composite import composite_index\n\n"
        "    return composite_index\n",
        encoding="utf-8",
    )
    graph = import_graph(tmp_path)
    problems = sorted(set(layer_violations(graph)) - baseline)
    assert len(problems) == 1
    assert problems[0].startswith("datasmart.geo.services:")
    assert problems[0].endswith("imports datasmart.sip.models: geo imports no domain app")
    circles = cycles(graph)
    assert any(
        {"datasmart.indicators.results", "datasmart.indicators.composite"} <= set(group)
        for group in circles
    )


def test_checker_finds_imports_of_modules_that_do_not_exist(tmp_path: Path) -> None:
    """A lazy relative import left behind by a move (``from .loaders`` inside a new
    subpackage) is reported, though it would only fail when the function runs."""
    _plant(
        tmp_path,
        {
            "datasmart/__init__.py": "",
            "datasmart/funding/__init__.py": "",
            "datasmart/funding/loaders.py": "FIELDS = ()\n",
            "datasmart/funding/services/__init__.py": "",
            "datasmart/funding/services/agreements.py": """
                def fields():
                    from .loaders import FIELDS
                    from ..loaders import FIELDS as ok
                    return FIELDS, ok
            """,
        },
    )
    assert unresolved(import_graph(tmp_path)) == [
        "datasmart.funding.services.agreements:3 imports datasmart.funding.services.loaders, "
        "which does not exist"
    ]


def test_checker_holds_sip_to_its_layers(tmp_path: Path) -> None:
    """The domain calling up into the services (even lazily) and a new SIP module without a
    place in the layer table are both refused; services using the domain is fine."""
    _plant(
        tmp_path,
        {
            "datasmart/__init__.py": "",
            "datasmart/sip/__init__.py": "",
            "datasmart/sip/models.py": "from datasmart.sip.domain import identity\n",
            "datasmart/sip/domain/__init__.py": "",
            "datasmart/sip/domain/identity.py": "",
            "datasmart/sip/domain/guards.py": """
                def check():
                    from datasmart.sip.services import plan
                    return plan
            """,
            "datasmart/sip/services/__init__.py": "",
            "datasmart/sip/services/plan.py": "from datasmart.sip.domain import guards\n",
            "datasmart/sip/widgets.py": "",
        },
    )
    assert sip_layer_violations(import_graph(tmp_path)) == [
        "datasmart.sip.domain.guards:3 imports datasmart.sip.services.plan: sip.domain may "
        "import only models, models_reminders",
        "datasmart.sip.widgets: datasmart.sip.widgets has no place in SIP_LAYERS",
    ]
