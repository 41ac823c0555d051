"""``guanai demo``: a whole reporting round of a small synthetic province, on localhost.

It does, in one process and in order, what schools and bureaus do with the other commands:
synthesise schools (``guanai synth``), set up a province and its counties (``guanai aggregator
init/enroll/parent/serve``), set up each school's node and import its files (``guanai node
init/import/parent``), release each school's table with differential privacy and submit it
(``guanai node release/submit``) — with the two secret shares of secure aggregation, one to
the school's parent and one to the province's helper (``guanai aggregator init --role helper``,
``guanai node helper``, ``guanai aggregator send-enrolment``) — roll the counties up to the
province (``guanai aggregator rollup``), and show the provincial table and who has reported
(``guanai aggregator status``).
The province's web pages (``guanai aggregator web``) are served while it runs, with a demo
viewer account whose password it prints; ``--stay`` keeps them open afterwards.
Everything it writes stays in the output folder.
"""

from __future__ import annotations

import logging
import secrets
import shutil
import time
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import click

from aggregator.calendar import decisions
from aggregator.cli.commands import status as status_command
from aggregator.cli.staff import evaluate, send, warnings
from aggregator.figures.holdings import Holdings
from aggregator.figures.kept import region_table
from aggregator.figures.statistics import official_sheets
from aggregator.grpc.server import RunningAggregator, start
from aggregator.intake import enrolment
from aggregator.keys import accounts, own_identity, staff
from aggregator.keys.staff import aggregator_credential
from aggregator.log.export import export_bundle
from aggregator.rollup import signoff
from aggregator.rollup.build import make_rollup, rollup_report, send_to_parent
from aggregator.rollup.helper import send_enrolment
from aggregator.rollup.publish import publish
from aggregator.store.sqlite import Publication, Store
from aggregator.web.app import create_app
from aggregator.web.bureau import Bureau
from common import tables
from common.clock import SYSTEM
from common.progress import progress, track
from common.web.server import RunningServer, serve_until_signalled
from common.web.server import start as start_web
from inspector.verdict import render_text
from inspector.verify import verify
from node.importer import import_file
from node.membership import import_helper, import_parent, init_school
from node.membership import own_identity as school_identity
from node.receipt_files import export_receipts
from node.release import release_period
from node.store import open_store
from node.submit import submit
from privacy import partials
from privacy.identity import HELPER
from protos.deadlines import DEFAULT_LOCK_DAYS, Deadlines, end_of_day, local_date, local_text
from protos.periods import Period
from protos.regions import PROVINCE, name
from synth import province as synth_province
from synth.files import IMPORT_ORDER

DEFAULT_PERIOD = "2026-H1"
DEMO_ACCOUNT = "demo"
SHOWN_FAMILIES = ("pop.enrolled", "pop.in_difficulty", "pop.stacked", "key.", "acad.",
                  "psy.talk_monthly", "job.graduating", "job.postings3", "aid.assessed",
                  "aid.highest_tier", "mentor.")


@dataclass
class Level:
    """One aggregator of the demo: its store, settings and running server."""

    db: Path
    settings: own_identity.Settings
    running: RunningAggregator | None = None

    def store(self) -> Store:
        return Store(self.db)


@dataclass
class DemoPages:
    """The province's web pages served during the demo, and its demo viewer's password."""

    running: RunningServer
    bureau: Bureau
    password: str

    @property
    def url(self) -> str:
        return self.running.url

    def stop(self) -> None:
        self.running.stop()
        self.bureau.close()


def _provincial_pages(province: Level) -> DemoPages:
    """Serve the province's pages on a free loopback port with a demo viewer account (its
    password printed: a demo only; real accounts are made with `guanai aggregator account add`)."""
    password = secrets.token_urlsafe(9)
    bureau = Bureau(province.db, SYSTEM)
    accounts.add(bureau.store, bureau.settings, DEMO_ACCOUNT, "viewer", password, SYSTEM.now())
    running = start_web(create_app(bureau))
    click.echo(f"    省级网页 the provincial web pages: {running.url}/ — 账号 user {DEMO_ACCOUNT}, "
               f"密码 password {password} (demo only; open them while the demo runs, or add "
               "--stay)")
    return DemoPages(running, bureau, password)


def _step(number: int, zh: str, en: str) -> None:
    click.echo(click.style(f"\n[{number}] {zh} — {en}", bold=True))


@contextmanager
def _timed(label: str) -> Iterator[None]:
    """The step's work, with a spinner on the terminal while it runs (common/progress.py)."""
    began = time.perf_counter()
    with progress("进行中 working…"):
        yield
    click.echo(f"    {label} ({time.perf_counter() - began:.1f} s)")


