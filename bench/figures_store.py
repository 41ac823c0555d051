"""Figures at province scale: queries answered from the figures store, server in its own process.

    .venv/bin/python bench/figures_store.py [--counties 100] [--schools 20000] [--periods 10]
                                            [--calls 40] [--fresh]

Builds a synthetic province the way bench/verify_bundle.py does, through the aggregators' own
store and accept path: each county enrols its schools, accepts their signed reports of every
period in group commits and makes its rollup; the province accepts each county's rollup with
the school reports it forwards. Periods are the ten half-years 2021-H1 … 2025-H2, each accepted
at a time injected before its deadline (so the build runs on any date). The province is built
once into bench-out/ (git-ignored) and reused; ``--fresh`` builds it again.

Every period's official tables are made and kept first (once: a later run finds them current),
so that the server's thread (aggregator/figures/kept.py) has nothing to make while it is timed.
Then the province serves in its own process (`guanai aggregator serve`) and is asked, over gRPC
with a staff credential: one figure province-wide, the same by county, a 10-period trend by
county, and a 40-period ask; the server's resident memory is read from /proc. The whole
attachment-1 table of the province (every cell), the warnings of a period and the consistency
check run in fresh processes on the same file. `guanai query` is timed end to end.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from nacl.signing import SigningKey

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))

from aggregator.intake.accept import accept  # noqa: E402
from aggregator.keys import own_identity as config  # noqa: E402
from aggregator.log.transparency import TransparencyLog  # noqa: E402
from aggregator.rollup.build import make_rollup, member_reports  # noqa: E402
from aggregator.store.sqlite import Store  # noqa: E402
from privacy import credential  # noqa: E402
from privacy.envelope import parse_signed, sign_report  # noqa: E402
from protos.aggregator_pb2 import Receipt  # noqa: E402
from protos.deadlines import default_deadlines  # noqa: E402
from protos.periods import Period  # noqa: E402
from synth.geography import province_counties  # noqa: E402
from tests.federation import free_port, make_report  # noqa: E402

sys.path.insert(0, str(BENCH))
from verify_bundle import accept_in_groups, enrol, opened  # noqa: E402

PROVINCE = "610000"
OUT = ROOT / "bench-out" / "figures-store"
RATIO = "acad.dropped_out / acad.reg_expected"


def periods(count: int) -> list[Period]:
    """The last ``count`` half-years up to 2025-H2, oldest first."""
    found = [Period.parse(f"{year}-H{half}") for year in range(2025 - count, 2026)
             for half in (1, 2)]
    return found[-count:]


def before_due(period: Period) -> datetime:
    """The injected time of acceptance: a day before the period's default deadline."""
    return default_deadlines(period).due - timedelta(days=1)


def build_county(folder: Path, region: str, first: int, count: int, asked: list[Period],
                 group: int) -> Path:
    db = folder / f"county-{region}.db"
    settings = config.init(db, "county", region, PROVINCE)
    store = Store(db)
    try:
        keys = {}
        with store.transaction():
            for n in range(first, first + count):
                school_id, key = f"2161{n:06d}", SigningKey.generate()
                enrol(store, school_id, "school", region, bytes(key.verify_key))
                keys[school_id] = key
        log = TransparencyLog(settings.origin, settings.signing_key, store)
        for p, period in enumerate(asked):
            items = [opened(sign_report(make_report(
                school_id, region=region, recipient=region, period=period.code,
                base=(n + p) % 50).SerializeToString(), key))
                for n, (school_id, key) in enumerate(keys.items())]
            accept_in_groups(store, log, settings, items, group, before_due(period))
            make_rollup(store, settings, period)
    finally:
        store.close()
    return db


def send_up(county_db: Path, province: Store, log: TransparencyLog,
            settings: config.Settings, asked: list[Period]) -> None:
    store = Store(county_db)
    try:
        county = config.load(store)
        enrol(province, county.region, "aggregator", county.region,
              bytes(county.signing_key.verify_key))
        for period in asked:
            rollup = store.latest_rollup(period.code)
            members = tuple(opened(s) for s in member_reports(store, parse_signed(rollup.signed)[1]))
            [receipt] = accept(province, log, settings, [opened(rollup.signed, members)],
                               now=before_due(period))
            if not isinstance(receipt, Receipt):
                raise SystemExit(f"the province refused {county.region}: {receipt}")
    finally:
        store.close()


