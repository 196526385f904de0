"""Code shape: no function or method in the apps or the project package runs over 80 lines.

A function's length is what `ast` reports for its `def` (decorators excluded), from the `def`
line to its last line. Tests and migrations are left out: their length is data, not logic.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MAX_LINES = 80


def _is_checked(path: Path, root: Path) -> bool:
    folders = path.relative_to(root).parts[:-1]
    return not (
        "tests" in folders
        or "migrations" in folders
        or path.name.startswith("test_")
        or path.name == "conftest.py"
    )


def long_functions(*folders: Path, root: Path = ROOT) -> list[str]:
    """Every function over `MAX_LINES` under `folders`, as `path:line name (N lines)`."""
    found = []
    for folder in folders:
        for path in sorted(folder.rglob("*.py")):
            if not _is_checked(path, root):
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            functions = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
            for node in sorted(functions, key=lambda n: n.lineno):
                length = node.end_lineno - node.lineno + 1
                if length > MAX_LINES:
                    found.append(
                        f"{path.relative_to(root).as_posix()}:{node.lineno} {node.name} ({length} lines)"
                    )
    return found


def test_no_function_is_longer_than_80_lines():
    offenders = long_functions(ROOT / "integrations", ROOT / "lightsync")

    assert not offenders, f"{len(offenders)} functions over {MAX_LINES} lines:\n" + "\n".join(offenders)


def _function(name: str, lines: int, *, indent: str = "", decorated: bool = False) -> str:
    decorator = [f"{indent}@staticmethod"] if decorated else []
    body = [f"{indent}    x = {i}" for i in range(lines - 1)]
    return "\n".join([*decorator, f"{indent}def {name}():", *body]) + "\n"


def test_the_check_names_functions_of_81_lines_but_not_80_nor_those_in_tests_or_migrations(tmp_path):
    app = tmp_path / "integrations" / "app"
    for folder in ("services", "tests", "migrations"):
        (app / folder).mkdir(parents=True)
    (app / "services" / "long.py").write_text(
        _function("eighty", 80)
        + "class Service:\n"
        + _function("eighty_decorated", 80, indent="    ", decorated=True)
        + _function("eighty_one", 81, indent="    ")
        + "async "
        + _function("eighty_one_async", 81)
    )
    for path in ("tests/test_long.py", "tests/helpers.py", "migrations/0001_initial.py", "conftest.py"):
        (app / path).write_text(_function("long", 200))
    (app / "services" / "test_long.py").write_text(_function("long", 200))

    offenders = long_functions(tmp_path / "integrations", root=tmp_path)

    assert offenders == [
        "integrations/app/services/long.py:163 eighty_one (81 lines)",
        "integrations/app/services/long.py:244 eighty_one_async (81 lines)",
    ]
