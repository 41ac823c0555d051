"""How long an inspector takes to verify a province: `guanai inspect verify` on every bundle.

    .venv/bin/python bench/verify_bundle.py [--counties 100] [--schools 20000] [--group 25]

Builds a province the fast way, through the aggregators' own store and accept path rather
than 20,000 gRPC calls: each county enrols its schools, accepts their signed reports of
catalogue v1 in group commits of ``--group`` (so its log has a checkpoint per group, receipts
and inclusion proofs as in service), makes its rollup; the province accepts each county's
rollup with the school reports it forwards, and makes its own. Then every aggregator exports
its bundle into one folder, and the inspector verifies the whole folder in a fresh process
(the figure), then the province's bundle alone. Both verdicts must pass.

The reports are for 2025-H1, so every aggregator accepts them at ``SUBMITTED_AT``, inside that
period and before its deadline, whatever the day the figures are taken.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from nacl.signing import SigningKey

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # for the tests' report maker

from aggregator.intake.accept import accept  # noqa: E402
from aggregator.intake.opening import Opened  # noqa: E402
from aggregator.keys import identity as config  # noqa: E402
from aggregator.log.export import export_bundle  # noqa: E402
from aggregator.log.transparency import TransparencyLog  # noqa: E402
from aggregator.rollup.build import make_rollup, member_reports  # noqa: E402
from aggregator.store.sqlite import Member, MemberKey, Store  # noqa: E402
from privacy.envelope import parse_signed, sign_report  # noqa: E402
from privacy.keys import key_id  # noqa: E402
from privacy.receipt import report_sha256  # noqa: E402
from protos.aggregator_pb2 import Receipt  # noqa: E402
from protos.deadlines import CHINA  # noqa: E402
from protos.periods import Period  # noqa: E402
from synth.geography import province_counties  # noqa: E402
from tests.federation import make_report  # noqa: E402

PROVINCE = "610000"
PERIOD = Period.parse("2025-H1")
ENROLLED = "2025-01-01T00:00:00+00:00"
SUBMITTED_AT = datetime(2025, 6, 20, 10, tzinfo=CHINA)  # 2025-H1 is open and not yet due


def opened(signed: bytes, forwarded: tuple[Opened, ...] = ()) -> Opened:
    envelope, report = parse_signed(signed)
    return Opened(signed, report, report_sha256(envelope.report), envelope.signer_key, forwarded)


def enrol(store: Store, member_id: str, kind: str, region: str, public: bytes) -> None:
    store.add_member(Member(member_id, kind, region, ENROLLED))
    store.add_key(MemberKey(member_id, key_id(public), public, ENROLLED, None))


def build_county(folder: Path, region: str, first: int, count: int, group: int) -> Path:
    """A county aggregator that accepted ``count`` schools' reports and made its rollup."""
    db = folder / f"county-{region}.db"
    settings = config.init(db, "county", region, PROVINCE)
    store = Store(db)
    try:
        items = []
        with store.transaction():
            for n in range(first, first + count):
                school_id, key = f"2161{n:06d}", SigningKey.generate()
                enrol(store, school_id, "school", region, bytes(key.verify_key))
                report = make_report(school_id, region=region, recipient=region, base=n % 50)
                items.append(opened(sign_report(report.SerializeToString(), key)))
        log = TransparencyLog(settings.origin, settings.signing_key, store)
        for start in range(0, len(items), group):
            outcomes = accept(store, log, settings, items[start : start + group], SUBMITTED_AT)
            if not all(isinstance(o, Receipt) for o in outcomes):
                raise SystemExit(f"county {region} refused a school: {outcomes}")
        make_rollup(store, settings, PERIOD)
    finally:
        store.close()
    return db


