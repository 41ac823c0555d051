"""Who may see what: sign-in, sessions, roles and region scopes, checked at every request.

Sessions are kept on the server (``Sessions``): the browser holds only a random session id in
Flask's signed, HttpOnly, SameSite=Strict cookie (Secure under TLS). A session ends after
``IDLE`` without a request, ``ABSOLUTE`` after sign-in, at sign-out, when the server restarts
(its memory and cookie key go), and at the next request after its account is revoked (the
account is read from the store at every request, so a revocation by the CLI in another process
takes effect at once), and at the next request after its password is changed (the session
keeps the hash it signed in with; ``Sessions.changed`` keeps the session that changed it and
ends the account's others at once). A session that ended by a password change is sent to the
sign-in page with ``expired=password``, which says so; one that expired or was revoked with
``expired=1`` (for ``IDLE`` after a change, ``Sessions`` remembers the ids it ended, nothing
else). The opened staff credential of a deciding role lives in
the session only (aggregator/keys/accounts.py).

Every view is wrapped by ``allowed(*roles)``; every region a request names is read through
``scoped_region``: a region outside the account's scope is ``Forbidden`` (403, a page saying
so and nothing of that region), a malformed or unknown one ``BadInput`` (400). Both change
nothing. Times come from the Bureau's clock.
"""

from __future__ import annotations

