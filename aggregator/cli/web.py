"""``guanai aggregator web`` and ``guanai aggregator account …``: the bureau's web pages and
the accounts that sign in to them (docs/bureau-web.md)."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click

from aggregator.cli.configfile import config_option
from aggregator.keys import accounts, own_identity
from aggregator.store.sqlite import Store
from common.clock import SYSTEM
from common.web.server import (
    RunningServer,
    Tls,
    check_binding,
    make_server,
    serve_until_signalled,
)
from member.client import ClientTls
from member.options import client_tls_options

logger = logging.getLogger(__name__)


def _open(db: Path) -> tuple[Store, own_identity.Settings]:
    store = Store(db)
    return store, own_identity.load(store)


def split_address(listen: str) -> tuple[str, int]:
    """``host:port`` (``[::1]:8080`` for IPv6) as (host, port); click.BadParameter otherwise."""
    host, _, port = listen.rpartition(":")
    if not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise click.BadParameter(f"{listen!r} is not host:port", param_hint="--listen")
    return host.strip("[]"), int(port)


@click.command("web")
@click.option("--listen", default="127.0.0.1:8080", show_default=True,
              help="监听地址 host:port of the pages; beyond loopback needs --tls-cert/--tls-key.")
@click.option("--tls-cert", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="TLS 证书 Certificate chain (PEM), the same as gRPC's; enables HTTPS.")
@click.option("--tls-key", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="TLS 私钥 Private key (PEM) of the certificate.")
@client_tls_options
@config_option("web")
@click.pass_obj
def web(db: Path, listen: str, tls_cert: Path | None, tls_key: Path | None,
        client_tls: ClientTls | None) -> None:
    """网页 Serve the bureau's web pages (completeness, statistics table, exports).

    What the pages send — the signed-off rollup and answers to warnings up, warnings down —
    goes with the client certificate given (or the configuration's rollup.client_cert and
    rollup.client_key), for a parent or member aggregators that require mutual TLS."""
    from aggregator.web.app import create_app
    from aggregator.web.bureau import Bureau

    if (tls_cert is None) != (tls_key is None):
        raise click.UsageError("--tls-cert and --tls-key go together")
    host, port = split_address(listen)
    tls = Tls(tls_cert, tls_key) if tls_cert else None
    check_binding(host, tls, True)
    the_bureau = Bureau(db, SYSTEM, client_tls)
    if not the_bureau.store.accounts():
        click.echo("还没有账号 no accounts yet: add one with `guanai aggregator account add`",
                   err=True)
    app = create_app(the_bureau, secure_cookies=tls is not None)
    running = RunningServer(make_server(app, host, port, tls), "https" if tls else "http")
    serve_until_signalled(running, lambda: click.echo(
        f"汇总网页已启动 the bureau's pages are at {running.url}/ "
        f"({the_bureau.settings.describe()}); Ctrl-C 停止 stops"))


@click.group("account")
def account() -> None:
    """网页账号 Accounts of the bureau's web pages: add, reset a password, revoke, list."""


@account.command("add")
@click.option("--name", "account_name", required=True, help="账号（姓名） The official's sign-in name, e.g. 张三.")
@click.option("--role", required=True, type=click.Choice(list(accounts.ROLES)),
              help="角色 Role: " + "; ".join(f"{k} {v[0]}" for k, v in accounts.ROLES.items())
              + ". Every role but viewer decides, with its own registered staff credential.")
@click.option("--region", help="地区 What it sees: this region and below (default: the "
              "aggregator's whole region), e.g. a city or county of the province.")
