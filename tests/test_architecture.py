"""The architecture of docs/architecture.md, as executable rules.

The layers and the walls between the apps are import-linter contracts (`.importlinter`); module
cycles are found on the same import graph (grimp's), which counts an import inside a function as
much as one at the top of a module, so a cycle cannot hide behind a deferred import.
"""

from __future__ import annotations

from pathlib import Path

import grimp
import pytest
from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parent.parent
LIGHTSPEED = ROOT / "integrations" / "lightspeed"


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("integrations", "lightsync", cache_dir=None)


def _product(module: str) -> bool:
    parts = module.split(".")
    return "tests" not in parts and "migrations" not in parts


def import_cycles(graph: grimp.ImportGraph, modules: set[str]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(module: str) -> None:  # recursion depth is bounded by the longest import chain
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in graph.find_modules_directly_imported_by(module) & modules:
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == module:
                    break
            if len(group) > 1:
                cycles.append(sorted(group))

    for module in sorted(modules):
        if module not in index:
            visit(module)
    return cycles


def test_the_import_contracts_hold(capsys):
    exit_code = lint_imports(config_filename=str(ROOT / ".importlinter"), no_cache=True, no_logo=True)
    report = capsys.readouterr().out
    assert exit_code == 0, report
    assert "0 broken" in report


def test_no_product_module_is_part_of_an_import_cycle(graph):
    product = {m for m in graph.modules if _product(m)}
    cycles = import_cycles(graph, product)
    assert cycles == [], "Import cycles:\n" + "\n".join(" <-> ".join(c) for c in cycles)


def test_the_cycle_finder_finds_a_cycle_made_by_an_import_inside_a_function():
    # A two-module cycle closed by a deferred import, as the ones this rule removed were.
    made_up = grimp.ImportGraph()
    for module in ("pkg", "pkg.a", "pkg.b", "pkg.c"):
        made_up.add_module(module)
    made_up.add_import(importer="pkg.a", imported="pkg.b")
    made_up.add_import(importer="pkg.b", imported="pkg.a")  # `from pkg.a import x` in a function
    made_up.add_import(importer="pkg.c", imported="pkg.a")
    assert import_cycles(made_up, {"pkg.a", "pkg.b", "pkg.c"}) == [["pkg.a", "pkg.b"]]


def test_the_graph_counts_imports_made_inside_functions(graph):
    # apps.ready imports the catalog's signal receivers inside the method, never at the top.
    assert (
        "import integrations" not in (LIGHTSPEED / "apps.py").read_text().split("class LightspeedConfig")[0]
    )
    assert graph.direct_import_exists(
        importer="integrations.lightspeed.apps", imported="integrations.lightspeed.catalog.signals"
    )


def test_at_most_twelve_modules_sit_directly_in_the_lightspeed_app():
    modules = sorted(path.name for path in LIGHTSPEED.glob("*.py"))
    assert len(modules) <= 12, modules
