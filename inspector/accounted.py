"""Every member accepted in time is in the rollup: its members and missing list against the
sender's log and the receipts held (一个都不少).

A rollup lists the members it sums and the members it says are missing. A member whose
submission the rollup's sender had accepted before it made the rollup — proven by the
member's receipt (signed by the sender) or by a leaf of the sender's log (covered by a signed
checkpoint) — must be named, at that revision or a later one; unless the rollup's signed
enrolment says that revision was returned for correction. Anything else is the sender leaving
a member out or calling it missing although it reported, and the finding names the receipt or
the leaf that proves it.

"Before it made the rollup" is the rollup's own signed ``created_unix_ms``: a submission
accepted later is not expected in it (the next rollup must name it).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from inspector.bundle import HeldReceipt
from inspector.logcheck import log_name
from inspector.reports import PeriodLog
from inspector.verdict import Verdict
from protos.aggregator_pb2 import ReceiptBody
from protos.report_pb2 import Report


@dataclass(frozen=True)
class Accepted:
    """Proof that ``sender``'s ``revision`` was accepted at ``at_ms`` (Unix ms, UTC): a held
    receipt's file, or leaf ``leaf`` of ``aggregator``'s log."""

    sender: str
    revision: int
    at_ms: int
    receipt: str | None = None
    aggregator: str = ""
    leaf: int = -1

    def named(self) -> tuple[str, str]:
        """The proof, in Chinese and English."""
        if self.receipt is not None:
            return f"回执 {self.receipt}", f"the receipt {self.receipt}"
        where = log_name(self.aggregator)
        return f"{where} 日志叶 {self.leaf}", f"leaf {self.leaf} of {where}'s log"


def check_accounted(verdict: Verdict, rollups: Iterable[tuple[str, Report]],
                    periods: dict[tuple[str, str], PeriodLog],
                    receipts: list[tuple[HeldReceipt, ReceiptBody]]) -> None:
    """Each rollup (subject, report) against the receipts and the log of its sender."""
    for subject, rollup in rollups:
        if rollup.kind != Report.ROLLUP and not (rollup.members or rollup.missing):
            continue
        proofs = [*_from_receipts(rollup, receipts),
                  *_from_log(periods.get((rollup.sender_id, rollup.period)))]
        _judge(verdict, subject, rollup, proofs)


def _from_receipts(rollup: Report, receipts: list[tuple[HeldReceipt, ReceiptBody]]
                   ) -> list[Accepted]:
    return [Accepted(body.sender_id, body.revision, body.accepted_unix_ms, held.source)
            for held, body in receipts
            if (body.aggregator_id, body.period) == (rollup.sender_id, rollup.period)]


def _from_log(held: PeriodLog | None) -> list[Accepted]:
    if held is None or held.view.tree is None:
        return []
    bundle, found = held.view.bundle, []
    for entry in bundle.log:
        at = held.view.accepted_ms(entry.index) if entry.period == bundle.period else None
        if at is not None:
            found.append(Accepted(entry.sender_id, entry.revision, at, None, bundle.id,
                                  entry.index))
    return found


def _judge(verdict: Verdict, subject: str, rollup: Report, proofs: list[Accepted]) -> None:
    named = {m.sender_id: m.revision for m in rollup.members}
    returned = {e.member_id: e.returned_revision for e in rollup.enrolled}
    best: dict[str, Accepted] = {}
    for proof in proofs:  # receipts first: at the same revision, the receipt is named
        if proof.sender == rollup.sender_id or proof.at_ms > rollup.created_unix_ms:
            continue
        if proof.sender not in best or proof.revision > best[proof.sender].revision:
            best[proof.sender] = proof
    unaccounted = [(sender, proof) for sender, proof in sorted(best.items())
                   if named.get(sender, 0) < proof.revision
                   and returned.get(sender, 0) < proof.revision]
    if not unaccounted:
        verdict.pass_("accounted")
    for sender, proof in unaccounted:
        when, made = _iso(proof.at_ms), _iso(rollup.created_unix_ms)
        proof_zh, proof_en = proof.named()
        if sender in named:
            zh = f"只列入 {sender} 第{named[sender]}版"
            en = f"names only revision {named[sender]} of {sender}"
        elif sender in rollup.missing:
            zh, en = f"将 {sender} 列为未报", f"lists {sender} as missing"
        else:
            zh = f"略去了 {sender}（既非成员也非未报）"
            en = f"leaves {sender} out (neither a member nor missing)"
        verdict.fail("accounted", subject,
                     f"{zh}，但{proof_zh}证明其第{proof.revision}版已于 {when} 被接收，早于本汇总"
                     f"（{made}）",
                     f"{en}, but {proof_en} proves its revision {proof.revision} was accepted "
                     f"at {when}, before this rollup was made ({made})")


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="seconds")
