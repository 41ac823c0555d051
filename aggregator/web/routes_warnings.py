"""监测预警 The warnings of a period: the list with history and responses, and the map.

The list (``/warnings``) is what ``guanai aggregator warnings`` prints (aggregator/warnings/
board.py): status (新发, 持续 since a period, 已解除), when each was delivered, every structured
response. Operators and unit heads act; other roles read:

- at the aggregator that judged them: judge the period (``warnings evaluate``) and deliver the
  warnings not yet taken to the aggregator of the region concerned (``warnings send``);
- at the aggregator warned: answer a warning received from above with an action from the fixed
  list and a planned date, sent at once to the issuer (``warnings respond``).

Judging and delivering concern every region here, so only an account of this aggregator's
whole region may; an answer only a warning about the account's region. The map
(``/warnings/map``) shows each county held here as a tile (aggregator/web/tilemap.py),
coloured by its severest warning still holding, drawn as SVG on the server.
"""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from aggregator.figures.holdings import Holdings, level_of, region_of, region_within
from aggregator.warnings import board
from aggregator.warnings.delivery import deliver_pending, respond, send_responses, target
from aggregator.warnings.monitoring import evaluate_period
from aggregator.warnings.notices import ACTIONS, RESPONSES, STATUSES, answer_of
from aggregator.warnings.rules import SEVERITIES
from aggregator.web.access import (
    BadInput,
    Forbidden,
    allowed,
    asked_period,
    date_field,
    scoped_region,
    whole_region,
)
from aggregator.web.bureau import bureau, parent_refused
from aggregator.web.tilemap import HEADER, layout
from member.client import TlsMisconfigured
from protos.deadlines import from_ms
from protos.periods import Period
from protos.regions import name

blueprint = Blueprint("warnings", __name__)
ACTING = ("operator", "head")
TILE_W, TILE_H, PAD = 92, 46, 8  # pixels of one tile on the map, and the margin


def _back(period: Period) -> Response:
    return redirect(url_for("warnings.listing", period=period.code))


@blueprint.get("/warnings")
@allowed()
def listing() -> str:
    """``/warnings?period=P[&region=R]``: the period's warnings about R (default: the
    account's region) and below, with history and responses."""
    here = bureau()
    period = asked_period()
    region = scoped_region(request.args.get("region"))
    found = board.entries(here.store, period.code, region)
    everything = request.args.get("all") == "1"
    listed = found if everything else [e for e in found if e.warns]
    return render_template(
        "warnings.html", period=period, periods=here.period_choices(period), region=region, entries=listed, everything=everything,
        others=sum(not e.warns for e in found), answer_label=board.answer_label,
        kept={e.stored.warning_id for e in listed if e.warning.issuer == here.settings.region
              and not e.stored.delivered_at
              and target(here.store, here.settings, e.stored.region) is None},
        may_answer=lambda w: RESPONSES[answer_of(w)], answer=answer_of,
        judged=period.code in here.store.warning_runs(), own=here.settings.region,
        can_act=g.user.role in ACTING, whole=g.user.region == here.settings.region,
        severities=SEVERITIES, statuses=STATUSES, actions=ACTIONS, shown=board.shown,
        responder_name=name, from_ms=from_ms)


@blueprint.post("/warnings/evaluate")
@allowed(*ACTING)
def evaluate() -> Response:
    """研判 Judge every rule on every region below for the period (``warnings evaluate``)."""
    whole_region("研判和送达涉及本级所有地区，", "Judging and delivering concern every region here")
    here = bureau()
    period = asked_period()
    found = evaluate_period(here.store, here.settings, period, today=here.today())
    counts = {s: sum(w.status == s for w in found) for s in STATUSES}
    flash(f"已研判 {period.label_zh}：{', '.join(f'{STATUSES[s].zh} {n}' for s, n in counts.items())}。 "
          f"Judged {period.code}: {', '.join(f'{STATUSES[s].en} {n}' for s, n in counts.items())}.",
          "ok")
    return _back(period)


@blueprint.post("/warnings/deliver")
@allowed(*ACTING)
def deliver() -> Response:
    """发布警示 Deliver the warnings not yet taken to the aggregators of their regions."""
    whole_region("研判和送达涉及本级所有地区，", "Judging and delivering concern every region here")
    here = bureau()
    period = asked_period()
    sent = deliver_pending(here.store, here.settings, client_tls=here.client_tls, timeout=10)
    flash(f"已送达 {sent.delivered} 条，本级留存 {sent.kept} 条，未送达 {sent.failed} 条（稍后再送）。 "
          f"Delivered {sent.delivered}, kept here {sent.kept}, not delivered {sent.failed}.",
          "error" if sent.failed else "ok")
    return _back(period)