def build(folder: Path, counties: int, schools: int, asked: list[Period]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    codes = [c.code for c in province_counties(counties)]
    sizes = [schools // counties + (i < schools % counties) for i in range(counties)]
    province_db = folder / "province.db"
    settings = config.init(province_db, "province", PROVINCE, None)
    province = Store(province_db)
    try:
        log = TransparencyLog(settings.origin, settings.signing_key, province)
        first = 0
        for i, (code, size) in enumerate(zip(codes, sizes, strict=True)):
            db = build_county(folder, code, first, size, asked, 250)
            send_up(db, province, log, settings, asked)
            db.unlink()
            for extra in folder.glob(db.name + "-*"):
                extra.unlink()
            first += size
            print(f"  built county {i + 1}/{counties}", end="\r", flush=True)
    finally:
        province.close()
    print()
    return province_db


def province_options(parser: argparse.ArgumentParser, counties: int, schools: int) -> None:
    """The options of a benchmark on a synthetic province: its size, the calls timed, --fresh."""
    parser.add_argument("--counties", type=int, default=counties)
    parser.add_argument("--schools", type=int, default=schools)
    parser.add_argument("--periods", type=int, default=10)
    parser.add_argument("--calls", type=int, default=40, help="timed calls per figure or page")
    parser.add_argument("--fresh", action="store_true", help="build the province again")


def ensure(folder: Path, counties: int, schools: int, asked: list[Period], fresh: bool) -> float:
    """The province built in ``folder`` (``folder/province.db``), built now unless a finished
    build is there (``folder/done``) and not ``fresh``; the build's seconds."""
    if fresh or not (folder / "done").exists():
        shutil.rmtree(folder, ignore_errors=True)
        start = time.perf_counter()
        build(folder, counties, schools, asked)
        (folder / "done").write_text(f"{time.perf_counter() - start:.0f}\n")
    return float((folder / "done").read_text())


def prepared(args: argparse.Namespace, out: Path, what: str) -> tuple[list[Period], Path]:
    """The periods and the folder under ``out`` of the province ``province_options`` asked
    for, built if need be; prints ``what`` is measured, on what machine, and the build time."""
    asked = periods(args.periods)
    folder = out / f"{args.schools}x{args.counties}x{args.periods}"
    print(f"{what}: a province of {args.schools:,} schools in {args.counties} counties, "
          f"{args.periods} half-years ({asked[0]}…{asked[-1]}), {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f}, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    built = ensure(folder, args.counties, args.schools, asked, args.fresh)
    print(f"{'build (store and accept path, cached)':<46}{built:>9.0f} s")
    return asked, folder


def keep(db: Path, period: str) -> None:
    """Make and keep the period's official tables once, as the serving aggregator's thread
    does after its figures change (aggregator/figures/kept.py); print how long that took and
    what a kept period takes in the store. Kept already (an earlier run, same figures and
    code): say so, and make nothing."""
    from aggregator.figures import kept
    from aggregator.figures.holdings import Holdings

    store = Store(db)  # an older store gains the kept tables here (CREATE TABLE IF NOT EXISTS)
    try:
        holdings = Holdings(store, config.load(store), Period.parse(period))
        held = store.kept_set(period)
        if kept.is_current(holdings, held):
            print(f"official tables of {period}: kept already (made {held.made_at})")
        else:
            wall, cpu = time.perf_counter(), time.process_time()
            kept.make(holdings)
            print(f"official tables of {period}: made and kept in "
                  f"{time.perf_counter() - wall:.1f} s ({time.process_time() - cpu:.1f} s CPU)")
        regions, size = store.kept_size(period)
        print(f"kept for {period}: {regions} regions, {size / 1024:.0f} KB of cells")
    finally:
        store.close()


def serve(db: Path) -> tuple[subprocess.Popen, str]:
    address = f"127.0.0.1:{free_port()}"
    process = subprocess.Popen([sys.executable, "-m", "guanai", "aggregator", "--db", str(db),
                                "serve", "--listen", address], cwd=ROOT,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    import grpc
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    with grpc.insecure_channel(address) as channel:
        health_pb2_grpc.HealthStub(channel).Check(
            health_pb2.HealthCheckRequest(service=""), wait_for_ready=True,
            timeout=300)
    return process, address


def rss_mb(pid: int) -> tuple[float, float]:
    """(current, peak) resident set of a process, MB."""
    status = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text()
                  .splitlines() if ":" in line)
    return (int(status["VmRSS"].split()[0]) / 1024, int(status["VmHWM"].split()[0]) / 1024)


def cpu_ms(pid: int) -> float:
    """User and system CPU time a process has used so far, ms (/proc/PID/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


def timed(call, times: int, pid: int) -> tuple[float, float, float]:  # noqa: ANN001
    """(median, p95) milliseconds of ``times`` calls after one warm-up call, and the server's
    CPU per call (ms): on a shared machine the wall time also counts waiting for a core."""
    call()
    spent = []
    used = cpu_ms(pid)
    for _ in range(times):
        start = time.perf_counter()
        call()
        spent.append((time.perf_counter() - start) * 1000)
    used = (cpu_ms(pid) - used) / times
    spent.sort()
    return statistics.median(spent), spent[min(len(spent) - 1, int(0.95 * len(spent)))], used


def in_fresh_process(code: str, db: Path) -> dict:
    result = subprocess.run([sys.executable, "-c", code, str(db)], cwd=ROOT, capture_output=True,
                            text=True, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


PREAMBLE = """
import json, sys, time
from datetime import date
from aggregator.keys import own_identity
from aggregator.store.sqlite import Store
from protos.periods import Period
store = Store(sys.argv[1]); settings = own_identity.load(store)
period = Period.parse(store.figure_periods()[-1])
"""

TABLE = PREAMBLE + """
from aggregator.figures.holdings import Holdings
spent = []
for _ in range(21):
    start = time.perf_counter()
    figures = Holdings(store, settings, period).figures(settings.region)
    spent.append((time.perf_counter() - start) * 1000)
spent.sort()
print(json.dumps({"median": spent[10], "p95": spent[19], "cells": len(figures.values)}))
"""

WARNINGS = PREAMBLE + """
from aggregator.warnings.monitoring import evaluate_period
spent = []
for _ in range(3):
    start = time.perf_counter()
    found = evaluate_period(store, settings, period, today=date(2026, 1, 1))
    spent.append(time.perf_counter() - start)
print(json.dumps({"seconds": min(spent), "warnings": len(found)}))
"""

CHECK = """
import json, sys, time
from aggregator.figures import cube
from aggregator.store.sqlite import Store
store = Store(sys.argv[1])
start = time.perf_counter()
problems = cube.check(store)
print(json.dumps({"seconds": time.perf_counter() - start, "problems": len(problems)}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    province_options(parser, counties=100, schools=20_000)
    parser.add_argument("--check", action="store_true",
                        help="also rebuild every period from the log and compare (slow)")
    args = parser.parse_args()
    asked, folder = prepared(args, OUT, "figures store")
    db = folder / "province.db"
    size = sum(p.stat().st_size for p in folder.glob("province.db*")) / 1e6
    print(f"{'province store on disk':<46}{size:>9.0f} MB")

    from aggregator.grpc.query_client import ask, request

    store = Store(db)
    settings = config.load(store)
    counties = sorted({m.member_id for m in store.members()})
    store.close()
    token = credential.issue(settings.signing_key, PROVINCE, "staff", PROVINCE, "bench",
                             timedelta(days=1))
    for period in asked:  # what the server's thread would make at start, made before timing
        keep(db, period.code)
    process, address = serve(db)
    try:
        target = settings.identity(address)
        last = asked[-1]
        rows = []
        for label, query, goal in (
            ("one figure, province-wide", request(RATIO, [last], [PROVINCE]), 20),
            (f"by county ({len(counties)})", request(RATIO, [last], [PROVINCE], below="county"),
             30),
            (f"{len(asked)}-period trend by county",
             request(RATIO, asked, [PROVINCE], below="county"), 50),
        ):
            median, p95, cpu = timed(lambda q=query: ask(target, token, q), args.calls,
                                     process.pid)
            rows.append((label, median, p95, cpu, goal))
        for label, median, p95, cpu, goal in rows:
            print(f"{label:<46}{median:>7.1f} ms median {p95:>7.1f} ms p95 (server CPU "
                  f"{cpu:.1f} ms)   target ≤ {goal} ms {'met' if p95 <= goal else 'MISSED'}")
        many = [Period.parse(f"{y}-H{h}") for y in range(2006, 2026) for h in (1, 2)]
        ask(target, token, request(RATIO, many, [PROVINCE], below="county"))
        now, peak = rss_mb(process.pid)
        print(f"{'server memory after a 40-period ask':<46}{now:>7.0f} MB now {peak:>7.0f} MB peak"
              f"   target < 500 MB {'met' if peak < 500 else 'MISSED'}")
    finally:
        process.terminate()
        process.wait(timeout=60)

    table = in_fresh_process(TABLE, db)
    print(f"{'attachment-1 table, province (' + str(table['cells']) + ' cells)':<46}"
          f"{table['median']:>7.1f} ms median {table['p95']:>7.1f} ms p95   target ≤ 100 ms "
          f"{'met' if table['p95'] <= 100 else 'MISSED'}")
    warned = in_fresh_process(WARNINGS, db)
    print(f"{'warnings evaluation, one period':<46}{warned['seconds']:>9.2f} s   "
          f"({warned['warnings']} warnings) target ≤ 0.5 s "
          f"{'met' if warned['seconds'] <= 0.5 else 'MISSED'}")
    process, address = serve(db)
    try:
        export = folder / "province.json"
        export.write_text(settings.identity(address).to_json(), encoding="utf-8")
        cred = folder / "staff.credential"
        cred.write_text(credential.to_text(token), encoding="ascii")
        spent = []
        cpu = []
        for _ in range(5):
            start, before = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN)
            subprocess.run([sys.executable, "-m", "guanai", "query", RATIO, "--aggregator",
                            str(export), "--credential", str(cred), "--period", last.code],
                           cwd=ROOT, check=True, capture_output=True)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            spent.append(time.perf_counter() - start)
            cpu.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
        print(f"{'guanai query, end to end (best of 5)':<46}{min(spent):>9.2f} s   "
              f"(CPU {min(cpu):.2f} s) target < 1 s {'met' if min(spent) < 1 else 'MISSED'}")
    finally:
        process.terminate()
        process.wait(timeout=60)
    if args.check:
        checked = in_fresh_process(CHECK, db)
        print(f"{'check-figures (rebuild from the log)':<46}{checked['seconds']:>9.1f} s   "
              f"{checked['problems']} differences")


if __name__ == "__main__":
    main()
