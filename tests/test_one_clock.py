"""Time enters only through the injected clock (invariant 12, docs/architecture.md).

Every module of the product is read with ``ast``: a call that reads the wall clock directly
(``datetime.now``, ``datetime.utcnow``, ``date.today``, ``time.time``) anywhere but
``common/clock.py`` fails, so a test or a rehearsal that injects a clock sees every recorded
time move with it. Stored times are written by ``common.clock.stamp``: UTC with its offset.
"""

from __future__ import annotations

import ast
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from common.clock import stamp

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("common", "protos", "privacy", "member", "node", "aggregator", "inspector", "synth",
            "guanai")
WALL_CLOCK = {("datetime", "now"), ("datetime", "utcnow"), ("date", "today"), ("time", "time"),
              ("datetime", "today")}


def _wall_clock_reads(path: Path, root: Path = ROOT) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name)
                and (node.func.value.id, node.func.attr) in WALL_CLOCK):
            found.append(f"{path.relative_to(root)}:{node.lineno} "
                         f"{node.func.value.id}.{node.func.attr}()")
    return found


def test_no_module_reads_the_wall_clock_but_the_clock():
    found = [hit for package in PACKAGES for path in sorted((ROOT / package).rglob("*.py"))
             if path != ROOT / "common" / "clock.py" for hit in _wall_clock_reads(path)]
    assert found == []


def test_the_walk_finds_a_wall_clock_read(tmp_path):
    sneaky = tmp_path / "sneaky.py"
    sneaky.write_text("import time\n\ndef f():\n    return time.time()\n")
    assert _wall_clock_reads(sneaky, tmp_path) == ["sneaky.py:4 time.time()"]


@pytest.mark.parametrize("moment", [
    datetime(2026, 6, 30, 23, 59, 59, tzinfo=timezone(timedelta(hours=8))),
    datetime(2031, 3, 1, 0, 0, tzinfo=UTC),
])
def test_stored_times_are_utc_with_their_offset(moment):
    text = stamp(moment)
    assert text.endswith("+00:00")
    assert datetime.fromisoformat(text) == moment


def test_a_naive_time_is_never_stored():
    with pytest.raises(ValueError):
        stamp(datetime(2026, 6, 30, 12, 0))
