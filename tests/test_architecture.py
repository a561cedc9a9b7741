"""The layout's rules (docs/architecture.md), checked on the code as it is.

The import contracts in pyproject.toml (layers, the leaf model, botbuilder only in the channels, the quality
tooling fenced off) run through import-linter; no import circle anywhere in handlers/ or index/; the server
loads no quality tooling; handlers/ keeps its modules in subpackages; every fixed text has one home.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[1]
QUALITY = "handlers.quality"


def test_import_contracts_hold() -> None:
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(lint), "--no-logo", "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), i.e. the import circles."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for other in edges[module]:
            if other not in index:
                visit(other)
                low[module] = min(low[module], low[other])
            elif other in on_stack:
                low[module] = min(low[module], index[other])
        if low[module] == index[module]:
            component = []
            while True:
                other = stack.pop()
                on_stack.discard(other)
                component.append(other)
                if other == module:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for module in sorted(edges):
        if module not in index:
            visit(module)
    return found


def test_no_import_circle() -> None:
    graph = grimp.build_graph("handlers", "index", cache_dir=None)
    edges = {m: set(graph.find_modules_directly_imported_by(m)) & graph.modules for m in graph.modules}
    assert _cycles(edges) == []


def test_cycle_finder_finds_a_circle() -> None:
    # The check above can fail: a circle of three is found, a chain is not.
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_the_server_loads_no_quality_tooling() -> None:
    # The module that builds the aiohttp app, and the engine it serves, imported as `bot.py serve` does.
    code = (
        "import sys; import bot; import handlers.channels.botframework.app; import handlers.engine; "
        f"print(sorted(m for m in sys.modules if m.startswith('{QUALITY}')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120, check=True
    )
    assert result.stdout.strip() == "[]"


def test_handlers_keeps_its_modules_in_subpackages() -> None:
    top = sorted(p.name for p in (ROOT / "handlers").glob("*.py"))
    assert len(top) <= 3, top
    packages = sorted(p.parent.name for p in (ROOT / "handlers").glob("*/__init__.py"))
    flow = ["model", "wording", "understanding", "composing", "engine", "insights", "operations", "channels"]
    assert packages == sorted([*flow, "quality"])
    for name in packages:  # each says in its docstring what it holds and may import
        tree = ast.parse((ROOT / "handlers" / name / "__init__.py").read_text(encoding="utf-8"))
        assert ast.get_docstring(tree), name


def _classes_named(name: str) -> list[str]:
    found = []
    for path in sorted((ROOT / "handlers").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        classes = [n for n in ast.walk(tree) if isinstance(n, ast.ClassDef) and n.name == name]
        found += [str(path.relative_to(ROOT))] * len(classes)
    return found


def test_texts_are_defined_once() -> None:
    assert _classes_named("Texts") == ["handlers/wording/texts.py"]


def test_the_image_leaves_the_quality_tooling_out() -> None:
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    assert "handlers/quality" in ignored


def test_the_benches_start_the_real_cli() -> None:
    # Moved into handlers/quality/, the benches must still find bot.py at the top of the checkout.
    from handlers.quality import benchmark, loadbench

    assert benchmark.SCRIPT == loadbench.SCRIPT == ROOT / "bot.py"
    assert benchmark.SCRIPT.is_file()
