"""Kept official tables (正式表留存, aggregator/figures/kept.py): made once per change of a
period's figures, ahead of anyone asking, and read by the CLI, the Query service and the pages.

A province with two counties serving on loopback (tests/rounds.py), real SQLite files: the
figures' generation moves with every accepted submission, return, publication (in
tests/test_publish.py) and rebuild, and never with a refused submission; the serving county
makes and keeps its tables by itself, equal to a fresh solve; a later submission makes them
stale at once; the CLI reads what is kept instead of solving again; two makers of one
generation leave one correct set. The web pages, on a copy of the province's file served
alone, show the 'being made' page while a making runs longer than their wait, then the table.
"""

from __future__ import annotations

import logging
import shutil
import sqlite3
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import grpc
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from aggregator.figures import cube, kept
from aggregator.figures.holdings import Holdings
from aggregator.figures.official import OfficialError
from aggregator.figures.statistics import official_of
from aggregator.keys import accounts, own_identity
from aggregator.store.figures import FigureUnit
from aggregator.store.sqlite import KeptSet, Store
from aggregator.web.app import create_app
from aggregator.web.bureau import Bureau
from aggregator.web.routes_table import _shown
from common.web.server import start
from guanai.cli import cli
from tests.bureau_web import PASSWORD, sign_in
from tests.federation import aggregator_cli
from tests.node_web import shot
from tests.rounds import H1, Round
from tests.test_figures_store import return_

LAYOUT = {"610102": ["2161010001", "2161010002"], "610103": ["2161030003"]}
SCHOOL = "2161010001"
CELL = "acad.dropped_out"


def cells(n: int) -> dict[str, int]:
    return {CELL: n, "acad.reg_expected": 100 * n}


@pytest.fixture(scope="module")
def round_(tmp_path_factory):
    federation = Round(tmp_path_factory.mktemp("kept"), LAYOUT)
    for n, school_id in enumerate([s for schools in LAYOUT.values() for s in schools], 1):
        federation.submit(school_id, cells(10 * n))
    federation.roll_up()
    yield federation
    federation.stop()


def until(condition, seconds: float = 120.0):  # noqa: ANN001, ANN201
    """Poll ``condition`` every 0.1 s until it is truthy (its value), failing after ``seconds``
    (a bound far above what it takes, never a measure of speed)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"not within {seconds} s")


def opened(db: Path) -> Store:
    return Store(db)


def fresh(store: Store) -> dict:
    """Every region's official table as a fresh solve gives it now: region → Official."""
    return official_of(Holdings(store, own_identity.load(store), H1))[1]


def current_kept(store: Store) -> KeptSet | None:
    """The period's kept set if it is current (made from the figures as they are now)."""
    held = store.kept_set(H1.code)
    holdings = Holdings(store, own_identity.load(store), H1)
    return held if kept.is_current(holdings, held) else None


def all_kept(store: Store, tables: dict) -> dict:
    holdings = Holdings(store, own_identity.load(store), H1)
    return {unit: kept.kept_table(holdings, unit) for unit in tables}


def test_the_generation_moves_with_every_change_of_figures_and_not_with_a_refusal(
        round_, tmp_path):
    county = round_.counties["610103"]
    store = opened(county.db)
    try:
        first = store.figure_generation(H1.code)
        assert first >= 1  # its school's submission
        round_.submit("2161030003", cells(7), revision=2)
        assert store.figure_generation(H1.code) == first + 1
        with pytest.raises(grpc.RpcError):  # the same revision again, other bytes: refused
            round_.submit("2161030003", cells(8), revision=2)
        assert store.figure_generation(H1.code) == first + 1
        return_(county, "2161030003", tmp_path)
        assert store.figure_generation(H1.code) == first + 2
        cube.rebuild(store)
        assert store.figure_generation(H1.code) == first + 3
        round_.submit("2161030003", cells(30), revision=3)  # back to counting, for what follows
        assert store.figure_generation(H1.code) == first + 4
    finally:
        store.close()