import functools
import re
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from flask import (
    Flask,
    Response,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from aggregator.figures.holdings import region_of, region_prefix, region_within
from aggregator.keys import accounts, staff
from aggregator.store.sqlite import Account
from aggregator.web.bureau import bureau
from common.errors import GuanaiError
from common.web.passwords import RULES
from protos.periods import Period, PeriodError
from protos.regions import CodeError, check_region, check_school, name

IDLE = timedelta(minutes=30)
ABSOLUTE = timedelta(hours=12)
OPEN_ENDPOINTS = frozenset({"login", "shared.static", "static"})
ALL_ROLES = tuple(accounts.ROLES)
_PERIOD_CODE = re.compile(r"[0-9]{4}(-[Hh][12])?")  # a period's code, whatever its year
# why a session ended, as the sign-in page's ``expired`` parameter says it
ENDED = "1"  # expired (idle, absolute limit) or its account revoked
PASSWORD_CHANGED = "password"  # its account's password changed elsewhere


class Forbidden(GuanaiError):
    """The signed-in account may not see or do this (HTTP 403 at the edge)."""


class BadInput(GuanaiError):
    """A request naming an unknown region, period, stage or indicator, or a forged field
    (HTTP 400 at the edge); nothing was changed."""


@dataclass
class Session:
    """One signed-in browser: who, since when, last seen, the opened credential if any, and
    the account's password hash when it signed in (a change ends it)."""

    account: str
    started: datetime
    seen: datetime
    credential: staff.Credential | None
    password_hash: str


class Sessions:
    """Server-side sessions by random id; expired ones are dropped when next looked at. The
    ids of sessions a password change ended are kept for ``IDLE`` (with the time, nothing
    else), so that their next request can be told why."""

    def __init__(self) -> None:
        self._held: dict[str, Session] = {}
        self._ended: dict[str, datetime] = {}
        self._lock = threading.Lock()

    def open(self, account: Account, credential: staff.Credential | None,
             now: datetime) -> str:
        """A new session's id; sessions already expired are forgotten (with their keys)."""
        sid = secrets.token_urlsafe(32)
        with self._lock:
            for old in [k for k, s in self._held.items()
                        if now - s.seen > IDLE or now - s.started > ABSOLUTE]:
                del self._held[old]
            for old in [k for k, at in self._ended.items() if now - at > IDLE]:
                del self._ended[old]
            self._held[sid] = Session(account.name, now, now, credential, account.password_hash)
        return sid

    def changed(self, account: Account, keep: str, now: datetime) -> int:
        """The account's password changed in session ``keep`` at ``now``: that one goes on
        under the new hash, every other session of the account ends now (with its opened key),
        remembered as ended by the change; how many."""
        with self._lock:
            others = [k for k, s in self._held.items() if s.account == account.name and k != keep]
            for sid in others:
                del self._held[sid]
                self._ended[sid] = now
            if keep in self._held:
                self._held[keep].password_hash = account.password_hash
        return len(others)

    def get(self, sid: str, now: datetime) -> tuple[Session | None, str | None]:
        """(the live session, None) or (None, why it ended: ``ENDED`` if it expired now,
        ``PASSWORD_CHANGED`` if a password change ended it within ``IDLE``, None if unknown)."""
        with self._lock:
            held = self._held.get(sid)
            if held is None:
                ended = self._ended.pop(sid, None)
                return None, PASSWORD_CHANGED if ended and now - ended <= IDLE else None
            if now - held.seen > IDLE or now - held.started > ABSOLUTE:
                del self._held[sid]
                return None, ENDED
            held.seen = now
            return held, None

    def close(self, sid: str) -> None:
        with self._lock:
            self._held.pop(sid, None)


@dataclass(frozen=True)
class User:
    """The signed-in account as the views see it (``g.user``)."""

    name: str
    role: str
    region: str
    credential: staff.Credential | None

    @property
    def role_label(self) -> str:
        return accounts.role_label(self.role)

    @property
    def region_label(self) -> str:
        return f"{name(self.region)} {self.region}"


def install(app: Flask) -> None:
    """The sign-in pages and the check in front of every other request."""
    sessions = Sessions()
    app.extensions["guanai_sessions"] = sessions
    app.before_request(_require)
    app.add_url_rule("/login", "login", _login, methods=["GET", "POST"])
    app.add_url_rule("/logout", "logout", _logout, methods=["POST"])
    app.add_url_rule("/password", "password", _password, methods=["GET", "POST"])


def _sessions() -> Sessions:
    from flask import current_app

    return current_app.extensions["guanai_sessions"]


def _require() -> Response | None:
    if request.endpoint in OPEN_ENDPOINTS:
        return None
    here = bureau()
    sid = session.get("sid")
    held, why = _sessions().get(sid, here.now()) if sid else (None, None)
    account = accounts.current(here.store, held.account) if held else None
    if held is not None:
        why = ENDED  # if it ends here: revoked
    if account is not None and account.password_hash != held.password_hash:
        account, why = None, PASSWORD_CHANGED  # elsewhere: another process (the CLI)
    if held is None or account is None:
        if sid:
            _sessions().close(sid)
            session.pop("sid", None)
        moved = redirect(url_for("login", next=request.full_path, expired=why))
        moved.set_data(b"")  # a plain 302: no English "Redirecting..." page
        return moved
    g.user = User(account.name, account.role, account.region, held.credential)
    return None


def _login() -> str | Response | tuple[str, int]:
    here = bureau()
    expired = request.args.get("expired")  # why the session ended (``_require``), if it did
    if request.method == "POST":
        try:
            signed = accounts.sign_in(here.store, request.form.get("name", ""),
                                      request.form.get("password", ""),
                                      request.remote_addr or "-", here.now())
        except accounts.SignInRefused as exc:
            return render_template("login.html", failed=str(exc), expired=None,
                                   name=request.form.get("name", "")), 429 if exc.locked else 401
        old = session.get("sid")
        if old:
            _sessions().close(old)
        session.clear()  # a new session id and CSRF token at each sign-in (no fixation)
        session["sid"] = _sessions().open(signed.account, signed.credential, here.now())
        target = request.args.get("next", "/")
        return redirect(target if target.startswith("/") and not target.startswith("//")
                        else "/")
    return render_template("login.html", failed=None, expired=expired, name="")


def _password() -> str | Response | tuple[str, int]:
    """修改密码 ``/password``: every signed-in account changes its own password (current one,
    new one twice; aggregator/keys/accounts.py ``change_password``). A wrong current password
    counts as a failed sign-in and changes nothing; on success this session goes on and the
    account's other sessions end."""
    here = bureau()
    if request.method == "GET":
        return render_template("password.html", failed=None, rules=_RULES)
    new = request.form.get("new", "")
    try:
        if new != request.form.get("again", ""):
            raise accounts.AccountError("两次输入的新密码不一致 the two new passwords differ")
        changed = accounts.change_password(here.store, g.user.name,
                                           request.form.get("current", ""), new,
                                           request.remote_addr or "-", here.now())
    except accounts.SignInRefused as exc:
        return (render_template("password.html", failed=str(exc), rules=_RULES),
                429 if exc.locked else 401)
    except accounts.AccountError as exc:
        return render_template("password.html", failed=str(exc), rules=_RULES), 400
    ended = _sessions().changed(changed, session["sid"], here.now())
    flash(f"密码已修改；本账号的其他会话（{ended} 个）已退出。 Password changed; the account's other "
          f"sessions ({ended}) are signed out.", "ok")
    return redirect(url_for("password"))


_RULES = f"{RULES[0][:-1]}，不能与账号名相同。 {RULES[1][:-1]}, not the account's name."


def _logout() -> Response:
    sid = session.get("sid")
    if sid:
        _sessions().close(sid)
    session.clear()
    return redirect(url_for("login"))


def allowed(*roles: str) -> Callable:
    """Decorate a view: only these roles (default every role) may use it; others get 403."""
    permitted = roles or ALL_ROLES

    def wrap(view: Callable) -> Callable:
        @functools.wraps(view)
        def checked(*args: Any, **kwargs: Any) -> Any:  # noqa: ANN401
            if g.user.role not in permitted:
                raise Forbidden(
                    f"您的角色（{accounts.ROLES[g.user.role][0]}）不能做这件事。 Your role "
                    f"({accounts.ROLES[g.user.role][1]}) may not do this.")
            return view(*args, **kwargs)

        checked.roles = permitted  # type: ignore[attr-defined]
        return checked

    return wrap


def scoped_region(value: str | None) -> str:
    """The region a request names (default: the account's own), once it is well formed,
    within this aggregator's region and within the account's scope.

    BadInput for a malformed code or one outside this aggregator; Forbidden for one outside
    the account's region (the message names neither the region's data nor its name).
    """
    user: User = g.user
    code = (value or user.region).strip()
    try:
        check_region(code)
    except CodeError:
        raise BadInput(f"地区代码不对：{code[:20]!r} 应为 6 位数字。 "
                       "The region must be a 6-digit code.") from None
    here = bureau()
    if not region_within(code, here.settings.region) or (
            code != here.settings.region and not here.store.holds_region(region_prefix(code))):
        raise BadInput(f"本级没有这个地区：{code}。 No such region at this aggregator.")
    if not region_within(code, user.region):
        raise Forbidden(f"您的账号只能查看{name(user.region)}（{user.region}）及以下的数据。 Your "
                        f"account sees {user.region} and below only.")
    return code


def period_param(value: str | None, default: Period) -> Period:
    """The period a request names (``2027-H1`` or a Chinese form), or ``default``."""
    if not value:
        return default
    try:
        return Period.from_human(value.strip())
    except PeriodError:
        year = bureau().today().year
        if _PERIOD_CODE.fullmatch(value.strip()):  # well formed: only its year is out of range
            raise BadInput(f"报送期不对：{value[:20]!r} 的年份不在 2000–2999 之间。 "
                           f"Unknown period: its year is outside 2000–2999.") from None
        raise BadInput(f"报送期不对：{value[:20]!r}，应为 {year}-H1、{year}-H2 或 {year} 这样的报送期。 "
                       f"Unknown period: use one like {year}-H1, {year}-H2 or {year}.") from None


def refused_page(exc: GuanaiError, status: int) -> tuple[str, int]:
    """The clear page for a refusal or bad input."""
    return render_template("refused.html", message=str(exc), status=status), status


def asked_period() -> Period:
    """The period a request names in its query or form (``period``), default the latest one
    held here (``Bureau.latest_period``)."""
    return period_param(request.values.get("period"), bureau().latest_period())


def whole_region(what_zh: str, what_en: str) -> None:
    """Only an account of this aggregator's whole region may act on all of it (judge and
    deliver warnings, sign or send its rollup); Forbidden for an account scoped below."""
    here = bureau()
    if g.user.region != here.settings.region:
        raise Forbidden(f"{what_zh}须由{name(here.settings.region)}（{here.settings.region}）本级"
                        f"账号操作。 {what_en}: only an account of this aggregator's whole region "
                        "may.")


def date_field(field: str, what_zh: str, what_en: str) -> date | None:
    """The day a form's ``field`` names (YYYY-MM-DD, as a date input sends it), or None when
    left empty; BadInput for anything else."""
    text = request.form.get(field, "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise BadInput(f"{what_zh}不对：{text[:20]!r}，应为 2027-09-30 这样的日期。 {what_en} must "
                       "be a date like 2027-09-30.") from None


def scoped_unit(value: str | None) -> str:
    """A region (as ``scoped_region``) or a school's 10-digit id, whose county must be known
    here and within the account's scope; BadInput for an unknown school."""
    code = (value or "").strip()
    if len(code) != 10:
        return scoped_region(value)
    try:
        check_school(code)
    except CodeError:
        raise BadInput(f"学校标识码不对：{code[:20]!r}。 Not a school id.") from None
    county = region_of(bureau().store, code)
    if county is None:
        raise BadInput(f"本级没有这所学校：{code}。 No such school at this aggregator.")
    scoped_region(county)
    return code