@blueprint.post("/warnings/respond")
@allowed(*ACTING)
def answer() -> Response:
    """回复 Answer a warning received from above with a structured response, sent up at once
    (``warnings respond``). The warning must be about the account's region or below."""
    here = bureau()
    period = asked_period()
    warning_id = request.form.get("warning", "")
    held = here.store.warning(warning_id) if len(warning_id) == 24 else None
    if held is None:
        raise BadInput("没有这条警示。 No such warning here.")
    where = region_of(here.store, held.region)
    if where is None or not region_within(where, g.user.region):
        raise Forbidden(f"您的账号只能回复{name(g.user.region)}（{g.user.region}）及以下的警示。 "
                        "Your account answers warnings about its own region only.")
    action = request.form.get("action", "")
    if action not in ACTIONS:
        raise BadInput("处理情况须从列表中选择。 Choose the action from the list.")
    respond(here.store, here.settings, warning_id, action,
            date_field("planned_by", "整改完成日", "The planned date"))
    try:
        sent = send_responses(here.store, here.settings, client_tls=here.client_tls, timeout=10)
    except TlsMisconfigured as exc:  # the answer is kept, not marked sent: resent from here
        flash(f"已回复“{ACTIONS[action].zh}”并留存本级。 Answered and kept here. "
              + parent_refused(exc), "error")
        return _back(period)
    if sent.delivered:
        flash(f"已回复“{ACTIONS[action].zh}”，已送达上级。 Answered “{ACTIONS[action].en}” and "
              "sent to the issuer.", "ok")
    else:
        flash(f"已回复“{ACTIONS[action].zh}”，但未能送达上级，请稍后在此页重试。 Answered "
              f"“{ACTIONS[action].en}”; not sent yet — try again later.", "error")
    return _back(period)


@blueprint.post("/warnings/send-responses")
@allowed(*ACTING)
def resend() -> Response:
    """Send this region's answers the issuer has not taken yet."""
    here = bureau()
    try:
        sent = send_responses(here.store, here.settings, client_tls=here.client_tls, timeout=10)
    except TlsMisconfigured as exc:
        flash(parent_refused(exc), "error")
        return _back(asked_period())
    flash(f"已送达回复 {sent.delivered} 条，未送达 {sent.failed} 条。 Sent {sent.delivered}, not "
          f"sent {sent.failed}.", "error" if sent.failed else "ok")
    return _back(asked_period())


@blueprint.get("/warnings/map")
@allowed()
def tile_map() -> str:
    """``/warnings/map?period=P[&region=R]``: the counties held here within R as tiles laid
    out by geography, each coloured by its severest warning of the period still holding."""
    here = bureau()
    period = asked_period()
    region = scoped_region(request.args.get("region"))
    found = board.entries(here.store, period.code, region)
    worst = board.severest(found)
    counties = set(Holdings(here.store, here.settings, period).units("county", region))
    counties |= {e.stored.region for e in found if level_of(e.stored.region) == "county"}
    if level_of(region) == "county":
        counties.add(region)
    drawn = layout(counties)
    count = {code: sum(e.active and e.stored.region == code for e in found) for code in counties}
    tiles = [dict(code=code, name=name(code), x=PAD + x * TILE_W, y=PAD + y * TILE_H,
                  severity=worst.get(code), count=count[code])
             for code, (x, y) in sorted(drawn.tiles.items())]
    blocks = [dict(code=b.prefecture, name=name(b.prefecture), x=PAD + b.x * TILE_W - 4,
                   y=PAD + b.y * TILE_H, width=b.columns * TILE_W + 8,
                   height=(HEADER + b.rows) * TILE_H + 4,
                   severity=worst.get(b.prefecture))
              for b in drawn.blocks]
    judged = period.code in here.store.warning_runs() or bool(found)
    return render_template(
        "warnings_map.html", period=period, periods=here.period_choices(period), region=region, tiles=tiles, blocks=blocks,
        width=int(PAD * 2 + drawn.width * TILE_W), height=int(PAD * 2 + drawn.height * TILE_H),
        tile_w=TILE_W, tile_h=TILE_H, severities=SEVERITIES, judged=judged,
        province=worst.get(here.settings.region))