def _aggregators(out: Path, counties: list[str]) -> tuple[Level, dict[str, Level]]:
    folder = out / "aggregators"
    folder.mkdir(parents=True, exist_ok=True)
    province = Level(folder / f"{PROVINCE}.db",
                     own_identity.init(folder / f"{PROVINCE}.db", "province", PROVINCE, None))
    county_levels = {
        code: Level(folder / f"{code}.db", own_identity.init(folder / f"{code}.db", "county", code,
                                                       PROVINCE))
        for code in counties
    }
    return province, county_levels


def _helper(out: Path) -> Level:
    """The province's helper of secure aggregation: the same software in the role helper."""
    db = out / "aggregators" / f"helper-{PROVINCE}.db"
    db.parent.mkdir(parents=True)
    return Level(db, own_identity.init(db, "province", PROVINCE, None, HELPER))


def _link_helper(helper: Level, leaders: dict[str, Level]) -> None:
    """Each leader is enrolled at the helper (its export) and keeps the helper's export."""
    for level in leaders.values():
        _enrol(helper, level.settings.identity(level.running.address))
        store = level.store()
        try:
            own_identity.set_helper(store, level.settings,
                                    helper.settings.identity(helper.running.address))
        finally:
            store.close()


def _open_period(level: Level, period: Period, due: datetime) -> None:
    store = level.store()
    try:
        decisions.set_deadlines(store, level.settings, aggregator_credential(level.settings.signing_key),
                                period, Deadlines(due, due + timedelta(days=DEFAULT_LOCK_DAYS)),
                                SYSTEM.now())
    finally:
        store.close()


def _enrol(level: Level, identity) -> None:  # noqa: ANN001
    store = level.store()
    try:
        enrolment.enrol(store, level.settings, identity)
    finally:
        store.close()


# Synthetic officials who sign each level's table (no real person).
OFFICIALS = (("filler", "张填表"), ("reviewer", "李审核"), ("head", "王主任"))


def _sign_off(level: Level, period: Period, out: Path) -> str:
    """What `guanai aggregator staff add` and `approve` do: three officials of the level, each
    with a credential of their own, approve its rollup; the signed-off rollup is returned."""
    store = level.store()
    folder = out / "aggregators" / "staff" / level.settings.region
    folder.mkdir(parents=True, exist_ok=True)
    try:
        for role, person in OFFICIALS:
            key_file = folder / f"{role}.key"
            decisions.register_staff(store, level.settings, person, key_file, SYSTEM.now())
            signoff.approve(store, level.settings, staff.load(store, key_file), period, role,
                            SYSTEM.now())
        signoff.sign_off(store, level.settings, period)
        return "、".join(f"{s.role_zh} {s.name}" for s in signoff.approvals_of(store, period))
    finally:
        store.close()


def _schools(out: Path, plan: dict, levels: dict[str, Level], period: Period) -> list[Path]:
    """Every school's node: init, import its synthetic files, enrol it with its parent."""
    dbs = []
    for school in plan["schools"]:
        db = out / "nodes" / f"{school['id']}.db"
        init_school(db, school["id"], school["county"], school["name"])
        store = open_store(db)
        files = out / "synth" / school["path"]
        for kind in IMPORT_ORDER:
            import_file(store, kind, files / f"{kind}.csv", today=period.end)
        _enrol(levels[school["reports_to"]], school_identity(store, db))
        dbs.append(db)
    return dbs


def _provincial_table(province: Level, period: Period, out: Path) -> None:
    """The province's official table (non-negative integers that add up, issue 12) on the
    terminal and in .xlsx and PDF; the analysis form is the xlsx's third sheet."""
    store = province.store()
    try:
        table = region_table(Holdings(store, province.settings, period), PROVINCE)
    finally:
        store.close()
    sheets = official_sheets(table, period.label_zh, period.label_en)
    xlsx = out / f"province-{period}.xlsx"
    tables.write(sheets, "xlsx", xlsx)
    tables.write(sheets[:1], "pdf", xlsx.with_suffix(".pdf"))
    official = sheets[0].data
    shown = official[[c.id.startswith(SHOWN_FAMILIES) for c in table.catalogue.cells]]
    click.echo(tables.to_text(shown))
    click.echo(f"    全表 the whole table ({len(table.catalogue.cells)} cells): {xlsx}, "
               f"{xlsx.with_suffix('.pdf')}")


def _named(publication: Publication) -> int:
    """How many schools a publication's named set names."""
    return len(partials.open_named_set(publication.named_set)[0].members)


