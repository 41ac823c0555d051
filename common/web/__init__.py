"""What the school's pages (node/web) and the bureaus' pages (aggregator/web) share.

Why here: both are edges over Flask and cheroot with the same needs — argon2id passwords
(``passwords``), CSRF tokens and single-use forms (``csrf``), the loopback rule and TLS
(``server``), long work with progress (``jobs``), one stylesheet and script (``static/``,
served under ``/shared/static/`` by ``shared_blueprint``) and one page frame
(``templates/common/_frame.html``: head, header, main menu, flashed notes, footer; found through
the same blueprint, after each app's own templates, and extended by each app's layout.html).
One copy serves both, so a fix to any of them reaches every page. Nothing here knows a school
or an aggregator.
"""

from __future__ import annotations

from flask import Blueprint

CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
       "font-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'self'; "
       "form-action 'self'")


def shared_blueprint() -> Blueprint:
    """The blueprint serving ``common/web/static`` at ``/shared/static/<file>``
    (endpoint ``shared.static``) and offering ``common/web/templates`` (the page frame
    ``common/_frame.html``) to the app's Jinja loader; register it on every app."""
    return Blueprint("shared", __name__, static_folder="static", url_prefix="/shared",
                     static_url_path="/static", template_folder="templates")


def no_other_host(response):  # noqa: ANN001, ANN201 (a Flask Response, returned)
    """``after_request`` hook: the Content-Security-Policy that lets a page load nothing from
    another host (W3C CSP Level 3, ``default-src 'self'``), and no framing or sniffing."""
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    return response
