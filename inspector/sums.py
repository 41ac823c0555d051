"""A rollup's mismatches (protos/rollup_sums.py) as an inspector reads them: cells by name.

The sum rule itself is the contract's; here each mismatching cell is named from the catalogue
so that a person can find it in the statistics table.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

from protos.catalogue import CatalogueError, load
from protos.report_pb2 import Report
from protos.rollup_sums import CellMismatch, mismatches

_WHAT_ZH = {"value": "数值", "variance": "方差", "shape": "单元格数"}


@cache
def cell_name(version: str, index: int) -> str:
    """``index`` of catalogue ``version`` as "id 中文名 English name" (``#index`` if unknown)."""
    try:
        cell = load(version).cells[index]
    except (CatalogueError, IndexError):
        return f"#{index}"
    return f"{cell.id} {cell.label.zh} {cell.label.en}"


def describe(rollup: Report, mismatch: CellMismatch) -> tuple[str, str]:
    """One mismatch in Chinese and in English."""
    where = (mismatch.member if mismatch.index < 0
             else cell_name(rollup.catalogue_version, mismatch.index))
    zh = f"{where} {_WHAT_ZH[mismatch.what]}：汇总声明 {mismatch.stated:g}，成员之和 {mismatch.summed:g}"
    en = (f"{where} {mismatch.what}: the rollup states {mismatch.stated:g}, the members sum to "
          f"{mismatch.summed:g}")
    return zh, en


def named_mismatches(rollup: Report, members: Sequence[Report]) -> list[tuple[str, str]]:
    """Every cell where ``rollup`` is not the sum of ``members``, described; empty when it is."""
    return [describe(rollup, m) for m in mismatches(rollup, members)]
