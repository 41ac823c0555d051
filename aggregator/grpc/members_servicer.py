"""The gRPC servicer of guanai.v1.Members: a member's standing, its key rotation, and a member
aggregator's notice of the keys it revoked (aggregator/intake/enrolled_below.py).

Every request is signed by a key enrolled for the member and not revoked, names this
aggregator, and carries a time within ``MAX_SKEW`` of this aggregator's clock; the answer is
signed with the aggregator's current key and lists its own key rotations, so members follow
them. The standing covers every period of this year and last year, Beijing time.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import grpc

from aggregator.calendar.decisions import rotate_member_key
from aggregator.calendar.timeliness import (
    deadlines,
    exception_until,
    member_timeliness,
    open_return,
)
from aggregator.grpc.status import CODES, clipped
from aggregator.intake.enrolled_below import notice_revocations
from aggregator.keys.own_identity import Settings
from aggregator.store.sqlite import Store
from common.clock import Clock
from privacy.budget import BudgetPolicy
from privacy.envelope import BadSignature, EnvelopeError
from privacy.keys import key_id
from privacy.memberauth import open_request, request_sha256, sign_status
from protos import members_pb2_grpc
from protos.deadlines import local_date, to_ms
from protos.members_pb2 import (
    KeyRotation,
    MemberRequest,
    MemberStatus,
    PeriodStanding,
    PrivacyPolicy,
    SignedRequest,
    SignedStatus,
)
from protos.periods import Period
from protos.refusals import Kind, Refused

logger = logging.getLogger(__name__)

MAX_SKEW = timedelta(minutes=10)


class MembersService(members_pb2_grpc.MembersServicer):
    def __init__(self, settings: Settings, store: Store, clock: Clock,
                 budget: BudgetPolicy | None = None) -> None:
        """``budget``: the privacy policy enforced here, told to members in every status."""
        self._settings = settings
        self._store = store
        self._clock = clock
        self._budget = budget or BudgetPolicy()

    def GetStatus(self, request: SignedRequest, context: grpc.ServicerContext) -> SignedStatus:
        now = self._clock.now()
        try:
            asked = self._authenticate(request, now)
        except Refused as refused:
            context.abort(CODES[refused.kind], clipped(refused.message))
        return self._answer(asked, request, now)

    def RotateKey(self, request: SignedRequest, context: grpc.ServicerContext) -> SignedStatus:
        now = self._clock.now()
        try:
            asked = self._authenticate(request, now)
            if not asked.new_signing_key:
                raise Refused(Kind.MALFORMED,
                               "缺少新密钥 a rotation names the new signing key")
            if any(k.signing_key == asked.new_signing_key and k.revoked_at is not None
                   for k in self._store.keys(asked.member_id)):
                raise Refused(Kind.NOT_PERMITTED,
                               "密钥已吊销 the new key was revoked here; make another one")
        except Refused as refused:
            context.abort(CODES[refused.kind], clipped(refused.message))
        if rotate_member_key(self._store, asked.member_id, request, asked.new_signing_key, now):
            logger.info("member %s enrolled its next key %s", asked.member_id,
                        key_id(asked.new_signing_key))
        return self._answer(asked, request, now)

    def NoticeRevocations(self, request: SignedRequest,
                          context: grpc.ServicerContext) -> SignedStatus:
        now = self._clock.now()
        try:
            asked = self._authenticate(request, now, notice=True)
            member = self._store.member(asked.member_id)
            if member is None or member.kind != "aggregator":
                raise Refused(Kind.NOT_PERMITTED, f"非汇总节点 {asked.member_id} is not a member "
                              "aggregator here: only an aggregator revokes keys of its members")
            kept = notice_revocations(self._store, asked.member_id, asked.revocations, request,
                                      now)
        except Refused as refused:
            context.abort(CODES[refused.kind], clipped(refused.message))
        logger.info("member %s gave notice of %d revoked key(s)", asked.member_id, kept)
        return self._answer(asked, request, now)

    def _authenticate(self, signed: SignedRequest, now: datetime,
                      notice: bool = False) -> MemberRequest:
        try:
            request = open_request(signed)
        except BadSignature as exc:
            raise Refused(Kind.UNAUTHENTICATED, str(exc)) from exc
        except EnvelopeError as exc:
            raise Refused(Kind.MALFORMED, str(exc)) from exc
        if bool(request.revocations) != notice:
            raise Refused(Kind.MALFORMED, "请求格式错误 malformed request: revocations go in a "
                          "NoticeRevocations request, and such a request lists at least one")
        if request.aggregator_id != self._settings.region:
            raise Refused(Kind.NOT_PERMITTED,
                           f"收件方不符 the request is for {request.aggregator_id}, this is "
                           f"{self._settings.region}")
        if abs(request.unix_ms - to_ms(now)) > MAX_SKEW / timedelta(milliseconds=1):  # no overflow
            raise Refused(Kind.UNAUTHENTICATED,
                           "时间不符 the request's time is more than 10 minutes from this "
                           "aggregator's clock; check the member's clock")
        key = next((k for k in self._store.keys(request.member_id)
                    if k.signing_key == signed.signer_key), None)
        if key is None:
            raise Refused(Kind.UNAUTHENTICATED,
                           f"未登记 {request.member_id} with key {key_id(signed.signer_key)} is not "
                           "enrolled here")
        if key.revoked_at is not None and datetime.fromisoformat(key.revoked_at) <= now:
            raise Refused(Kind.NOT_PERMITTED,
                           f"密钥已吊销 the key {key.key_id} of {request.member_id} was revoked at "
                           f"{key.revoked_at}; have a new key enrolled (`guanai aggregator enroll`)")
        return request

    def _answer(self, request: MemberRequest, signed: SignedRequest, now: datetime) -> SignedStatus:
        year = local_date(now).year
        status = MemberStatus(
            aggregator_id=self._settings.region, member_id=request.member_id,
            unix_ms=to_ms(now), request_sha256=request_sha256(signed),
            periods=[standing(self._store, request.member_id, period)
                     for y in (year - 1, year) for period in Period.of_year(y)],
            rotations=[KeyRotation.FromString(r) for _, r in self._store.key_rotations()],
            policy=PrivacyPolicy(rho_half_year=self._budget.rho_half_year,
                                 rho_annual=self._budget.rho_annual,
                                 annual_cap=self._budget.annual_cap),
        )
        return sign_status(status, self._settings.signing_key)


def standing(store: Store, member_id: str, period: Period) -> PeriodStanding:
    """How the member stands for one period here."""
    limits = deadlines(store, period)
    revisions = store.revisions(member_id, period.code)
    returned = open_return(store, member_id, period.code)
    until = exception_until(store, member_id, period.code)
    entry = PeriodStanding(
        period=period.code, due_unix_ms=to_ms(limits.due), lock_unix_ms=to_ms(limits.lock),
        exception_until_unix_ms=to_ms(until) if until else 0,
        revision=revisions[-1].revision if revisions else 0,
        timeliness=member_timeliness(store, member_id, period.code) or "",
    )
    if returned is not None:
        entry.returned_revision = returned.revision
        entry.return_reason = returned.reason
        entry.returned_unix_ms = to_ms(datetime.fromisoformat(returned.returned_at))
    return entry
