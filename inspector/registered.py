"""Every school enrolled is one the register of schools places there (``--register FILE``).

A county can sign an enrolment of a school it made up, with a key it made; nothing in the
bundles tells such a school from a real one. The register of schools the province holds
(protos/school_register.py) does: the inspector fails each school that a rollup's signed
enrolment or a bundle's ``keys.json`` enrols where the register does not list it — the same
rule the aggregators apply when they hold the register (aggregator/intake/enrolled_below.py).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

from inspector.bundle import Bundle, BundleError
from inspector.verdict import Verdict
from protos.report_pb2 import Report
from protos.school_register import read_register, unregistered


def read_register_file(path: Path) -> dict[str, str]:
    """The register's counties by school code; ``BundleError`` for an unreadable file and
    ``RegisterError`` for one that is not a register."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise BundleError(f"学校名录文件错误 cannot read {path}: {exc}") from exc
    return {s.school_id: s.region for s in read_register(data)}


def check_registered(verdict: Verdict, rollups: Iterable[tuple[str, Report]],
                     bundles: list[Bundle], register: dict[str, str]) -> None:
    """Fail each school enrolled where the register does not list it, naming where it is."""
    claims: dict[tuple[str, str], set[str]] = defaultdict(set)  # (school, region) → where
    for _, rollup in rollups:
        if rollup.kind == Report.ROLLUP:
            for entry in rollup.enrolled:
                claims[entry.member_id, entry.region].add(
                    f"{rollup.sender_id} 第{rollup.revision}版汇总 rollup r{rollup.revision} "
                    f"({rollup.period})")
    for bundle in bundles:
        for key in bundle.keys:
            if key.kind == "school":
                claims[key.member_id, key.region].add(f"{bundle.id} keys.json")
    for (member, region), where in sorted(claims.items()):
        problem = unregistered(member, region, register.get(member))
        if problem is None:
            verdict.pass_("membership")
            continue
        said = "; ".join(sorted(where))
        verdict.fail("membership", f"成员 member {member}", f"{problem[0]}（{said}）",
                     f"{problem[1]} ({said})")