@click.option("--password-file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="密码文件 Read the password from this file's first line (else asked twice).")
@click.pass_obj
def account_add(db: Path, account_name: str, role: str, region: str | None,
                password_file: Path | None) -> None:
    """添加账号 Add an account (password asked twice; only its argon2id hash is kept)."""
    store, settings = _open(db)
    password = _new_password(password_file)
    made = accounts.add(store, settings, account_name, role, password, SYSTEM.now(), region)
    click.echo(f"账号已添加 account added: {made.name}, {accounts.role_label(made.role)}, "
               f"sees {made.region} and below"
               + (f"; staff credential {made.staff_key_id} registered (kept sealed by the "
                  "password)" if made.staff_key_id else ""))


@account.command("password")
@click.option("--name", "account_name", required=True, help="账号 The account, e.g. 张三.")
@click.option("--new-key", is_flag=True,
              help="新凭据 For a deciding role whose old password is not known: register a new "
                   "staff credential (a decision, as `account add` does); the old one's only "
                   "copy is destroyed. Without it the old password is asked, to re-seal the key.")
@click.option("--password-file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="密码文件 Read the new password from this file's first line (else asked twice).")
@click.pass_obj
def account_password(db: Path, account_name: str, new_key: bool,
                     password_file: Path | None) -> None:
    """重设密码 Reset an account's password (docs/bureau-web.md); its sessions end.

    A deciding role's staff credential is sealed by its password: give the old password (asked)
    to keep the same credential, or --new-key to register a new one."""
    store, settings = _open(db)
    held = accounts.active_account(store, account_name)
    old = None
    if held.sealed_key is not None and not new_key:
        old = _typed("旧密码 Old password")
    changed = accounts.reset_password(store, settings, account_name, _new_password(password_file),
                                      SYSTEM.now(), old, new_key)
    click.echo(f"密码已重设 password reset: {changed.name}; its open sessions end at their next "
               "request" + ("" if changed.staff_key_id is None else
                            f"; staff credential {changed.staff_key_id}"
                            + (" (new, registered)" if changed.staff_key_id != held.staff_key_id
                               else " (the same, sealed by the new password)")))


def _new_password(password_file: Path | None) -> str:
    """A new password: the first line of ``password_file``, or typed twice (``_typed``)."""
    if password_file is not None:
        lines = password_file.read_text(encoding="utf-8").splitlines()
        return lines[0] if lines else ""
    password = _typed("新密码 Password")
    if _typed("再输一次 Repeat the password") != password:
        raise click.ClickException("两次输入的密码不一致，没有做任何更改 the two passwords differ: "
                                   "nothing was changed")
    return password


def _typed(prompt: str) -> str:
    """A password the person types: asked with ``prompt``, hidden, at a terminal; when stdin is
    not a terminal (a pipe, a file) its next line, read directly (there is no echo to hide, so
    no getpass warning), without its line ending. click.ClickException if stdin has ended."""
    if sys.stdin.isatty():
        return click.prompt(prompt, hide_input=True)
    line = sys.stdin.readline()  # the one stream: a wrapper made per call would read ahead
    if not line:
        raise click.ClickException(f"标准输入已结束，没有做任何更改 stdin ended before the {prompt} "
                                   "line: nothing was changed")
    return line.rstrip("\r\n")


@account.command("revoke")
@click.option("--name", "account_name", required=True, help="账号 The account to revoke.")
@click.pass_obj
def account_revoke(db: Path, account_name: str) -> None:
    """停用账号 Revoke an account: no more sign-in; its open sessions end at once."""
    store, _ = _open(db)
    accounts.revoke(store, account_name, SYSTEM.now())
    click.echo(f"账号已停用 account revoked: {account_name} (its decisions stay recorded)")


@account.command("list")
@click.pass_obj
def account_list(db: Path) -> None:
    """账号列表 List the accounts."""
    store, _ = _open(db)
    rows = store.accounts()
    if not rows:
        click.echo("没有账号 no accounts")
        return
    click.echo(f"{'账号 Name':<16}{'角色 Role':<22}{'地区 Region':<12}{'凭据 Credential':<20}"
               "停用 Revoked")
    for a in rows:
        click.echo(f"{a.name:<16}{accounts.role_label(a.role):<22}{a.region:<12}"
                   f"{a.staff_key_id or '-':<20}{a.revoked_at or '-'}")


WEB_COMMANDS = (web, account)
