"""The annual work summary (年度工作总结): an editor that shows every screening finding in its
line before anything is signed.

The text is kept as a draft in the school's store while it is written. "检查" screens it against
the roster (node/screening.py) and shows each finding where it is; only a text with no
finding can be signed and queued (node/summary.py), then delivered like a table.
"""

from __future__ import annotations

import unicodedata

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for

from common.errors import GuanaiError
from node import screening
from node.store import get_meta, set_meta
from node.submit import outbox
from node.summary import file_summary
from node.web.routes_release import deliver_pending
from node.web.site import site
from protos.periods import Period

blueprint = Blueprint("summary", __name__)


def _draft_key(year: Period) -> str:
    return f"web_summary_draft_{year.code}"


def _length(line: str, start: int, kind: str, names: frozenset[str]) -> int:
    """How many characters from ``start`` the finding covers, to mark it in its line."""
    if kind == "name":
        for length in range(8, 1, -1):
            piece = "".join(ch for ch in unicodedata.normalize("NFKC", line[start:start + length])
                            if not ch.isspace() and ch not in "·・•‧.。").casefold()
            if piece in names:
                return length
        return 2
    end = start
    while end < len(line) and (line[end].isascii() and line[end].isalnum() or line[end] in "-–— "):
        end += 1
    return max(1, end - start)


def _context(text: str, findings: list[screening.Finding],
             roster: screening.Roster) -> list[dict[str, object]]:
    """Each line with a finding, cut into pieces, the found ones marked, and what was found."""
    by_line: dict[int, list[screening.Finding]] = {}
    for finding in findings:
        by_line.setdefault(finding.line, []).append(finding)
    shown = []
    for number, line in enumerate(text.splitlines(), start=1):
        found = by_line.get(number)
        if not found:
            continue
        pieces, at = [], 0
        for finding in sorted(found, key=lambda f: f.column):
            start = max(at, finding.column - 1)
            end = max(start, finding.column - 1 + _length(line, finding.column - 1, finding.kind,
                                                          roster.names))
            pieces += [(line[at:start], False), (line[start:end], True)]
            at = end
        pieces.append((line[at:], False))
        shown.append({"number": number, "pieces": [p for p in pieces if p[0]],
                      "kinds": sorted({screening.KINDS[f.kind] for f in found})})
    return shown


def _year() -> Period:
    try:
        return Period.parse(request.values.get("year") or str(site().today().year))
    except GuanaiError:
        return Period(site().today().year, None)


@blueprint.get("/summary")
def editor() -> str:
    here = site()
    year = _year()
    text = get_meta(here.store(), _draft_key(year)) or ""
    filed = [i for i in outbox(here.store()) if i.period == year.code]
    return render_template("summary.html", year=year, text=text, allow="", checked=None,
                           filed=filed)


@blueprint.post("/summary")
def act() -> Response | tuple[str, int]:
    here = site()
    year = _year()
    text = request.form.get("text", "").replace("\r\n", "\n")
    allow = [a.strip() for a in request.form.get("allow", "").split("、") if a.strip()]
    store = here.store()
    set_meta(store, _draft_key(year), text)
    roster = screening.Roster.of(store)
    findings = screening.screen(text, roster, allow)
    filed = [i for i in outbox(store) if i.period == year.code]

    def page(status: int, **extra: object) -> tuple[str, int]:
        return render_template("summary.html", year=year, text=text, allow="、".join(allow),
                               checked=_context(text, findings, roster), findings=findings,
                               filed=filed, **extra), status

    if not text.strip():
        return page(400, error="总结是空的，请先写内容。")
    if request.form.get("action") != "file":
        return page(200)
    if findings:
        return page(400, error="总结中还有学生个人信息（见下方标出的位置），没有签名、没有报送。")
    if request.form.get("understood") != "1":
        return page(400, error="请先勾选“我已检查”再签名报送。")
    try:
        item = file_summary(store, here.db, year, text, allow, now=here.now)
    except GuanaiError as exc:
        return page(409, error=f"没有报送：{exc}")
    flash(f"{year.code}年度工作总结（第 {item.revision} 版）已签名并放入待报送队列。", "ok")
    job = here.jobs.start(f"报送{year.code}年度工作总结", ["签名、加密并报送给上级，核验回执"],
                          url_for("release.receipts"),
                          lambda job: deliver_pending(here, job, 0))
    return redirect(url_for("release.job_page", job_id=job.id))
