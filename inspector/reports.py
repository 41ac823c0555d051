"""Checking the signed reports in a bundle: the period's leaves, forwarded reports and rollups.

Each leaf of the period must be in the bundle, be the very bytes that were logged (its leaf
hash), be included under the head checkpoint, carry a valid signature by a key the aggregator
enrolled for its sender and had not revoked when it accepted it, and say what its log entry
says. Reports forwarded with a member rollup must verify too. Every rollup — the aggregator's
own, its members' and theirs — is recomputed from the member reports it names, and a member
named by its log index in a member aggregator's log is looked up there when that bundle is
given, so that the chain school → county → province holds end to end.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from inspector.bundle import Bundle
from inspector.keys import Keys
from inspector.logcheck import LogView, fate, log_name
from inspector.signoffs import check_signoff
from inspector.sums import named_mismatches
from inspector.verdict import Verdict
from privacy.envelope import (
    REPORT_CONTEXT,
    BadSignature,
    EnvelopeError,
    parse_signed,
    verify_with_context,
)
from privacy.keys import key_id
from privacy.merkle import ProofError, leaf_hash, verify_inclusion
from privacy.receipt import report_sha256
from protos.bundle import LogEntry
from protos.deadlines import to_ms
from protos.membership import membership_problems, revocation_time, revocations
from protos.periods import Period
from protos.report_pb2 import Enrolled, Member, Report
from protos.signoff import needs_signoff

MAX_CELLS_NAMED = 5
KINDS = {Report.SCHOOL: "school", Report.ROLLUP: "rollup", Report.SUMMARY: "summary"}


@dataclass(frozen=True)
class Held:
    """A signed report found in a bundle, parsed (its signature checked once, by Reports)."""

    signed: bytes
    report: Report
    sha: bytes  # SHA-256 of the Report bytes, as rollups name members
    leaf: bytes  # the RFC 9162 leaf hash of the SignedReport bytes
    signer: bytes


@dataclass
class PeriodLog:
    """One aggregator's log and the reports of one period held in its bundle."""

    view: LogView
    leaves: dict[int, Held] = field(default_factory=dict)  # log index → the period's leaf
    forwarded: dict[bytes, Held] = field(default_factory=dict)  # Report SHA-256 → report


def leaf_subject(aggregator: str, entry: LogEntry) -> str:
    return (f"{log_name(aggregator)} 日志叶 leaf {entry.index}: {entry.sender_id} · "
            f"{entry.period} 第{entry.revision}版 revision {entry.revision}")


def report_subject(report: Report) -> str:
    return f"{report.sender_id} · {report.period} 第{report.revision}版 revision {report.revision}"


