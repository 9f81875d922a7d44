"""The package layout README's architecture section draws: one home per concern, imports that
flow one way, and a production process that imports only what it runs."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "oura_addon"

# Entry points and the cross-cutting modules; everything else lives in a package.
TOP_LEVEL = {
    "__init__", "__main__", "app", "demo",
    "settings", "errors", "i18n", "logs", "http", "memory", "states", "services", "ticker",
}  # fmt: skip
CROSS_CUTTING = TOP_LEVEL - {"__init__", "__main__", "app", "demo"}

# Lower layers never import higher ones (imports for type checking only do not count). Pure
# value types the store keeps (Oura's tokens, records, endpoint table and portals; the history
# import's job) sit with the store; the import's day rule sits with the catalogue it reads.
LAYERS: dict[str, int] = {
    **dict.fromkeys(CROSS_CUTTING, 0),
    "store": 0,
    "oura.tokens": 0,
    "oura.models": 0,
    "oura.endpoints": 0,
    "oura.implementations": 0,
    "history_import.job": 0,
    "history_import.days": 1,
    "catalogue": 1,
    "oura": 2,
    "homeassistant": 2,
    "scheduling": 3,
    "history_import": 3,
    "insights": 3,
    "web": 3,
    "app": 4,
    "demo": 4,
    "__main__": 4,
    "": 0,  # the package itself: its __version__
}
# Tools beside the product: they may import anything, nothing in the product imports them.
TOOLS = ("simulator", "benchmark")


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _layer(module: str) -> int | None:
    while True:
        if module in LAYERS:
            return LAYERS[module]
        if not module:
            return None
        module = module.rpartition(".")[0]


def _runtime_nodes(tree: ast.AST) -> list[ast.AST]:
    """Every node but those under ``if TYPE_CHECKING:``."""
    nodes: list[ast.AST] = []
    pending = [tree]
    while pending:
        node = pending.pop()
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            pending.extend(node.orelse)
            continue
        nodes.append(node)
        pending.extend(ast.iter_child_nodes(node))
    return nodes


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in _runtime_nodes(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "oura_addon":
                found |= {alias.name for alias in node.names}
            elif node.module.startswith("oura_addon."):
                module = node.module.removeprefix("oura_addon.")
                found |= {f"{module}.{alias.name}" for alias in node.names}
        elif isinstance(node, ast.Import):
            found |= {
                a.name.removeprefix("oura_addon.")
                for a in node.names
                if a.name.startswith("oura_addon.")
            }
    return found


def test_no_loose_module_at_the_top_level_but_the_entry_points_and_cross_cutting_ones():
    loose = {p.stem for p in PACKAGE.glob("*.py")}
    assert loose == TOP_LEVEL


def test_every_package_says_in_one_line_what_it_owns():
    for init in PACKAGE.glob("*/__init__.py"):
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
        assert doc, f"{init.parent.name} has no docstring"
        assert doc.split("\n\n")[0].strip(), init


def test_imports_flow_one_way():
    wrong = []
    for path in PACKAGE.rglob("*.py"):
        module = _module_name(path)
        if module.split(".")[0] in TOOLS:
            continue
        own = _layer(module)
        assert own is not None, f"{module} has no layer in this test"
        for imported in _imports(path):
            if imported.split(".")[0] in TOOLS and module != "demo":
                wrong.append(f"{module} imports the tool {imported}")
                continue
            theirs = _layer(imported)
            if theirs is not None and theirs > own:
                wrong.append(f"{module} (layer {own}) imports {imported} (layer {theirs})")
    assert not wrong, "\n".join(sorted(wrong))


def test_the_simulators_routes_and_state_import_no_wiring():
    for path in (PACKAGE / "simulator").glob("*.py"):
        if path.stem in ("app", "__init__", "__main__", "server"):
            continue
        assert not any(i.startswith("simulator.app") for i in _imports(path)), path.name


def test_the_production_process_imports_no_simulator_benchmark_or_test_code():
    probe = (
        "import sys, oura_addon.app\n"
        "print('\\n'.join(m for m in sys.modules if m.startswith(('oura_addon', 'tests', 'paho'))))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=REPO
    ).stdout.split()
    assert "oura_addon.app" in loaded
    unwanted = [
        m
        for m in loaded
        if m.startswith(("oura_addon.simulator", "oura_addon.benchmark", "tests", "paho"))
    ]
    assert not unwanted, unwanted
