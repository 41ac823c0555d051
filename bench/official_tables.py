"""Benchmark: how far the official tables lie from the truth, beside the raw estimates.

Provinces of 3 cities × 4 counties × 6 schools (and one school reporting to the province) are
drawn from the true tables of a synthetic province's schools (read by real nodes); each
school's table is released with OpenDP's discrete Gaussian at the default budget, summed up
the tree, and made official top down (aggregator/figures/official.py). Printed: the mean
absolute error per cell of the raw estimates and of the official figures, for province, city
and county cells, and the seconds one province's official tables take (docs/benchmarks.md).

    .venv/bin/python bench/official_tables.py [--rounds 40]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from random import Random

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from aggregator.figures.official import official_tables  # noqa: E402
from protos.catalogue import load  # noqa: E402
from protos.regions import PROVINCE  # noqa: E402
from tests.province_truth import release, schools  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=40)
    args = parser.parse_args()
    catalogue = load()
    ids = catalogue.ids()
    rng = Random(2026)
    with tempfile.TemporaryDirectory() as tmp:
        pool = schools(Path(tmp), 8, 3, 21)
    money = np.array([catalogue.cell(c).unit == "yuan" for c in ids])
    errors: dict[tuple[str, bool], tuple[list, list]] = {}
    negative: dict[str, list] = {}
    seconds = []
    for _ in range(args.rounds):
        province = release(pool, 3, 4, 6, rng)
        started = time.perf_counter()
        official = official_tables(catalogue, province.figures, province.parts, PROVINCE)
        seconds.append(time.perf_counter() - started)
        for region, table in official.items():
            level = province.figures[region].level
            truth = np.array([province.truth[region][c] for c in ids], float)
            raw = np.array([province.figures[region].values[c] for c in ids])
            kept = np.array([table.values[c] for c in ids], float)
            free = np.array([province.figures[region].variances[c] > 0 for c in ids])
            for in_yuan in (False, True):
                pick = free & (money == in_yuan)
                pair = errors.setdefault((level, in_yuan), ([], []))
                pair[0].append(np.abs(raw - truth)[pick])
                pair[1].append(np.abs(kept - truth)[pick])
            negative.setdefault(level, []).append(int((raw < 0).sum()))
    print(f"{args.rounds} provinces; mean absolute error per noisy cell (cells with noise only)")
    print("| level | cells | raw estimates | official table | negative raw cells per table |")
    print("|---|---|---|---|---|")
    for level in ("province", "city", "county", "school"):
        for in_yuan in (False, True):
            if (level, in_yuan) in errors:
                raw, kept = (float(np.mean(np.concatenate(e))) for e in errors[(level, in_yuan)])
                print(f"| {level} | {'yuan' if in_yuan else 'students, events'} | {raw:.2f} | "
                      f"{kept:.2f} | {np.mean(negative[level]):.1f} |")
    print(f"seconds per province (1 + 3 + 12 + 1 tables): median {np.median(seconds):.2f}, "
          f"max {max(seconds):.2f}")


if __name__ == "__main__":
    main()
