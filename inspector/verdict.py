"""The inspector's verdict (核验结论): what was checked, what failed, and what could not be checked.

A failure (问题) is proof of something wrong — a changed report, a dropped submission, a
rewritten log, a rollup that does not sum, a key that should not sign — and names the
aggregator, leaf, school, cell or checkpoint at fault. A note (说明) is something the bundles
given cannot settle, with what to add to settle it. Any failure fails the verdict; notes do not.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass, field

FAIL = "fail"
NOTE = "note"

# What each check proves, as the verdict names it.
CHECKS = {
    "bundle": ("核验包", "bundle"),
    "key": ("登记密钥", "enrolled keys"),
    "signature": ("签名", "signatures"),
    "checkpoint": ("检查点签名", "checkpoint signatures"),
    "consistency": ("日志一致性", "log consistency"),
    "log": ("日志条目", "log entries"),
    "inclusion": ("包含证明", "inclusion proofs"),
    "rollup": ("汇总核算", "rollups recomputed"),
    "membership": ("汇总成员", "rollup membership"),
    "accounted": ("一个都不少", "members accounted"),
    "signoff": ("审核签字", "sign-offs"),
    "receipt": ("回执", "receipts"),
    "secure_aggregation": ("安全汇总", "secure aggregation: shares, partials, noise"),
}
MAX_SHOWN = 50


@dataclass(frozen=True)
class Finding:
    severity: str  # fail | note
    check: str  # a key of CHECKS
    subject: str  # who or what is at fault: aggregator, leaf, school, cell, checkpoint
    zh: str
    en: str


@dataclass(frozen=True)
class BundleSummary:
    aggregator: str
    name: str
    level: str
    period: str
    tree_size: int
    checkpoints: int
    submissions: int
    forwarded: int
    rollups: int
    path: str


@dataclass
class Verdict:
    bundles: list[BundleSummary] = field(default_factory=list)
    passed: Counter = field(default_factory=Counter)  # check → how many items passed it
    findings: list[Finding] = field(default_factory=list)
    cells: int = 0  # rollup cells recomputed, values and variances

    @property
    def ok(self) -> bool:
        return not self.failures

    @property
    def failures(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == FAIL]

    @property
    def notes(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == NOTE]

    def fail(self, check: str, subject: str, zh: str, en: str) -> None:
        self.findings.append(Finding(FAIL, check, subject, zh, en))

    def note(self, check: str, subject: str, zh: str, en: str) -> None:
        self.findings.append(Finding(NOTE, check, subject, zh, en))

    def pass_(self, check: str, count: int = 1) -> None:
        self.passed[check] += count


def render_text(verdict: Verdict) -> str:
    """The verdict for a person: what was inspected, what passed, every failure and note."""
    lines = ["督查核验 Inspection", ""]
    for b in verdict.bundles:
        lines.append(
            f"核验包 bundle {b.path}: {b.name} {b.aggregator} ({b.level}) · {b.period} · "
            f"日志 log of {b.tree_size} leaves · {b.checkpoints} 检查点 checkpoints · "
            f"{b.submissions} 报送 submissions · {b.forwarded} 转报 forwarded · "
            f"{b.rollups} 汇总 rollups")
    lines += ["", "已核验 Checked:"]
    for check, (zh, en) in CHECKS.items():
        if verdict.passed[check]:
            extra = (f" ({verdict.cells} 单元格 cells, 含方差 variances too)"
                     if check == "rollup" else "")
            lines.append(f"  ✓ {zh} {en}: {verdict.passed[check]}{extra}")
    for title, found in (("问题 Problems", verdict.failures), ("说明 Notes", verdict.notes)):
        if not found:
            continue
        lines += ["", f"{title} ({len(found)}):"]
        mark = "✗" if title.startswith("问题") else "·"
        for f in found[:MAX_SHOWN]:
            zh, en = CHECKS[f.check]
            lines.append(f"  {mark} [{zh} {en}] {f.subject}")
            lines.append(f"      {f.zh}")
            lines.append(f"      {f.en}")
        if len(found) > MAX_SHOWN:
            lines.append(f"  … 另有 {len(found) - MAX_SHOWN} 项 and {len(found) - MAX_SHOWN} more "
                         "(--format json lists all)")
    lines.append("")
    if verdict.ok:
        lines.append("结论 Verdict: 通过 PASSED — 所核验的一切均与签名、日志和汇总相符; "
                     "everything checked matches its signatures, logs and sums")
    else:
        lines.append(f"结论 Verdict: 未通过 FAILED — {len(verdict.failures)} 个问题 problems")
    return "\n".join(lines) + "\n"


def to_json(verdict: Verdict) -> str:
    """The verdict for machines."""
    return json.dumps({
        "verdict": "pass" if verdict.ok else "fail",
        "bundles": [asdict(b) for b in verdict.bundles],
        "checked": {check: verdict.passed[check] for check in CHECKS if verdict.passed[check]},
        "rollup_cells": verdict.cells,
        "failures": [asdict(f) for f in verdict.failures],
        "notes": [asdict(f) for f in verdict.notes],
    }, ensure_ascii=False, indent=2) + "\n"
