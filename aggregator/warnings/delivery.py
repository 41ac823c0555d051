"""Warnings down, responses up, over gRPC (guanai.v1.Warnings).

A warning about a region goes to the aggregator member that is that region or contains it (a
county for itself and its schools; a city for its counties), at the address of the export it
was enrolled with. A warning about this aggregator's own region, or about a school that
reports straight to it, stays here. Delivery is idempotent: a warning is re-sent until the
member has taken it, and again whenever its judgement changes.

A response is made by the warned region's aggregator, signed with its key, kept, and sent to
its parent — the aggregator that issued the warning.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date

import grpc

from aggregator.figures.holdings import region_of, region_within
from aggregator.keys import own_identity
from aggregator.keys.own_identity import Settings
from aggregator.store.sqlite import Store, StoredResponse
from aggregator.warnings.notices import NoticeError, check_action, read_warning, sign_response
from common.clock import SYSTEM, Clock, stamp
from common.errors import GuanaiError
from member.client import ClientTls, TlsMisconfigured, calling
from privacy.identity import Identity
from protos.deadlines import to_ms
from protos.query_pb2 import SignedWarning, SignedWarningResponse, WarningResponse
from protos.query_pb2_grpc import WarningsStub

logger = logging.getLogger(__name__)


class DeliveryError(GuanaiError):
    """A response that cannot be made or sent as asked."""


@dataclass(frozen=True)
class Sent:
    delivered: int  # taken by the aggregator they concern
    kept: int  # about this aggregator's own region or its direct schools: nothing to send
    failed: int  # not taken now; tried again next time


def _stamp() -> str:
    return stamp(SYSTEM.now())


def member_identity(store: Store, member_id: str) -> Identity | None:
    text = store.get_meta(f"member_identity:{member_id}")
    return Identity.from_json(text) if text else None


def target(store: Store, settings: Settings, region: str) -> Identity | None:
    """The member aggregator a warning about ``region`` goes to, or None to keep it here."""
    if region == settings.region:
        return None
    member = store.member(region)
    where = region_of(store, region)
    if where is None or (member is not None and member.kind == "school"):
        return None
    for member in store.members():
        if member.kind == "aggregator" and region_within(where, member.member_id):
            return member_identity(store, member.member_id)
    return None


def deliver_pending(store: Store, settings: Settings, *, client_tls: ClientTls | None = None,
                    timeout: float = 30.0) -> Sent:
    """Send every warning judged here that its region's aggregator has not taken yet."""
    delivered = kept = failed = 0
    for stored in store.warnings(issuer=settings.region):
        if stored.delivered_at:
            continue
        to = target(store, settings, stored.region)
        if to is None:
            kept += 1
            continue
        try:
            with calling(to, client_tls, timeout) as channel:
                WarningsStub(channel).Deliver(SignedWarning.FromString(stored.signed),
                                              timeout=timeout)
        except grpc.RpcError as exc:
            logger.warning("warning %s not delivered to %s: %s", stored.warning_id, to.id,
                           exc.code().name)
            failed += 1
            continue
        except TlsMisconfigured as exc:  # that member's setup: the others are still served
            logger.error("warning %s not delivered: %s", stored.warning_id, exc)
            failed += 1
            continue
        store.set_warning_delivered(stored.warning_id, _stamp())
        delivered += 1
    return Sent(delivered, kept, failed)


def respond(store: Store, settings: Settings, warning_id: str, action: str,
            planned_by: date | None = None, *, clock: Clock = SYSTEM) -> StoredResponse:
    """Record this region's response to a notice received from above (sent by send_responses):
    a warning, a clear answer or an undecided one, each with the actions that answer it
    (aggregator/warnings/notices.py ``RESPONSES``). Raises DeliveryError, recording nothing,
    for an unknown notice or an action that does not answer it. ``clock`` stamps the response
    (common.clock)."""
    stored = store.warning(warning_id)
    if stored is None or stored.issuer == settings.region:
        raise DeliveryError(f"无此警示 no warning {warning_id} received from above; list them "
                            "with `guanai aggregator warnings`")
    try:
        check_action(read_warning(stored.signed), action)
    except NoticeError as exc:
        raise DeliveryError(str(exc)) from None
    # a response is kept by (warning, millisecond): a second one within the same millisecond
    # takes the next, so no response replaces another
    earlier = max((r.responded_unix_ms for r in store.warning_responses(warning_id)), default=0)
    now_ms = max(to_ms(clock.now()), earlier + 1)
    response = WarningResponse(warning_id=warning_id, responder=settings.region, action=action,
                               planned_by=planned_by.isoformat() if planned_by else "",
                               responded_unix_ms=now_ms)
    made = StoredResponse(warning_id, now_ms, settings.region, action,
                          sign_response(response, settings.signing_key), None)
    with store.transaction():
        store.add_warning_response(made)
    return made


def send_responses(store: Store, settings: Settings, *, client_tls: ClientTls | None = None,
                   timeout: float = 30.0) -> Sent:
    """Send this region's responses not yet taken to the issuer of their warning (the parent)."""
    pending = [r for r in store.warning_responses() if r.responder == settings.region
               and r.sent_at is None]
    if not pending:
        return Sent(0, 0, 0)
    parent = own_identity.parent(store)
    if parent is None:
        raise DeliveryError("未设置上级 no parent: import its export with "
                            "`guanai aggregator parent FILE`")
    delivered = failed = 0
    for response in pending:
        issuer = read_warning(store.warning(response.warning_id).signed).issuer
        if issuer != parent.id:
            raise DeliveryError(f"警示来自 {issuer}, not from the parent {parent.id}")
        try:  # TlsMisconfigured leaves: nothing reaches the parent until it is fixed
            with calling(parent, client_tls, timeout) as channel:
                WarningsStub(channel).Respond(SignedWarningResponse.FromString(response.signed),
                                              timeout=timeout)
        except grpc.RpcError as exc:
            logger.warning("response to %s not delivered: %s", response.warning_id,
                           exc.code().name)
            failed += 1
            continue
        store.set_response_sent(response.warning_id, response.responded_unix_ms, _stamp())
        delivered += 1
    return Sent(delivered, 0, failed)
