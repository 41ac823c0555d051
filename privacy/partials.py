"""Publishing a level's figure from secure aggregation: named sets, partial sums, each party's
noise, and the checks of all three (DESIGN §8, docs/secure-aggregation.md).

The leader names the schools whose two shares both arrived (a signed ``NamedSet``); each party
sums its shares of exactly that set modulo 2^64 (privacy/shares.py), adds discrete Gaussian
noise from OpenDP for the level's ρ and the catalogue's per-student sensitivity (privacy/dp.py;
the largest over the stages of the schools in the set), and signs its ``NoisyPartial``. The
published figure is the two noisy partials added modulo 2^64, read as signed integers: the true
sum plus both parties' noise, so against either party alone it is a ρ-zCDP release.

The aggregator (both parties) and the inspector run the same functions here, so that what one
refuses the other flags: a partial that is not the sum of its shares, noise of another scale
than declared, a published figure that is not the two noisy partials combined.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from nacl.signing import SigningKey

from common.errors import GuanaiError
from privacy import dp
from privacy.envelope import BadSignature, EnvelopeError, sign_body, verify_signed_body
from privacy.shares import MODULUS, add, combine, signed
from protos.catalogue import Catalogue
from protos.deadlines import to_ms
from protos.partial_pb2 import GroupScale, NamedSet, NoisyPartial, Partial
from protos.periods import Period, PeriodError
from protos.refusals import Kind, Refused
from protos.regions import school_stages
from protos.share_pb2 import Party
from protos.validation import parse_canonical

NAMED_SET_CONTEXT = b"guanai.v1.named-set\x00"
PARTIAL_CONTEXT = b"guanai.v1.partial\x00"
NOISY_PARTIAL_CONTEXT = b"guanai.v1.noisy-partial\x00"
LEAF_SIZE = 32
_LEVELS = ("county", "city", "province")
# A declared scale may sit a hair above OpenDP's (binary search), never below.
_TOLERANCE = 1e-9


class PartialMismatch(GuanaiError):
    """A partial, noisy partial or published figure that is not what its inputs make."""


def digest(body: bytes) -> bytes:
    """SHA-256 of a NamedSet's exact bytes: how partials name the set they sum."""
    return hashlib.sha256(body).digest()


def sign(context: bytes, message: NamedSet | Partial | NoisyPartial, key: SigningKey) -> bytes:
    """A serialized ``Signed`` (protos/share.proto) of ``message``'s canonical bytes under
    ``context`` (one of this module's three), by ``key`` (Ed25519)."""
    return sign_body(context, message.SerializeToString(deterministic=True), key)


def open_named_set(signed_bytes: bytes) -> tuple[NamedSet, bytes, bytes]:
    """A signed NamedSet's message, exact body bytes and signer key (32 bytes), after its
    signature verified and its shape checked (``check_named_set``). Raises ``Refused``
    (MALFORMED, or UNAUTHENTICATED for a bad signature)."""
    body, signer = _verified(NAMED_SET_CONTEXT, signed_bytes, "named set")
    named = parse_canonical(NamedSet, body, "named set")
    check_named_set(named)
    return named, body, signer


def open_noisy_partial(signed_bytes: bytes) -> tuple[NoisyPartial, bytes]:
    """A signed NoisyPartial and its signer key, signature verified; ``Refused`` otherwise."""
    body, signer = _verified(NOISY_PARTIAL_CONTEXT, signed_bytes, "noisy partial")
    return parse_canonical(NoisyPartial, body, "noisy partial"), signer


def open_partial(signed_bytes: bytes) -> tuple[Partial, bytes]:
    """A signed Partial and its signer key, signature verified; ``Refused`` otherwise."""
    body, signer = _verified(PARTIAL_CONTEXT, signed_bytes, "partial")
    return parse_canonical(Partial, body, "partial"), signer


