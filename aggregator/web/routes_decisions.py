"""决定 Decisions in the browser: unlock, return for correction, sign off and send the rollup.

Each decision calls the function the CLI's command calls, with the signed-in official's own
staff credential (opened into the session at sign-in, aggregator/keys/accounts.py), so the
record names ``staff:<key id>`` and is signed by it, exactly as with ``--credential FILE``:

- ``unlock`` (准予补报): aggregator/calendar/decisions.py ``unlock``;
- ``return`` (退回修改, with a reason sent to the member): ``return_submission``;
- ``approve`` (审核签字): aggregator/rollup/signoff.py ``approve``, in the role the account
  holds — an operator signs as 填表人 (filler), a reviewer as 审核人, a unit head as 单位负责人;
  nobody chooses another's role;
- send up (上报): ``sign_off`` then ``send_to_parent``, as ``guanai aggregator rollup`` does
  once the three have approved.

Operators and unit heads unlock, return and send; each deciding role approves in its own role;
viewers read. A member must lie within the account's region; the rollup is the whole
aggregator's, so only an account of its whole region signs or sends it. A refused or malformed
request changes nothing (each function is one transaction, and checks before it writes).
"""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from aggregator.calendar import decisions
from aggregator.calendar.completeness import member_status
from aggregator.calendar.decisions import MAX_REASON_CHARS
from aggregator.calendar.timeliness import deadlines, exception_until, in_force
from aggregator.figures.holdings import region_within
from aggregator.keys import staff
from aggregator.rollup import signoff
from aggregator.rollup.build import rollup_report, send_to_parent
from aggregator.web.access import (
    BadInput,
    Forbidden,
    allowed,
    asked_period,
    date_field,
    whole_region,
)
from aggregator.web.bureau import bureau, parent_refused
from member.client import TlsMisconfigured
from protos.deadlines import TIMELINESS_LABELS, end_of_day
from protos.periods import Period
from protos.regions import name
from protos.signoff import ROLES

blueprint = Blueprint("decisions", __name__)
DECIDING = ("operator", "head")
SIGNING_ROLE = {"operator": "filler", "reviewer": "reviewer", "head": "head"}  # account → 签字


def _credential() -> staff.Credential:
    if g.user.credential is None:
        raise Forbidden("您的账号没有签字凭据。 Your account holds no staff credential.")
    return g.user.credential


def _member() -> str:
    """The member a form names, once the account is of this aggregator's whole region and the
    member is enrolled here. Every member is a direct member of this aggregator (a school of
    the county; at the province a city, a county, or a university located in a county but
    reporting straight here), so deciding for one (return, unlock) is this level's act, like
    signing its rollup: an account scoped below is Forbidden before the form is even read."""
    whole_region("对本级成员的决定（退回修改、准予补报）",
                 "Deciding for this aggregator's members (return, unlock)")
    member_id = request.form.get("member", "").strip()
    if not 0 < len(member_id) <= 10 or bureau().store.member(member_id) is None:
        raise BadInput("本级没有这个成员。 No such member here.")
    return member_id


def _back(period: Period, anchor: str = "") -> Response:
    return redirect(url_for("decisions.overview", period=period.code) + anchor)


@blueprint.get("/decisions")
@allowed()
def overview() -> str:
    """``/decisions?period=P``: the members' submissions with unlock and return (an unlock
    granted shows until when, Beijing time, or 已过期 once past: ``in_force`` by the Bureau's
    clock), the rollup's sign-off, and the decisions recorded for the period."""
    here = bureau()
    period = asked_period()
    members = [s for s in member_status(here.store, period)
               if region_within(s.member.region, g.user.region)]
    rollup = here.store.latest_rollup(period.code)
    report = rollup_report(rollup) if rollup is not None else None
    names = {s.key_id: s.name for s in here.store.staff()}
    whole = g.user.region == here.settings.region  # the rollup and its record are its alone
    signed = signoff.approvals_of(here.store, period)  # of the latest revision
    mine = {s.member.member_id for s in members}
    ends = {m: exception_until(here.store, m, period.code) for m in mine}
    unlocks = {m: (until, in_force(until, here.now())) for m, until in ends.items() if until}
    made = [d for d in here.store.decisions(None, period.code)
            if d.member_id in mine or (d.member_id is None and whole)]
    return render_template(
        "decisions.html", period=period, periods=here.period_choices(period), members=members, limits=deadlines(here.store, period),
        rollup=rollup, report=report, signed=signed,
        lacking=[code for code in ROLES if code not in {s.role for s in signed}],
        roles=ROLES, my_role=SIGNING_ROLE.get(g.user.role),
        can_decide=g.user.role in DECIDING and whole,
        whole=whole, top=here.settings.parent_region is None,
        decisions=made, names=names, timeliness=TIMELINESS_LABELS, region_name=name,
        max_reason=MAX_REASON_CHARS, kinds=decisions.KINDS, unlocks=unlocks)


