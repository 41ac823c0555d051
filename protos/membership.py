"""A rollup's membership rule: whom an aggregator may sum, read from the rollup itself.

A rollup (kind ROLLUP) carries its sender's enrolment, signed with it (``Report.enrolled``):
each member it has enrolled, the member's region and keys, and a revision returned for
correction. The rule, the same for the parent that receives a rollup (aggregator/intake/
opening.py) and for the inspector who finds it in a bundle (inspector/reports.py):

- each member is named once: not twice in ``members``, not in both ``members`` and
  ``missing``, not twice in ``missing`` or in the enrolment;
- the members named and the missing together are exactly the enrolment: a member named but
  not enrolled was never the sender's to sum, an enrolled member neither named nor missing
  was left out silently;
- every enrolled member lies within the sender's region (a school of the county itself, a
  county of the city, anything of the province), and a member's report says the region the
  enrolment gives it;
- every member report was signed by a key the enrolment lists for that member;
- a revocation (``Enrolled.revoked``) names one of the member's listed keys, once, at a time
  within the calendar, and no member report was made under a key at or after its revocation
  (the report's own ``created_unix_ms``: the sender refused later ones when they arrived, so a
  rollup that names one was not made from what its sender accepted).

The parent keeps the revocations it reads here and answers a revoked key nothing from its
revocation time on (aggregator/intake/enrolled_below.py, aggregator/grpc/access.py).

A county could still enrol a school that does not exist, with a key it made itself; its
signed enrolment then names it, and an inspector holds the county to it (docs/inspection.md).
The register of schools (protos/school_register.py), where the parent or the inspector holds
it, refuses a school it does not list in that county.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from protos.deadlines import from_ms
from protos.refusals import Kind
from protos.regions import CodeError, parents
from protos.report_pb2 import Enrolled, Report

# What each problem is, as a refusal kind: a rollup that says two things at once is malformed;
# one that sums what its sender may not sum is not permitted.
TWICE, LEFT_OUT, BAD_REVOCATION = "twice", "left_out", "bad_revocation"
OUTSIDE, NOT_ENROLLED, REVOKED = "outside", "not_enrolled", "revoked"
KINDS = {TWICE: Kind.MALFORMED, LEFT_OUT: Kind.MALFORMED, BAD_REVOCATION: Kind.MALFORMED,
         OUTSIDE: Kind.NOT_PERMITTED, NOT_ENROLLED: Kind.NOT_PERMITTED,
         REVOKED: Kind.NOT_PERMITTED}
# A revocation's time lies after 1970 and before 3000 (Unix milliseconds).
LATEST_REVOCATION_MS = 32_503_680_000_000


@dataclass(frozen=True)
class MembershipProblem:
    """One way a rollup breaks the rule: ``what`` (a key of KINDS), the member, in zh and en."""

    what: str
    member: str
    zh: str
    en: str

    @property
    def kind(self) -> Kind:
        return KINDS[self.what]


MemberReport = tuple[Report, bytes]  # a named member's Report and the key that signed it


def within(region: str, sender: str) -> bool:
    """Whether ``region`` is ``sender``'s own region or lies below it (both 6-digit codes)."""
    try:
        return region == sender or sender in parents(region)
    except CodeError:
        return False


def membership_problems(rollup: Report,
                        members: Sequence[MemberReport | None] = ()) -> list[MembershipProblem]:
    """Every way ``rollup`` breaks the membership rule; empty when it keeps it.

    ``members`` are the reports the rollup names, in the order it names them (None where the
    report is not at hand: only the rollup's own lists are checked for that member). A report
    of another kind than ROLLUP has no membership to check.
    """
    if rollup.kind != Report.ROLLUP:
        return []
    sender = rollup.sender_id
    found: list[MembershipProblem] = []
    named = Counter(m.sender_id for m in rollup.members)
    missing = Counter(rollup.missing)
    enrolled: dict[str, Enrolled] = {}
    for entry in rollup.enrolled:
        if entry.member_id in enrolled:
            found.append(_problem(TWICE, entry.member_id, "在登记名单中出现两次",
                                  "is listed twice in the enrolment"))
        enrolled[entry.member_id] = entry
        found.extend(revocation_problems(entry))
    for member, count in sorted(named.items()):
        if count > 1:
            found.append(_problem(TWICE, member, f"被列为成员 {count} 次，其数值重复计入",
                                  f"is named {count} times as a member: its figures are counted "
                                  f"{count} times"))
        if member in missing:
            found.append(_problem(TWICE, member, "既被列为成员又被列为未报",
                                  "is named both as a member and as missing"))
    for member, count in sorted(missing.items()):
        if count > 1:
            found.append(_problem(TWICE, member, "在未报名单中出现两次",
                                  "is listed twice as missing"))
    for member in sorted((named | missing).keys() - enrolled.keys()):
        found.append(_problem(NOT_ENROLLED, member, f"不在 {sender} 签署的登记名单中，{sender} "
                              "无权汇总它", f"is not in the enrolment {sender} signed: it is "
                              f"not {sender}'s to sum"))
    for member in sorted(enrolled.keys() - (named | missing).keys()):
        found.append(_problem(LEFT_OUT, member, "已登记，却既未列为成员也未列为未报：被悄悄略去",
                              "is enrolled, yet neither named as a member nor listed as "
                              "missing: it was left out silently"))
    for member, entry in sorted(enrolled.items()):
        aggregator = len(member) == len(sender)
        if not within(entry.region, sender) or (aggregator and entry.region != member):
            found.append(_problem(OUTSIDE, member, f"登记地区 {entry.region} 不在 {sender} 辖区内",
                                  f"is enrolled in region {entry.region}, outside {sender}"))
    for named_member, member in zip(rollup.members, members, strict=False):
        if member is not None:
            found.extend(_report_problems(sender, named_member.sender_id, *member,
                                          enrolled.get(named_member.sender_id)))
    return found


