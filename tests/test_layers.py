"""Dependencies run one way (docs/architecture.md): each package imports only the layers beneath it.

Every import statement of every module is read with ``ast`` (module level and inside functions,
``TYPE_CHECKING`` blocks included), so a layer cannot be crossed by an import tucked away in a
function. The inspector is also imported for real in a fresh interpreter, to show that nothing
of the aggregator or the node comes along with it at run time.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# What each package may import of the project's own packages (besides itself).
ALLOWED = {
    "common": set(),
    "protos": {"common"},
    "privacy": {"common", "protos"},
    "member": {"common", "protos", "privacy"},
    "node": {"common", "protos", "privacy", "member"},
    "aggregator": {"common", "protos", "privacy", "member"},
    "inspector": {"common", "protos", "privacy"},
    "synth": {"common", "protos", "privacy", "node"},
    "guanai": {"common", "protos", "privacy", "member", "node", "aggregator", "inspector", "synth"},
}


def _imports(path: Path) -> list[tuple[int, str]]:
    """Every absolute import of a module: (line, dotted name)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
    return found


def _violations(package: str) -> list[str]:
    bad = []
    for path in sorted((ROOT / package).rglob("*.py")):
        for line, module in _imports(path):
            top = module.split(".")[0]
            if top in ALLOWED and top != package and top not in ALLOWED[package]:
                bad.append(f"{path.relative_to(ROOT)}:{line} imports {module}")
    return bad


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_each_package_imports_only_the_layers_beneath_it(package):
    assert (ROOT / package).is_dir()
    assert _violations(package) == []


def test_every_project_package_has_a_place_in_the_picture():
    packages = {p.parent.name for p in ROOT.glob("*/__init__.py")}
    assert packages - {"tests", "bench"} == set(ALLOWED)


def test_a_crossing_import_is_found(tmp_path, monkeypatch):
    # The walk itself must see imports inside functions: a test that cannot fail proves nothing.
    module = tmp_path / "inspector" / "sneaky.py"
    module.parent.mkdir()
    module.write_text("def f():\n    from aggregator.store import sqlite\n    return sqlite\n")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    assert _violations("inspector") == ["inspector/sneaky.py:2 imports aggregator.store"]


def test_the_inspector_runs_without_the_aggregator_or_the_node():
    code = ("import sys, inspector.cli, inspector.verify; "
            "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
            "('aggregator', 'node', 'member', 'synth', 'guanai')); assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


SQL_CALLS = {"execute", "executemany", "executescript"}
SQL_HOMES = ("node/store/", "aggregator/store/", "common/sqlitefile.py")


def _sql_calls(path: Path) -> list[int]:
    return [node.lineno for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr in SQL_CALLS]


def test_sql_lives_only_behind_the_storage_interfaces():
    # Storage behind narrow interfaces (docs/architecture.md): commands, servicers and web
    # pages call functions of node/store/ and aggregator/store/, never SQL.
    found = [f"{path.relative_to(ROOT)}:{line}"
             for package in ALLOWED for path in sorted((ROOT / package).rglob("*.py"))
             if not str(path.relative_to(ROOT)).startswith(SQL_HOMES)
             for line in _sql_calls(path)]
    assert found == []


def test_the_sql_walk_finds_a_query(tmp_path):
    module = tmp_path / "handler.py"
    module.write_text("def page(store):\n    return store.execute('SELECT 1')\n")
    assert _sql_calls(module) == [2]
