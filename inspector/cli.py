"""``guanai inspect …``: offline verification for inspectors (督查)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from inspector.verdict import render_text, to_json
from inspector.verify import verify


@click.group()
def inspect() -> None:
    """督查核验 Inspector: verify exported bundles offline."""


@inspect.command("verify")
@click.argument("bundles", nargs=-1, required=True,
                type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--receipts", "receipt_dirs", multiple=True,
              type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="回执目录 A folder of receipts held by schools or aggregators "
                   "(`guanai node receipts --export DIR`); may be given several times.")
@click.option("--keys", "key_files", multiple=True,
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="信任的身份 Exported identities you trust (one, or a JSON list); they override the "
                   "keys the bundles state. May be given several times.")
@click.option("--register", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="学校名录 The register of schools (CSV: 学校标识码, 所在地区代码): every school "
                   "enrolled must be listed there, in that county.")
@click.option("--format", "output", help="输出格式 Output format.", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
def verify_command(bundles: tuple[Path, ...], receipt_dirs: tuple[Path, ...],
                   key_files: tuple[Path, ...], register: Path | None, output: str) -> None:
    """核验 Verify bundles (or a folder of bundles): signatures, logs, sums and receipts.

    Exit status 0: everything checked holds; 1: at least one problem, each named.
    """
    verdict = verify(bundles, receipt_dirs, key_files, register)
    click.echo(to_json(verdict) if output == "json" else render_text(verdict), nl=False)
    sys.exit(0 if verdict.ok else 1)
