"""The gRPC servicer of guanai.v1.Warnings: warnings received from above, responses from below.

Deliver accepts only warnings signed by this aggregator's parent (its imported export) about
this aggregator's region or a region or school below it. Respond accepts only responses signed
by an enrolled, unrevoked key of a member aggregator, to a warning issued here about that
member's region or below. A refusal stores nothing.
"""

from __future__ import annotations

import logging
from datetime import datetime

import grpc

from aggregator.figures.holdings import region_of, region_within
from aggregator.keys import own_identity
from aggregator.keys.own_identity import Settings
from aggregator.store.sqlite import Store, StoredResponse, StoredWarning
from aggregator.warnings.notices import (
    NoticeError,
    check_action,
    open_response,
    open_warning,
    read_response,
    read_warning,
)
from common.clock import SYSTEM, stamp
from privacy.envelope import BadSignature
from protos import query_pb2 as pb
from protos import query_pb2_grpc

logger = logging.getLogger(__name__)


def _covers(store: Store, scope: str, unit: str) -> bool:
    """Whether a region or school lies in (or is) the region ``scope``, as far as known here."""
    where = region_of(store, unit)
    return where is not None and region_within(where, scope)


class WarningsService(query_pb2_grpc.WarningsServicer):
    def __init__(self, settings: Settings, store: Store) -> None:
        self._settings = settings
        self._store = store

    def Deliver(self, request: pb.SignedWarning, context: grpc.ServicerContext) -> pb.DeliverReply:
        parent = own_identity.parent(self._store)
        if parent is None:
            context.abort(grpc.StatusCode.FAILED_PRECONDITION,
                          "未设置上级 this aggregator has no parent to take warnings from")
        signed = request.SerializeToString()
        try:
            warning = open_warning(signed, parent.keys.signing)
        except (BadSignature, NoticeError) as exc:
            context.abort(grpc.StatusCode.UNAUTHENTICATED, f"警示签名无效 {exc}")
        if warning.issuer != parent.id:
            context.abort(grpc.StatusCode.UNAUTHENTICATED,
                          f"签发方不符 the warning names issuer {warning.issuer}, not {parent.id}")
        region = self._settings.region
        if not _covers(self._store, region, warning.region):
            context.abort(grpc.StatusCode.PERMISSION_DENIED,
                          f"不属本地区 the warning concerns {warning.region}, outside {region}")
        held = self._store.warning(warning.warning_id)
        if held is None or open_warning(held.signed, parent.keys.signing).issued_unix_ms <= \
                warning.issued_unix_ms:
            now = stamp(SYSTEM.now())
            with self._store.transaction():
                self._store.put_warning(StoredWarning(
                    warning.warning_id, warning.issuer, warning.period, warning.rule_id,
                    warning.region, warning.status, warning.since, signed, now, now))
        logger.info("warning %s (%s, %s) received from %s", warning.warning_id, warning.rule_id,
                    warning.region, warning.issuer)
        return pb.DeliverReply(warning_id=warning.warning_id)

    def Respond(self, request: pb.SignedWarningResponse,
                context: grpc.ServicerContext) -> pb.RespondReply:
        signed = request.SerializeToString()
        try:
            claimed = read_response(signed)
        except NoticeError as exc:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
        member = self._store.member(claimed.responder)
        now = SYSTEM.now()
        keys = [] if member is None or member.kind != "aggregator" else [
            k.signing_key for k in self._store.keys(member.member_id)
            if k.revoked_at is None or datetime.fromisoformat(k.revoked_at) > now]
        response = None
        for key in keys:
            try:
                response = open_response(signed, key)
                break
            except BadSignature:
                continue
        if response is None:
            context.abort(grpc.StatusCode.UNAUTHENTICATED,
                          "回复签名无效 the response is not signed by an enrolled member aggregator")
        warning = self._store.warning(response.warning_id)
        if warning is None or warning.issuer != self._settings.region:
            context.abort(grpc.StatusCode.NOT_FOUND,
                          f"无此警示 no warning {response.warning_id} was issued here")
        if not _covers(self._store, response.responder, warning.region):
            context.abort(grpc.StatusCode.PERMISSION_DENIED,
                          f"无权回复 {response.responder} may not answer for {warning.region}")
        try:
            check_action(read_warning(warning.signed), response.action)
        except NoticeError as exc:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
        with self._store.transaction():
            self._store.add_warning_response(StoredResponse(
                response.warning_id, response.responded_unix_ms, response.responder,
                response.action, signed, stamp(now)))
        logger.info("response %s to warning %s from %s", response.action, response.warning_id,
                    response.responder)
        return pb.RespondReply(warning_id=response.warning_id)
