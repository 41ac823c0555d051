"""The front page (the period at a glance), setting up an empty node, and the parent link.

An empty node opens on a setup form (学校标识码, county, name), which does what ``guanai node
init`` does. Then the school exchanges keys with its county: it downloads its own public key
file for the county to enrol, and uploads the county's file (``guanai node parent``).
"""

from __future__ import annotations

import json

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for

from common.errors import GuanaiError
from node.membership import import_parent, init_school, own_identity
from node.overview import LEVELS, overview
from node.store import get_meta
from node.web.site import site
from privacy.identity import Identity

blueprint = Blueprint("home", __name__)

STATES = {
    "waiting": "尚未开始 not started",
    "open": "待发布 to be released",
    "released": "已发布，待报送 released, not sent",
    "sending": "报送中 sending",
    "refused": "被拒收 refused",
    "delivered": "已报送 delivered",
    "locked": "已锁定 locked",
}


@blueprint.get("/")
def status() -> str | Response:
    here = site()
    if not here.initialised():
        return redirect(url_for("home.setup"))
    store = here.store()
    view = overview(store, here.config.schedule, here.config.budget, here.now(), here.truth)
    return render_template("status.html", o=view, states=STATES)


@blueprint.route("/setup", methods=["GET", "POST"])
def setup() -> str | Response | tuple[str, int]:
    here = site()
    if here.initialised():
        return redirect(url_for("home.status"))
    if request.method == "GET":
        return render_template("setup.html", form={})
    form = {k: request.form.get(k, "").strip() for k in ("school_id", "region", "name")}
    missing = [label for key, label in (("school_id", "学校标识码"), ("region", "所在县区代码"),
                                        ("name", "学校名称")) if not form[key]]
    if missing:
        return render_template("setup.html", form=form,
                               error=f"请填写：{'、'.join(missing)}"), 400
    try:
        init_school(here.db, form["school_id"], form["region"], form["name"])
    except GuanaiError as exc:
        return render_template("setup.html", form=form, error=str(exc)), 400
    flash("学校节点已建立，签名密钥已生成。下一步：与县区教育局交换公钥文件。", "ok")
    return redirect(url_for("home.parent"))


@blueprint.get("/parent")
def parent() -> str | Response:
    here = site()
    if not here.initialised():
        return redirect(url_for("home.setup"))
    store = here.store()
    text = get_meta(store, "parent_identity")
    return render_template("parent.html", parent=Identity.from_json(text) if text else None)


@blueprint.get("/parent/own-key.json")
def own_key() -> Response:
    here = site()
    identity = own_identity(here.store(), here.db)
    return Response(identity.to_json(), mimetype="application/json", headers={
        "Content-Disposition": f"attachment; filename=school-{identity.id}.json"})


@blueprint.post("/parent")
def set_parent() -> str | Response | tuple[str, int]:
    here = site()
    upload = request.files.get("export")
    error = None
    if upload is None or not upload.filename:
        error = "请选择县区教育局给的公钥文件（.json）。"
    else:
        try:
            identity = Identity.from_json(upload.read().decode("utf-8"))
            import_parent(here.store(), identity)
        except (GuanaiError, UnicodeDecodeError, json.JSONDecodeError, KeyError,
                TypeError, ValueError) as exc:
            error = f"这不是有效的上级公钥文件，没有做任何更改：{exc}"
    if error:
        text = get_meta(here.store(), "parent_identity")
        return render_template("parent.html", error=error,
                               parent=Identity.from_json(text) if text else None), 400
    level = LEVELS.get(identity.level or "", identity.level)
    flash(f"上级已设置：{identity.id}（{level}教育部门） {identity.address}", "ok")
    return redirect(url_for("home.status"))
