"""Protection against cross-site request forgery, and against a form sent twice.

Every form carries two hidden fields. ``csrf_token`` is the session's secret (the session is a
signed, HttpOnly, SameSite=Strict cookie); a state-changing request without it, or with
another, is refused before any handler runs, as is one whose Origin is another site. ``once``
is a fresh random token per rendered form: the first request that carries it claims it, and a
second (a double click, the browser's back button and a resend) is answered with a clear page
and changes nothing. A claim is given back when the request fails, so a corrected form can be
sent again. Shared by the school's and the bureaus' pages.
"""

from __future__ import annotations

import hmac
import secrets
import threading
from collections import OrderedDict
from urllib.parse import urlsplit

from flask import Flask, Response, g, render_template, request, session
from markupsafe import Markup

UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
REMEMBERED = 10_000  # claimed once-tokens kept; older ones are forgotten first


class Csrf:
    """Install on an app: checks every unsafe request, offers ``csrf_fields()`` to templates."""

    def __init__(self, app: Flask) -> None:
        self._claimed: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()
        app.before_request(self._protect)
        app.after_request(self._settle)
        app.jinja_env.globals["csrf_fields"] = self.fields

    @staticmethod
    def token() -> str:
        """The session's CSRF secret, made on first use."""
        if "csrf" not in session:
            session["csrf"] = secrets.token_urlsafe(32)
        return session["csrf"]

    def fields(self) -> Markup:
        """The hidden inputs every form includes."""
        return Markup('<input type="hidden" name="csrf_token" value="{}">'
                      '<input type="hidden" name="once" value="{}">').format(
                          self.token(), secrets.token_urlsafe(16))

    def _protect(self) -> Response | tuple[str, int] | None:
        if request.method not in UNSAFE:
            return None
        origin = request.headers.get("Origin")
        if origin and origin != "null" and urlsplit(origin).netloc != request.host:
            return _refused("请求来自其他网站，已拒绝。", "The request came from another site.")
        sent = request.form.get("csrf_token", "")
        expected = session.get("csrf", "")
        if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
            return _refused("页面已过期或请求不是从本系统的页面发出的，没有做任何更改。请重新打开页面再试。",
                            "The page expired or the request did not come from these pages; "
                            "nothing was changed.")
        once = request.form.get("once", "")
        if once:
            with self._lock:
                if once in self._claimed:
                    return render_template("once.html", back=request.referrer or "/"), 409
                self._claimed[once] = None
                while len(self._claimed) > REMEMBERED:
                    self._claimed.popitem(last=False)
            g.once = once
        return None

    def _settle(self, response: Response) -> Response:
        once = g.pop("once", None)
        if once and response.status_code >= 400:
            with self._lock:
                self._claimed.pop(once, None)
        return response


def _refused(zh: str, en: str) -> tuple[str, int]:
    return render_template("refused.html", zh=zh, en=en), 400