def _verified(context: bytes, signed_bytes: bytes, what: str) -> tuple[bytes, bytes]:
    try:
        return verify_signed_body(context, signed_bytes)
    except BadSignature as exc:
        raise Refused(Kind.UNAUTHENTICATED, f"{what}: {exc}") from None
    except EnvelopeError as exc:
        raise Refused(Kind.MALFORMED, f"{what}: {exc}") from None


def check_named_set(named: NamedSet) -> None:
    """Refused (MALFORMED) unless ``named`` has a level, a half-year period and its members
    ascending by school id, each once, with 32-byte leaf hashes."""
    try:
        half_year = not Period.parse(named.period).annual
    except PeriodError:
        half_year = False
    if named.level not in _LEVELS or not half_year:
        raise Refused(Kind.MALFORMED, f"名单格式错误 bad named set: level {named.level!r}, "
                      f"period {named.period!r}; a county, city or province and a half-year")
    ids = [m.school_id for m in named.members]
    if ids != sorted(set(ids)):
        raise Refused(Kind.MALFORMED, "名单格式错误 bad named set: its schools must be "
                      "ascending by id, each once")
    if any(len(m.leader_leaf) != LEAF_SIZE or len(m.helper_leaf) != LEAF_SIZE
           for m in named.members):
        raise Refused(Kind.MALFORMED, "名单格式错误 bad named set: every leaf hash is 32 bytes")


def set_stages(school_ids: Iterable[str]) -> frozenset[str]:
    """The stages taught by any of ``school_ids`` (public, from the school codes): the cells a
    level's figure can reach, and whose worst student sets its sensitivity."""
    return frozenset(stage for school in school_ids for stage in school_stages(school))


@dataclass(frozen=True)
class Noised:
    """One party's noisy partial: ``values`` (uint64, mod 2^64) and the noise plan it drew."""

    values: list[int]
    plan: dict[str, dp.GroupNoise]


def add_level_noise(catalogue: Catalogue, partial: Sequence[int], rho: float,
                    stages: frozenset[str]) -> Noised:
    """``partial`` (a party's Σ shares, uint64 per catalogue cell) with discrete Gaussian noise
    for ``rho`` (zCDP) added modulo 2^64 in every DP cell open to ``stages``; public cells and
    cells no school of the set can reach get none. σ per group from OpenDP
    (``dp.noise_plan``: the group's share of ρ, its L2 sensitivity for the worst stage), the
    draw from OpenDP (``dp.noise_vector``). Raises ``ReleaseError`` for ρ ≤ 0."""
    plan = dp.noise_plan(catalogue, rho, stages)
    noise = dp.noise_vector(catalogue, plan, stages)
    return Noised([(p + z) % MODULUS for p, z in zip(partial, noise, strict=True)], plan)


def noisy_partial(named: NamedSet, body: bytes, party: Party.ValueType, noised: Noised,
                  rho: float, now: datetime) -> NoisyPartial:
    """The NoisyPartial message of ``noised`` for the named set of exact bytes ``body``."""
    return NoisyPartial(level=named.level, region=named.region, period=named.period, party=party,
                        set_sha256=digest(body), catalogue_version=named.catalogue_version,
                        rho=rho, values=noised.values, created_unix_ms=to_ms(now),
                        noise=[GroupScale(group=g, scale=n.scale)
                               for g, n in noised.plan.items()])


def partial_of(named: NamedSet, body: bytes, party: Party.ValueType,
               values: Sequence[int]) -> Partial:
    """The Partial message of a party's Σ shares ``values`` for the set of bytes ``body``."""
    return Partial(level=named.level, region=named.region, period=named.period, party=party,
                   set_sha256=digest(body), values=values)


def check_sum(partial: Sequence[int], shares: Iterable[Sequence[int]], what: str) -> None:
    """``PartialMismatch`` unless ``partial`` is the sum modulo 2^64 of ``shares`` (each a
    uint64 vector of the same length): a party's partial against the shares it logged."""
    if list(partial) != add(shares, len(partial)):
        raise PartialMismatch(f"部分和不符 partial does not match its log: {what} is not the "
                              "sum of the logged shares of the schools its set names")