class Reports:
    def __init__(self, verdict: Verdict, keys: Keys) -> None:
        self._verdict = verdict
        self._keys = keys
        self._signature_ok: dict[bytes, bool] = {}  # leaf hash → verified (each bytes once)
        # every rollup met, by the SHA-256 of its Report: (subject, report), for what must
        # then be checked against the logs and receipts (inspector/accounted.py)
        self.summed: dict[bytes, tuple[str, Report]] = {}

    def open(self, signed: bytes, subject: str) -> Held | None:
        """Parse a SignedReport and check its signature; None if it is not one."""
        try:
            envelope, report = parse_signed(signed)
        except EnvelopeError as exc:
            self._verdict.fail("signature", subject, "不是格式正确的签名报送", str(exc))
            return None
        leaf = leaf_hash(signed)
        if leaf not in self._signature_ok:
            try:
                verify_with_context(REPORT_CONTEXT, envelope.report, envelope.signature,
                                    envelope.signer_key)
                self._verdict.pass_("signature")
                self._signature_ok[leaf] = True
            except BadSignature:
                self._verdict.fail("signature", subject,
                                   "签名无效：报送在签名之后被改动",
                                   "the signature does not verify: the report was altered after "
                                   "it was signed")
                self._signature_ok[leaf] = False
        return Held(signed, report, report_sha256(envelope.report), leaf, envelope.signer_key)

    def check_leaves(self, view: LogView) -> PeriodLog:
        """The period's leaves: present, unchanged, included, signed by an enrolled key."""
        bundle, held = view.bundle, PeriodLog(view)
        entries = [e for e in bundle.log if e.period == bundle.period]
        for index in sorted(set(bundle.submissions) - {e.index for e in entries}):
            self._verdict.fail("log", f"{log_name(bundle.id)} 日志叶 leaf {index}",
                               f"核验包中有此报送文件，但日志未把叶 {index} 列为本期报送",
                               f"the bundle holds a submission file for leaf {index}, which the "
                               f"log does not list as a submission of {bundle.period}")
        for entry in entries:
            subject = leaf_subject(bundle.id, entry)
            path = bundle.submissions.get(entry.index)
            if path is None:
                self._verdict.fail("log", subject, "日志中有此报送，核验包中却没有：被扣留",
                                   "the log holds this submission but the bundle does not: it "
                                   "was withheld")
                continue
            found = self.open(path.read_bytes(), subject)
            if found is None:
                continue
            self._check_leaf(view, entry, found, subject)
            held.leaves[entry.index] = found
        return held

    def _check_leaf(self, view: LogView, entry: LogEntry, found: Held, subject: str) -> None:
        bundle, report = view.bundle, found.report
        if found.leaf != entry.leaf_hash:
            self._verdict.fail("log", subject,
                               "存储的报送不是当初记入日志的字节：接收之后被改动",
                               "the stored submission is not the bytes that were logged: it was "
                               "changed after it was accepted")
        elif view.head is not None:
            try:
                verify_inclusion(entry.leaf_hash, entry.index, bundle.tree_size,
                                 entry.inclusion_proof or (), view.head.root)
                self._verdict.pass_("inclusion")
            except ProofError as exc:
                self._verdict.fail("inclusion", subject, "包含证明无效或缺失", str(exc))
        said = (entry.sender_id, entry.period, entry.revision, entry.kind)
        signed = (report.sender_id, report.period, report.revision, KINDS.get(report.kind, "?"))
        if said != signed:
            self._verdict.fail("log", subject, f"日志条目与签名报送不符：{said} ≠ {signed}",
                               f"the log entry says {said}, the signed report {signed}")
        if report.recipient_id != bundle.id:
            self._verdict.fail("log", subject, f"报送的收件方是 {report.recipient_id}，不是本节点",
                               f"the report is addressed to {report.recipient_id}, not to this "
                               "aggregator")
        self._keys.check_signer(subject, report.sender_id, found.signer, bundle.id,
                                view.accepted_ms(entry.index))

    def check_forwarded(self, held: PeriodLog) -> None:
        """Reports forwarded with member rollups: named by their digest, validly signed."""
        bundle = held.view.bundle
        unchecked: Counter = Counter()
        for digest, path in sorted(bundle.forwarded.items()):
            subject = f"{log_name(bundle.id)} 转报 forwarded report {digest[:16]}"
            found = self.open(path.read_bytes(), subject)
            if found is None:
                continue
            if found.sha.hex() != digest:
                self._verdict.fail("bundle", subject, "文件名不是其报送内容的 SHA-256",
                                   "the file is not named by the SHA-256 of its report")
                continue
            report = found.report
            subject = f"{log_name(bundle.id)} 转报 forwarded: {report_subject(report)}"
            if not self._keys.check_signer(subject, report.sender_id, found.signer,
                                           report.recipient_id, None):
                unchecked[report.recipient_id] += 1
            held.forwarded[found.sha] = found
        for below, count in sorted(unchecked.items()):
            self._verdict.note("key", f"{log_name(bundle.id)} 转报 forwarded via {log_name(below)}",
                               f"{count} 份转报的签名有效，但其登记密钥在 {below} 的核验包中，未提供",
                               f"{count} forwarded reports are validly signed, but their keys are "
                               f"enrolled at {below}, whose bundle was not given: add it (or "
                               "--keys) to check who signed them")

    def check_rollups(self, held: PeriodLog, logs: dict[tuple[str, str], PeriodLog]) -> None:
        """Recompute every rollup in the bundle from the members it names, and hold it to its
        membership rule (protos/membership.py). In an annual bundle the aggregator's own
        reports are its work summaries, whose members are named, not summed."""
        bundle = held.view.bundle
        own_key = self._keys.aggregator_key(bundle.id)
        own_kind = Report.SUMMARY if Period.parse(bundle.period).annual else Report.ROLLUP
        for revision, path in sorted(bundle.rollups.items()):
            subject = f"{log_name(bundle.id)} 本级汇总 own rollup · {bundle.period} r{revision}"
            found = self.open(path.read_bytes(), subject)
            if found is None:
                continue
            report = found.report
            if found.signer != own_key:
                self._verdict.fail("key", subject,
                                   f"由密钥 {key_id(found.signer)} 签名，不是本节点的密钥",
                                   f"signed with key {key_id(found.signer)}, not the aggregator's")
            if (report.kind, report.sender_id, report.period, report.revision) != (
                    own_kind, bundle.id, bundle.period, revision):
                self._verdict.fail("rollup", subject, "文件中不是本节点该版本的汇总",
                                   "the file holds another report than this rollup revision")
                continue
            members = [self._member_leaf(held, m, subject) for m in report.members]
            self._membership(subject, found, members, bundle)
            self._sums(subject, report, members)
            sent = any(r.signed == found.signed for r in bundle.receipts)
            if needs_signoff(report) and (sent or report.approvals):  # a draft may await it
                check_signoff(self._verdict, subject, report, found.signer, bundle.staff)
        rollups = [h for h in (*held.leaves.values(), *held.forwarded.values())
                   if h.report.kind == Report.ROLLUP
                   or (h.report.kind == Report.SUMMARY and h.report.members)]
        for found in rollups:
            subject = f"{log_name(bundle.id)} 成员汇总 member rollup: {report_subject(found.report)}"
            below = logs.get((found.report.sender_id, found.report.period))
            members = [self._forwarded_member(held, below, m, subject)
                       for m in found.report.members]
            if below is not None:
                self._check_sent(below, found, subject)
            self._membership(subject, found, members,
                             below.view.bundle if below is not None else None)
            self._sums(subject, found.report, members)
            if needs_signoff(found.report):
                check_signoff(self._verdict, subject, found.report, found.signer,
                              below.view.bundle.staff if below is not None else None)

    def _membership(self, subject: str, found: Held, members: list[Held | None],
                    own: Bundle | None) -> None:
        """The membership rule, and, when the sender's own bundle is given, its signed
        enrolment against the keys that bundle shows enrolled."""
        rollup = found.report
        if found.sha in self.summed:  # the same rollup held at two levels: judged once
            return
        self.summed[found.sha] = (subject, rollup)
        problems = membership_problems(
            rollup, [(m.report, m.signer) if m is not None else None for m in members])
        for problem in problems:
            self._verdict.fail("membership", subject, problem.zh, problem.en)
        if rollup.kind == Report.ROLLUP and not problems:
            self._verdict.pass_("membership")
        if own is None or rollup.kind != Report.ROLLUP:
            return
        shown = defaultdict(set)
        regions = {}
        revoked: dict[str, dict[bytes, int]] = defaultdict(dict)
        for key in own.keys:
            shown[key.member_id].add(key.key)
            regions[key.member_id] = key.region
            if key.revoked_at is not None:
                revoked[key.member_id][key.key] = to_ms(datetime.fromisoformat(key.revoked_at))
        for entry in rollup.enrolled:
            if (regions.get(entry.member_id) != entry.region
                    or not set(entry.signing_keys) <= shown[entry.member_id]):
                self._verdict.fail("membership", subject,
                                   f"其签署的登记名单列有 {entry.member_id}（地区 {entry.region}），"
                                   f"{own.id} 自己的核验包却未显示如此登记（keys.json）",
                                   f"the enrolment it signed lists {entry.member_id} (region "
                                   f"{entry.region}) with keys that {own.id}'s own bundle does "
                                   "not show enrolled (keys.json)")
            self._revocations_shown(subject, rollup, entry, revoked[entry.member_id], own.id)

    def _revocations_shown(self, subject: str, rollup: Report, entry: Enrolled,
                           shown: dict[bytes, int], own: str) -> None:
        """The revocations a rollup's signed enrolment lists for a member are those its
        sender's own bundle shows (keys.json) in force when the rollup was made, at the same
        times: a county that hid a revocation from its parent let the key be answered there."""
        said = revocations(entry)
        due = {k: ms for k, ms in shown.items() if ms <= rollup.created_unix_ms}
        hidden = sorted(k for k, ms in due.items() if said.get(k) != ms)
        made_up = sorted(k for k, ms in said.items() if shown.get(k) != ms)
        for key in hidden:
            self._verdict.fail("membership", subject,
                               f"其签署的登记名单未列出 {entry.member_id} 的密钥 {key_id(key)} 于 "
                               f"{revocation_time(due[key])} 的吊销，{own} 自己的核验包却显示汇总前已吊销"
                               "（keys.json）：上级因此仍会应答该密钥",
                               f"the enrolment it signed does not list the revocation of "
                               f"{entry.member_id}'s key {key_id(key)} from {revocation_time(due[key])}, "
                               f"which {own}'s own bundle shows in force before the rollup was "
                               "made (keys.json): its parent would still answer that key")
        for key in made_up:
            self._verdict.fail("membership", subject,
                               f"其签署的登记名单所列 {entry.member_id} 的密钥 {key_id(key)} 的吊销"
                               f"与 {own} 自己的核验包不符（keys.json）",
                               f"the enrolment it signed lists a revocation of "
                               f"{entry.member_id}'s key {key_id(key)} that {own}'s own bundle "
                               "does not show at that time (keys.json)")

    def _member_leaf(self, held: PeriodLog, member: Member, subject: str) -> Held | None:
        index = member.log_index
        found = held.leaves.get(index)
        if found is None or (found.report.sender_id, found.report.revision) != (
                member.sender_id, member.revision):
            moved = next((i for i, h in sorted(held.leaves.items())
                          if h.sha == member.report_sha256), None)
            where_zh, where_en = ("", "") if moved is None else (
                f"；它现在在日志叶 {moved}：汇总之后日志被重新编号",
                f": it is at leaf {moved} now, the log was renumbered after the rollup was made")
            self._verdict.fail("rollup", subject,
                               f"所列成员 {member.sender_id} 第{member.revision}版（日志叶 "
                               f"{member.log_index}）不在核验包中该处，或该叶是另一份报送"
                               + where_zh,
                               f"names member {member.sender_id} revision {member.revision} at "
                               f"leaf {member.log_index}, which the bundle does not hold there"
                               + where_en)
            if moved is None:
                return None
            index, found = moved, held.leaves[moved]  # summed from where it is now
        if self._altered(held, index, found):
            self._verdict.note("rollup", subject,
                               f"成员 {member.sender_id} 在日志叶 {member.log_index} 的报送接收后被改动"
                               "（见上），此汇总无法据以重算，也不因此归咎于它",
                               f"the report of member {member.sender_id} at leaf "
                               f"{member.log_index} was changed after it was accepted (see "
                               "above): this rollup cannot be recomputed from it, and is not "
                               "blamed for it")
            return None
        if found.sha != member.report_sha256:  # summed anyway, to name the cells that differ
            self._verdict.fail("rollup", subject,
                               f"日志叶 {member.log_index} 上 {member.sender_id} 的报送不是汇总时"
                               "所用的那份（SHA-256 不同）",
                               f"the report of {member.sender_id} at leaf {member.log_index} is "
                               "not the one the rollup summed (its SHA-256 differs)")
        return found

    def _altered(self, held: PeriodLog, index: int, found: Held) -> bool:
        """Whether the leaf's stored bytes are proven changed: not what was logged, or their
        signature fails. A rollup that named the bytes as logged is then not at fault."""
        logged = held.view.bundle.log
        return (index >= len(logged) or logged[index].leaf_hash != found.leaf
                or self._signature_ok.get(found.leaf) is False)

    def _forwarded_member(self, held: PeriodLog, below: PeriodLog | None, member: Member,
                          subject: str) -> Held | None:
        found = held.forwarded.get(member.report_sha256)
        if found is None or (found.report.sender_id, found.report.revision) != (
                member.sender_id, member.revision):
            self._verdict.fail("rollup", subject,
                               f"所列成员 {member.sender_id} 第{member.revision}版的报送未随汇总转报",
                               f"the report of member {member.sender_id} revision "
                               f"{member.revision} it names was not forwarded with it")
            return None
        if below is not None:
            logged = below.view.bundle.log
            if member.log_index >= len(logged) or logged[member.log_index].leaf_hash != found.leaf:
                zh, en = fate(below.view.bundle, found.leaf, member.log_index, member.sender_id,
                              found.report.period, member.revision)
                self._verdict.fail("rollup", f"{subject} · 成员 member {member.sender_id}",
                                   f"{below.view.bundle.id} 所持字节与转报的这份报送不同：{zh}",
                                   f"{below.view.bundle.id} holds other bytes than the report "
                                   f"forwarded for this member: {en}")
        return found

    def _check_sent(self, below: PeriodLog, found: Held, subject: str) -> None:
        """The member aggregator's own bundle must hold the rollup it sent, byte for byte."""
        path = below.view.bundle.rollups.get(found.report.revision)
        if path is None or path.read_bytes() != found.signed:
            self._verdict.fail("rollup", subject,
                               f"{found.report.sender_id} 自己的核验包中没有这份汇总",
                               f"{found.report.sender_id}'s own bundle does not hold this rollup")

    def _sums(self, subject: str, rollup: Report, members: list[Held | None]) -> None:
        if any(m is None for m in members):
            return
        if rollup.kind != Report.ROLLUP:  # a work summary names its members' and sums nothing
            self._verdict.pass_("rollup")
            return
        bad = named_mismatches(rollup, [m.report for m in members])
        if not bad:
            self._verdict.pass_("rollup")
            self._verdict.cells += len(rollup.values)
            return
        more = len(bad) - MAX_CELLS_NAMED
        tail_zh, tail_en = (f"；另有 {more} 处", f"; and {more} more") if more > 0 else ("", "")
        self._verdict.fail("rollup", subject,
                           "汇总不等于其所列成员之和：" + "；".join(
                               zh for zh, _ in bad[:MAX_CELLS_NAMED]) + tail_zh,
                           "the rollup is not the sum of the members it names: " + "; ".join(
                               en for _, en in bad[:MAX_CELLS_NAMED]) + tail_en)
