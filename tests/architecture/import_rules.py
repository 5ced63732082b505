"""The import rules of datasmart, checked by reading the source with :mod:`ast`.

The layers (docs/architecture.md, issue #15):

1. ``datasmart.stats`` is a pure library: it imports no Django and no other datasmart
   package.
2. ``datasmart.geo`` (units, population) sits below the domains: it imports no domain app.
3. A domain app (:data:`DOMAINS`) imports another domain only through that domain's
   ``services`` or ``rights`` module (or package), never its models, views or engines.
4. Inside SIP, the subpackages form layers (:data:`SIP_LAYERS`): ``domain`` (with the
   models) at the bottom, then ``services``, ``jobs`` and ``stats``, then ``fhir``, then
   ``pages`` and ``api``, with ``urls`` and ``cli`` on top.
5. No import circles between modules: no module imports (directly or through others) a
   module that imports it back.

Which imports count
-------------------
Every ``import``/``from … import`` statement in a module counts, wherever it stands: at
the top, inside a function (a "lazy" import), or under ``if TYPE_CHECKING:``. A lazy import
is still a dependency — it runs the first time the function does — and a lazy or
type-only import that closes a loop is the circle it was written to dodge, so it is not an
exception. Migrations are left out (Django generates them and they name other apps by
label, not by import).

``from package import name`` is an edge to ``package.name`` when that is a module, else to
``package`` (its ``__init__``). The implicit import of a parent package (``import a.b.c``
first runs ``a/__init__`` and ``a/b/__init__``) is not an edge: a package's ``__init__``
that re-exports its submodules would otherwise form a "circle" with each of them.

The checker works on plain source files, so the tests can feed it a planted violation in
a temporary directory (tests/architecture/test_import_rules.py).
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

DOMAINS: tuple[str, ...] = (
    "indicators",
    "funding",
    "sip",
    "needs",
    "plans",
    "kraftsamling",
    "checklist",
)
"""The domain apps (on top of geo, accounts and stats)."""

DOMAIN_ENTRY_POINTS: tuple[str, ...] = ("services", "rights")
"""The modules (or packages) through which one domain may use another."""


_MODELS = frozenset({"models", "models_reminders"})
SIP_LAYERS: dict[str, frozenset[str]] = {
    "domain": _MODELS,
    "models": frozenset({"domain", "models_reminders"}),
    "models_reminders": frozenset(),
    "jobs": _MODELS | {"domain"},
    "stats": _MODELS | {"domain"},
    "services": _MODELS | {"domain", "jobs"},
    "fhir": _MODELS | {"domain", "services"},
    "pages": _MODELS | {"domain", "services"},
    "api": _MODELS | {"domain", "services", "fhir"},
    "templatetags": frozenset(),
    "urls": frozenset({"pages"}),
    "cli": _MODELS | {"domain", "services", "jobs", "stats", "fhir"},
    "apps": frozenset(),
}
"""For each part of ``datasmart.sip`` (a subpackage or a top-level module), the other parts
it may import. A new part must be added here, saying where it sits."""


@dataclass(frozen=True)
class Import:
    """One import statement resolved to the most specific module it names."""

    importer: str
    target: str
    line: int


def module_name(root: Path, path: Path) -> str:
    """``root/datasmart/geo/services.py`` -> ``datasmart.geo.services``; an ``__init__.py``
    is its package."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def source_files(root: Path, package: str) -> dict[str, Path]:
    """Module name -> file for every ``.py`` under ``root/package`` (migrations left out)."""
    files = {}
    for path in sorted((root / package).rglob("*.py")):
        if "migrations" in path.relative_to(root).parts:
            continue
        files[module_name(root, path)] = path
    return files


def _resolve_relative(importer: str, is_package: bool, level: int, module: str | None) -> str:
    base = importer.split(".") if is_package else importer.split(".")[:-1]
    if level > 1:
        base = base[: len(base) - (level - 1)]
    return ".".join([*base, module] if module else base)


def imports_of(name: str, path: Path, known: Iterable[str]) -> Iterator[Import]:
    """Every import in the module (top level, in functions, under TYPE_CHECKING)."""
    modules = set(known)
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    is_package = path.name == "__init__.py"
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(name, alias.name, node.lineno)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = _resolve_relative(name, is_package, node.level, node.module)
            else:
                base = node.module or ""
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                yield Import(name, candidate if candidate in modules else base, node.lineno)


