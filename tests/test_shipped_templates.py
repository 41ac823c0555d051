"""The blank templates shipped in node/templates/ are what the import kinds' columns make now.

A kind whose columns change needs its templates written again (``make_templates``); this test
writes them afresh and compares header rows and sheet titles, so a stale template — a column a
school would fill in and the importer would then refuse — fails here, not at a school.
"""

from __future__ import annotations

import csv

from openpyxl import load_workbook

from node.importer import KINDS, TEMPLATES, make_templates
from node.tabular import SUFFIXES


def _header(path):  # noqa: ANN001, ANN202
    if path.suffix == ".csv":
        with path.open(encoding="utf-8-sig", newline="") as f:
            return next(csv.reader(f))
    sheet = load_workbook(path, read_only=True).worksheets[0]
    return sheet.title, [c for c in next(sheet.iter_rows(max_row=1, values_only=True)) if c]


def test_every_shipped_template_has_its_kinds_current_columns(tmp_path):
    make_templates(tmp_path)
    for kind in KINDS.values():
        for suffix in SUFFIXES:
            name = f"{kind.id}{suffix}"
            assert _header(TEMPLATES / name) == _header(tmp_path / name), (
                f"{name} is stale: run node.importer.make_templates()")


def test_a_stale_template_is_found(tmp_path):
    make_templates(tmp_path)
    kind = next(iter(KINDS.values()))
    stale = tmp_path / f"{kind.id}.csv"
    stale.write_text("学号,旧列\n", encoding="utf-8-sig")
    assert _header(stale) != list(kind.headers)