def check_scales(catalogue: Catalogue, noisy: NoisyPartial, rho: float,
                 stages: frozenset[str], what: str) -> dict[str, float]:
    """The declared σ of each group of ``noisy``, if every group that ``rho`` (zCDP) and the
    set's ``stages`` call for is declared with at least OpenDP's σ (``dp.noise_plan``) and no
    other; ``PartialMismatch`` (too little noise) otherwise. What a leader checks of the
    helper's answer and the inspector of both."""
    plan = dp.noise_plan(catalogue, rho, stages)
    declared = {g.group: g.scale for g in noisy.noise}
    if set(declared) != set(plan) or any(declared[g] < plan[g].scale * (1 - _TOLERANCE)
                                         for g in plan):
        raise PartialMismatch(
            f"噪声不足 too little noise: {what} declares "
            f"{', '.join(f'{g} σ = {s:.4g}' for g, s in sorted(declared.items()))}; the level's "
            f"ρ = {rho:g} needs {', '.join(f'{g} σ ≥ {n.scale:.4g}' for g, n in plan.items())}")
    return declared


def check_noise(catalogue: Catalogue, noisy: NoisyPartial, partial: Sequence[int], rho: float,
                stages: frozenset[str], what: str) -> None:
    """``PartialMismatch`` or ``dp.ImplausibleNoise`` unless ``noisy`` is ``partial`` with
    noise that the policy's ``rho`` and the set's ``stages`` call for: each declared σ at least
    OpenDP's for the group (``check_scales``), no noise in public or unreachable cells, and each
    group's noise plausible for its declared σ (``dp.check_plausible``: an honest party fails
    it less than twice in 10^9 per group)."""
    declared = check_scales(catalogue, noisy, rho, stages, what)
    if len(noisy.values) != len(partial):
        raise PartialMismatch(f"部分和不符 {what} has {len(noisy.values)} cells, its partial "
                              f"{len(partial)}")
    noise = [signed(v - p) for v, p in zip(noisy.values, partial, strict=True)]
    noised = {c.index for g in declared for c in catalogue.group_cells(g, stages)}
    if any(z for i, z in enumerate(noise) if i not in noised):
        raise PartialMismatch(f"部分和不符 {what} changes a public or unreachable cell")
    for group in declared:
        cells = catalogue.group_cells(group, stages)
        dp.check_plausible([noise[c.index] for c in cells], declared[group], f"{what}, {group}")


@dataclass(frozen=True)
class Published:
    """A level's published figure: ``values`` (signed integers, catalogue cell order) and
    ``variances`` (the two parties' σ² summed per cell, cell units²)."""

    values: list[int]
    variances: list[float]


def publish(catalogue: Catalogue, leader: NoisyPartial, helper: NoisyPartial,
            stages: frozenset[str]) -> Published:
    """The figure of two noisy partials of the same set: values added modulo 2^64 and read
    signed (privacy/shares.py ``combine``), variance per cell the sum of both parties' declared
    σ² in the cells of their groups open to ``stages``. ``PartialMismatch`` when they are not the
    leader's and the helper's of one level, region, period, catalogue and set."""
    same = ("level", "region", "period", "catalogue_version", "set_sha256")
    if (leader.party, helper.party) != (Party.LEADER, Party.HELPER) or any(
            getattr(leader, f) != getattr(helper, f) for f in same):
        raise PartialMismatch("部分和不符 the noisy partials are not the leader's and the "
                              "helper's of the same named set")
    variances = [0.0] * len(catalogue.cells)
    for party in (leader, helper):
        for group in party.noise:
            for cell in catalogue.group_cells(group.group, stages):
                variances[cell.index] += group.scale**2
    return Published(combine(leader.values, helper.values), variances)
