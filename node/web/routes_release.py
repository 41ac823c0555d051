"""The period's table: preview, a confirmation in plain words, release and submission, receipts.

The preview spends nothing (node/preview.py). Release and submission happen only after the
confirmation page, which says that a period is released once, that a correction spends more
of the year's privacy allowance, and how many releases the year still allows; ρ and ε are
behind a link. The release and the delivery run as a job with progress; a delivery that does
not get through stays in the outbox (the same signed bytes) for the next try or the daemon.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, jsonify, redirect, render_template, request, url_for

from common.errors import GuanaiError
from common.web.jobs import Job
from member.client import Backoff, SubmitGaveUp, SubmitRefused
from node.membership import MembershipError, parent
from node.overview import overview
from node.preview import CONFIDENCE, preview
from node.release import release_period, spent_in_year
from node.store import get_meta, open_store
from node.submit import outbox, submit
from node.submit import receipts as stored_receipts
from node.web.site import Site, site
from privacy import dp
from protos.catalogue import load
from protos.deadlines import from_ms, local_text
from protos.periods import Period, PeriodError

blueprint = Blueprint("release", __name__)


def _period(code: str | None) -> Period:
    here = site()
    if not code:
        return overview(here.store(), here.config.schedule, here.config.budget, here.now(),
                        here.truth).current.period
    try:
        period = Period.parse(code)
    except PeriodError:
        abort(404)
    if period.annual:
        abort(404)
    return period


def _choices(period: Period) -> list[Period]:
    year = site().today().year
    options = [Period(y, h) for y in (year - 1, year) for h in (1, 2)]
    return options if period in options else [*options, period]


@blueprint.get("/release")
def preview_page() -> str:
    here = site()
    period = _period(request.args.get("period"))
    try:
        shown = preview(here.store(), period, here.config.budget, today=here.today(),
                     truth=here.truth(period))
    except GuanaiError as exc:
        return render_template("release.html", period=period, periods=_choices(period),
                               p=None, error=str(exc))
    try:
        parent(here.store())
        has_parent = True
    except MembershipError:
        has_parent = False
    return render_template("release.html", period=period, periods=_choices(period), p=shown,
                           has_parent=has_parent, confidence=int(CONFIDENCE * 100),
                           items=[i for i in outbox(here.store()) if i.period == period.code])


@blueprint.get("/release/<code>/confirm")
def confirm(code: str) -> str | Response:
    here = site()
    period = _period(code)
    try:
        shown = preview(here.store(), period, here.config.budget, today=here.today(),
                        truth=here.truth(period))
    except GuanaiError:  # the preview page says why (a period not begun, …)
        return redirect(url_for("release.preview_page", period=period.code))
    correction = request.args.get("correction") == "1"
    if shown.release is not None and not correction:
        return redirect(url_for("release.preview_page", period=period.code))
    return render_template("confirm.html", period=period, p=shown, correction=correction)


@blueprint.get("/release/<code>/privacy")
def privacy(code: str) -> str:
    here = site()
    period = _period(code)
    policy = here.config.budget
    stages = frozenset(here.school_stages())
    plan = dp.noise_plan(load(), policy.rho_for(period), stages)
    spent = spent_in_year(here.store(), period.year)
    return render_template(
        "privacy.html", period=period, policy=policy, plan=plan, spent=spent,
        epsilon=dp.epsilon_delta(spent + policy.rho_for(period), policy.delta),
        groups=load().groups)


def deliver_pending(here: Site, job: Job, step: int, period: Period | None = None) -> str:
    """Queue ``period``'s release (if given), then deliver everything waiting in the outbox."""
    store = open_store(here.db)
    job.advance(step)
    try:
        bodies = submit(store, here.db, period, attempts=here.submit_attempts,
                        timeout=here.submit_timeout, client_tls=here.client_tls,
                        backoff=Backoff(initial=1.0, maximum=5.0))
    except SubmitGaveUp as exc:
        raise GuanaiError(f"已保存在待报送队列，但暂时没有送达：{exc}。"
                          "稍后在“回执”页点“再试一次”，或由节点日程（guanai node run）自动重试；"
                          "重试发送的是同一份数据。") from exc
    except SubmitRefused as exc:
        raise GuanaiError(f"上级拒收：{exc}") from exc
    finally:
        store.conn.close()
    if not bodies:
        return "没有待报送的内容；此前已报送的回执在“回执”页。"
    return "；".join(f"{b.period} 第 {b.revision} 版已报送，回执已核验（上级 {b.aggregator_id} "
                    f"日志序号 {b.log_index}，日志共 {b.tree_size} 条）" for b in bodies) + "。"


@blueprint.post("/release/<code>")
def release(code: str) -> Response | tuple[str, int]:
    here = site()
    period = _period(code)
    correction = request.form.get("correction") == "1"
    if request.form.get("understood") != "1":
        shown = preview(here.store(), period, here.config.budget, today=here.today(),
                     truth=here.truth(period))
        return render_template("confirm.html", period=period, p=shown, correction=correction,
                               error="请先勾选“我已了解”再发布。"), 400
    recipient = get_meta(here.store(), "parent_id") or get_meta(here.store(), "region_code")

    def work(job: Job) -> str:
        store = open_store(here.db)
        job.advance(0)
        try:
            release_period(store, period, recipient, here.config.budget, correction=correction,
                           today=here.today(), catalogue=load(here.config.catalogue_version))
        finally:
            store.conn.close()
        return deliver_pending(here, job, 1, period)

    job = here.jobs.start(f"发布并报送{period.label_zh}统计表",
                          ["计算真实值、校验、加噪声并保存（只做一次）", "签名、加密并报送给上级，核验回执"],
                          url_for("release.receipts"), work)
    return redirect(url_for("release.job_page", job_id=job.id))


@blueprint.post("/submit")
def resubmit() -> Response:
    here = site()
    job = here.jobs.start("报送待报送队列", ["签名、加密并报送给上级，核验回执"],
                          url_for("release.receipts"), lambda job: deliver_pending(here, job, 0))
    return redirect(url_for("release.job_page", job_id=job.id))


@blueprint.get("/jobs/<job_id>")
def job_page(job_id: str) -> str:
    job = site().jobs.get(job_id) or abort(404)
    return render_template("job.html", job=job, state=job.state())


@blueprint.get("/jobs/<job_id>.json")
def job_state(job_id: str) -> Response:
    job = site().jobs.get(job_id) or abort(404)
    return jsonify(job.state())


@blueprint.get("/receipts")
def receipts() -> str:
    here = site()
    store = here.store()
    held = [(r, local_text(from_ms(r.body.accepted_unix_ms))) for r in stored_receipts(store)]
    waiting = [i for i in outbox(store) if i.state in ("pending", "refused")]
    return render_template("receipts.html", held=held, waiting=waiting)
