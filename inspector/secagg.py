"""Secure aggregation, checked from the bundles (issue 15, DESIGN §8, docs/secure-aggregation.md).

For each bundle, leader or helper: every share is a leaf of its log (its leaf hash is the log's),
signed by a key the bundle enrols for that school, and of this party; each published figure's
partial is the sum modulo 2^64 of the logged shares of the schools its named set names — at a
province or city leader, of its own shares and the signed partials its counties' rollups
carried — each noisy partial is its partial plus noise plausible for its declared σ and ρ; at
the leader, the helper's noisy partial is of the same set, so that the published figure is the
two combined. Across a leader's and the helper's bundles: a school named in one party's set but
missing from the other party's log is flagged, and the helper's noisy partial must be the same
bytes in both. These need only the sets and leaf hashes of the other party, never its share
values (an inspector holding both parties' shares could add them into the schools' tables).

The arithmetic and the noise bounds are privacy/partials.py's, the same the aggregators run.
"""

from __future__ import annotations

from collections.abc import Iterable

from common.errors import GuanaiError
from inspector.bundle import Bundle, Published
from inspector.logcheck import log_name
from inspector.verdict import Verdict
from privacy import partials
from privacy.envelope import EnvelopeError, parse_signed, verify_share
from privacy.merkle import leaf_hash
from protos.catalogue import CatalogueError, load
from protos.partial_pb2 import NamedSet
from protos.refusals import Refused
from protos.report_pb2 import Report
from protos.share_pb2 import Party

CHECK = "secure_aggregation"


def check_secure_aggregation(verdict: Verdict, bundles: Iterable[Bundle]) -> None:
    """Every check of the module docstring over ``bundles``; a failure per problem found."""
    bundles = list(bundles)
    logged: dict[str, set[bytes]] = {}  # party's log (bundle id + role) → share leaf hashes
    sets: list[tuple[Bundle, NamedSet, Published]] = []
    for bundle in bundles:
        shares = _shares(verdict, bundle)
        logged.setdefault(_party_of(bundle), set()).update(shares)
        for published in bundle.publications:
            named = _check_publication(verdict, bundle, published, shares)
            if named is not None:
                sets.append((bundle, named, published))
    _cross_check(verdict, bundles, logged, sets)


def _party_of(bundle: Bundle) -> str:
    return f"{bundle.aggregator.role or 'leader'} {bundle.id}"


def _where(bundle: Bundle) -> str:
    role = "协助方 helper" if bundle.aggregator.role else "主方 leader"
    return f"{role} {log_name(bundle.id)} {bundle.period}"


def _shares(verdict: Verdict, bundle: Bundle) -> dict[bytes, list[int]]:
    """The bundle's shares of its period that pass: leaf hash → values (uint64 list)."""
    entries = {e.index: e for e in bundle.log if e.kind == "share" and e.period == bundle.period}
    party = Party.HELPER if bundle.aggregator.role else Party.LEADER
    keys = {(k.member_id, k.key) for k in bundle.keys if k.kind == "school"}
    found: dict[bytes, list[int]] = {}
    for index, path in sorted(bundle.shares.items()):
        subject = f"{_where(bundle)} 份额 share leaf {index}"
        signed = path.read_bytes()
        entry = entries.get(index)
        if entry is None or entry.leaf_hash != leaf_hash(signed):
            verdict.fail(CHECK, subject, "份额不在日志中或与日志叶不符",
                         "the share is not the log's leaf at its index")
            continue
        try:
            share, signer = verify_share(signed)
        except EnvelopeError as exc:
            verdict.fail(CHECK, subject, "份额签名无效", f"the share does not verify: {exc}")
            continue
        if (share.school_id, signer) not in keys or share.party != party:
            verdict.fail(CHECK, subject, f"份额非本方登记学校所签 {share.school_id}",
                         f"the share of {share.school_id} is not signed by a key enrolled for "
                         "it here, or is the other party's")
            continue
        found[entry.leaf_hash] = list(share.values)
    missing = sorted(set(entries) - set(bundle.shares))
    for index in missing:
        verdict.fail(CHECK, f"{_where(bundle)} 份额 share leaf {index}", "日志有份额叶而核验包无其文件",
                     "the log lists a share whose file the bundle lacks")
    verdict.pass_(CHECK, len(found))
    return found


def _member_partials(verdict: Verdict, bundle: Bundle) -> dict[str, list[int]]:
    """At a leader above a county: school → the signed leader partial of the member rollup
    whose set names it (the rollups in the bundle's submissions that carry one)."""
    covered: dict[str, list[int]] = {}
    for path in bundle.submissions.values():
        try:
            report = parse_signed(path.read_bytes())[1]
        except EnvelopeError:
            continue  # the reports' own checks fail it
        if report.kind != Report.ROLLUP or not report.named_set:
            continue
        try:
            named, body, signer = partials.open_named_set(report.named_set)
            partial, partial_signer = partials.open_partial(report.partial)
        except Refused as exc:
            verdict.fail(CHECK, f"{_where(bundle)} {report.sender_id}", "成员部分和无效",
                         f"the partial of {report.sender_id}'s rollup: {exc}")
            continue
        if partial_signer != signer or partial.set_sha256 != partials.digest(body):
            verdict.fail(CHECK, f"{_where(bundle)} {report.sender_id}", "成员部分和与名单不符",
                         "the member's partial is not signed with its set, or not of it")
            continue
        values = list(partial.values)  # one vector per member rollup, counted once
        for member in named.members:
            covered[member.school_id] = values
    return covered


