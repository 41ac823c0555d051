"""Receipts (回执) exported to a folder, for an inspector's ``guanai inspect verify --receipts``.

Each receipt the school holds becomes two files named ``<school id>_<period>_r<revision>``:
``.receipt`` (the serialized guanai.v1.Receipt, as the aggregator signed it) and ``.signed``
(the SignedReport the school sent, the bytes the receipt vouches for). docs/inspection.md says
what an inspector proves with them. Exporting again adds new receipts and leaves the others.
"""

from __future__ import annotations

from pathlib import Path

import sqlite_utils

from common.errors import GuanaiError
from node.store import get_meta
from node.submit import outbox, receipts
from protos.bundle import receipt_stem


class ReceiptExportError(GuanaiError):
    """A receipt that cannot be written to the folder asked for."""


def export_receipts(store: sqlite_utils.Database, folder: Path) -> list[Path]:
    """Write every held receipt and the bytes it vouches for; return the receipt files."""
    school_id = get_meta(store, "school_id")
    sent = {(item.period, item.revision): item.signed for item in outbox(store)}
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for held in receipts(store):
        stem = receipt_stem(school_id, held.period, held.revision)
        _write_once(folder / f"{stem}.receipt", held.receipt)
        _write_once(folder / f"{stem}.signed", sent[(held.period, held.revision)])
        written.append(folder / f"{stem}.receipt")
    return written


def _write_once(path: Path, data: bytes) -> None:
    if path.exists():
        if path.read_bytes() != data:
            raise ReceiptExportError(
                f"文件已存在 {path} already holds something else; export to an empty folder")
        return
    path.write_bytes(data)