def test_the_serving_county_keeps_its_tables_without_anyone_asking(round_):
    county = round_.counties["610102"]
    round_.submit(SCHOOL, cells(20), revision=2)
    store = opened(county.db)
    try:
        made = until(lambda: current_kept(store))
        assert made.generation == store.figure_generation(H1.code)
        solved = fresh(store)
        found = all_kept(store, solved)
        assert set(found) == {"610102", *LAYOUT["610102"]}
        for unit, official in solved.items():
            assert found[unit].official == official, unit
    finally:
        store.close()


def test_the_server_notices_a_change_made_by_another_process(round_):
    county = round_.counties["610102"]
    store = opened(county.db)
    try:
        until(lambda: current_kept(store))
        before = store.figure_generation(H1.code)
        aggregator_cli(county.db, "check-figures", "--rebuild")  # the CLI, its own connection
        assert store.figure_generation(H1.code) == before + 1
        made = until(lambda: current_kept(store))  # nobody asked: the server made them
        assert made.generation == before + 1
    finally:
        store.close()


def test_a_later_submission_makes_the_kept_tables_stale_at_once(round_):
    county = round_.counties["610102"]
    store = opened(county.db)
    try:
        until(lambda: current_kept(store))
        before = kept.kept_table(Holdings(store, own_identity.load(store), H1), "610102")
        round_.submit(SCHOOL, cells(60), revision=3)
        holdings = Holdings(store, own_identity.load(store), H1)
        solved = fresh(store)
        assert solved["610102"].values[CELL] != before.official.values[CELL]
        now = kept.kept_table(holdings, "610102")  # stale: none, or (remade) the new one
        assert now is None or now.official == solved["610102"]
        assert kept.region_table(holdings, "610102").official == solved["610102"]
        shown = table_json(county.db, "610102")
        assert shown == solved["610102"].values
    finally:
        store.close()


