"""A password in front of the pages, required whenever they are served beyond loopback.

The password is stored only as an argon2id hash (common/web/passwords.py); the session
remembers a successful login until the browser closes or the server restarts (its key is made
afresh at each start). The bureaus' pages have accounts instead (aggregator/web/access.py).
"""

from __future__ import annotations

import logging
import time

from flask import Flask, Response, redirect, render_template, request, session, url_for

from common.web.passwords import check_password

logger = logging.getLogger(__name__)
OPEN_ENDPOINTS = frozenset({"login", "shared.static"})


class PasswordGate:
    """Install on an app with the stored hash; without one the gate stays open (loopback)."""

    def __init__(self, app: Flask, stored: str | None) -> None:
        self.stored = stored
        app.before_request(self._require)
        app.add_url_rule("/login", "login", self._login, methods=["GET", "POST"])
        app.add_url_rule("/logout", "logout", self._logout, methods=["POST"])
        app.jinja_env.globals["password_required"] = stored is not None

    def _require(self) -> Response | None:
        if self.stored is None or session.get("signed_in") or request.endpoint in OPEN_ENDPOINTS:
            return None
        return redirect(url_for("login", next=request.full_path))

    def _login(self) -> str | Response | tuple[str, int]:
        if self.stored is None:
            return redirect("/")
        if request.method == "POST":
            if check_password(self.stored, request.form.get("password", "")):
                session["signed_in"] = True
                target = request.args.get("next", "/")
                return redirect(target if target.startswith("/") and not
                                target.startswith("//") else "/")
            logger.warning("web sign-in failed from %s", request.remote_addr)
            time.sleep(1.0)  # slows guessing; argon2id already costs each try
            return render_template("login.html", failed=True), 401
        return render_template("login.html", failed=False)

    def _logout(self) -> Response:
        session.clear()
        return redirect(url_for("login"))
