"""``guanai node web`` and ``guanai node web-password``: the school's pages on its own PC.

By default the pages answer on 127.0.0.1 only. Another address is refused unless the server
has a TLS certificate and key and a password was set (its argon2id hash is kept in the
school's store), because the pages show students' names.
"""

from __future__ import annotations

import logging
from pathlib import Path

import click

from common.clock import SystemClock
from common.web.passwords import hash_password
from common.web.server import (
    RunningServer,
    Tls,
    check_binding,
    is_loopback,
    make_server,
    serve_until_signalled,
)
from member.client import ClientTls
from member.options import client_tls_options
from node.config import load_config
from node.store import get_meta, open_store, set_meta
from node.web.app import create_app
from node.web.site import Site

logger = logging.getLogger(__name__)
PASSWORD_KEY = "web_password_argon2id"


@click.command("web")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="监听地址 Address to serve on. Anything but loopback needs --tls-cert/--tls-key and "
                   "a password (guanai node web-password).")
@click.option("--port", default=8765, show_default=True, type=click.IntRange(0, 65535),
              help="端口 Port to serve on.")
@click.option("--tls-cert", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="TLS 证书 TLS certificate (PEM) for serving beyond this PC.")
@click.option("--tls-key", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="TLS 私钥 Private key (PEM) of the TLS certificate.")
@click.option("--config", type=click.Path(dir_okay=False, path_type=Path),
              envvar="GUANAI_NODE_CONFIG", help="配置文件 Node configuration (TOML): budget, schedule.")
@client_tls_options
@click.pass_obj
def web(db: Path, host: str, port: int, tls_cert: Path | None, tls_key: Path | None,
        config: Path | None, client_tls: ClientTls | None) -> None:
    """网页 Serve the school's web pages (open the printed address in a browser)."""
    if (tls_cert is None) != (tls_key is None):
        raise click.UsageError("--tls-cert and --tls-key go together")
    tls = Tls(tls_cert, tls_key) if tls_cert else None
    stored = get_meta(open_store(db), PASSWORD_KEY) if db.exists() else None
    check_binding(host, tls, stored is not None)
    beyond = not is_loopback(host)
    site = Site(db, SystemClock(), load_config(config), served_beyond_loopback=beyond,
                client_tls=client_tls)
    app = create_app(site, stored if beyond else None, secure_cookies=tls is not None)
    running = RunningServer(make_server(app, host, port, tls), "https" if tls else "http")
    serve_until_signalled(running, lambda: click.echo(
        f"学校网页已启动 the school's pages are at {running.url}/ "
        f"({'TLS + 密码 password' if beyond else '仅本机 this PC only'}); Ctrl-C 停止 stops"))


@click.command("web-password")
@click.password_option("--password", prompt="新密码 New password",
                       help="密码 8 to 1,024 characters, not only spaces, no control or invisible characters; asked for when not given.")
@click.pass_obj
def web_password(db: Path, password: str) -> None:
    """网页密码 Set the password the pages ask for when served beyond this PC."""
    try:
        hashed = hash_password(password)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--password") from None
    set_meta(open_store(db), PASSWORD_KEY, hashed)
    click.echo("网页密码已设置（只保存 argon2id 哈希） password set (only its argon2id hash is kept)")


WEB_COMMANDS: list[click.Command] = [web, web_password]
