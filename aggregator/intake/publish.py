"""Publishing a level's figure from the shares, at both parties (secure aggregation, DESIGN §8,
docs/secure-aggregation.md).

The leader of a level (a county, city or province aggregator) names the schools whose two
shares both arrived, signs that ``NamedSet`` and sends it to the province's helper. Each party
sums its own shares of exactly that set, adds discrete Gaussian noise for the level's ρ
(privacy/partials.py, OpenDP through privacy/dp.py) and signs its ``NoisyPartial``; the leader
adds the two into the published figure and keeps it in its figures store.

The helper checks before it answers (each refusal typed; nothing is stored): the set is signed
by the level's leader, enrolled at the helper (UNAUTHENTICATED otherwise); it names only schools
of that region whose share the helper holds at the named revision and leaf (NOT_NOW: "the set
names a school whose share the helper lacks"); it is the first set of that level, region and
period, or the same one again (ALREADY_EXISTS: a second set would let the two figures be
differenced, each school's table with only the two draws of noise between them). Asking again
with the same set gives the stored answer, never fresh noise.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from aggregator.intake.opening import unseal
from aggregator.intake.shares import check_signer, party
from aggregator.keys.own_identity import Settings
from aggregator.store.sqlite import Publication, Store, StoredShare
from common.clock import stamp
from privacy import partials
from privacy.budget import BudgetPolicy
from privacy.envelope import EnvelopeError
from privacy.shares import add
from protos.aggregator_pb2 import Submission
from protos.catalogue import Catalogue, CatalogueError, load
from protos.membership import within
from protos.partial_pb2 import NamedSet
from protos.refusals import Kind, Refused
from protos.regions import level


@dataclass(frozen=True)
class Answer:
    """This party's publication of a named set: what it stored, and its signed noisy partial."""

    publication: Publication
    noisy: bytes


def catalogue_of(named: NamedSet) -> Catalogue:
    """The named set's catalogue; ``Refused`` (MALFORMED) for an unknown version."""
    try:
        return load(named.catalogue_version)
    except CatalogueError as exc:
        raise Refused(Kind.MALFORMED, f"目录版本未知 {exc}") from None


def level_rho(named: NamedSet, policy: BudgetPolicy) -> float:
    """The ρ the policy gives the named set's level; ``Refused`` (MALFORMED) when the level is
    not the region's, NOT_NOW when the policy publishes nothing at that level."""
    if level(named.region) != named.level:
        raise Refused(Kind.MALFORMED, f"级别不符 region {named.region} is a "
                      f"{level(named.region)}, the set says {named.level}")
    rho = policy.rho_level(named.level)
    if rho <= 0:
        raise Refused(Kind.NOT_NOW, f"不发布 this federation publishes no {named.level} figure "
                      f"(budget.rho_{named.level} = 0)")
    return rho


def shares_named(store: Store, named: NamedSet) -> list[StoredShare]:
    """The helper's share of every school the set names, at the named revision and with the
    named helper leaf; ``Refused`` otherwise (NOT_NOW
    for a share not held, NOT_PERMITTED for a school outside the set's region, MALFORMED for
    another catalogue)."""
    held = store.shares_of(named.period, [m.school_id for m in named.members])
    chosen = []
    for member in named.members:
        share = held.get(member.school_id)
        if share is None or share.revision != member.revision or \
                share.leaf_hash != member.helper_leaf:
            raise Refused(Kind.NOT_NOW, f"名单与份额不符 the set names {member.school_id} revision "
                          f"{member.revision}, whose share with that leaf this party does not "
                          "hold; name only schools whose both shares arrived")
        if not within(share.region, named.region):
            raise Refused(Kind.NOT_PERMITTED, f"不在辖区 {member.school_id} is a school of "
                          f"{share.region}, outside {named.region}")
        if share.catalogue_version != named.catalogue_version:
            raise Refused(Kind.MALFORMED, f"目录版本不符 the share of {member.school_id} is of "
                          f"catalogue {share.catalogue_version}, the set says "
                          f"{named.catalogue_version}")
        chosen.append(share)
    return chosen


def make_publication(settings: Settings, named: NamedSet, signed_set: bytes, body: bytes,
                     values: Sequence[Sequence[int]], policy: BudgetPolicy,
                     now: datetime) -> Answer:
    """This party's partial of ``values`` (its shares of the set, or its partials of the level
    below), its noise for the level and both signed, for the caller to store. Raises
    ``Refused`` as ``level_rho``."""
    catalogue = catalogue_of(named)
    rho = level_rho(named, policy)
    total = add(values, len(catalogue.cells))
    noised = partials.add_level_noise(catalogue, total, rho,
                                      partials.set_stages(m.school_id for m in named.members))
    me = party(settings)
    partial = partials.sign(partials.PARTIAL_CONTEXT, partials.partial_of(named, body, me, total),
                            settings.signing_key)
    noisy = partials.sign(partials.NOISY_PARTIAL_CONTEXT,
                          partials.noisy_partial(named, body, me, noised, rho, now),
                          settings.signing_key)
    publication = Publication(named.period, named.level, named.region, partials.digest(body),
                              signed_set, partial, noisy, None, stamp(now))
    return Answer(publication, noisy)


def answer_publish(store: Store, settings: Settings, request: Submission, now: datetime,
                   policy: BudgetPolicy) -> bytes:
    """At the helper: the signed NoisyPartial for the leader's sealed signed NamedSet in
    ``request``, made and stored once. Raises ``Refused`` (nothing stored) as the module says."""
    if request.sealed_members:
        raise Refused(Kind.MALFORMED, "多余附件 a named set carries no member reports")
    try:
        signed_set = unseal(request.sealed, settings.sealing_keys)
    except EnvelopeError as exc:
        raise Refused(Kind.MALFORMED, str(exc)) from None
    named, body, signer = partials.open_named_set(signed_set)
    check_signer(store, named.region, named.region, "aggregator", signer, now)
    with store.transaction():
        held = store.publication(named.period, named.region)
        if held is not None:
            if held.set_sha256 != partials.digest(body):
                raise Refused(Kind.DUPLICATE, f"已发布 {named.level} {named.region} "
                              f"{named.period} was published with another set; one figure "
                              "per level, region and period")
            return held.noisy
        shares = shares_named(store, named)
        answer = make_publication(settings, named, signed_set, body,
                                  [s.values for s in shares], policy, now)
        store.add_publication(answer.publication)
    return answer.noisy
