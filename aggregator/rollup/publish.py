"""The leader's side of publishing a level's figure with the province's helper (secure
aggregation, DESIGN §8, docs/secure-aggregation.md).

A leader asks the helper which schools' shares of the period it holds, names the schools
reporting to it whose two shares (same revision) both arrived and every school its member
aggregators' published sets name (their signed leader partials came up in their rollups: a
province's partial is the sum of its counties'), signs that set, makes its own partial
and noisy partial (aggregator/intake/publish.py: the same code as the helper's) and keeps them
before it asks, so a retry after a crash sends the same set and never draws its noise again.
The helper answers with its signed noisy partial; the leader checks the signature against the
helper's export, that it is for the same set and that its declared noise is what the level's ρ
needs, adds the two (privacy/partials.py ``publish``) and keeps the figure in its figures store
(aggregator/figures/cube.py), where queries, warnings, official tables and exports read it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from aggregator.calendar.timeliness import counted_submissions
from aggregator.figures import cube
from aggregator.intake.publish import catalogue_of, make_publication
from aggregator.intake.shares import check_signer
from aggregator.keys.own_identity import ConfigError, Settings
from aggregator.rollup.helper import held_at_helper, the_helper
from aggregator.store.sqlite import Publication, Store
from common.errors import GuanaiError
from member.client import (
    DEFAULT_BACKOFF,
    Backoff,
    ClientTls,
    helper_publish,
    submit_until_receipt,
)
from privacy import partials
from privacy.budget import BudgetPolicy
from privacy.envelope import parse_signed, seal
from protos.aggregator_pb2 import Submission
from protos.deadlines import to_ms
from protos.partial_pb2 import NamedSet, SetMember
from protos.refusals import Refused
from protos.regions import level
from protos.report_pb2 import Report
from protos.share_pb2 import Party


class PublishError(GuanaiError):
    """A figure that cannot be published now (nothing to name, an answer that does not fit)."""


@dataclass(frozen=True)
class Gathered:
    """What a leader sums for its level: the named set, and the uint64 vectors it adds (its own
    leader shares of the schools reporting to it, and its members' signed leader partials)."""

    named: NamedSet
    values: list[list[int]]


def member_parts(store: Store, period: str, now: datetime) -> list[tuple[NamedSet, list[int]]]:
    """The named set and leader partial of each member aggregator's counted rollup of
    ``period`` that carries them, each checked: both signed by the member's enrolled key
    (``check_signer``), the partial the leader's, of that set, of the member's own region.
    Raises ``PublishError`` naming the member otherwise."""
    parts = []
    for held in counted_submissions(store, period):
        report = parse_signed(held.signed)[1]
        if report.kind != Report.ROLLUP or not report.named_set:
            continue
        try:
            named, body, signer = partials.open_named_set(report.named_set)
            partial, partial_signer = partials.open_partial(report.partial)
            for key in {signer, partial_signer}:
                check_signer(store, report.sender_id, report.sender_id, "aggregator", key, now)
        except Refused as exc:
            raise PublishError(f"成员部分和无效 the partial of {report.sender_id}: {exc}") from None
        if (named.region, named.period, partial.party, partial.set_sha256) != (
                report.sender_id, period, Party.LEADER, partials.digest(body)):
            raise PublishError(f"成员部分和不符 the partial of {report.sender_id} is not its "
                               f"leader partial of its own set of {period}")
        parts.append((named, list(partial.values)))
    return parts


def gather(store: Store, settings: Settings, period: str, now: datetime, *,
           timeout: float = 60.0, client_tls: ClientTls | None = None) -> Gathered:
    """This leader's named set of ``period``: the schools reporting here whose leader share and
    helper share both arrived at the same revision, and every school its member aggregators'
    published sets name (their partials summed, never their shares: a county's shares stay at
    the county), ascending by id. Raises ``PublishError`` when there is nothing to name, a
    school is named twice, or catalogue versions differ; ``SubmitRefused`` when the helper
    cannot answer."""
    own = store.latest_shares(period, settings.region)
    held = ({h.school_id: h for h in held_at_helper(store, period, settings.region,
                                                    timeout=timeout, client_tls=client_tls)}
            if own else {})
    both = [s for s in own if s.school_id in held and held[s.school_id].revision == s.revision]
    members = [SetMember(school_id=s.school_id, revision=s.revision, leader_leaf=s.leaf_hash,
                         helper_leaf=held[s.school_id].leaf_hash) for s in both]
    values = [s.values for s in both]
    versions = {s.catalogue_version for s in both}
    for named, partial in member_parts(store, period, now):
        members.extend(named.members)
        values.append(partial)
        versions.add(named.catalogue_version)
    if not members:
        raise PublishError(f"无可发布 no school of {settings.region} has both shares of "
                           f"{period} at the leader and the helper")
    if len(versions) > 1:
        raise PublishError(f"目录版本不一 the shares of {period} use catalogue versions "
                           f"{sorted(versions)}")
    ids = [m.school_id for m in members]
    if len(set(ids)) != len(ids):
        raise PublishError(f"学校重复 a school is named twice in {settings.region}'s set")
    members.sort(key=lambda m: m.school_id)
    return Gathered(NamedSet(level=level(settings.region), region=settings.region, period=period,
                             catalogue_version=versions.pop(), created_unix_ms=to_ms(now),
                             members=members), values)


def publish(store: Store, settings: Settings, period: str, now: datetime,
            policy: BudgetPolicy | None = None, *, gathered: Gathered | None = None,
            attempts: int | None = 3, backoff: Backoff = DEFAULT_BACKOFF, timeout: float = 60.0,
            client_tls: ClientTls | None = None) -> Publication:
    """Publish this leader's figure of ``period`` with the helper, once; the stored publication.

    ``gathered``: the set and vectors to publish when they do not come from this leader's own
    shares and members' rollups (default: ``gather``), e.g. counties' partials received apart.

    Raises ``ConfigError`` (a helper, or no helper imported), ``PublishError``, ``Refused`` (this
    party's own checks), ``SubmitRefused`` / ``SubmitGaveUp`` (the helper's answer).
    """
    if settings.helper:
        raise ConfigError("协助方不发起 the helper answers the leader's set; it publishes nothing "
                          "of its own accord")
    policy = policy or BudgetPolicy()
    held = store.publication(period, settings.region)
    if held is not None and held.other_noisy is not None:
        return held
    if held is None:
        gathered = gathered or gather(store, settings, period, now, timeout=timeout,
                                      client_tls=client_tls)
        named = gathered.named
        body = named.SerializeToString(deterministic=True)
        signed_set = partials.sign(partials.NAMED_SET_CONTEXT, named, settings.signing_key)
        held = make_publication(settings, named, signed_set, body, gathered.values, policy,
                                now).publication
        with store.transaction():
            store.add_publication(held)
    helper = the_helper(store)
    answer = submit_until_receipt(helper, Submission(sealed=seal(held.named_set,
                                                                 helper.keys.sealing)),
                                  attempts=attempts, backoff=backoff, timeout=timeout,
                                  client_tls=client_tls, rpc=helper_publish)
    other = answer.SerializeToString()
    check_answer(held, other, helper.keys.signing, policy)
    published = replace(held, other_noisy=other)
    with store.transaction():
        store.set_other_noisy(period, settings.region, other)
        cube.record_publication(store, published)
    return published


def check_answer(held: Publication, other: bytes, helper_key: bytes,
                 policy: BudgetPolicy) -> None:
    """``PublishError`` unless ``other`` is the helper's signed noisy partial of the same set,
    signed with ``helper_key`` and declaring the noise the level's ρ needs."""
    named, _body, _signer = partials.open_named_set(held.named_set)
    try:
        noisy, signer = partials.open_noisy_partial(other)
        if signer != helper_key:
            raise PublishError("协助方签名不符 the answer is not signed by the helper's key")
        stages = partials.set_stages(m.school_id for m in named.members)
        catalogue = catalogue_of(named)
        partials.check_scales(catalogue, noisy, policy.rho_level(named.level), stages, "helper")
        partials.publish(catalogue, partials.open_noisy_partial(held.noisy)[0], noisy, stages)
    except (Refused, partials.PartialMismatch) as exc:
        raise PublishError(f"协助方答复不符 the helper's answer does not fit: {exc}") from None
