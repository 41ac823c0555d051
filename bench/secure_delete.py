"""What SQLite's secure_delete costs the aggregator's intake (aggregator/store/connection.py).

    .venv/bin/python bench/secure_delete.py [--count 3000] [--batch 250] [--rounds 3]

The aggregator's store is opened with ``PRAGMA secure_delete = ON`` so that an account's old
sealed credential leaves no copy (docs/bureau-web.md). Intake mostly appends, but a receipt is
written into its submission's row after the log is signed (a row that grows, its old cell
freed), so the pragma touches every submission. Here the same opened submissions (catalogue
v1, one per enrolled school, as bench/submit_throughput.py makes them) are accepted in
process, in batches as ``SubmitBatch`` takes them (aggregator/intake/accept.py ``accept``, with
its transaction, log, checkpoint and receipts), into a fresh store each round, alternately
with the pragma as the store sets it (ON) and turned OFF on the same connection; only
``accept`` is measured: submissions per second (wall clock, which a loaded machine blurs), CPU
µs and bytes written per submission (which it does not), the median of the rounds of each.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

sys.path.insert(0, str(Path(__file__).resolve().parent))
from submit_throughput import SUBMITTED_AT, prepare  # noqa: E402

from aggregator.intake.accept import accept  # noqa: E402
from aggregator.intake.opening import open_submission  # noqa: E402
from aggregator.keys import own_identity  # noqa: E402
from aggregator.log.transparency import TransparencyLog  # noqa: E402
from aggregator.store.sqlite import Store  # noqa: E402
from common.clock import SimulatedClock  # noqa: E402
from protos.aggregator_pb2 import Submission  # noqa: E402


class Run(NamedTuple):
    """One round: submissions accepted per second (wall clock), CPU µs and bytes handed to
    write(2) (/proc/self/io ``wchar``: the store's file and WAL) per submission."""

    rate: float
    cpu_us: float
    written: float


def _written() -> int:
    """Bytes this process has handed to write(2) so far (Linux /proc/self/io)."""
    for line in Path("/proc/self/io").read_text().splitlines():
        if line.startswith("wchar:"):
            return int(line.split()[1])
    raise SystemExit("no wchar in /proc/self/io")


def accepted(db: Path, sealed: list[bytes], batch: int, secure: bool) -> Run:
    store = Store(db)
    try:
        if not secure:
            store.db.conn.execute("PRAGMA secure_delete=OFF")
        settings = own_identity.load(store)
        log = TransparencyLog(settings.origin, settings.signing_key, store,
                              SimulatedClock(SUBMITTED_AT))
        opened = [open_submission(Submission(sealed=s), settings.sealing_key, settings.region,
                                  SUBMITTED_AT.date()) for s in sealed]
        written, cpu, start = _written(), time.process_time(), time.perf_counter()
        for i in range(0, len(opened), batch):
            outcomes = accept(store, log, settings, opened[i : i + batch], SUBMITTED_AT)
            if any(not hasattr(o, "body") for o in outcomes):
                raise SystemExit(f"refused: {[o for o in outcomes if not hasattr(o, 'body')][0]}")
        wall, cpu = time.perf_counter() - start, time.process_time() - cpu
        return Run(len(opened) / wall, cpu / len(opened) * 1e6,
                   (_written() - written) / len(opened))
    finally:
        store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=3_000)
    parser.add_argument("--batch", type=int, default=250)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    runs: dict[bool, list[Run]] = {True: [], False: []}
    for _ in range(args.rounds):
        for secure in (True, False):
            with tempfile.TemporaryDirectory(prefix="guanai-bench-") as folder:
                db, sealed = prepare(Path(folder), args.count)
                runs[secure].append(accepted(db, sealed, args.batch, secure))
    print(f"guanai secure_delete at intake: {args.count} submissions of catalogue v1 in "
          f"batches of {args.batch}, {args.rounds} rounds, {os.cpu_count()} cores, "
          f"load {os.getloadavg()[0]:.1f}; medians")
    print(f"{'':<32}{'accepted /s':>12}{'CPU µs each':>13}{'bytes written each':>20}")
    median = {secure: Run(*(statistics.median(getattr(r, f) for r in rounds)
                            for f in Run._fields)) for secure, rounds in runs.items()}
    for secure, m in median.items():
        label = "secure_delete ON (the store's)" if secure else "secure_delete OFF"
        print(f"{label:<32}{m.rate:>12,.0f}{m.cpu_us:>13,.0f}{m.written:>20,.0f}")
    on, off = median[True], median[False]
    print(f"{'ON / OFF':<32}{on.rate / off.rate:>12.2f}{on.cpu_us / off.cpu_us:>13.2f}"
          f"{on.written / off.written:>20.2f}")

if __name__ == "__main__":
    main()