def _check_publication(verdict: Verdict, bundle: Bundle, published: Published,
                       shares: dict[bytes, list[int]]) -> NamedSet | None:
    """One publication of ``bundle``: its set, partial, noise and (at the leader) the helper's
    noisy partial. The named set if it could be read."""
    helper = bool(bundle.aggregator.role)
    try:
        named, body, set_signer = partials.open_named_set(published.named_set)
        partial, partial_signer = partials.open_partial(published.partial)
        noisy, noisy_signer = partials.open_noisy_partial(published.noisy)
        catalogue = load(named.catalogue_version)
    except (Refused, CatalogueError) as exc:
        verdict.fail(CHECK, _where(bundle), "发布记录无法读取", f"a publication does not verify: {exc}")
        return None
    subject = f"{_where(bundle)} {named.level} {named.region}"
    own_key = bundle.aggregator.keys.signing
    party = Party.HELPER if helper else Party.LEADER
    if {partial_signer, noisy_signer} != {own_key} or (partial.party, noisy.party) != (party,
                                                                                       party):
        verdict.fail(CHECK, subject, "部分和非本方所签", "the partial or noisy partial is not this "
                     "party's, signed with its key")
        return named
    if not helper and set_signer != own_key:
        verdict.fail(CHECK, subject, "名单非本方所签", "the named set is not signed by this leader")
    digest = partials.digest(body)
    if partial.set_sha256 != digest or noisy.set_sha256 != digest:
        verdict.fail(CHECK, subject, "部分和所指名单不符", "a partial names another set")
        return named
    leaf = "helper_leaf" if helper else "leader_leaf"
    covered = {} if helper else _member_partials(verdict, bundle)
    vectors, counted = [], set()
    for member in named.members:
        own = shares.get(getattr(member, leaf))
        if own is not None:
            vectors.append(own)
        elif member.school_id in covered:
            key = id(covered[member.school_id])
            if key not in counted:
                counted.add(key)
                vectors.append(covered[member.school_id])
        else:
            verdict.fail(CHECK, f"{subject} {member.school_id}", "名单中的学校份额不在本方日志",
                         f"{member.school_id} is named but its share is not in this party's "
                         "log, nor in a member's published set")
            return named
    stages = partials.set_stages(m.school_id for m in named.members)
    try:
        partials.check_sum(partial.values, vectors, subject)
        partials.check_noise(catalogue, noisy, partial.values, noisy.rho, stages, subject)
        if not helper:
            other, _ = partials.open_noisy_partial(published.other_noisy or b"")
            partials.check_scales(catalogue, other, noisy.rho, stages, f"{subject} (helper)")
            partials.publish(catalogue, noisy, other, stages)
    except (GuanaiError, Refused) as exc:
        verdict.fail(CHECK, subject, "发布核算不符", str(exc))
        return named
    verdict.pass_(CHECK)
    return named


def _cross_check(verdict: Verdict, bundles: list[Bundle], logged: dict[str, set[bytes]],
                 sets: list[tuple[Bundle, NamedSet, Published]]) -> None:
    """Between the parties: each school named in a set is in the other party's log (where that
    log is among the bundles), and the helper's noisy partial is one set of bytes in both."""
    helpers = {b.id: b for b in bundles if b.aggregator.role}
    leaders = {b.id: b for b in bundles if not b.aggregator.role}
    answers = {partials.digest(partials.open_named_set(p.named_set)[1]): p.noisy
               for b, _named, p in sets if b.aggregator.role}
    for bundle, named, published in sets:
        subject = f"{_where(bundle)} {named.level} {named.region}"
        if bundle.aggregator.role:
            other = leaders.get(named.region)  # the leader's own shares are in its own log
            leaf, log = "leader_leaf", logged.get(f"leader {named.region}")
        else:
            other = helpers.get(named.region[:2] + "0000")
            leaf, log = "helper_leaf", logged.get(f"helper {named.region[:2]}0000")
            digest = partials.digest(partials.open_named_set(published.named_set)[1])
            if other is not None and answers.get(digest) not in (None, published.other_noisy):
                verdict.fail(CHECK, subject, "两方所存协助方部分和不同",
                             "the helper's noisy partial the leader holds is not the one the "
                             "helper holds for the same set")
        if other is None or log is None or (bundle.aggregator.role and named.level != "county"):
            continue  # a province's schools are logged at its counties
        absent = [m.school_id for m in named.members if getattr(m, leaf) not in log]
        for school in absent:
            verdict.fail(CHECK, f"{subject} {school}", "一方名单中的学校不在另一方日志中",
                         f"{school} is named in this party's set but missing from the other "
                         "party's log")
        if not absent:
            verdict.pass_(CHECK)
