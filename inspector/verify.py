"""``guanai inspect verify``: everything in the bundles given, checked offline (docs/inspection.md).

The inspector trusts no aggregator: it uses only ``privacy/`` (signatures, Merkle proofs,
checkpoints, receipts) and ``protos/`` (the messages and the catalogue), never ``aggregator/``
— a test holds it to that. Several bundles are one inspection: a county's and the province's
together prove the chain school → county → province, and all bundles of one aggregator must
show one log.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

from common.progress import track
from inspector.accounted import check_accounted
from inspector.bundle import Bundle, HeldReceipt, find_bundles, read_bundle, read_receipts
from inspector.enrolled_once import check_enrolled_once
from inspector.held import check_receipts
from inspector.keys import Keys, Trusted, read_trusted
from inspector.logcheck import LogView, check_log, check_same_log
from inspector.registered import check_registered, read_register_file
from inspector.reports import PeriodLog, Reports
from inspector.verdict import BundleSummary, Verdict
from protos.regions import name


def verify(bundles: Iterable[Path], receipts: Iterable[Path] = (),
           keys: Iterable[Path] = (), register: Path | None = None) -> Verdict:
    """Read the bundles (or folders of bundles), receipt folders, trusted key files and the
    register of schools, if given; check."""
    schools = read_register_file(register) if register is not None else None
    found = find_bundles(bundles)
    read = [read_bundle(path) for path in track(found, "读取核验包 reading bundles")]
    held = [r for folder in receipts for r in read_receipts(folder)]
    return inspect_bundles(read, held, read_trusted(keys), schools)


def inspect_bundles(bundles: list[Bundle], receipts: list[HeldReceipt], trusted: Trusted,
                    register: dict[str, str] | None = None) -> Verdict:
    verdict = Verdict(bundles=[_summary(b) for b in bundles])
    keys = Keys(bundles, trusted, verdict)
    views: dict[str, list[LogView]] = defaultdict(list)
    for bundle in track(bundles, "核验日志 checking logs"):
        keys.check_aggregator(bundle)
        views[bundle.id].append(check_log(verdict, bundle, keys.aggregator_key(bundle.id)))
    for same in views.values():
        check_same_log(verdict, same)

    reports = Reports(verdict, keys)
    periods: dict[tuple[str, str], PeriodLog] = {}
    every_view = [v for same in views.values() for v in same]
    for view in track(every_view, "核验报送 checking signed reports"):
        held = reports.check_leaves(view)
        reports.check_forwarded(held)
        key = (view.bundle.id, view.bundle.period)
        if key not in periods or view.bundle.tree_size > periods[key].view.bundle.tree_size:
            periods[key] = held
    for held in track(list(periods.values()), "核算汇总 recomputing rollups"):
        reports.check_rollups(held, periods)

    longest = {agg: max(same, key=lambda v: (v.tree is not None, v.bundle.tree_size))
               for agg, same in views.items()}
    valid = check_receipts(verdict, [*receipts, *(r for b in bundles for r in b.receipts)], keys,
                           longest, periods)
    check_accounted(verdict, reports.summed.values(), periods, valid)
    check_enrolled_once(verdict, reports.summed.values(), bundles)
    if register is not None:
        check_registered(verdict, reports.summed.values(), bundles, register)
    return verdict


def _summary(bundle: Bundle) -> BundleSummary:
    return BundleSummary(
        aggregator=bundle.id, name=name(bundle.id), level=bundle.aggregator.level or "",
        period=bundle.period, tree_size=bundle.tree_size, checkpoints=len(bundle.checkpoints),
        submissions=len(bundle.submissions), forwarded=len(bundle.forwarded),
        rollups=len(bundle.rollups), path=str(bundle.path),
    )
