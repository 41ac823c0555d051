"""What a leader aggregator says to the province's helper (secure aggregation, DESIGN §8,
docs/secure-aggregation.md): its signed enrolment — the helper's only source of school keys —
and the question of which schools' shares the helper holds.

Both go to the helper whose export the leader imported (``guanai aggregator helper FILE``,
aggregator/keys/own_identity.py ``set_helper``), through member/client.py like every call
upward: retried while the helper is unreachable, stopped at a refusal.
"""

from __future__ import annotations

from datetime import datetime

import grpc

from aggregator.intake.shares import make_enrolment
from aggregator.keys.own_identity import ConfigError, Settings, helper
from aggregator.store.sqlite import Store
from member.client import (
    DEFAULT_BACKOFF,
    Backoff,
    ClientTls,
    SubmitRefused,
    helper_enrol,
    open_channel,
    submit_until_receipt,
)
from privacy.envelope import seal
from privacy.identity import Identity
from protos.aggregator_pb2 import Submission
from protos.helper_pb2 import HeldShare, HeldSharesRequest
from protos.helper_pb2_grpc import HelperStub


def the_helper(store: Store) -> Identity:
    """The helper's export this leader keeps; ``ConfigError`` when none was imported."""
    found = helper(store)
    if found is None:
        raise ConfigError("未设置协助方 no helper: import its export with "
                          "`guanai aggregator helper FILE`")
    return found


def send_enrolment(store: Store, settings: Settings, now: datetime, *,
                   attempts: int | None = None, backoff: Backoff = DEFAULT_BACKOFF,
                   timeout: float = 60.0, client_tls: ClientTls | None = None) -> int:
    """Sign this leader's enrolment (every school, its keys and revocations), seal it to the
    helper and send it until taken; return how many schools the helper now holds of it.

    Raises ``ConfigError`` (no helper imported), ``SubmitRefused`` or ``SubmitGaveUp``.
    """
    target = the_helper(store)
    signed = make_enrolment(store, settings, target.id, now)
    answer = submit_until_receipt(target, Submission(sealed=seal(signed, target.keys.sealing)),
                                  attempts=attempts, backoff=backoff, timeout=timeout,
                                  client_tls=client_tls, rpc=helper_enrol)
    return answer.schools


def held_at_helper(store: Store, period: str, region: str, *, timeout: float = 60.0,
                   client_tls: ClientTls | None = None) -> list[HeldShare]:
    """The latest share of each school of ``region`` that the helper holds for ``period``
    (school id, region, revision, its leaf hash in the helper's log). Raises ``SubmitRefused``
    with the helper's status code when it cannot answer."""
    with open_channel(the_helper(store), client_tls) as channel:
        try:
            answer = HelperStub(channel).HeldShares(
                HeldSharesRequest(period=period, region=region), timeout=timeout)
        except grpc.RpcError as exc:
            raise SubmitRefused(exc.code(), exc.details() or "") from exc
    return list(answer.shares)
