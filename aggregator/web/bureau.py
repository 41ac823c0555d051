"""What every bureau page handler needs: the aggregator's store and identity, the clock, and
the client certificate its pages' gRPC calls present.

One Store for all requests (its connection is shared by cheroot's threads under the store's
own lock, as the gRPC server shares it); the clock is injected so that sessions expire and
periods are judged by the same time in tests as in service. ``client_tls`` (read when the
pages start: ``guanai aggregator web --client-cert/--client-key``) goes with every call the
pages make — the rollup and answers up, warnings down — for aggregators requiring mutual TLS.
``makers``: the official tables being made in the background for the pages
(aggregator/figures/kept.py), one per period.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from flask import current_app

from aggregator.figures.kept import Makers
from aggregator.keys import own_identity
from aggregator.store.sqlite import Store
from common.clock import Clock
from member.client import ClientTls, TlsMisconfigured
from protos.deadlines import local_date
from protos.periods import Period


@dataclass
class Bureau:
    db: Path
    clock: Clock
    client_tls: ClientTls | None = None
    store: Store = field(init=False)
    settings: own_identity.Settings = field(init=False)
    makers: Makers = field(init=False, default_factory=Makers)  # official tables being made

    def __post_init__(self) -> None:
        self.store = Store(self.db)
        self.settings = own_identity.load(self.store)

    def now(self) -> datetime:
        return self.clock.now()

    def today(self) -> date:
        return local_date(self.clock.now())

    def latest_period(self) -> Period:
        """The period a page shows when none is asked for: the latest one anything was
        submitted for here (a half-year before its year's annual period), else today's."""
        held = [Period.parse(code) for code in self.store.periods()]
        if not held:
            return Period.containing(self.today())
        return max(held, key=lambda p: (p.end, not p.annual))

    def period_choices(self, current: Period) -> list[str]:
        """The period codes a page's period drop-down offers: every one submitted for here
        and the one shown, newest first."""
        return sorted({*self.store.periods(), current.code}, reverse=True)

    def close(self) -> None:
        self.store.close()


def parent_refused(exc: TlsMisconfigured) -> str:
    """What a page says when the parent refused the connection of a send (its TLS setup and
    this side's do not match, member/handshake.py): Chinese first, then why and what to do."""
    return f"上级拒绝了连接，未送达。 The parent refused the connection: nothing was sent. {exc}"


def bureau() -> Bureau:
    """The Bureau of the app handling this request."""
    return current_app.extensions["guanai_bureau"]
