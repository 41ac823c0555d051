"""An aggregator's log as a bundle shows it: signed checkpoints, their consistency, the leaves.

Every checkpoint must be signed by the aggregator under its log's name; each consecutive pair
must be linked by a consistency proof (RFC 9162 §2.1.4), so that no two of them can describe
different histories; and the leaves listed must lead to the root of the newest one, the head.
From then on the leaves are the log: any size's root, and where each leaf was first covered
by a signed checkpoint (the time the aggregator committed to it), are computed from them.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from itertools import pairwise

from inspector.bundle import Bundle
from inspector.verdict import Verdict
from privacy.checkpoint import Checkpoint, CheckpointError, verify_checkpoint
from privacy.merkle import MerkleTree, ProofError, verify_consistency
from protos.regions import name


def log_name(aggregator: str) -> str:
    return f"{name(aggregator)} {aggregator}"


@dataclass
class LogView:
    bundle: Bundle
    checkpoints: dict[int, Checkpoint] = field(default_factory=dict)  # verified, by size
    tree: MerkleTree | None = None  # set once the leaves match the head checkpoint

    @property
    def head(self) -> Checkpoint | None:
        return self.checkpoints.get(self.bundle.tree_size) if self.tree else None

    def accepted_ms(self, index: int) -> int | None:
        """When the aggregator first signed a checkpoint covering leaf ``index``."""
        sizes = sorted(self.checkpoints)
        at = bisect.bisect_right(sizes, index)
        return self.checkpoints[sizes[at]].timestamp_ms if at < len(sizes) else None


def fate(bundle: Bundle, leaf: bytes, index: int, sender: str, period: str,
         revision: int) -> tuple[str, str]:
    """What became of a submission that is no longer at leaf ``index`` of the bundle's log, in
    Chinese and English: moved to another leaf (the log was renumbered), replaced by other
    bytes of the same sender, period and revision, or dropped."""
    moved = [e.index for e in bundle.log if e.leaf_hash == leaf]
    if moved:
        return (f"日志叶 {index} 已不是此报送：它被移到叶 {moved[0]}（日志被重新编号）",
                f"leaf {index} of the log is no longer this submission: it was moved to leaf "
                f"{moved[0]} (the log was renumbered)")
    same = [e.index for e in bundle.log
            if (e.sender_id, e.period, e.revision) == (sender, period, revision)]
    if same:
        return (f"日志中 {sender} {period} 第{revision}版已是另一份字节（叶 {same[0]}）：报送被替换",
                f"the log holds other bytes for {sender} {period} revision {revision} (leaf "
                f"{same[0]}): the submission was replaced")
    return (f"日志叶 {index} 已不是此报送，日志中也再无此报送：报送被删除",
            f"leaf {index} of the log is no longer this submission, and the log holds it "
            "nowhere else: the aggregator dropped it")


def check_log(verdict: Verdict, bundle: Bundle, key: bytes | None) -> LogView:
    view = LogView(bundle)
    where = log_name(bundle.id)
    if key is None:
        verdict.fail("checkpoint", f"汇总节点 aggregator {where}",
                     "无从得知该节点的公钥，检查点无法核验",
                     "no public key of this aggregator is known: its checkpoints cannot be checked")
        return view
    for size, text in sorted(bundle.checkpoints.items()):
        subject = f"{where} 检查点 checkpoint {size}"
        try:
            checkpoint = verify_checkpoint(text, bundle.origin, key)
        except CheckpointError as exc:
            verdict.fail("checkpoint", subject, "检查点签名无效或格式错误", str(exc))
            continue
        if (checkpoint.origin, checkpoint.size) != (bundle.origin, size):
            verdict.fail("checkpoint", subject, "检查点属于其他日志或其他大小",
                         f"the checkpoint is of log {checkpoint.origin} at size {checkpoint.size}")
            continue
        view.checkpoints[size] = checkpoint
        verdict.pass_("checkpoint")
    _check_consistency(verdict, bundle, view.checkpoints)
    _check_leaves(verdict, bundle, view)
    return view


def _check_consistency(verdict: Verdict, bundle: Bundle, checkpoints: dict[int, Checkpoint]) -> None:
    proofs = {(c.old_size, c.new_size): c.proof for c in bundle.consistency}
    for old, new in pairwise(sorted(checkpoints)):
        subject = f"{log_name(bundle.id)} 检查点 checkpoints {old} → {new}"
        proof = proofs.get((old, new))
        if proof is None:
            verdict.fail("consistency", subject, "缺少两检查点之间的一致性证明",
                         "no consistency proof links these two checkpoints")
            continue
        try:
            verify_consistency(old, new, checkpoints[old].root, checkpoints[new].root, proof)
        except ProofError:
            verdict.fail("consistency", subject,
                         f"两个检查点不一致：检查点 {old} 发出后日志被改写或分叉",
                         f"the two checkpoints are not consistent: the log was rewritten or "
                         f"forked after checkpoint {old} was given out")
            continue
        verdict.pass_("consistency")


def _check_leaves(verdict: Verdict, bundle: Bundle, view: LogView) -> None:
    subject = f"{log_name(bundle.id)} 日志 log"
    indexes = [e.index for e in bundle.log]
    if indexes != list(range(bundle.tree_size)):
        verdict.fail("log", subject, f"日志条目不是叶 0 至 {bundle.tree_size - 1} 的完整序列",
                     f"the log entries are not leaves 0 to {bundle.tree_size - 1}, in order, "
                     "each once")
        return
    head = view.checkpoints.get(bundle.tree_size)
    if head is None:
        verdict.fail("log", subject, f"缺少日志头（大小 {bundle.tree_size}）的有效检查点",
                     f"no valid signed checkpoint of the log's head (size {bundle.tree_size})")
        return
    tree = MerkleTree(e.leaf_hash for e in bundle.log)
    if tree.root() != head.root:
        verdict.fail("log", subject, "日志条目与日志头检查点的根不符：条目被改动、删除或重排",
                     "the log entries do not lead to the head checkpoint's root: entries were "
                     "changed, dropped or reordered")
        return
    view.tree = tree
    verdict.pass_("log", len(bundle.log))


def check_same_log(verdict: Verdict, views: list[LogView]) -> None:
    """Several bundles of one aggregator: every checkpoint must fit the longest log given."""
    whole = [v for v in views if v.tree is not None]
    if len(views) < 2 or not whole:
        return
    longest = max(whole, key=lambda v: v.bundle.tree_size)
    for view in views:
        if view is longest:
            continue
        for size, checkpoint in sorted(view.checkpoints.items()):
            if size > longest.bundle.tree_size or longest.tree.root(size) != checkpoint.root:
                verdict.fail("consistency",
                             f"{log_name(view.bundle.id)} 检查点 checkpoint {size} "
                             f"({view.bundle.path})",
                             f"与另一核验包 {longest.bundle.path} 的日志不一致：日志被改写或分叉",
                             f"not consistent with the log in bundle {longest.bundle.path}: the "
                             "log was rewritten or forked")
            else:
                verdict.pass_("consistency")
