"""Chinese first wherever a person reads the command line (issue 12 point 6): every command's
help and every option's help carries Chinese, and click's own words — usage, headings, errors
— come in Chinese too (common/cli.py). Periods are read as people write them."""

from __future__ import annotations

import re

import click
import pytest
from click.testing import CliRunner

from common import tables
from guanai.cli import cli
from protos.catalogue import load
from protos.periods import Period, PeriodError

HAN = re.compile(r"[\u4e00-\u9fff]")


def _walk(command: click.Command, path: tuple[str, ...] = ("guanai",)):
    # Through click's own lookup, so that the lazily loaded role groups are walked too.
    yield path, command
    if isinstance(command, click.Group):
        ctx = click.Context(command, info_name=path[-1])
        for name in sorted(command.list_commands(ctx)):
            yield from _walk(command.get_command(ctx, name), (*path, name))


COMMANDS = list(_walk(cli))


def test_the_walk_sees_every_role():
    names = {" ".join(path[:2]) for path, _ in COMMANDS}
    assert {"guanai node", "guanai aggregator", "guanai inspect", "guanai query",
            "guanai demo"} <= names
    assert len(COMMANDS) > 40


@pytest.mark.parametrize("path,command", COMMANDS, ids=[" ".join(p) for p, _ in COMMANDS])
def test_every_command_and_option_helps_in_chinese(path, command):
    assert HAN.search(command.help or command.short_help or ""), f"{' '.join(path)}: no Chinese"
    ctx = click.Context(command, info_name=path[-1])
    lacking = [p.opts[0] for p in command.get_params(ctx)
               if isinstance(p, click.Option) and not HAN.search(p.help or "")]
    assert lacking == [], f"{' '.join(path)}: options without Chinese help: {lacking}"


def test_help_pages_and_errors_of_the_framework_read_chinese_first():
    runner = CliRunner()
    page = runner.invoke(cli, ["aggregator", "rollup", "--help"]).output
    assert "用法 Usage:" in page and "选项 Options:" in page and "显示本帮助并退出" in page
    missing = runner.invoke(cli, ["aggregator", "rollup"])
    assert missing.exit_code == 2 and "缺少选项 Missing option '--period'" in missing.output
    unknown = runner.invoke(cli, ["aggregator", "rolup"])
    assert "没有此命令 No such command 'rolup'" in unknown.output and "rollup" in unknown.output
    bad = runner.invoke(cli, ["aggregator", "init", "--level", "乡镇", "--region", "610102"])
    assert "取值无效 Invalid value for '--level'" in bad.output
    period = runner.invoke(cli, ["synth", "school", "--period", "2026中秋"])
    assert period.exit_code != 0


@pytest.mark.parametrize("text,code", [
    ("2026上半年", "2026-H1"), ("2026年上半年", "2026-H1"), ("2026年春季学期", "2026-H1"),
    ("2026春季", "2026-H1"), ("2026-H1", "2026-H1"), ("２０２６年 下半年", "2026-H2"),
    ("2026下半年", "2026-H2"), ("2026年秋季学期", "2026-H2"), ("2026h2", "2026-H2"),
    ("2026年度", "2026"), ("2026", "2026"),
])
def test_periods_are_read_as_people_write_them(text, code):
    assert Period.from_human(text).code == code


@pytest.mark.parametrize("text", ["2026上", "2026年第三学期", "1999上半年", "2026-H3", "上半年"])
def test_a_period_nobody_writes_is_refused_with_the_forms_accepted(text):
    with pytest.raises(PeriodError, match="2026上半年"):
        Period.from_human(text)


def test_the_wire_format_stays_canonical():
    with pytest.raises(PeriodError):
        Period.parse("2026上半年")


def test_a_terminal_table_of_the_whole_catalogue_fits_120_columns_and_keeps_every_word():
    catalogue = load("v1")
    data = tables.frame(catalogue.labels(), {
        "全省 Province": list(range(len(catalogue.cells))),
        "±95% 区间 interval": [123456] * len(catalogue.cells),
    })
    text = tables.to_text(data)
    assert max(tables._width(line) for line in text.splitlines()) <= 120
    words = " ".join(text.split())
    for cell in catalogue.cells[:40]:
        for word in cell.label.en.split():
            assert word in words
    narrow = tables.to_text(data.head(3), max_width=96)
    assert max(tables._width(line) for line in narrow.splitlines()) <= 96