@blueprint.post("/decisions/return")
@allowed(*DECIDING)
def return_submission() -> Response:
    """退回修改 Return the member's latest submission with a reason (``guanai aggregator return``)."""
    here = bureau()
    period = asked_period()
    member_id = _member()
    returned = decisions.return_submission(here.store, here.settings, _credential(), member_id,
                                           period, request.form.get("reason", ""), here.now())
    flash(f"已退回 {member_id} 第{returned.revision}版（决定 {returned.decision_id}），理由已发给该成员。 "
          f"Returned {member_id} revision {returned.revision}; the reason goes to the member.",
          "ok")
    return _back(period)


@blueprint.post("/decisions/unlock")
@allowed(*DECIDING)
def unlock() -> Response:
    """准予补报 Let the member submit after the lock (``guanai aggregator unlock``)."""
    here = bureau()
    period = asked_period()
    member_id = _member()
    last_day = date_field("until", "补报截止日", "The exception's last day")
    until = end_of_day(last_day) if last_day else None
    reason = request.form.get("reason", "")
    if len(reason) > MAX_REASON_CHARS:
        raise BadInput(f"理由太长（最多 {MAX_REASON_CHARS} 字）。 The reason is too long.")
    decision = decisions.unlock(here.store, here.settings, _credential(), member_id, period,
                                here.now(), until, reason)
    flash(f"已准予 {member_id} 补报（决定 {decision}）。 Exception granted to {member_id}.", "ok")
    return _back(period)


@blueprint.post("/decisions/approve")
@allowed(*SIGNING_ROLE)
def approve() -> Response:
    """审核签字 Approve the period's current rollup in the account's own role."""
    whole_region("汇总表的签字和上报", "Signing or sending this aggregator's rollup")
    here = bureau()
    period = asked_period()
    role = SIGNING_ROLE[g.user.role]
    rollup, approval = signoff.approve(here.store, here.settings, _credential(), period, role,
                                       here.now())
    zh, en = ROLES[approval.role]
    flash(f"{approval.name} 已以{zh}身份签字（汇总表第{rollup.revision}版）。 Approved as {en} "
          f"(revision {rollup.revision}).", "ok")
    return _back(period, "#signoff")


@blueprint.post("/decisions/send")
@allowed(*DECIDING)
def send() -> Response:
    """上报 Send the signed-off rollup to the parent (``guanai aggregator rollup``)."""
    whole_region("汇总表的签字和上报", "Signing or sending this aggregator's rollup")
    here = bureau()
    period = asked_period()
    if here.settings.parent_region is None:
        raise BadInput("本级为最高级，汇总表留存本级，不上报。 This is the top level: nothing is "
                       "sent up.")
    made = signoff.sign_off(here.store, here.settings, period)
    try:
        body = send_to_parent(here.store, here.settings, made, here.now(),
                              client_tls=here.client_tls, attempts=3, timeout=15)
    except TlsMisconfigured as exc:  # no receipt: the rollup is not marked sent
        flash(parent_refused(exc), "error")
        return _back(period, "#signoff")
    flash(f"已上报 {name(body.aggregator_id)}（{body.aggregator_id}），回执已核验，日志序号 "
          f"{body.log_index}。 Delivered; receipt verified.", "ok")
    return _back(period, "#signoff")
