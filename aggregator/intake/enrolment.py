"""Enrolment (登记): which members may submit to this aggregator, and with which keys.

A county enrols its schools; a city its counties; the province its cities or counties and the
schools that report to it directly (universities, province-run vocational schools). A member
is enrolled from its exported identity. A new key for a known member is added beside the old
one (key rotation); revoking a key refuses it from the given time on, while the submissions
it signed before stay in the log and stay verifiable with it. Once the register of schools
is imported (protos/school_register.py), a school it does not place in the member's region is
not enrolled.
"""

from __future__ import annotations

from datetime import datetime

from aggregator.keys.own_identity import Settings
from aggregator.store.sqlite import Member, MemberKey, Store
from common.clock import SYSTEM, stamp
from common.errors import GuanaiError
from privacy.identity import Identity
from privacy.keys import key_id
from protos.regions import CodeError, check_school, level, parents
from protos.school_register import read_register, unregistered


class EnrolmentError(GuanaiError):
    """A member or key that cannot be enrolled or revoked as asked."""


def _stamp(moment: datetime | None = None) -> str:
    return stamp(moment or SYSTEM.now())


def _below(region: str, settings: Settings) -> bool:
    """Whether ``region`` lies within this aggregator's region."""
    prefix = {"province": 2, "city": 4, "county": 6}[settings.level]
    return region[:prefix] == settings.region[:prefix]


def check_member(identity: Identity, settings: Settings) -> None:
    try:
        if identity.kind == "school":
            check_school(identity.id)
            level(identity.region)
        elif identity.id != identity.region or settings.region not in parents(identity.region):
            raise EnrolmentError(
                f"不属本级 aggregator {identity.id} does not report to {settings.region}"
            )
    except CodeError as exc:
        raise EnrolmentError(str(exc)) from exc
    if not _below(identity.region, settings):
        raise EnrolmentError(
            f"不属本地区 {identity.id} is in region {identity.region}, outside {settings.describe()}"
        )


def enrol(store: Store, settings: Settings, identity: Identity,
          at: datetime | None = None) -> tuple[MemberKey, bool]:
    """Enrol the member and its key; return the key and whether it is new. Raises
    ``EnrolmentError`` for a member outside this aggregator's region or, once a register of
    schools is imported, a school it does not place there; nothing is changed then."""
    check_member(identity, settings)
    if store.has_register():
        problem = unregistered(identity.id, identity.region,
                               store.registered_region(identity.id))
        if problem is not None:
            raise EnrolmentError(f"未列入学校名录 {problem[0]} / {problem[1]}")
    known = store.member(identity.id)
    if known is not None and (known.kind, known.region) != (identity.kind, identity.region):
        raise EnrolmentError(
            f"登记不符 {identity.id} is enrolled as a {known.kind} of region {known.region}, "
            f"the file says a {identity.kind} of {identity.region}"
        )
    if identity.kind == "aggregator" and identity.address:
        # Where to deliver warnings about its region (aggregator/warnings/delivery.py).
        store.set_meta(f"member_identity:{identity.id}", identity.to_json())
    kid = key_id(identity.keys.signing)
    for key in store.keys(identity.id):
        if key.key_id == kid:
            if identity.name:
                store.set_member_name(identity.id, identity.name)
            return key, False
    key = MemberKey(identity.id, kid, identity.keys.signing, _stamp(at), None)
    with store.transaction():
        if known is None:
            store.add_member(Member(identity.id, identity.kind, identity.region, _stamp(at)))
        store.add_key(key)
        if identity.name:
            store.set_member_name(identity.id, identity.name)
    return key, True


def import_register(store: Store, data: bytes) -> tuple[int, list[str]]:
    """Replace the register of schools with the file ``data`` (protos/school_register.py);
    return how many schools it lists and, in zh/en, each school enrolled here that it
    contradicts (it stays enrolled; its county's rollups are refused above until it is put
    right). Raises ``RegisterError`` for a bad file, and changes nothing then."""
    schools = read_register(data)
    given = {s.school_id: s.region for s in schools}
    contradicted = []
    for member in store.members():
        problem = unregistered(member.member_id, member.region, given.get(member.member_id))
        if problem is not None:
            contradicted.append(f"{problem[0]} / {problem[1]}")
    with store.transaction():
        store.replace_register(schools)
    return len(schools), contradicted


def revoke(store: Store, member_id: str, key: str | None = None,
           at: datetime | None = None) -> int:
    """Revoke one key (or all keys) of a member from ``at`` (default now); return how many."""
    with store.transaction():
        return revoke_keys(store, member_id, key, at)


def revoke_keys(store: Store, member_id: str, key: str | None, at: datetime | None) -> int:
    """``revoke`` inside the caller's transaction (aggregator/calendar/decisions.py records it)."""
    if store.member(member_id) is None:
        raise EnrolmentError(f"未登记 {member_id} is not enrolled here")
    count = store.revoke(member_id, key, _stamp(at))
    if count == 0:
        raise EnrolmentError(
            f"无可吊销密钥 {member_id} has no unrevoked key{' ' + key if key else ''}"
        )
    return count
