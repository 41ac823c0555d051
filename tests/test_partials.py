"""Named sets, partial sums, each party's noise and the published figure (privacy/partials.py):
what the aggregators and the inspector both run (issue 15, DESIGN §8).

Real shares (PyNaCl random), real OpenDP noise (never seeded): every statistical assertion is
sized so that a correct implementation fails it far less than once in 10^6.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from nacl.signing import SigningKey

from privacy import dp, partials
from privacy.budget import BudgetPolicy
from privacy.shares import add, split
from protos.catalogue import load
from protos.partial_pb2 import NamedSet, SetMember
from protos.refusals import Kind, Refused
from protos.share_pb2 import Party

CATALOGUE = load("v1")
RHO = BudgetPolicy().rho_level("county")
NOW = datetime(2025, 7, 1, tzinfo=UTC)
SCHOOLS = ("2161010001", "3161010002", "3461010003")
LEADER_KEY, HELPER_KEY = SigningKey.generate(), SigningKey.generate()


def tables() -> dict[str, list[int]]:
    """A true table per school: small counts in the cells its stages reach, 0 elsewhere."""
    out = {}
    for n, school in enumerate(SCHOOLS):
        stages = partials.set_stages([school])
        out[school] = [0 if c.group and not c.stages & stages else 3 + (i + n) % 5
                       for i, c in enumerate(CATALOGUE.cells)]
    return out


def a_round():
    """Shares of three schools, the leader's named set, both parties' partials and noise."""
    truth = tables()
    shares = {s: split(v) for s, v in truth.items()}
    named = NamedSet(level="county", region="610102", period="2025-H1", catalogue_version="v1",
                     members=[SetMember(school_id=s, revision=1, leader_leaf=bytes([i]) * 32,
                                        helper_leaf=bytes([i + 9]) * 32)
                              for i, s in enumerate(SCHOOLS)], created_unix_ms=1)
    signed_set = partials.sign(partials.NAMED_SET_CONTEXT, named, LEADER_KEY)
    opened, body, signer = partials.open_named_set(signed_set)
    assert opened == named and signer == bytes(LEADER_KEY.verify_key)
    stages = partials.set_stages(SCHOOLS)
    sums = {party: add((shares[s][i] for s in SCHOOLS), len(CATALOGUE.cells))
            for i, party in enumerate((Party.LEADER, Party.HELPER))}
    noisy = {party: partials.noisy_partial(
        named, body, party, partials.add_level_noise(CATALOGUE, sums[party], RHO, stages), RHO,
        NOW) for party in sums}
    return truth, shares, body, stages, sums, noisy


def test_the_published_figure_is_the_true_sum_plus_both_parties_plausible_noise():
    truth, shares, body, stages, sums, noisy = a_round()
    for party in (Party.LEADER, Party.HELPER):
        partials.check_sum(sums[party], (shares[s][party - 1] for s in SCHOOLS), "partial")
        partials.check_noise(CATALOGUE, noisy[party], sums[party], RHO, stages, "party")
    figure = partials.publish(CATALOGUE, noisy[Party.LEADER], noisy[Party.HELPER], stages)
    total = [sum(truth[s][i] for s in SCHOOLS) for i in range(len(CATALOGUE.cells))]
    plan = dp.noise_plan(CATALOGUE, RHO, stages)
    for cell in CATALOGUE.cells:
        error = figure.values[cell.index] - total[cell.index]
        if cell.group in plan and cell.stages & stages:
            assert figure.variances[cell.index] == pytest.approx(2 * plan[cell.group].scale ** 2)
            # the sum of two honest draws stays within both parties' bounds: < 4·10^-9
            assert abs(error) < 2 * dp.largest_plausible(plan[cell.group].scale, 1)
        else:
            assert error == 0 and figure.variances[cell.index] == 0
    # each party's noisy partial alone is uniform-looking: nowhere near the true sum
    assert sum(abs(v) for v in noisy[Party.LEADER].values) > 2**60


def test_a_partial_that_is_not_the_sum_of_its_logged_shares_is_found():
    truth, shares, body, stages, sums, noisy = a_round()
    fewer = [shares[s][0] for s in SCHOOLS[:2]]
    with pytest.raises(partials.PartialMismatch, match="partial does not match its log"):
        partials.check_sum(sums[Party.LEADER], fewer, "leader 610102")


def test_noise_of_another_scale_or_in_a_public_cell_or_none_at_all_is_found():
    truth, shares, body, stages, sums, noisy = a_round()
    leader = noisy[Party.LEADER]
    thin = type(leader)()
    thin.CopyFrom(leader)
    thin.noise[0].scale /= 2
    with pytest.raises(partials.PartialMismatch, match="too little noise"):
        partials.check_noise(CATALOGUE, thin, sums[Party.LEADER], RHO, stages, "leader")
    public = type(leader)()
    public.CopyFrom(leader)
    cell = next(c.index for c in CATALOGUE.cells if not c.group)
    public.values[cell] = (public.values[cell] + 1) % 2**64
    with pytest.raises(partials.PartialMismatch, match="public or unreachable cell"):
        partials.check_noise(CATALOGUE, public, sums[Party.LEADER], RHO, stages, "leader")
    none = type(leader)()
    none.CopyFrom(leader)
    none.values[:] = sums[Party.LEADER]
    with pytest.raises(dp.ImplausibleNoise, match="less noise than it declared"):
        partials.check_noise(CATALOGUE, none, sums[Party.LEADER], RHO, stages, "leader")


def test_two_noisy_partials_of_different_sets_or_the_same_party_do_not_combine():
    truth, shares, body, stages, sums, noisy = a_round()
    with pytest.raises(partials.PartialMismatch, match="same named set"):
        partials.publish(CATALOGUE, noisy[Party.LEADER], noisy[Party.LEADER], stages)
    other = type(noisy[Party.HELPER])()
    other.CopyFrom(noisy[Party.HELPER])
    other.set_sha256 = bytes(32)
    with pytest.raises(partials.PartialMismatch, match="same named set"):
        partials.publish(CATALOGUE, noisy[Party.LEADER], other, stages)


def test_a_named_set_out_of_order_or_tampered_is_refused():
    named = NamedSet(level="county", region="610102", period="2025-H1", catalogue_version="v1",
                     members=[SetMember(school_id=s, revision=1, leader_leaf=bytes(32),
                                        helper_leaf=bytes(32)) for s in reversed(SCHOOLS)])
    with pytest.raises(Refused) as info:
        partials.open_named_set(partials.sign(partials.NAMED_SET_CONTEXT, named, LEADER_KEY))
    assert info.value.kind == Kind.MALFORMED and "ascending" in info.value.message
    named.members.sort(key=lambda m: m.school_id)
    signed = bytearray(partials.sign(partials.NAMED_SET_CONTEXT, named, LEADER_KEY))
    signed[10] ^= 1  # inside the body
    with pytest.raises(Refused) as info:
        partials.open_named_set(bytes(signed))
    assert info.value.kind == Kind.UNAUTHENTICATED
    # a noisy partial's signature is not a named set's (domain separation)
    as_noisy = partials.sign(partials.NOISY_PARTIAL_CONTEXT, named, LEADER_KEY)
    with pytest.raises(Refused) as info:
        partials.open_named_set(as_noisy)
    assert info.value.kind == Kind.UNAUTHENTICATED