def _inspect(out: Path, levels: dict[str, Level], dbs: list[Path], period: Period) -> None:
    bundles, receipts = out / "inspection" / "bundles", out / "inspection" / "receipts"
    for code, level in levels.items():
        store = level.store()
        try:
            export_bundle(store, level.settings, period, bundles / code)
        finally:
            store.close()
    for db in dbs:
        export_receipts(open_store(db), receipts / db.stem)
    verdict = verify([bundles], [receipts / db.stem for db in dbs])
    click.echo(render_text(verdict))
    click.echo(f"    {'通过 passed' if verdict.ok else '未通过 FAILED'}: "
               f"`guanai inspect verify {bundles} --receipts …` gives the same verdict")


def _inspect_helper(out: Path, helper: Level, period: Period) -> None:
    """The helper's own bundle: its log of shares, each alone uniformly random, checked as its
    own party and, with the leaders' bundles, the published figures across both parties."""
    store = helper.store()
    try:
        done = export_bundle(store, helper.settings, period, out / "inspection" / "helper")
    finally:
        store.close()
    verdict = verify([out / "inspection" / "bundles", done.path])  # with the leaders': both parties
    click.echo(f"    协助方核验包 the helper's bundle: {done.shares} shares in a log of "
               f"{done.tree_size} leaves; with the leaders' bundles, "
               f"{verdict.passed['secure_aggregation']} secure-aggregation checks — "
               f"{'通过 passed' if verdict.ok else '未通过 FAILED'}")


@click.command()
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default="demo-out",
              show_default=True, help="输出 Folder for everything the demo writes (emptied first).")
@click.option("--counties", help="县区数 Number of counties.", type=click.IntRange(1, 10), default=3, show_default=True)
@click.option("--schools-per-county", help="每县学校数 Schools per county.", type=click.IntRange(1, 50), default=10, show_default=True)
@click.option("--period", help="报送期 Period: 2026-H1 (2026上半年) or 2026-H2 (2026下半年).", default=DEFAULT_PERIOD, show_default=True)
@click.option("--seed", help="随机种子 Seed of the synthetic data (same seed, same files).", type=int, default=2026, show_default=True)
@click.option("--stay", is_flag=True, help="保持网页 Keep the provincial web pages open after the "
              "round, until Ctrl-C.")
