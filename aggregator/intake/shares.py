"""Taking the schools' shares in (secure aggregation, DESIGN §8, docs/secure-aggregation.md), at
the leader county and at the province's helper alike, and the leaders' enrolments at the helper.

A share arrives sealed to exactly its party's key: it is opened, its signature checked first,
its bytes checked canonical, then bound to this party and this key (a share sealed or replayed
to the other party is refused: protos/validation.py ``check_share``). The group commit
(aggregator/intake/accept.py) then checks the signer against the enrolment — at the leader
its own, at the helper the one its leaders signed (``accept_enrolment``), the same tables and
the same check — takes a revision once (the same bytes again get the stored receipt), logs the
share as a leaf of this party's log and answers with a signed receipt after the commit.

The helper learns school keys from the leaders' signed ``Enrolment`` and from nowhere else: a
leader must itself be enrolled at the helper (its export, by the helper's operator), and may
only enrol schools of its own region.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from aggregator.intake.opening import open_verified, verified
from aggregator.keys.own_identity import Settings
from aggregator.store.sqlite import LeaderEnrolment, Member, MemberKey, Store
from common.clock import stamp
from privacy.envelope import ENROLMENT_CONTEXT, sign_body, verify_enrolment, verify_share
from privacy.keys import key_id
from privacy.receipt import report_sha256
from protos.aggregator_pb2 import Submission
from protos.deadlines import from_ms, to_ms
from protos.helper_pb2 import HeldShare
from protos.membership import within
from protos.refusals import Kind, Refused
from protos.report_pb2 import Enrolled
from protos.share_pb2 import Enrolment, Party, Revocation, Share
from protos.validation import SCHOOL_ID_LENGTH, check_share


@dataclass(frozen=True)
class OpenedShare:
    signed: bytes  # the Signed share bytes: the log leaf
    share: Share
    share_sha256: bytes
    signer_key: bytes


def party(settings: Settings) -> Party.ValueType:
    """Which party this aggregator is: the helper, or (every other aggregator) the leader."""
    return Party.HELPER if settings.helper else Party.LEADER


def open_share(submission: Submission, settings: Settings, today: date) -> OpenedShare:
    """The opened, verified and checked share; ``Refused`` otherwise (nothing stored).

    ``today`` is the receiver's date in China Standard Time (protos/deadlines.local_date).
    """
    if submission.sealed_members:
        raise Refused(Kind.MALFORMED, "多余附件 a share carries no member reports")
    signed, share, signer = open_verified(submission.sealed, settings.sealing_keys,
                                          verify_share)
    mine = [key_id(bytes(k.public_key)) for k in settings.sealing_keys]
    check_share(share, party(settings), mine, today)
    return OpenedShare(signed, share, report_sha256(share.SerializeToString()), signer)


def held_shares(store: Store, period: str, region: str = "") -> list[HeldShare]:
    """The latest share of each school of ``region`` (all when empty) held here for ``period``:
    what a leader asks the helper before it names the set it sums (docs/secure-aggregation.md)."""
    return [HeldShare(school_id=s.school_id, region=s.region, revision=s.revision,
                      leaf_hash=s.leaf_hash)
            for s in store.latest_shares(period, region or None)]


# --- the leaders' enrolments, at the helper

def make_enrolment(store: Store, settings: Settings, helper_id: str, now: datetime) -> bytes:
    """This leader's signed Enrolment for the helper (Signed, ``ENROLMENT_CONTEXT``): every
    school enrolled here with all its keys, and the keys revoked, with when."""
    enrolled, revoked = [], []
    keys = store.all_keys()
    for member in store.members():
        if member.kind != "school":
            continue
        own = [k for k in keys if k.member_id == member.member_id]
        enrolled.append(Enrolled(member_id=member.member_id, region=member.region,
                                 signing_keys=[k.signing_key for k in own]))
        revoked += [Revocation(member_id=k.member_id, signing_key=k.signing_key,
                               revoked_unix_ms=to_ms(datetime.fromisoformat(k.revoked_at)))
                    for k in own if k.revoked_at]
    enrolment = Enrolment(sender_id=settings.region, recipient_id=helper_id, enrolled=enrolled,
                          revoked=revoked, created_unix_ms=to_ms(now))
    return sign_body(ENROLMENT_CONTEXT, enrolment.SerializeToString(), settings.signing_key)


def accept_enrolment(store: Store, settings: Settings, submission: Submission,
                     now: datetime) -> int:
    """``take_enrolment`` of a leader's Signed Enrolment sealed to the helper (Helper.Enrol)."""
    signed = open_verified(submission.sealed, settings.sealing_keys, verify_enrolment)[0]
    return take_enrolment(store, settings, signed, now)