def revocations(entry: Enrolled) -> dict[bytes, int]:
    """The keys ``entry`` lists as revoked, each with its revocation time (Unix ms); where a
    key is listed twice (a problem of its own), the earlier time."""
    times: dict[bytes, int] = {}
    for revoked in entry.revoked:
        key = bytes(revoked.signing_key)
        times[key] = min(times.get(key, revoked.revoked_unix_ms), revoked.revoked_unix_ms)
    return times


def revocation_problems(entry: Enrolled) -> list[MembershipProblem]:
    """How ``entry``'s revocations are malformed (BAD_REVOCATION, or TWICE for a key listed
    twice): each names one of its listed keys, once, at a time within 1970–3000."""
    found = []
    keys = Counter(bytes(r.signing_key) for r in entry.revoked)
    if any(count > 1 for count in keys.values()):
        found.append(_problem(TWICE, entry.member_id, "的同一密钥被列为吊销两次",
                              "has one key listed as revoked twice"))
    if not keys.keys() <= set(map(bytes, entry.signing_keys)):
        found.append(_problem(BAD_REVOCATION, entry.member_id, "的吊销记录列有未为它登记的密钥",
                              "has a revocation of a key not listed among its keys"))
    if any(not 0 < r.revoked_unix_ms <= LATEST_REVOCATION_MS for r in entry.revoked):
        found.append(_problem(BAD_REVOCATION, entry.member_id, "的吊销时间不在 1970–3000 年之间",
                              "has a revocation time outside the years 1970–3000"))
    return found


def _report_problems(sender: str, member: str, report: Report, signer: bytes,
                     entry: Enrolled | None) -> list[MembershipProblem]:
    found = []
    if not within(report.region_code, sender):
        found.append(_problem(OUTSIDE, member, f"其报送的地区 {report.region_code} 不在 {sender} "
                              "辖区内", f"its report is of region {report.region_code}, outside "
                              f"{sender}"))
    elif entry is not None and report.region_code != entry.region:
        found.append(_problem(OUTSIDE, member, f"其报送的地区 {report.region_code} 不是登记的 "
                              f"{entry.region}", f"its report is of region {report.region_code}, "
                              f"the enrolment says {entry.region}"))
    if entry is not None and signer not in entry.signing_keys:
        found.append(_problem(NOT_ENROLLED, member, f"其报送的签名密钥未在 {sender} 为它登记",
                              f"its report is signed by a key {sender} did not enrol for it"))
    revoked_ms = revocations(entry).get(signer) if entry is not None else None
    if (revoked_ms is not None and 0 < revoked_ms <= LATEST_REVOCATION_MS  # else malformed
            and report.created_unix_ms >= revoked_ms):
        when = revocation_time(revoked_ms)
        found.append(_problem(REVOKED, member, f"其报送的签名密钥已由 {sender} 于 {when} 吊销，"
                              "而报送生成于吊销之后", f"its report was made under a key "
                              f"{sender} revoked at {when}, at or after the revocation"))
    return found


def revocation_time(unix_ms: int) -> str:
    """A revocation time (Unix ms) as an ISO 8601 UTC time, or as ms when out of range."""
    if not 0 < unix_ms <= LATEST_REVOCATION_MS:
        return f"{unix_ms} ms"
    return from_ms(unix_ms).isoformat(timespec="milliseconds")


def _problem(what: str, member: str, zh: str, en: str) -> MembershipProblem:
    return MembershipProblem(what, member, f"成员 {member} {zh}", f"member {member} {en}")