def demo(out: Path, counties: int, schools_per_county: int, period: str, seed: int,
         stay: bool) -> None:
    """演示 Run a whole reporting round of a synthetic province on localhost."""
    logging.getLogger().setLevel(logging.WARNING)
    period_ = Period.from_human(period)
    if out.exists():
        shutil.rmtree(out)
    started = time.perf_counter()
    click.echo(f"关爱 guanai 演示 demo: {period_.label_zh} {period_.label_en}; output in {out}/")

    _step(1, "合成数据", "synthesise a province (no real student)")
    with _timed(f"{counties} counties × {schools_per_county} schools and one university"):
        plan = synth_province.plan(counties, schools_per_county, seed, period_,
                                   problem_counties=1)
        synth_province.write(plan, out / "synth")
    layout = tomllib.loads((out / "synth" / "province.toml").read_text(encoding="utf-8"))

    _step(2, "启动省级和县区汇总节点及协助方",
          "start the province and county aggregators and the province's helper on localhost")
    helper = _helper(out)
    province, county_levels = _aggregators(out, [c["code"] for c in layout["counties"]])
    levels = {PROVINCE: province, **county_levels}
    due = end_of_day(local_date(SYSTEM.now()) + timedelta(days=7))
    click.echo(f"    {period_} is past its lock date, so each aggregator first sets a demo "
               f"deadline of {local_text(due)} (a recorded decision, `guanai aggregator deadline`)")
    for level in levels.values():
        _open_period(level, period_, due)
        level.running = start(level.db)
        click.echo(f"    {level.settings.describe()} → {level.running.address}")
    helper.running = start(helper.db)
    click.echo(f"    协助方 helper of {helper.settings.describe()} (secure aggregation; run by an "
               f"organisation independent of the bureaus) → {helper.running.address}")
    pages: DemoPages | None = None
    done = False
    try:
        _link_helper(helper, levels)
        pages = _provincial_pages(province)
        for level in county_levels.values():
            _enrol(province, level.settings.identity(level.running.address))
            store = level.store()
            try:
                own_identity.set_parent(store, level.settings,
                                  province.settings.identity(province.running.address))
            finally:
                store.close()

        _step(3, "学校节点建立并导入本校数据", "each school sets up its node and imports its files")
        with _timed(f"{len(layout['schools'])} schools imported; names stay in each school's "
                    "own database"):
            dbs = _schools(out, layout, levels, period_)
        for level in levels.values():  # the helper learns the schools from the leaders' word
            store = level.store()
            try:
                send_enrolment(store, level.settings, SYSTEM.now(), attempts=5, timeout=30)
            finally:
                store.close()
        click.echo(f"    协助方 the helper learnt {len(dbs)} schools' keys from the "
                   f"{len(levels)} leaders' signed enrolments")

        _step(4, "差分隐私发布并签名加密报送",
              "each school releases its table with DP, signs, seals and submits it, and sends "
              "two secret shares of it: one to its parent, one to the helper")
        late = next(s for s in reversed(layout["schools"]) if not s["direct_to_province"])
        click.echo(f"    (one school, {late['name']} {late['id']}, does not submit: to show "
                   "what a missing school looks like)")
        with _timed("every other school holds a signed receipt with an inclusion proof"):
            for db, school in zip(dbs, layout["schools"], strict=True):
                store = open_store(db)
                parent = levels[school["reports_to"]]
                import_parent(store, parent.settings.identity(parent.running.address))
                import_helper(store, helper.settings.identity(helper.running.address))
                release_period(store, period_, parent.settings.region, today=period_.end)
                if school is not late:
                    submit(store, db, period_, attempts=5, timeout=30)

        _step(5, "县区汇总上报省级", "counties roll up and forward to the province")
        for code, level in track(list(county_levels.items()), "县区汇总 counties rolling up"):
            store = level.store()
            try:  # published first: the rollup then carries its named set and leader partial
                published = publish(store, level.settings, period_.code, SYSTEM.now(), timeout=30)
            finally:
                store.close()
            click.echo(f"    {name(code)} {code}: 与协助方发布 published with the helper from "
                       f"{_named(published)} schools' shares (noise once, both parties)")
            signed = _sign_off(level, period_, out)
            store = level.store()
            try:
                rollup, _ = make_rollup(store, level.settings, period_)
                body = send_to_parent(store, level.settings, rollup, SYSTEM.now(),
                                      attempts=5, timeout=30)
            finally:
                store.close()
            report = rollup_report(rollup)
            click.echo(f"    {name(code)} {code}: {len(report.members)} schools summed, "
                       f"{len(report.missing)} missing, signed by {signed} → province log index "
                       f"{body.log_index}")

        _step(6, "省级统计表", "the provincial table (published from the shares, 95% intervals)")
        store = province.store()
        try:
            published = publish(store, province.settings, period_.code, SYSTEM.now(), timeout=30)
        finally:
            store.close()
        click.echo(f"    省级与协助方发布 the province published with the helper from the counties' "
                   f"partials and its own schools' shares: {_named(published)} schools")
        click.echo(f"    审核签字 signed off by {_sign_off(province, period_, out)}")
        _provincial_table(province, period_, out)

        _step(7, "报送完整性（一个都不少）", "completeness: who has reported")
        with click.Context(status_command, obj=province.db) as ctx:
            ctx.invoke(status_command, period=period_)

        _step(8, "监测预警", "monitoring warnings: judged at the province, sent to the counties")
        for command, options in ((evaluate, {"rules_file": None, "today": None}),
                                 (send, {"timeout": 30.0, "client_cert": None,
                                         "client_key": None})):
            with click.Context(command, obj=province.db) as ctx:
                ctx.invoke(command, period=period_.code, **options) if command is evaluate \
                    else ctx.invoke(command, **options)
        with click.Context(warnings, obj=province.db) as ctx:
            ctx.invoke(warnings, period=period_.code, only_warnings=True)

        _step(9, "督查核验", "an inspector verifies every bundle and the schools' receipts offline")
        _inspect(out, levels, dbs, period_)
        _inspect_helper(out, helper, period_)
        done = True
    finally:
        for level in (*levels.values(), helper):
            if level.running is not None:
                level.running.stop(grace=5)
        if pages is not None and not (stay and done):
            pages.stop()
    assert pages is not None  # the round got past starting them, or it raised
    if stay:
        serve_until_signalled(pages.running, lambda: click.echo(
            f"\n省级网页仍在运行 the provincial pages stay open at {pages.url}/ "
            f"(账号 user {DEMO_ACCOUNT}, 密码 password {pages.password}); Ctrl-C 停止 stops"))
    click.echo(f"\n完成 done in {time.perf_counter() - started:.0f} s: every server stopped. "
               f"Schools' databases (with names) are in {out}/nodes; aggregators' (no names) in "
               f"{out}/aggregators.")
    click.echo("\n省级网页 the provincial web pages (completeness, the table, exports), again:\n"
               f"    guanai aggregator --db {province.db} web\n"
               f"    then open http://127.0.0.1:8080 and sign in as {DEMO_ACCOUNT} with "
               f"password {pages.password} (a demo account: viewer)")
    if dbs:
        click.echo("\n学校网页 a school's own web pages (loopback only), for any of them:\n"
                   f"    guanai node --db {dbs[0]} web\n"
                   "    then open http://127.0.0.1:8765 in the browser on this PC")
