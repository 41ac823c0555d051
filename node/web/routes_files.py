"""Blank templates to download, and uploading an import file (all or nothing).

An upload is saved to a temporary file only to be read by the same importer as ``guanai node
import``; a file with any problem is refused whole, and its problems are shown as a table by
line and column with what to fix.
"""

from __future__ import annotations

import functools
import io
import tempfile
from datetime import date
from pathlib import Path

from flask import Blueprint, Response, render_template, request, send_file

from common.errors import GuanaiError
from node.importer import KINDS, ImportRejected, find_kind, import_file
from node.rows import COUNT_LABELS
from node.tabular import SUFFIXES, column_letter
from node.template_book import write_book
from node.web.site import site
from protos.regions import school_stages

blueprint = Blueprint("files", __name__)

HINTS = {
    "roster": "全校学生（至少是困境学生）的基本信息。每学期开学后导入一次。",
    "auto": "国家或省资助系统推送的“免申即享”名单，导入后自动确定为重点关爱对象。",
    "cases": "纸质台账上已有的重点关爱对象及其申请、评议、确定、备案、退出记录。",
    "records": "学业辅导、谈心谈话、心理干预、岗位推送等关爱记录。",
    "registration": "每学期困境学生的报到情况，以及未按时报到学生的劝返复学。",
    "aid": "发放给困境学生的各项资助。",
    "mentors": "育人导师及其负责的学生（每学期）。",
    "activities": "家长学校、家长会、开放日等家校协同活动。",
}


@blueprint.get("/templates")
def templates() -> str:
    return render_template("templates.html", kinds=KINDS.values(), hints=HINTS)


@functools.lru_cache(maxsize=32)
def _book(kind: str, today: date, stages: tuple[str, ...] | None) -> bytes:
    """A template workbook's bytes (made once a day per kind: writing one takes a while)."""
    with tempfile.TemporaryDirectory(prefix="guanai-template-") as folder:
        path = write_book(kind, Path(folder) / f"{kind}.xlsx", today,
                          list(stages) if stages else None)
        return path.read_bytes()


@blueprint.get("/templates/<kind>.xlsx")
def template_file(kind: str) -> Response:
    here = site()
    row_kind = find_kind(kind)
    stages = tuple(school_stages(here.school_id())) if here.initialised() else None
    return send_file(io.BytesIO(_book(row_kind.id, here.today(), stages)), as_attachment=True,
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                     download_name=f"{row_kind.label.zh}模板-{row_kind.id}.xlsx")


@blueprint.get("/import")
def upload() -> str:
    return render_template("upload.html", kinds=KINDS.values(), hints=HINTS, chosen="")


@blueprint.post("/import")
def receive() -> str | tuple[str, int]:
    here = site()
    kinds = KINDS.values()
    chosen = request.form.get("kind", "")
    upload_ = request.files.get("file")
    full = request.form.get("full") == "1"

    def refuse(error: str, problems: list | None = None, status: int = 400) -> tuple[str, int]:
        return render_template("upload.html", kinds=kinds, hints=HINTS, chosen=chosen,
                               error=error, rows=problems or [], letter=column_letter,
                               filename=upload_.filename if upload_ else ""), status

    if chosen not in KINDS:
        return refuse("请选择要导入的文件类型（学生名册、关爱记录……）。")
    if upload_ is None or not upload_.filename:
        return refuse("请选择要导入的文件（.xlsx 或 .csv）。")
    suffix = Path(upload_.filename).suffix.lower()
    if suffix not in SUFFIXES:
        return refuse(f"“{upload_.filename}”不是 .xlsx 或 .csv 文件。请在 Excel 中“另存为”"
                      "Excel 工作簿（.xlsx）或 CSV UTF-8 后再导入。没有导入任何数据。")
    with tempfile.TemporaryDirectory(prefix="guanai-upload-") as folder:
        path = Path(folder) / f"upload{suffix}"
        upload_.save(path)
        try:
            counts = import_file(here.store(), chosen, path, full=full, today=here.today())
        except ImportRejected as exc:
            return refuse(f"“{upload_.filename}”有 {len(exc.problems)} 个问题，"
                          "整份文件没有导入（一条也没有写入）。请按下表修改后重新导入。",
                          exc.problems)
        except GuanaiError as exc:
            return refuse(f"没有导入任何数据：{exc}")
    done = [(COUNT_LABELS[k].zh, v) for k, v in counts.items() if k in COUNT_LABELS]
    return render_template("upload.html", kinds=kinds, hints=HINTS, chosen=chosen,
                           done=done, kind=KINDS[chosen], filename=upload_.filename)
