"""Benchmark: how long a province's statistics table takes, official form and analysis form.

The official form (aggregator/figures/official.py) is made top down for every region held:
one projection and one rounding for the province with its counties as leaves, then one per
city over its counties. At a province of 15,000 schools and 107 counties that was minutes
with HiGHS's active-set QP solver (issue 14); this prints the seconds it takes now, in
process, for the last period held (all stages: the table is made whole, a stage only
filters its rows), and the analysis form alone (a read, what ``/table?form=analysis`` does).
The making is what the server does once per change of a period's figures
(aggregator/figures/kept.py); pages read the kept tables (bench/bureau_web.py).

The store is the one bench/bureau_web.py builds (read here, never written):

    .venv/bin/python bench/official_speed.py [--db bench-out/bureau-web/15000x107x10/province.db]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from aggregator.figures.holdings import Holdings  # noqa: E402
from aggregator.figures.statistics import official_of, region_figures  # noqa: E402
from aggregator.keys.own_identity import load as own_settings  # noqa: E402
from aggregator.store.sqlite import Store  # noqa: E402
from protos.periods import Period  # noqa: E402

DEFAULT = ROOT / "bench-out" / "bureau-web" / "15000x107x10" / "province.db"


def _timed(work):  # noqa: ANN001, ANN202
    wall, cpu = time.perf_counter(), time.process_time()
    result = work()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=DEFAULT)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if not args.db.exists():
        print(f"official_speed: no store at {args.db}; build it with bench/bureau_web.py")
        return
    store = Store(args.db)
    settings = own_settings(store)
    period = Period.parse(max(store.figure_periods()))
    print(f"official_speed: {args.db.parent.name}, {settings.region}, {period.code}")
    print(f"{'form':<28} {'wall s':>8} {'CPU s':>8}")
    for _ in range(args.rounds):
        (_, tables), wall, cpu = _timed(lambda: official_of(Holdings(store, settings, period)))
        print(f"{'official (all regions)':<28} {wall:>8.2f} {cpu:>8.2f}")
    for _ in range(args.rounds):
        _, wall, cpu = _timed(lambda: region_figures(Holdings(store, settings, period),
                                                     settings.region))
        print(f"{'analysis (estimates only)':<28} {wall:>8.3f} {cpu:>8.3f}")
    top = tables[settings.region]
    negative = sum(v < 0 for v in top.values.values())
    print(f"province cells {len(top.values)}, negative official cells {negative}")


if __name__ == "__main__":
    main()