def send_up(county_db: Path, province: Store, province_log: TransparencyLog,
            province_settings: config.Settings) -> None:
    """What send_rollup does over gRPC: the province accepts the rollup and its members."""
    store = Store(county_db)
    try:
        settings = config.load(store)
        enrol(province, settings.region, "aggregator", settings.region,
              bytes(settings.signing_key.verify_key))
        rollup = store.latest_rollup(PERIOD.code)
        members = tuple(opened(s) for s in member_reports(store, parse_signed(rollup.signed)[1]))
        [receipt] = accept(province, province_log, province_settings,
                           [opened(rollup.signed, members)], SUBMITTED_AT)
        if not isinstance(receipt, Receipt):
            raise SystemExit(f"the province refused {settings.region}: {receipt}")
        with store.transaction():
            store.set_rollup_receipt(rollup.period, rollup.revision, receipt.SerializeToString())
    finally:
        store.close()


def build(folder: Path, counties: int, schools: int, group: int) -> list[Path]:
    codes = [c.code for c in province_counties(counties)]
    sizes = [schools // counties + (i < schools % counties) for i in range(counties)]
    dbs = []
    first = 0
    for code, size in zip(codes, sizes, strict=True):
        dbs.append(build_county(folder, code, first, size, group))
        first += size
    province_db = folder / "province.db"
    settings = config.init(province_db, "province", PROVINCE, None)
    province = Store(province_db)
    try:
        log = TransparencyLog(settings.origin, settings.signing_key, province)
        for db in dbs:
            send_up(db, province, log, settings)
        make_rollup(province, settings, PERIOD)
    finally:
        province.close()
    return [province_db, *dbs]


def export(dbs: list[Path], out: Path) -> None:
    for db in dbs:
        store = Store(db)
        try:
            settings = config.load(store)
            export_bundle(store, settings, PERIOD, out / settings.region)
        finally:
            store.close()


def inspect(*bundles: Path) -> tuple[float, dict]:
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "guanai", "inspect", "verify", *map(str, bundles),
                             "--format", "json"], cwd=ROOT, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"the verdict failed:\n{result.stdout[:4000]}{result.stderr[-4000:]}")
    return elapsed, json.loads(result.stdout)


def size_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counties", type=int, default=100)
    parser.add_argument("--schools", type=int, default=20_000)
    parser.add_argument("--group", type=int, default=25, help="submissions per group commit")
    args = parser.parse_args()
    print(f"guanai inspect verify: a province of {args.schools:,} schools in {args.counties} "
          f"counties, catalogue v1, {os.cpu_count()} cores, {datetime.now(UTC):%Y-%m-%d}")
    with tempfile.TemporaryDirectory(prefix="guanai-bench-") as tmp:
        folder = Path(tmp)
        start = time.perf_counter()
        dbs = build(folder, args.counties, args.schools, args.group)
        built = time.perf_counter() - start
        start = time.perf_counter()
        export(dbs, folder / "bundles")
        exported = time.perf_counter() - start
        whole, verdict = inspect(folder / "bundles")
        alone, _ = inspect(folder / "bundles" / PROVINCE)
        checked = verdict["checked"]
        print(f"{'build (store and accept path)':<44}{built:>8.1f} s")
        print(f"{'export ' + str(len(dbs)) + ' bundles':<44}{exported:>8.1f} s   "
              f"{size_mb(folder / 'bundles'):.0f} MB on disk")
        print(f"{'verify all bundles (fresh process)':<44}{whole:>8.1f} s   "
              f"{checked['signature']:,} signatures, {checked['inclusion']:,} inclusions, "
              f"{checked['checkpoint']:,} checkpoints, {checked['consistency']:,} consistency, "
              f"{checked['rollup']:,} rollups ({verdict['rollup_cells']:,} cells), "
              f"{checked['receipt']:,} receipts")
        print(f"{'verify the province bundle alone':<44}{alone:>8.1f} s")
        print(f"target: under 30 s for all bundles — {'met' if whole < 30 else 'MISSED'}")


if __name__ == "__main__":
    main()