def import_graph(root: Path, package: str = "datasmart") -> dict[str, list[Import]]:
    """Module -> its imports, for every module of ``package`` under ``root``."""
    files = source_files(root, package)
    return {
        name: list(dict.fromkeys(imports_of(name, path, files))) for name, path in files.items()
    }


def _within(target: str, package: str) -> bool:
    return target == package or target.startswith(package + ".")


def _app(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "datasmart" else None


def layer_violations(graph: dict[str, list[Import]]) -> list[str]:
    """Imports that break rules 1–3, as readable lines (empty when all is well)."""
    out = []
    for importer, imports in sorted(graph.items()):
        app = _app(importer)
        for imp in imports:
            where = f"{importer}:{imp.line} imports {imp.target}"
            target_app = _app(imp.target)
            if app == "stats":
                if _within(imp.target, "django"):
                    out.append(f"{where}: stats imports no Django")
                elif target_app is not None and target_app != "stats":
                    out.append(f"{where}: stats imports no other datasmart package")
            if app == "geo" and target_app in DOMAINS:
                out.append(f"{where}: geo imports no domain app")
            if app in DOMAINS and target_app in DOMAINS and target_app != app:
                entry = imp.target.split(".")[2] if imp.target.count(".") >= 2 else ""
                if entry not in DOMAIN_ENTRY_POINTS:
                    out.append(
                        f"{where}: a domain uses another only through its "
                        f"{' or '.join(DOMAIN_ENTRY_POINTS)} (import the name from "
                        f"datasmart.{target_app}.services; re-export it there if missing)"
                    )
    return out


def _sip_part(module: str) -> str | None:
    parts = module.split(".")
    return parts[2] if len(parts) > 2 and parts[:2] == ["datasmart", "sip"] else None


def sip_layer_violations(graph: dict[str, list[Import]]) -> list[str]:
    """Imports between SIP's parts that :data:`SIP_LAYERS` does not allow (rule 4)."""
    out = []
    for importer, imports in sorted(graph.items()):
        part = _sip_part(importer)
        if part is None:
            continue
        if part not in SIP_LAYERS:
            out.append(f"{importer}: datasmart.sip.{part} has no place in SIP_LAYERS")
            continue
        for imp in imports:
            target = _sip_part(imp.target)
            if target is not None and target != part and target not in SIP_LAYERS[part]:
                out.append(
                    f"{importer}:{imp.line} imports {imp.target}: sip.{part} may import only "
                    f"{', '.join(sorted(SIP_LAYERS[part])) or 'nothing else in sip'}"
                )
    return out


def unresolved(graph: dict[str, list[Import]], package: str = "datasmart") -> list[str]:
    """Imports of ``package`` modules that do not exist (a relative import left pointing at
    the old place after a move is otherwise only found when the function runs)."""
    return [
        f"{imp.importer}:{imp.line} imports {imp.target}, which does not exist"
        for imports in graph.values()
        for imp in imports
        if _within(imp.target, package) and imp.target not in graph
    ]


def cycles(graph: dict[str, list[Import]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (rule 4), each sorted; a
    self-import does not count (``from . import x`` inside ``x``'s own package is not a
    loop between modules). Tarjan's algorithm, iterative."""
    edges = {m: sorted({i.target for i in imps if i.target in graph}) for m, imps in graph.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0
    for start in sorted(edges):
        if start in index:
            continue
        work = [(start, 0)]
        while work:
            node, i = work.pop()
            if i == 0:
                index[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            recurse = False
            for j in range(i, len(edges[node])):
                nxt = edges[node][j]
                if nxt not in index:
                    work.append((node, j + 1))
                    work.append((nxt, 0))
                    recurse = True
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            if recurse:
                continue
            if low[node] == index[node]:
                group = []
                while True:
                    top = stack.pop()
                    on_stack.discard(top)
                    group.append(top)
                    if top == node:
                        break
                if len(group) > 1:
                    found.append(sorted(group))
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return sorted(found)


def cycle_lines(graph: dict[str, list[Import]], group: list[str]) -> list[str]:
    """The imports inside one circle, to say where to cut it."""
    members = set(group)
    return [
        f"{imp.importer}:{imp.line} -> {imp.target}"
        for m in group
        for imp in graph[m]
        if imp.target in members and imp.target != m
    ]
