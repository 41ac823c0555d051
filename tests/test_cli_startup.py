"""`guanai` starts fast: each role's commands load only when asked for (issue 17).

`guanai --help` lists the groups from a table without importing them, so the table must say
what each group's own help says; `guanai query` must not drag in pandas, matplotlib, openpyxl,
OpenDP or the stores before it has an answer to show.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from guanai.cli import COMMANDS, cli

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("pandas", "matplotlib", "openpyxl", "opendp", "sqlite_utils", "node", "synth")


def test_the_help_table_says_what_each_group_says_of_itself():
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    for name, (_, _, line) in COMMANDS.items():
        command = cli.get_command(None, name)
        assert command.help.splitlines()[0].strip() == line, name
        assert f"{name}  " in result.output and line[:20] in result.output


def test_backup_commands_still_hang_under_both_roles():
    for role in ("node", "aggregator"):
        assert {"backup", "restore"} <= set(cli.get_command(None, role).commands), role


def _loaded_after(args: list[str]) -> list[str]:
    code = ("import json, sys\nfrom guanai.cli import cli\n"
            f"try:\n    cli.main({args!r}, standalone_mode=False)\nexcept SystemExit:\n    pass\n"
            f"print(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r}))))")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_help_and_query_start_without_the_heavy_libraries():
    assert _loaded_after(["--help"]) == []
    assert _loaded_after(["query", "--help"]) == []
    assert "pandas" in _loaded_after(["aggregator", "--help"])  # the check can fail
