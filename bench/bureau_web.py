"""Benchmark: the bureau's web pages at the province (issue 14), server in its own process.

    .venv/bin/python bench/bureau_web.py [--counties 107] [--schools 15000] [--periods 10]
                                         [--calls 40] [--fresh]

A synthetic province of 15,000 schools in 107 counties with ten half-years (2021-H1 …
2025-H2), built once by bench/figures_store.py's builder (the aggregators' own store and accept
path) into bench-out/bureau-web/ (git-ignored) and reused; ``--fresh`` builds it again. Every
period's warnings are judged once with `guanai aggregator warnings evaluate`, so the map has
something to colour, and a provincial viewer account is made with `guanai aggregator account
add`. The last period's official tables are made and kept once, as the serving aggregator does
when figures change (timed, with the size they take). Then `guanai aggregator web` serves the
province in its own process; the benchmark signs
in as that viewer over HTTP and fetches each page ``--calls`` times after a warm-up, on one
kept-alive connection: completeness of the province, the whole attachment-1 table (official
and analysis forms) and the warnings map, for the last period. It prints median and p95 wall
time, the server's CPU per page (from /proc: on a shared machine the wall time also counts
waiting for a core) and the server's resident memory. Target: p95 < 300 ms for each page.
"""

from __future__ import annotations

import argparse
import http.client
import re
import subprocess
import sys
import time
import urllib.parse
from http.cookies import SimpleCookie
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))

from figures_store import (  # noqa: E402
    PROVINCE,
    cpu_ms,
    keep,
    prepared,
    province_options,
    rss_mb,
)
from node_web import quantiles, timed  # noqa: E402

from tests.federation import free_port  # noqa: E402

OUT = ROOT / "bench-out" / "bureau-web"
VIEWER = "省厅查看员"
PASSWORD = "bench-viewer-password"  # a throw-away account of a synthetic province
JUDGED_ON = "2026-06-30"  # every period's deadline has passed: the missing are counted
TARGET_MS = 300
SLOW_S = 3.0  # a page whose first fetch takes longer is not fetched again
GIVE_UP_S = 120  # nor waited for beyond this (the server goes on computing it)


def guanai(db: Path, *args: str) -> str:
    """Run `guanai aggregator --db DB …` as staff would; its output."""
    done = subprocess.run([sys.executable, "-m", "guanai", "aggregator", "--db", str(db), *args],
                          cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"guanai aggregator {' '.join(args)}: {done.stderr or done.stdout}")
    return done.stdout


def prepare(db: Path) -> None:
    """Judge each period's warnings (oldest first, so history carries over) and make the
    viewer account, unless done before on this store."""
    from aggregator.store.sqlite import Store

    store = Store(db)
    try:
        judged = set(store.warning_runs())
        held = store.figure_periods()
        have_viewer = any(a.name == VIEWER for a in store.accounts())
    finally:
        store.close()
    for period in held:
        if period not in judged:
            guanai(db, "warnings", "evaluate", "--period", period, "--today", JUDGED_ON)
    if not have_viewer:
        secret = db.parent / "viewer.password"
        secret.write_text(PASSWORD + "\n", encoding="utf-8")
        guanai(db, "account", "add", "--name", VIEWER, "--role", "viewer",
               "--password-file", str(secret))


def connect(port: int) -> http.client.HTTPConnection:
    return http.client.HTTPConnection("127.0.0.1", port, timeout=GIVE_UP_S)


def serve(db: Path) -> tuple[subprocess.Popen, int]:
    """`guanai aggregator web` on a free loopback port, once it answers; the port."""
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "guanai", "aggregator", "--db", str(db),
                                "web", "--listen", f"127.0.0.1:{port}"], cwd=ROOT,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while True:
        try:
            connection = connect(port)
            connection.request("GET", "/login")
            connection.getresponse().read()
            connection.close()
            return process, port
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("guanai aggregator web did not start") from None
            time.sleep(0.2)


def sign_in(connection: http.client.HTTPConnection) -> dict[str, str]:
    """Sign in as the viewer through the form (its CSRF fields included); the Cookie header."""
    cookies = SimpleCookie()

    def send(method: str, body: str | None = None) -> http.client.HTTPResponse:
        headers = {"Cookie": "; ".join(f"{k}={m.value}" for k, m in cookies.items())}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, "/login", body=body, headers=headers)
        response = connection.getresponse()
        for header in response.headers.get_all("Set-Cookie") or []:
            cookies.load(header)
        return response

    page = send("GET").read().decode()
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', page))
    fields.update(name=VIEWER, password=PASSWORD)
    response = send("POST", urllib.parse.urlencode(fields))
    response.read()
    if response.status != 302:
        raise SystemExit(f"sign-in refused: HTTP {response.status}")
    return {"Cookie": "; ".join(f"{k}={m.value}" for k, m in cookies.items())}


def status_of(connection: http.client.HTTPConnection, path: str,
              headers: dict[str, str]) -> tuple[int, int]:
    """HTTP status and body size of one fetch."""
    connection.request("GET", path, headers=headers)
    response = connection.getresponse()
    return response.status, len(response.read())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    province_options(parser, counties=107, schools=15_000)
    args = parser.parse_args()
    asked, folder = prepared(args, OUT, "bureau web pages")
    db = folder / "province.db"
    prepare(db)
    last = asked[-1].code
    keep(db, last)
    pages = [
        ("completeness, province", f"/completeness?period={last}&region={PROVINCE}"),
        ("attachment-1 table, official form",
         f"/table?period={last}&region={PROVINCE}&form=official"),
        ("attachment-1 table, analysis form",
         f"/table?period={last}&region={PROVINCE}&form=analysis"),
        ("warnings map", f"/warnings/map?period={last}"),
    ]
    process, port = serve(db)
    connection = connect(port)
    try:
        headers = sign_in(connection)
        print(f"{'page (' + str(args.calls) + ' fetches each, ms)':<46}{'median':>8}{'p95':>8}"
              f"{'server CPU':>12}{'KB':>7}")
        for label, path in pages:
            start = time.perf_counter()
            try:  # warm-up: templates compiled
                status, size = status_of(connection, path, headers)
            except TimeoutError:
                print(f"{label:<46}  no page after {GIVE_UP_S} s   MISSED", flush=True)
                connection.close()
                connection = connect(port)
                continue
            first = time.perf_counter() - start
            if status != 200:
                print(f"{label:<46}  not served: HTTP {status}")
                continue
            if first > SLOW_S:
                print(f"{label:<46}  one fetch took {first:.1f} s, not repeated   MISSED",
                      flush=True)
                continue
            used = cpu_ms(process.pid)
            median, p95 = quantiles([timed(connection, path, headers) for _ in range(args.calls)])
            used = (cpu_ms(process.pid) - used) / args.calls
            verdict = "met" if p95 < TARGET_MS else "MISSED"
            print(f"{label:<46}{median:>8.0f}{p95:>8.0f}{used:>10.0f} ms{size / 1024:>7.0f}"
                  f"   target p95 < {TARGET_MS} ms {verdict}", flush=True)
        now, peak = rss_mb(process.pid)
        print(f"{'server memory':<46}{now:>8.0f} MB now {peak:>6.0f} MB peak")
    finally:
        connection.close()
        process.terminate()
        process.wait(timeout=60)


if __name__ == "__main__":
    main()