def take_enrolment(store: Store, settings: Settings, signed: bytes, now: datetime) -> int:
    """Take a leader's Signed Enrolment at the helper (sent, or carried as a file: `guanai
    aggregator take-enrolment`); return how many schools it names. Raises ``Refused``
    (nothing changed) unless this is the helper it is addressed to, the signer is an enrolled
    leader's unrevoked key, it is newer than the one held (the same bytes again: taken once),
    and every school lies within the leader's region."""
    if not settings.helper:
        raise Refused(Kind.NOT_PERMITTED, "非协助方 only the province's helper takes enrolments")
    enrolment, signer = verified(signed, verify_enrolment)
    sender = enrolment.sender_id
    if enrolment.recipient_id != settings.region:
        raise Refused(Kind.NOT_PERMITTED, f"收件方不符 wrong recipient: the enrolment is for "
                      f"{enrolment.recipient_id or '?'}, this is the helper of {settings.region}")
    with store.transaction():
        check_signer(store, sender, sender, "aggregator", signer, now)
        held = store.leader_enrolment(sender)
        if held is not None and held.created_unix_ms >= enrolment.created_unix_ms:
            if held.signed == signed:
                return len(enrolment.enrolled)
            raise Refused(Kind.NOT_NOW, f"登记过旧 {sender}'s enrolment of "
                          f"{enrolment.created_unix_ms} is not newer than the one held")
        for entry in enrolment.enrolled:
            _enrol_school(store, sender, entry, now)
        for revocation in enrolment.revoked:
            _revoke(store, sender, revocation)
        store.set_leader_enrolment(LeaderEnrolment(sender, enrolment.created_unix_ms, signed,
                                                   stamp(now)))
    return len(enrolment.enrolled)


def _enrol_school(store: Store, leader: str, entry: Enrolled, now: datetime) -> None:
    school = entry.member_id
    if len(school) != SCHOOL_ID_LENGTH or not within(entry.region, leader):
        raise Refused(Kind.NOT_PERMITTED, f"登记越界 {leader} may not enrol {school} of region "
                      f"{entry.region}: only schools of its own region")
    known = store.member(school)
    if known is None:
        store.add_member(Member(school, "school", entry.region, stamp(now)))
    elif (known.kind, known.region) != ("school", entry.region):
        raise Refused(Kind.NOT_PERMITTED, f"登记不符 {school} is enrolled here as a {known.kind} "
                      f"of region {known.region}, {leader} says {entry.region}")
    held = {k.signing_key for k in store.keys(school)}
    for key in entry.signing_keys:
        if len(key) != 32:
            raise Refused(Kind.MALFORMED, f"公钥格式错误 a key of {school} is not 32 bytes")
        if key not in held:
            store.add_key(MemberKey(school, key_id(key), key, stamp(now), None))
            held.add(key)


def _revoke(store: Store, leader: str, revocation: Revocation) -> None:
    member = store.member(revocation.member_id)
    if member is None or not within(member.region, leader):
        raise Refused(Kind.NOT_PERMITTED, f"登记越界 {leader} may not revoke keys of "
                      f"{revocation.member_id}")
    kid = key_id(revocation.signing_key)
    if any(k.key_id == kid and k.revoked_at is None for k in store.keys(revocation.member_id)):
        store.revoke(revocation.member_id, kid, stamp(from_ms(revocation.revoked_unix_ms)))


def check_signer(store: Store, sender_id: str, region: str, kind: str, signer_key: bytes,
                 now: datetime) -> str:
    """The key id of ``signer_key`` if it is enrolled here for ``sender_id`` (a member of
    ``kind`` and ``region``) and not revoked at ``now``; ``Refused`` otherwise: unknown sender
    or key UNAUTHENTICATED, another kind or a revoked key NOT_PERMITTED, another region
    MALFORMED. The one check of a signer at every intake (reports, shares, enrolments)."""
    member = store.member(sender_id)
    if member is None:
        raise Refused(Kind.UNAUTHENTICATED,
                      f"未登记 unknown sender {sender_id}: not enrolled at this aggregator; "
                      "its operator enrols the sender's key with `guanai aggregator enroll`")
    if member.kind != kind:
        raise Refused(Kind.NOT_PERMITTED,
                      f"身份不符 {sender_id} is enrolled as a {member.kind}, "
                      f"not as a sender of {kind} reports")
    if region != member.region:
        raise Refused(Kind.MALFORMED, f"地区不符 {sender_id} is enrolled in region "
                      f"{member.region}, the report says {region}")
    keys = store.keys(member.member_id)
    key = next((k for k in keys if k.signing_key == signer_key), None)
    if key is None:
        raise Refused(Kind.UNAUTHENTICATED, f"密钥未登记 the signing key {key_id(signer_key)} "
                      f"is not enrolled for {sender_id}")
    if key.revoked_at is not None and datetime.fromisoformat(key.revoked_at) <= now:
        raise Refused(Kind.NOT_PERMITTED, f"密钥已吊销 the signing key {key.key_id} of "
                      f"{sender_id} was revoked at {key.revoked_at}; enrol a new key")
    return key.key_id

