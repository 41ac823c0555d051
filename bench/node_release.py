"""Benchmark: a school node's import, table computation and release (issue 2).

For a 3,000-student school and a 50,000-student university: wall time and peak memory (the
peak resident set of a fresh process doing only that step, imports included) of importing the
synthetic files, computing the true table, and releasing it. Prints a table; writes nothing
but a temporary folder.

    .venv/bin/python bench/node_release.py
"""

from __future__ import annotations

import multiprocessing
import resource
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SCHOOLS = [("3,000-student senior school", "3461010001", 3000),
           ("50,000-student university", "4161010001", 50000)]
PERIOD = "2025-H1"
TODAY = date(2025, 6, 30)


def _baseline(_folder: str) -> None:
    import node.importer  # noqa: F401
    import node.release  # noqa: F401 — the imports every step pays for


def _import(folder: str) -> None:
    from node.importer import import_file
    from node.store import open_store
    from synth.files import IMPORT_ORDER

    db = open_store(Path(folder) / "node.db")
    for kind in IMPORT_ORDER:
        import_file(db, kind, Path(folder) / "files" / f"{kind}.csv", today=TODAY)


def _table(folder: str) -> None:
    from node.release import true_table
    from node.store import open_store
    from protos.catalogue import load
    from protos.periods import Period

    true_table(open_store(Path(folder) / "node.db"), Period.parse(PERIOD), load(), TODAY)


def _release(folder: str) -> None:
    from node.release import release_period
    from node.store import open_store
    from protos.periods import Period

    release_period(open_store(Path(folder) / "node.db"), Period.parse(PERIOD), "610000",
                   today=TODAY)


def _measured(step, folder: str, queue) -> None:  # noqa: ANN001
    start = time.perf_counter()
    step(folder)
    queue.put((time.perf_counter() - start, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))


def run(step, folder: str) -> tuple[float, float]:  # noqa: ANN001
    """Seconds and peak MB of ``step`` in a fresh interpreter.

    ru_maxrss survives fork and exec, so the parent must stay small for this to be the
    step's own peak.
    """
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=_measured, args=(step, folder, queue))
    process.start()
    seconds, peak_kb = queue.get()
    process.join()
    if process.exitcode:
        raise SystemExit(f"{step.__name__} failed")
    return seconds, peak_kb / 1024


def _prepare(folder: str) -> None:
    school_id, students = Path(folder, "which").read_text().split()
    prepare(Path(folder), school_id, int(students))


def prepare(folder: Path, school_id: str, students: int) -> None:
    from node.store import open_store, set_meta
    from protos.periods import Period
    from synth.files import write_school
    from synth.geography import county
    from synth.idcard import IdCardIssuer
    from synth.school import generate, make_spec

    spec = make_spec(school_id, county("610102"), Period.parse(PERIOD), seed=7,
                     students=students)
    write_school(generate(spec, IdCardIssuer()), folder / "files")
    db = open_store(folder / "node.db", create=True)
    set_meta(db, "school_id", school_id)
    set_meta(db, "region_code", "610102")


def main() -> None:
    print(f"{'school':<30} {'step':<10} {'seconds':>8} {'peak MB':>8}")
    for label, school_id, students in SCHOOLS:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            (folder / "which").write_text(f"{school_id} {students}")
            run(_prepare, tmp)  # in a child, so this process's peak stays small
            for name, step in [("start-up", _baseline), ("import", _import),
                               ("table", _table), ("release", _release)]:
                seconds, peak = run(step, str(folder))
                print(f"{label:<30} {name:<10} {seconds:>8.2f} {peak:>8.0f}", flush=True)


if __name__ == "__main__":
    main()
