"""The packages' layers: a module imports only from its own layer and the layers below it, no modules import
each other in a circle, and nothing in the UI imports the app that wires it.

Lowest first: the shared modules (`i18n`, `paths`, the engine's `config`, `errors`, `events`, `model`,
`system`), then the engine's `data`, `insights`, `training`, `runs`, `use`, then `runner`, `ui`, `cli`.
Imports inside functions count too: a lazy import is still a dependency.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "tui_dl"
LAYERS = (
    ("tui_dl", "tui_dl.__init__", "tui_dl.i18n", "tui_dl.paths", "tui_dl.engine", "tui_dl.engine.config",
     "tui_dl.engine.errors", "tui_dl.engine.events", "tui_dl.engine.model", "tui_dl.engine.system"),
    ("tui_dl.engine.data",),
    ("tui_dl.engine.insights",),
    ("tui_dl.engine.training",),
    ("tui_dl.engine.runs",),
    ("tui_dl.engine.use",),
    ("tui_dl.runner",),
    ("tui_dl.ui",),
    ("tui_dl.cli", "tui_dl.__main__"),
)


def layer_of(module: str) -> int:
    """The layer of a dotted module name: its longest listed prefix's."""
    best, found = -1, None
    for rank, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best:
                best, found = len(prefix), rank
    if found is None:
        raise LookupError(f"{module} is in no layer: add it to LAYERS")
    return found


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(source: str, module: str, is_package: bool, modules: set[str]) -> set[str]:
    """The tui_dl modules that `source` (module `module`) imports, at any depth of its code (`from P import M`
    counts M where it is one of `modules`)."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module.split(".")[: len(module.split(".")) - node.level + (1 if is_package else 0)]
                base = ".".join(anchor + ([base] if base else []))
            found |= {base} | {f"{base}.{alias.name}" for alias in node.names} & modules
    return {name for name in found if name == "tui_dl" or name.startswith("tui_dl.")}


def violations(sources: dict[str, tuple[str, bool]]) -> list[str]:
    """'a imports b' for each import of a higher layer, from {module: (source, is_package)}."""
    wrong = []
    for module, (source, is_package) in sorted(sources.items()):
        for target in sorted(imported(source, module, is_package, set(sources))):
            if layer_of(target) > layer_of(module):
                wrong.append(f"{module} imports {target}")
    return wrong


def project_sources() -> dict[str, tuple[str, bool]]:
    return {module_name(path): (path.read_text(encoding="utf-8"), path.name == "__init__.py")
            for path in PACKAGE.rglob("*.py")}


def test_every_module_imports_only_its_own_layer_and_lower_ones():
    assert violations(project_sources()) == []


def test_every_module_has_a_layer():
    for module in project_sources():
        layer_of(module)


@pytest.mark.parametrize(("module", "line", "target"), [
    ("tui_dl.engine.data.prepare", "from tui_dl.engine.training.device import resolve_device",
     "tui_dl.engine.training.device"),
    ("tui_dl.engine.training.trainer", "    from tui_dl.engine.runs import recorder", "tui_dl.engine.runs"),
    ("tui_dl.engine.insights.compute", "import tui_dl.ui.app", "tui_dl.ui.app"),
    ("tui_dl.engine.events", "from tui_dl.engine.data.registry import REGISTRY", "tui_dl.engine.data.registry"),
    ("tui_dl.runner.server", "from tui_dl.cli import main", "tui_dl.cli"),
    ("tui_dl.engine.training.state", "from ..runs.lock import LOCK", "tui_dl.engine.runs.lock"),
])
def test_an_import_of_a_higher_layer_is_caught(module, line, target):
    # Each planted line, put into the real module, is reported; the rest of the project stays clean.
    sources = project_sources()
    source, is_package = sources[module]
    body = line if line.startswith(("import", "from")) else "def late():\n" + line
    sources[module] = (source + "\n" + body + "\n", is_package)
    wrong = violations(sources)
    assert wrong and all(found.startswith(f"{module} imports {target}") for found in wrong), wrong


def import_graph(sources: dict[str, tuple[str, bool]]) -> dict[str, set[str]]:
    """Each module's imports of other project modules (an import of `a.b.c` that names no module counts as `a.b`)."""
    graph = {}
    for module, (source, is_package) in sources.items():
        targets = set()
        for target in imported(source, module, is_package, set(sources)):
            while target not in sources and "." in target:
                target = target.rsplit(".", 1)[0]
            if target in sources and target != module:
                targets.add(target)
        graph[module] = targets
    return graph


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The groups of two or more modules that import each other, directly or through others (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while not group or group[-1] != node:
                group.append(stack.pop())
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def importers_of_the_app(sources: dict[str, tuple[str, bool]]) -> list[str]:
    """The modules of `ui/` that import `ui.app` (the app wires them; they get a Shell and the ScreenState)."""
    return sorted(module for module, targets in import_graph(sources).items()
                  if "tui_dl.ui.app" in targets and module.startswith("tui_dl.ui."))


def test_no_modules_import_each_other_in_a_circle():
    assert circles(import_graph(project_sources())) == []


def test_no_module_of_the_ui_imports_the_app():
    assert importers_of_the_app(project_sources()) == []


def test_a_circle_and_an_import_of_the_app_are_caught():
    # The circle the UI had: its language module took the tab titles from the app, which imports it.
    sources = project_sources()
    source, is_package = sources["tui_dl.ui.language"]
    sources["tui_dl.ui.language"] = (source + "\nfrom tui_dl.ui.app import TABS\n", is_package)
    assert importers_of_the_app(sources) == ["tui_dl.ui.language"]
    found = circles(import_graph(sources))
    assert len(found) == 1 and {"tui_dl.ui.app", "tui_dl.ui.language", "tui_dl.ui.widgets.training_view"} <= set(found[0])
