"""The school's web application: the shared pieces installed, one blueprint per job.

``create_app`` is what ``guanai node web``, the tests and the benchmark start. Every page is
rendered on the server and works without scripts; a node error (a GuanaiError: a refused
import, a step out of order, a budget exhausted) is shown in the page that caused it, and the
store is left as it was, because every node function it calls is all or nothing.
"""

from __future__ import annotations

import logging
import secrets

from flask import Flask, Response, redirect, render_template, request, url_for
from werkzeug.datastructures import ImmutableMultiDict

from common.web import shared_blueprint
from common.web.csrf import Csrf
from node.store import get_meta
from node.web import (
    routes_care,
    routes_files,
    routes_home,
    routes_release,
    routes_students,
    routes_summary,
)
from node.web.auth import PasswordGate
from node.web.site import Site, site
from protos.deadlines import local_text
from protos.periods import Period

logger = logging.getLogger(__name__)
MAX_UPLOAD_BYTES = 64 * 1024 * 1024  # a 50,000-student roster as .xlsx is well below this

NAV = [  # (endpoint, Chinese, English, other endpoints of the same section)
    ("home.status", "概览", "Status", {"home.parent"}),
    ("students.roster", "学生与案件", "Students & cases", {"students.student", "students.cases"}),
    ("care.forms", "关爱记录", "Care records", set()),
    ("files.upload", "导入", "Import", {"files.receive"}),
    ("files.templates", "模板", "Templates", set()),
    ("release.preview_page", "统计表与报送", "Table & submit",
     {"release.confirm", "release.privacy", "release.release", "release.job_page"}),
    ("release.receipts", "回执", "Receipts", set()),
    ("summary.editor", "年度总结", "Annual summary", {"summary.act"}),
]


def create_app(the_site: Site, password_hash: str | None = None, secure_cookies: bool = False
               ) -> Flask:
    """The Flask app of one school node."""
    app = Flask(__name__, static_folder=None)
    app.config.update(
        SECRET_KEY=secrets.token_bytes(32),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_SECURE=secure_cookies,
        MAX_CONTENT_LENGTH=MAX_UPLOAD_BYTES,
        TEMPLATES_AUTO_RELOAD=False,
    )
    app.extensions["guanai_site"] = the_site
    app.before_request(lambda: the_site.lock.acquire() and None)  # None: go on to the view
    app.teardown_request(lambda _exc: the_site.lock.release())
    app.register_blueprint(shared_blueprint())
    PasswordGate(app, password_hash)
    Csrf(app)
    app.before_request(_set_up_first)
    for module in (routes_home, routes_files, routes_students, routes_care, routes_release,
                   routes_summary):
        app.register_blueprint(module.blueprint)
    app.context_processor(_common)
    app.jinja_env.globals.update(local=local_text, blank=ImmutableMultiDict())
    app.jinja_env.filters["local"] = local_text
    app.jinja_env.filters["period"] = lambda code: Period.parse(code).label_zh
    app.register_error_handler(404, lambda _e: (render_template(
        "refused.html", zh="没有这个页面。", en="No such page."), 404))
    app.register_error_handler(413, lambda _e: (render_template(
        "refused.html", zh="文件太大（超过 64 MB），没有导入。", en="The file is too large."), 413))
    return app


SETUP_ENDPOINTS = frozenset({"home.setup", "shared.static", "login", "logout"})


def _set_up_first() -> Response | None:
    """An empty node shows its setup form, whatever page was asked for."""
    if request.endpoint in SETUP_ENDPOINTS or site().initialised():
        return None
    return redirect(url_for("home.setup"))


def _common() -> dict[str, object]:
    here = site()
    store = here.store() if here.initialised() else None
    return {
        "nav": NAV,
        "school_name": get_meta(store, "school_name") if store else None,
        "school_id": get_meta(store, "school_id") if store else None,
        "beyond_loopback": here.served_beyond_loopback,
        "today": here.today(),
    }
