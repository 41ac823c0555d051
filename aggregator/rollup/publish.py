"""The leader's side of publishing a level's figure with the province's helper (secure
aggregation, DESIGN §8, docs/secure-aggregation.md).

A county leader asks the helper which schools' shares of the period it holds, names the
schools whose two shares (same revision) both arrived, signs that set, makes its own partial
and noisy partial (aggregator/intake/publish.py: the same code as the helper's) and keeps them
before it asks, so a retry after a crash sends the same set and never draws its noise again.
The helper answers with its signed noisy partial; the leader checks the signature against the
helper's export, that it is for the same set and that its declared noise is what the level's ρ
needs, adds the two (privacy/partials.py ``publish``) and keeps the figure in its figures store
(aggregator/figures/cube.py), where queries, warnings, official tables and exports read it.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from aggregator.figures import cube
from aggregator.intake.publish import catalogue_of, make_publication, shares_named
from aggregator.keys.own_identity import ConfigError, Settings
from aggregator.rollup.helper import held_at_helper, the_helper
from aggregator.store.sqlite import Publication, Store
from common.errors import GuanaiError
from member.client import ClientTls, helper_publish, submit_until_receipt
from privacy import partials
from privacy.budget import BudgetPolicy
from privacy.envelope import seal
from protos.aggregator_pb2 import Submission
from protos.deadlines import to_ms
from protos.partial_pb2 import NamedSet, SetMember
from protos.refusals import Refused
from protos.regions import level


class PublishError(GuanaiError):
    """A figure that cannot be published now (nothing to name, an answer that does not fit)."""


def name_set(store: Store, settings: Settings, period: str, now: datetime, *,
             timeout: float = 60.0, client_tls: ClientTls | None = None) -> NamedSet:
    """The schools of this county whose leader share and helper share of ``period`` both
    arrived, at the same revision, ascending by id. Raises ``PublishError`` when there is none
    or their catalogue versions differ, ``SubmitRefused`` when the helper cannot answer."""
    if level(settings.region) != "county":
        raise PublishError(f"仅县级 a {level(settings.region)} publishes from its counties' "
                           "partials, which is not built yet; a county publishes from its shares")
    held = {h.school_id: h for h in held_at_helper(store, period, settings.region,
                                                   timeout=timeout, client_tls=client_tls)}
    both = [s for s in store.latest_shares(period, settings.region)
            if s.school_id in held and held[s.school_id].revision == s.revision]
    if not both:
        raise PublishError(f"无可发布 no school of {settings.region} has both shares of "
                           f"{period} at the leader and the helper")
    versions = sorted({s.catalogue_version for s in both})
    if len(versions) > 1:
        raise PublishError(f"目录版本不一 the shares of {period} use catalogue versions "
                           f"{versions}")
    return NamedSet(level="county", region=settings.region, period=period,
                    catalogue_version=versions[0], created_unix_ms=to_ms(now),
                    members=[SetMember(school_id=s.school_id, revision=s.revision,
                                       leader_leaf=s.leaf_hash,
                                       helper_leaf=held[s.school_id].leaf_hash) for s in both])


def publish(store: Store, settings: Settings, period: str, now: datetime,
            policy: BudgetPolicy | None = None, *, attempts: int | None = 3,
            timeout: float = 60.0, client_tls: ClientTls | None = None) -> Publication:
    """Publish this leader's figure of ``period`` with the helper, once; the stored publication.

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
        named = name_set(store, settings, period, now, timeout=timeout, client_tls=client_tls)
        body = named.SerializeToString(deterministic=True)
        signed_set = partials.sign(partials.NAMED_SET_CONTEXT, named, settings.signing_key)
        with store.transaction():
            shares = shares_named(store, named, "leader_leaf")
            held = make_publication(settings, named, signed_set, body,
                                    [s.values for s in shares], policy, now).publication
            store.add_publication(held)
    helper = the_helper(store)
    answer = submit_until_receipt(helper, Submission(sealed=seal(held.named_set,
                                                                 helper.keys.sealing)),
                                  attempts=attempts, timeout=timeout, client_tls=client_tls,
                                  rpc=helper_publish)
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
