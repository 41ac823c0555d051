"""One school, one place, across the bundles: no member enrolled by two aggregators.

The province refuses a county's rollup that claims a school another county, or the province
itself, enrolled (aggregator/intake/enrolled_below.py). The inspector checks the same from
what the bundles show: the enrolment each aggregator's latest rollup of a period carries,
signed with it, and the members each bundle's ``keys.json`` lists. A member that two
aggregators both say they enrolled is counted by both, or summed by one that may not.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from inspector.bundle import Bundle
from inspector.logcheck import log_name
from inspector.verdict import Verdict
from protos.report_pb2 import Report


def check_enrolled_once(verdict: Verdict, rollups: Iterable[tuple[str, Report]],
                        bundles: list[Bundle]) -> None:
    """Fail each member that two aggregators enrol, in a period's newest rollups or bundles."""
    rollups = [r for _, r in rollups if r.kind == Report.ROLLUP]
    newest: dict[tuple[str, str], int] = {}
    for rollup in rollups:
        key = (rollup.sender_id, rollup.period)
        newest[key] = max(newest.get(key, 0), rollup.revision)
    by: dict[str, dict[str, str]] = defaultdict(dict)  # member → aggregator → where it says so
    for rollup in rollups:  # two levels may hold different bytes as the newest: each counts
        sender, period = rollup.sender_id, rollup.period
        if rollup.revision != newest[sender, period]:
            continue
        for entry in rollup.enrolled:
            by[entry.member_id].setdefault(
                sender, f"{sender} 第{rollup.revision}版汇总 rollup r{rollup.revision} ({period})")
    for bundle in bundles:
        for key in bundle.keys:
            by[key.member_id].setdefault(bundle.id, f"{bundle.id} keys.json")
    for member, where in sorted(by.items()):
        if len(where) < 2:
            continue
        said = "; ".join(where[a] for a in sorted(where))
        verdict.fail("membership", f"成员 member {member}",
                     f"同时由 {'、'.join(log_name(a) for a in sorted(where))} 登记（{said}）："
                     "一个成员只能在一处登记",
                     f"is enrolled by {', '.join(sorted(where))} at once ({said}): a member is "
                     "enrolled in one place only")
