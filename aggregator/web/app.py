"""The bureau's web application: the shared pieces installed, one blueprint per page.

``create_app`` is what ``guanai aggregator web``, the demo, the tests and the benchmark start.
Every request but the sign-in page needs a live session (aggregator/web/access.py); every
view checks its role and region there; a refusal or bad input is a clear page (403 or 400)
and changes nothing; an official table that cannot be made is a 503 page pointing to the
estimates; every POST carries a CSRF token (common/web/csrf.py); the
Content-Security-Policy lets a page load nothing from another host.
"""

from __future__ import annotations

import logging
import secrets
from datetime import datetime

from flask import Flask, g, render_template, request
from werkzeug.exceptions import HTTPException

from aggregator.figures.official import OfficialError
from aggregator.web import (
    access,
    routes_completeness,
    routes_decisions,
    routes_table,
    routes_trends,
    routes_warnings,
)
from aggregator.web.access import BadInput, Forbidden, refused_page
from aggregator.web.bureau import Bureau, bureau
from common.errors import GuanaiError
from common.web import no_other_host, shared_blueprint
from common.web.csrf import Csrf
from protos.deadlines import local_date, local_text
from protos.periods import Period

logger = logging.getLogger(__name__)

# The pages: each module has a ``blueprint``. The webcharts pages (warnings, map, trends,
# decisions) are added here and in NAV.
PAGES = [routes_completeness, routes_table, routes_warnings, routes_trends, routes_decisions]

# (endpoint, Chinese, English, other endpoints of the same section)
NAV: list[tuple[str, str, str, set[str]]] = [
    ("completeness.overview", "完整性", "Completeness", set()),
    ("table.table", "统计表", "Statistics table", {"table.search"}),
    ("warnings.listing", "监测预警", "Warnings", {"warnings.tile_map"}),
    ("trends.chart", "趋势", "Trends", set()),
    ("decisions.overview", "决定", "Decisions", set()),
]


OFFICIAL_WAIT_SECONDS = 2.0  # a page waits this long for its official tables being made


def create_app(the_bureau: Bureau, secure_cookies: bool = False,
               official_wait: float = OFFICIAL_WAIT_SECONDS) -> Flask:
    """The Flask app of one aggregator's pages (``secure_cookies`` under TLS); a table page
    waits ``official_wait`` seconds for official tables being made before it says so."""
    app = Flask(__name__)
    app.config.update(
        OFFICIAL_WAIT_SECONDS=official_wait,
        SECRET_KEY=secrets.token_bytes(32),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_SECURE=secure_cookies,
        SESSION_COOKIE_NAME="guanai_bureau",
        MAX_CONTENT_LENGTH=1024 * 1024,
        TEMPLATES_AUTO_RELOAD=False,
    )
    app.extensions["guanai_bureau"] = the_bureau
    app.register_blueprint(shared_blueprint())
    access.install(app)
    Csrf(app)
    for module in PAGES:
        app.register_blueprint(module.blueprint)
    app.add_url_rule("/", "home", lambda: _home())
    app.after_request(no_other_host)
    app.after_request(_not_kept)
    app.context_processor(_common)
    app.jinja_env.globals.update(local=local, local_day=local_day)
    app.jinja_env.filters["period"] = lambda code: Period.parse(code).label_zh
    app.register_error_handler(Forbidden, lambda exc: refused_page(exc, 403))
    app.register_error_handler(BadInput, lambda exc: refused_page(exc, 400))
    app.register_error_handler(GuanaiError, lambda exc: refused_page(exc, 400))
    app.register_error_handler(OfficialError, _no_official)
    app.register_error_handler(HTTPException, _http_error)
    return app


def local(moment: datetime | str) -> str:
    """A moment, or a time as stored (ISO 8601 with its offset, common.clock.stamp), as the
    pages show every time: Beijing time, ``2027-06-30 18:00`` (protos.deadlines.local_text).
    Raises ValueError for a naive time or a malformed stamp."""
    return local_text(_aware(moment))


def local_day(moment: datetime | str) -> str:
    """The day in Beijing (``YYYY-MM-DD``) of a moment or a stored time, as ``local``."""
    return local_date(_aware(moment)).isoformat()


def _aware(moment: datetime | str) -> datetime:
    at = datetime.fromisoformat(moment) if isinstance(moment, str) else moment
    if at.tzinfo is None:
        raise ValueError("a shown time must be timezone-aware")
    return at


def _not_kept(response):  # noqa: ANN001, ANN202 (a Flask Response, returned)
    """``after_request``: a signed-in page or export is kept by no browser or proxy cache
    (RFC 9111 §5.2.2.5 ``no-store``), so a shared computer keeps no figures after sign-out."""
    if g.get("user") is not None:
        response.headers["Cache-Control"] = "no-store"
    return response


def _home():  # noqa: ANN202
    from flask import redirect, url_for

    return redirect(url_for("completeness.overview"))


def _http_error(exc: HTTPException) -> tuple[str, int]:
    texts = {404: ("没有这个页面。", "No such page."),
             405: ("不能这样访问这个页面。", "Method not allowed."),
             413: ("提交的内容太大。", "The request is too large.")}
    zh, en = texts.get(exc.code or 500, ("请求有误。", "Bad request."))
    return render_template("refused.html", message=f"{zh} {en}", status=exc.code), exc.code or 500


def _no_official(exc: OfficialError) -> tuple[str, int]:
    """An official table that cannot be made (aggregator/figures/official.py): not the user's
    doing, so 503 (RFC 9110 §15.6.4: the server cannot handle it at present), why in one line,
    and the way to the analysis form of the same region, period and stage, which needs no
    official table (aggregator/figures/printed.py ``estimates_sheet``)."""
    asked = request.args
    return render_template("table_failed.html", reason=str(exc), period=asked.get("period"),
                           region=asked.get("region"), stage=asked.get("stage") or None), 503


def _common() -> dict[str, object]:
    here = bureau()
    return {
        "nav": NAV,
        "user": g.get("user"),
        "aggregator": here.settings.describe(),
        "today": here.today(),
    }
