"""Receipts held by senders (回执): each one proven in the aggregator's log as exported.

A valid receipt is the aggregator's signed word that it logged these exact bytes at a leaf,
with a checkpoint it signed. Against the aggregator's bundle, the receipt's checkpoint must be
a prefix of the log (else the log was rewritten or cut back after it was given out), the leaf
must still be there, and, in a bundle of the receipt's period, its submission must be in the
bundle with the same bytes: a receipt whose submission is missing proves the aggregator
dropped it.
"""

from __future__ import annotations

from inspector.bundle import HeldReceipt
from inspector.keys import Keys
from inspector.logcheck import LogView, fate, log_name
from inspector.reports import PeriodLog
from inspector.sums import cell_name
from inspector.verdict import Verdict
from privacy.checkpoint import parse_checkpoint
from privacy.envelope import EnvelopeError, parse_signed
from privacy.receipt import ReceiptError, verify_receipt
from protos.aggregator_pb2 import ReceiptBody
from protos.report_pb2 import Report

MAX_CELLS_NAMED = 5


def check_receipts(verdict: Verdict, receipts: list[HeldReceipt], keys: Keys,
                   logs: dict[str, LogView], periods: dict[tuple[str, str], PeriodLog]
                   ) -> list[tuple[HeldReceipt, ReceiptBody]]:
    """Check each receipt once; return those whose signature verifies, with their bodies."""
    seen: set[bytes] = set()
    valid = []
    for held in receipts:
        data = held.receipt.SerializeToString()
        if data in seen:
            continue
        seen.add(data)
        body = _check(verdict, held, keys, logs, periods)
        if body is not None:
            valid.append((held, body))
    return valid


def _check(verdict: Verdict, held: HeldReceipt, keys: Keys, logs: dict[str, LogView],
           periods: dict[tuple[str, str], PeriodLog]) -> ReceiptBody | None:
    b = held.body
    where = log_name(b.aggregator_id)
    subject = (f"回执 receipt of {b.sender_id} · {b.period} 第{b.revision}版 revision "
               f"{b.revision} · {where} 日志叶 leaf {b.log_index} ({held.source})")
    key = keys.aggregator_key(b.aggregator_id)
    if key is None:
        verdict.note("receipt", subject, f"未提供 {b.aggregator_id} 的核验包或公钥，回执未核验",
                     f"neither a bundle nor a key of {b.aggregator_id} was given: the receipt "
                     "was not checked")
        return None
    if held.signed is None:
        verdict.fail("receipt", subject, "回执旁没有所报送的字节（.signed 文件）",
                     "the receipt is not held beside the bytes it vouches for (.signed file)")
        return None
    try:
        body = verify_receipt(held.receipt, held.signed, key)
    except ReceiptError as exc:
        verdict.fail("receipt", subject, "回执无效：不是该节点对这些字节的签名回执", str(exc))
        return None
    verdict.pass_("receipt")
    view = logs.get(b.aggregator_id)
    if view is None or view.tree is None:
        verdict.note("receipt", subject,
                     f"{b.aggregator_id} 的日志未能核验（未提供或无效），无法确认其仍保存此报送",
                     f"{b.aggregator_id}'s log was not given or did not verify: whether it still "
                     "holds this submission is not known")
        return body
    if _still_logged(verdict, body, view, subject):
        _in_bundle(verdict, body, held.signed, periods.get((body.aggregator_id, body.period)),
                   subject)
    return body


def _still_logged(verdict: Verdict, body: ReceiptBody, view: LogView, subject: str) -> bool:
    size, tree = body.tree_size, view.tree
    root = parse_checkpoint(body.checkpoint).root
    if size > tree.size:
        verdict.fail("consistency", subject,
                     f"回执所附检查点（大小 {size}）超出核验包中的日志（{tree.size} 叶）：日志被截短",
                     f"the receipt's checkpoint (size {size}) is beyond the log in the bundle "
                     f"({tree.size} leaves): the log was cut back after it was given out")
        return False
    consistent = tree.root(size) == root
    if consistent:
        verdict.pass_("consistency")
    else:
        verdict.fail("consistency", subject,
                     f"日志在检查点 {size} 随此回执发出之后被改写",
                     f"the log was rewritten after checkpoint {size} was given out with this "
                     "receipt")
    if body.log_index >= tree.size or tree.leaf(body.log_index) != body.leaf_hash:
        verdict.fail("log", subject, *fate(view.bundle, body.leaf_hash, body.log_index,
                                           body.sender_id, body.period, body.revision))
        return False
    if consistent and size not in view.bundle.checkpoints:
        verdict.note("checkpoint", subject,
                     f"随回执发出的检查点 {size} 不在核验包中（导出不完整），但与日志一致",
                     f"checkpoint {size}, given out with this receipt, is not in the bundle (an "
                     "incomplete export), though it is consistent with the log")
    return consistent


def _in_bundle(verdict: Verdict, body: ReceiptBody, signed: bytes, held: PeriodLog | None,
               subject: str) -> None:
    if held is None:
        return
    path = held.view.bundle.submissions.get(body.log_index)
    if path is None:
        verdict.fail("log", subject,
                     "报送方持有此报送的回执，核验包中却没有此报送：汇总节点丢弃了它",
                     "the sender holds a receipt for this submission, and the bundle does not "
                     "hold it: the aggregator dropped it")
        return
    stored = path.read_bytes()
    if stored != signed:
        verdict.fail("log", subject,
                     "核验包中的报送与报送方所发字节不同：" + _differences(signed, stored, "zh"),
                     "the bundle holds other bytes than the sender sent: "
                     + _differences(signed, stored, "en"))


def _differences(sent: bytes, stored: bytes, language: str) -> str:
    """The cells where the stored report differs from the one sent."""
    try:
        a, b = parse_signed(sent)[1], parse_signed(stored)[1]
    except EnvelopeError:
        return "存储的不是签名报送" if language == "zh" else "what is stored is not a signed report"
    cells = _changed_cells(a, b)
    if not cells:
        return "单元格相同，其他字段不同" if language == "zh" else "same cells, other fields differ"
    label = "单元格" if language == "zh" else "cells"
    more = len(cells) - MAX_CELLS_NAMED
    tail = (f"（另有 {more} 处）" if language == "zh" else f" (and {more} more)") if more > 0 else ""
    return f"{label} " + "; ".join(cells[:MAX_CELLS_NAMED]) + tail


def _changed_cells(sent: Report, stored: Report) -> list[str]:
    return [f"{cell_name(sent.catalogue_version, i)}: 发送 sent {a}, 存储 stored {b}"
            for i, (a, b) in enumerate(zip(sent.values, stored.values, strict=False)) if a != b]
