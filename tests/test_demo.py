"""The demo runs a whole round end to end and says what happened."""

from __future__ import annotations

import re
import sqlite3

from click.testing import CliRunner

from aggregator.keys import accounts
from aggregator.store.sqlite import Store
from common.clock import SYSTEM
from guanai.cli import cli


def test_demo_runs_a_round_and_keeps_names_in_the_schools(tmp_path):
    out = tmp_path / "demo"
    result = CliRunner().invoke(cli, ["demo", "--out", str(out), "--counties", "2",
                                      "--schools-per-county", "4"])
    assert result.exit_code == 0, result.output
    for expected in ("省级统计表", "期末重点关爱对象总数", "95%区间下限", "一个都不少", "监测预警",
                     "督查核验", "通过 PASSED", "every server stopped"):
        assert expected in result.output
    assert "合计 Total" in result.output and "未报 Missing: " in result.output
    # the provincial pages were served during the round, with a viewer who can sign in
    pages = re.search(r"省级网页 the provincial web pages: (http://127\.0\.0\.1:\d+)/ — 账号 user "
                      r"(\S+), 密码 password (\S+) ", result.output)
    assert pages is not None, result.output
    store = Store(out / "aggregators" / "610000.db")
    signed = accounts.sign_in(store, pages[2], pages[3], "127.0.0.1", SYSTEM.now())
    assert signed.account.role == "viewer" and signed.credential is None
    assert f"guanai aggregator --db {out / 'aggregators' / '610000.db'} web" in result.output
    assert (out / "province-2026-H1.xlsx").exists() and (out / "province-2026-H1.pdf").exists()
    table = result.output[result.output.index("省级统计表"):result.output.index("全表")]
    assert " -" not in table and "nan" not in table  # the official form: no negative, no nan
    # a name from a school's roster is in that school's database and in no aggregator's
    school_db = next((out / "nodes").glob("*.db"))
    name = sqlite3.connect(school_db).execute("SELECT name FROM students LIMIT 1").fetchone()[0]
    for db in (out / "aggregators").glob("*.db*"):
        assert name.encode() not in db.read_bytes()
