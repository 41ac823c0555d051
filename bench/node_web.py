"""Benchmark: the school's web pages (issue 13).

A 3,000-student school (synthetic, every import file, period 2025-H1, its table released and
in the outbox): every page fetched over loopback from the real server (cheroot), 30 times
each; p50 and p95 per page, warm (the period's true table remembered since the last change)
and, for the pages that need the table, cold (just after another connection wrote to the
store, as a CLI import or the daemon would). Target: p95 < 200 ms for every page.

A 50,000-student university: the release preview, cold, 5 times. Target: under 2 s.

    .venv/bin/python bench/node_web.py
"""

from __future__ import annotations

import http.client
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PERIOD = "2025-H1"
TODAY = date(2025, 6, 30)
NOW = datetime(2025, 6, 30, 2, 0, tzinfo=UTC)  # 10:00 Beijing, before the deadline


class FixedClock:
    def now(self) -> datetime:
        return NOW

    def sleep(self, seconds, stop=None) -> None:  # noqa: ANN001
        pass


def prepare(folder: Path, school_id: str, students: int) -> Path:
    """A school's store with every file imported and the period released and queued."""
    from node.importer import import_file
    from node.membership import init_school
    from node.release import release_period
    from node.store import open_store
    from protos.periods import Period
    from synth.files import IMPORT_ORDER, write_school
    from synth.geography import county
    from synth.idcard import IdCardIssuer
    from synth.school import generate, make_spec

    spec = make_spec(school_id, county("610102"), Period.parse(PERIOD), seed=7,
                     students=students)
    write_school(generate(spec, IdCardIssuer()), folder / "files")
    db = folder / "node.db"
    init_school(db, school_id, "610102", "基准学校")
    store = open_store(db)
    for kind in IMPORT_ORDER:
        import_file(store, kind, folder / "files" / f"{kind}.csv", today=TODAY)
    release_period(store, Period.parse(PERIOD), "610102", today=TODAY)
    return db


def serve(db: Path):  # noqa: ANN201
    from common.web.server import start
    from node.config import NodeConfig
    from node.web.app import create_app
    from node.web.site import Site

    return start(create_app(Site(db, FixedClock(), NodeConfig())))


def timed(connection: http.client.HTTPConnection, path: str,
          headers: dict[str, str] | None = None) -> float:
    """Seconds to GET ``path`` and read the whole page; SystemExit unless HTTP 200."""
    start = time.perf_counter()
    connection.request("GET", path, headers=headers or {})
    response = connection.getresponse()
    response.read()
    elapsed = time.perf_counter() - start
    if response.status != 200:
        raise SystemExit(f"{path}: HTTP {response.status}")
    return elapsed


def touch(db: Path) -> None:
    """A write by another connection: the server's remembered tables are stale after it."""
    from node.store import open_store, set_meta

    store = open_store(db)
    set_meta(store, "bench_touch", str(time.perf_counter()))
    store.conn.close()


def quantiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return statistics.median(ordered) * 1000, p95 * 1000


def school_pages(db: Path, student_no: str) -> list[str]:
    return ["/", "/students", "/students?which=difficulty", "/students?q=20", "/cases",
            f"/students/{student_no}", "/care", "/care?form=aid", "/import", "/templates",
            "/templates/roster.xlsx", f"/release?period={PERIOD}",
            f"/release/{PERIOD}/confirm?correction=1", f"/release/{PERIOD}/privacy",
            "/receipts", "/summary", "/parent"]


def main() -> None:
    from node.store import open_store

    with tempfile.TemporaryDirectory() as tmp:
        db = prepare(Path(tmp), "3461010001", 3000)
        store = open_store(db)
        student_no = store.execute(
            "SELECT s.student_no FROM students s JOIN cases c ON c.student_id = s.id "
            "LIMIT 1").fetchone()[0]
        students = store.execute("SELECT count(*) FROM students").fetchone()[0]
        running = serve(db)
        host, port = running.server.bind_addr[:2]
        connection = http.client.HTTPConnection(host, port, timeout=60)
        print(f"3,000-student school ({students} students), 30 fetches per page, ms")
        print(f"{'page':<36}{'p50':>8}{'p95':>8}")
        worst = 0.0
        for path in school_pages(db, student_no):
            timed(connection, path)  # first fetch: templates compiled, table remembered
            p50, p95 = quantiles([timed(connection, path) for _ in range(30)])
            worst = max(worst, p95)
            print(f"{path[:35]:<36}{p50:>8.0f}{p95:>8.0f}", flush=True)
        print(f"worst p95 {worst:.0f} ms (target < 200)")
        for path in ("/", f"/release?period={PERIOD}"):
            samples = []
            for _ in range(10):
                touch(db)
                samples.append(timed(connection, path))
            p50, p95 = quantiles(samples)
            print(f"cold {path[:31]:<31}{p50:>8.0f}{p95:>8.0f}  (after another connection wrote)")
        connection.close()
        running.stop()

    with tempfile.TemporaryDirectory() as tmp:
        db = prepare(Path(tmp), "4161010001", 50000)
        running = serve(db)
        host, port = running.server.bind_addr[:2]
        connection = http.client.HTTPConnection(host, port, timeout=120)
        timed(connection, "/templates")  # templates compiled
        samples = []
        for _ in range(5):
            touch(db)
            samples.append(timed(connection, f"/release?period={PERIOD}"))
        p50, p95 = quantiles(samples)
        print(f"50,000-student university: release preview, cold, 5 runs: p50 {p50 / 1000:.2f} s, "
              f"max {max(samples):.2f} s (target < 2 s)")
        samples = [timed(connection, f"/release?period={PERIOD}") for _ in range(5)]
        print(f"  warm: max {max(samples):.2f} s")
        connection.close()
        running.stop()


if __name__ == "__main__":
    main()
