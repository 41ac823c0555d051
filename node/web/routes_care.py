"""Care given, registration, aid, mentors and home-school activities, one form each.

Each form's fields are the columns of the matching import file, and it is saved through the
same row parser (node.rows.save_one), so a value refused in a spreadsheet is refused here too,
with the same words, next to the field.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from werkzeug.datastructures import ImmutableMultiDict

from common.errors import GuanaiError
from node.records import ACTIVITIES, AID, MENTORS, RECORDS, REGISTRATION
from node.rows import InvalidInput, RowKind, describe_counts, save_one
from node.template_book import DATE_COLUMNS, choices
from node.web.site import site

blueprint = Blueprint("care", __name__)
FORMS: dict[str, RowKind] = {k.id: k for k in (RECORDS, REGISTRATION, AID, MENTORS, ACTIVITIES)}
CHECKBOXES = {"是否辍学", "最高档次"}


def _page(status: int = 200, **extra: object) -> tuple[str, int]:
    here = site()
    stages = list(here.school_stages())
    fields = {kind.id: [(c, choices(c.header, here.today(), stages), c.header in DATE_COLUMNS,
                         c.header in CHECKBOXES) for c in kind.columns]
              for kind in FORMS.values()}
    return render_template("care.html", forms=FORMS, fields=fields,
                           open_form=extra.pop("open_form", request.args.get("form", "records")),
                           form=extra.pop("form", ImmutableMultiDict()), **extra), status


@blueprint.get("/care")
def forms() -> tuple[str, int]:
    return _page()


@blueprint.post("/care/<kind>")
def save(kind: str) -> Response | tuple[str, int]:
    here = site()
    row_kind = FORMS.get(kind)
    if row_kind is None:
        abort(404)
    values: dict[str, object] = {}
    for column in row_kind.columns:
        raw = request.form.get(column.header, "").strip()
        values[column.header] = ("是" if raw else "否") if column.header in CHECKBOXES else raw
    try:
        counts = save_one(here.store(), row_kind, values, here.today())
    except InvalidInput as exc:
        return _page(400, open_form=kind, form=request.form, problems=exc.problems,
                     error=f"{row_kind.label.zh}没有保存，请修改标出的项：")
    except GuanaiError as exc:
        return _page(409, open_form=kind, form=request.form, error=f"没有保存：{exc}")
    flash(f"{row_kind.label.zh}已保存（{describe_counts(counts)}）。", "ok")
    return redirect(url_for("care.forms", form=kind))