def table_json(db: Path, region: str) -> dict[str, int]:
    """The official values ``guanai aggregator table --format xlsx`` writes, by cell (its
    analysis sheet has them beside the estimates; the csv/json analysis form has no official
    values: it needs no official table)."""
    out = db.parent / f"table-{region}.xlsx"
    result = CliRunner().invoke(cli, ["aggregator", "--db", str(db), "table", "--period",
                                      H1.code, "--region", region, "--format", "xlsx",
                                      "--out", str(out)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    rows = list(load_workbook(out, read_only=True)["分析 Analysis"].iter_rows(values_only=True))
    out.unlink()
    header = rows[2]  # under the title and the subtitle
    cell, official = header.index("指标编号 Cell id"), header.index("正式值 Official")
    return {r[cell]: r[official] for r in rows[3:] if r[official] is not None}  # no sign-off


def test_the_command_run_twice_reads_what_was_kept_instead_of_solving_again(round_):
    county = round_.counties["610103"]
    first = table_json(county.db, "610103")  # made here if the server has not yet
    store = opened(county.db)
    try:
        held = current_kept(store)
        assert held is not None
        catalogue = Holdings(store, own_identity.load(store), H1).catalogue
    finally:
        store.close()
    position = catalogue.ids().index(CELL)
    conn = sqlite3.connect(county.db)
    try:  # a mark no solve would make: the second run shows it only if it read the kept row
        packed = conn.execute("SELECT official_values FROM kept_tables WHERE period = ? AND "
                              "region = '610103'", [H1.code]).fetchone()[0]
        values = np.frombuffer(packed, "<i8").copy()
        values[position] = 987654
        conn.execute("UPDATE kept_tables SET official_values = ? WHERE period = ? AND "
                     "region = '610103'", [values.tobytes(), H1.code])
        conn.commit()
        second = table_json(county.db, "610103")
        assert second[CELL] == 987654
        assert {c: v for c, v in second.items() if c != CELL} == \
            {c: v for c, v in first.items() if c != CELL}
        made_at = conn.execute("SELECT made_at FROM kept_periods WHERE period = ?",
                               [H1.code]).fetchone()[0]
        assert made_at == held.made_at
        conn.execute("UPDATE kept_tables SET official_values = ? WHERE period = ? AND "
                     "region = '610103'", [packed, H1.code])
        conn.commit()
    finally:
        conn.close()


def test_two_makers_of_one_generation_leave_one_correct_set(round_):
    province = round_.province
    setup = opened(province.db)
    try:
        cube.rebuild(setup)  # stale: every period's generation moved
        generation = setup.figure_generation(H1.code)
    finally:
        setup.close()
    stores = [opened(province.db) for _ in range(2)]
    errors: list[BaseException] = []
    ready = threading.Barrier(2)

    def maker(store: Store) -> None:
        try:
            holdings = Holdings(store, own_identity.load(store), H1)
            ready.wait()
            kept.make(holdings)
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=maker, args=(s,)) for s in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    try:
        assert errors == []
        store = stores[0]
        held = current_kept(store)
        assert held is not None and held.generation == generation
        solved = fresh(store)
        found = all_kept(store, solved)
        assert {u: t.official for u, t in found.items()} == solved
        conn = sqlite3.connect(province.db)
        rows = conn.execute("SELECT region FROM kept_tables WHERE period = ?", [H1.code])
        assert sorted(r[0] for r in rows) == sorted(solved)
        conn.close()
        # an older generation is never stored over the current one
        stale = KeptSet(H1.code, generation - 1, held.catalogue_version, held.algorithm, "x")
        with store.transaction():
            assert not store.keep_tables(stale, [])
        assert store.kept_set(H1.code) == held
    finally:
        for store in stores:
            store.close()


# --- the pages, on a copy of the province's file served alone (no server makes its tables)

@pytest.fixture
def alone(round_, tmp_path, clock):
    """The province's pages over a copy of its file, waiting 0 s for a making; stale tables."""
    original = Path(round_.province.db)
    db = tmp_path / original.name
    for key in original.parent.glob(f"{original.name}.*.key"):  # its keys lie beside it
        shutil.copy2(key, tmp_path / key.name)
    source, target = sqlite3.connect(original), sqlite3.connect(db)
    source.backup(target)
    source.close()
    target.close()
    bureau = Bureau(db, clock)
    cube.rebuild(bureau.store)
    server = start(create_app(bureau, official_wait=0))
    accounts.add(bureau.store, bureau.settings, "省厅查看", "viewer", PASSWORD, bureau.now())
    yield bureau, SimpleNamespace(url=server.url)
    server.stop()
    bureau.close()


def test_the_page_says_the_table_is_being_made_then_shows_it(alone, bureau_page):
    bureau, pages = alone
    page = bureau_page
    sign_in(page, pages, "省厅查看")
    cube.rebuild(bureau.store)  # stale now, whatever was made meanwhile
    response = page.goto(f"{pages.url}/table?period={H1.code}&form=official")
    assert response.status == 202
    text = response.text()
    assert "正式表正在生成（本期数据有更新），请稍候" in text
    assert "The official table is being made" in text
    assert 'http-equiv="refresh"' in text and "form=analysis" in text
    assert H1.label_zh in text and H1.label_en in text  # which table is being made
    shot(page, "bureau-table-being-made")  # before it refreshes itself, 2 s after loading
    page.locator("table.stat").wait_for(timeout=120_000)  # after the page refreshed itself
    assert current_kept(bureau.store) is not None
    province = kept.kept_table(Holdings(bureau.store, bureau.settings, H1), "610000")
    shown = page.locator(f"tr[id='{CELL}'] td").nth(3).inner_text()
    assert shown == f"{province.official.values[CELL]:,}"


def test_an_export_waits_for_the_making_and_gives_the_kept_table(alone, bureau_page):
    bureau, pages = alone
    sign_in(bureau_page, pages, "省厅查看")
    response = bureau_page.request.get(f"{pages.url}/export/table.csv?period={H1.code}")
    assert response.status == 200
    assert current_kept(bureau.store) is not None


def test_bad_input_is_refused_and_starts_no_making(alone, bureau_page):
    bureau, pages = alone
    before = bureau.store.kept_set(H1.code)
    sign_in(bureau_page, pages, "省厅查看")
    for path in (f"/table?period={H1.code}&form=official&stage=nursery",
                 f"/table?period={H1.code}&form=signed",
                 f"/table?period={H1.code}&form=official&region=610199x",
                 f"/export/table.xls?period={H1.code}"):
        response = bureau_page.request.get(pages.url + path)
        assert response.status == 400, path
    time.sleep(1.0)  # a making started by mistake would have ended and kept by now
    assert bureau.store.kept_set(H1.code) == before
    assert current_kept(bureau.store) is None


# --- an official table that cannot be made: said once, the estimates still there

HOME = "psy.home_activities"  # exact (no noise): a region's row must equal its members' sum


def cannot_be_made(bureau: Bureau) -> None:
    """The state the demo's tester found (a published province figure over more schools than
    are counted now): the province's own row as a published one whose exact cell is 11 above
    its members' sum, so no official table meets the constraints. Written as cube.py's
    ``record_publication`` writes a row, with the generation counted."""
    store = bureau.store
    holdings = Holdings(store, bureau.settings, H1)
    summed, catalogue = holdings.figures("610000"), holdings.catalogue
    rows = [(c.index, int(summed.values[c.id]) + (11 if c.id == HOME else 0),
             float(summed.variances[c.id])) for c in catalogue.cells]
    unit = FigureUnit(H1.code, "610000", "province", "610000", False, "610000", "published",
                      summed.members, 0, summed.schools, catalogue.version,
                      cube.PUBLISHED_LOG_INDEX, bytes(32))
    with store.transaction():
        store.put_figure(unit, [r for r in rows if r[1] or r[2]])
        store.bump_generation(H1.code)


def test_an_official_table_that_cannot_be_made_is_said_once_and_the_estimates_download(
        alone, bureau_page, caplog, tmp_path):
    bureau, pages = alone
    page = bureau_page
    sign_in(page, pages, "省厅查看")
    cannot_be_made(bureau)
    with pytest.raises(OfficialError):  # the core says why, typed
        official_of(Holdings(bureau.store, bureau.settings, H1))
    caplog.set_level(logging.ERROR, logger="aggregator.figures.kept")
    asked = f"period={H1.code}&region=610000"
    first = page.goto(f"{pages.url}/table?{asked}&form=official")
    assert first.status in (202, 503)  # being made (the page waits 0 s), or failed already

    def failures() -> int:
        return sum("could not be made" in r.getMessage() for r in caplog.records)

    until(failures)
    for _ in range(2):
        response = page.goto(f"{pages.url}/table?{asked}&form=official")
        assert response.status == 503
        main = page.locator("main").inner_text()
        assert "正式表暂时无法生成" in main and "The official table cannot be made at present" in main
        assert "no table meets the constraints" in main  # why, in one line
        assert "请联系管理员" in main and "没有做任何更改" not in main
        exported = page.request.get(f"{pages.url}/export/table.xlsx?{asked}")
        assert exported.status == 503
    time.sleep(1.0)  # a second making, had one started, would have failed by now
    assert failures() == 1
    assert current_kept(bureau.store) is None

    # the estimates: the link on the page, its CSV, the CLI's, all the same figures
    with page.expect_navigation():
        page.get_by_role("link", name="分析用估计值 Analysis form").click()
    assert "form=analysis" in page.url and "region=610000" in page.url
    headers = page.locator("table.stat thead th").all_inner_texts()
    column = headers.index("估计值 Estimate")
    shown = {r.get_attribute("id"): r.locator("td").nth(column).inner_text()
             for r in page.locator("table.stat tbody tr").all()}
    assert shown[HOME] == _shown(Holdings(bureau.store, bureau.settings, H1).figures(
        "610000").values[HOME])
    download = page.request.get(f"{pages.url}/export/table.csv?{asked}&form=analysis")
    assert download.status == 200
    web = tmp_path / "web.csv"
    web.write_bytes(download.body())
    cli_csv = tmp_path / "cli.csv"
    aggregator_cli(bureau.store.path, "table", "--period", H1.code, "--region", "610000",
                   "--format", "csv", "--out", str(cli_csv))
    estimates = pd.read_csv(web)
    assert estimates.equals(pd.read_csv(cli_csv))
    ids = estimates[estimates.columns[0]]
    assert shown == {c: _shown(float(v)) for c, v in zip(ids, estimates["估计值 Estimate"],
                                                         strict=True)}
    assert failures() == 1  # the estimates started no making
