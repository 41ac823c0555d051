"""A synthetic round end to end with real nodes and real servers, then what staff do with it:
query from the command line (table, xlsx, chart), judge warnings, deliver, respond.

The synthetic province has one county with a planted problem (key students without a monthly
talk). The nodes release with a generous budget here so that the planted problem stands far
out of the noise and the test cannot fail by chance; docs/warnings.md measures what the
default budget detects.
"""

from __future__ import annotations

import json
import tomllib
import warnings as python_warnings
from datetime import date

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from aggregator.grpc.query_client import ask, request
from aggregator.store.sqlite import Store
from guanai.cli import cli
from guanai.query_export import columns
from node.importer import import_file
from node.membership import ensure_key, import_parent, own_identity
from node.release import release_period
from node.store import open_store, set_meta
from node.submit import submit
from privacy.budget import BudgetPolicy
from privacy.credential import from_text
from protos.periods import Period
from protos.regions import name
from synth.files import IMPORT_ORDER
from tests.federation import Aggregator
from tests.rounds import FAST

H1 = Period.parse("2025-H1")
GENEROUS = BudgetPolicy(rho_half_year=200.0, annual_cap=400.0)


def run(*args: str) -> str:
    result = CliRunner().invoke(cli, [str(a) for a in args])
    assert result.exit_code == 0, f"{args}: {result.output} {result.exception!r}"
    return result.output


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    folder = tmp_path_factory.mktemp("staff")
    files = folder / "synth"
    run("synth", "province", "--out", files, "--counties", 3, "--schools-per-county", 3,
        "--problem-counties", 1, "--problem", "no_talks", "--no-university", "--seed", 7)
    plan = tomllib.loads((files / "province.toml").read_text(encoding="utf-8"))
    truth = json.loads((files / "ground_truth.json").read_text(encoding="utf-8"))
    province = Aggregator(folder, "610000", "province")
    province.start()
    counties = {}
    for county in plan["counties"]:
        counties[county["code"]] = aggregator = Aggregator(folder, county["code"], "county",
                                                           "610000")
        aggregator.start()
        aggregator.set_parent(province)
        province.enrol(aggregator.identity())
    for school in plan["schools"]:
        parent = province if school["direct_to_province"] else counties[school["county"]]
        path = folder / f"node-{school['id']}.db"
        db = open_store(path, create=True)
        set_meta(db, "school_id", school["id"])
        set_meta(db, "region_code", school["county"])
        for kind in IMPORT_ORDER:
            import_file(db, kind, files / school["path"] / f"{kind}.csv", today=date(2025, 7, 1))
        ensure_key(path)
        parent.enrol(own_identity(db, path))
        import_parent(db, parent.identity())
        release_period(db, H1, parent.settings.region, GENEROUS, today=date(2025, 7, 1))
        submit(db, path, H1, **FAST)
    for aggregator in counties.values():
        store = Store(aggregator.db)
        try:
            run("aggregator", "--db", aggregator.db, "parent", _export(province, folder))
            run("aggregator", "--db", aggregator.db, "rollup", "--period", H1.code,
                "--attempts", 3, "--backoff", 0.05)
        finally:
            store.close()
    yield folder, province, counties, truth
    for aggregator in (*counties.values(), province):
        aggregator.stop()


def _export(aggregator: Aggregator, folder) -> str:
    path = folder / f"{aggregator.settings.region}.json"
    path.write_text(aggregator.identity().to_json(), encoding="utf-8")
    return str(path)


def test_staff_query_export_and_chart_from_the_command_line(world):
    folder, province, counties, truth = world
    token_file = folder / "province-staff.cred"
    run("aggregator", "--db", province.db, "credential", "--region", "610000", "--subject",
        "province-staff-1", "--days", 7, "--out", token_file)
    common = ["query", "W03", "--aggregator", _export(province, folder), "--credential",
              token_file, "--period", "2025-H1", "--below", "county"]
    table = run(*common)
    assert "重点学生未做到每月谈心谈话不少于1次" in table and "县级 County" in table

    xlsx, png = folder / "w03.xlsx", folder / "w03.png"
    with python_warnings.catch_warnings():
        python_warnings.simplefilter("error")  # a missing glyph would warn
        run(*common, "--format", "xlsx", "--out", xlsx, "--chart", png)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    answer = ask(province.identity(), from_text(token_file.read_text()),
                 request("W03", [H1], below="county"))
    sheet = load_workbook(xlsx)["县级 County"]
    assert sheet["A1"].value == f"{answer.label_zh} {answer.label_en}"
    assert [c.value for c in sheet[3]] == list(columns(answer).values())
    for row, figure in zip(sheet.iter_rows(min_row=4, max_row=3 + len(answer.figures)),
                           answer.figures, strict=True):
        assert [c.value for c in row] == [
            figure.region, name(figure.region), H1.label_zh,
            round(100 * max(0, figure.value), 2), round(100 * max(0, figure.low), 2),
            round(100 * figure.high, 2), figure.members, figure.missing, figure.schools]
    problem = truth["province"]["problem_counties"]
    for figure in answer.figures:
        rate = 1 - truth["counties"][figure.region]["rates"]["talk_monthly_rate"]
        assert figure.low <= rate <= figure.high  # a generous budget: the truth is covered
        assert (figure.low > 0.10) == (figure.region in problem)


def test_warnings_judged_delivered_answered_and_seen_upwards(world):
    folder, province, counties, truth = world
    [(problem, kind)] = truth["province"]["problem_counties"].items()
    assert kind == "no_talks"
    run("aggregator", "--db", province.db, "warnings", "evaluate", "--period", "2025-H1",
        "--today", "2026-01-05")
    sent = run("aggregator", "--db", province.db, "warnings", "send")
    assert "未送达 not delivered 0" in sent
    listed = run("aggregator", "--db", counties[problem].db, "warnings")
    assert "W03" in listed and "新发 new" in listed
    store = Store(counties[problem].db)
    try:
        [w03] = [w for w in store.warnings() if w.rule_id == "W03"]
    finally:
        store.close()
    answered = run("aggregator", "--db", counties[problem].db, "warnings", "respond",
                   w03.warning_id[:10], "--action", "rectifying", "--planned-by", "2026-03-01")
    assert "已送达上级 sent to the issuer" in answered
    seen = run("aggregator", "--db", province.db, "warnings", "--period", "2025-H1")
    line = next(x for x in seen.splitlines() if w03.warning_id[:12] in x)
    assert "整改中 rectifying 2026-03-01" in line and name(problem) in line
