"""A province's round of secure aggregation, each step timed (part 3 of
bench/secure_aggregation.py; issue 15's target: the whole round under 2 minutes on 2 cores).

Real keys, real sealed and signed shares, each party's real intake (open, verify, group
commit, Merkle log, signed receipts) into its own SQLite file, the helper serving gRPC on
loopback, every county publishing with it through ``aggregator/rollup/publish.py``, the
province publishing from the counties' partials, and the inspector verifying the counties' and
the helper's bundles. The schools' own DP tables (ρ = 0.05 each) are not part of the round and
not made here; so the county partials reach the province as the counties published them rather
than inside rollups of those tables (``publish(..., gathered=…)``), and the province leader's
bundle, which would hold those rollups, is not inspected.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from nacl.signing import SigningKey

from aggregator.grpc.server import start
from aggregator.intake.accept import accept
from aggregator.intake.enrolment import enrol
from aggregator.intake.shares import make_enrolment, open_share, take_enrolment
from aggregator.keys import own_identity
from aggregator.log.export import export_bundle
from aggregator.log.transparency import TransparencyLog
from aggregator.rollup.publish import Gathered, publish
from aggregator.store.sqlite import Member, MemberKey, Store
from inspector.verify import verify
from privacy import partials
from privacy.envelope import SHARE_CONTEXT, seal, sign_body
from privacy.identity import Identity
from privacy.keys import key_id
from privacy.shares import split
from protos.aggregator_pb2 import Submission
from protos.catalogue import load
from protos.deadlines import local_date, to_ms
from protos.partial_pb2 import NamedSet
from protos.periods import Period
from protos.share_pb2 import Party, Share

PERIOD = Period.parse("2025-H1")
NOW = datetime(2025, 7, 1, 4, tzinfo=UTC)
BATCH = 500  # shares per group commit at the helper


def _timed(steps: list[tuple[str, float]], label: str, work: Callable[[], object]) -> object:
    started = time.perf_counter()
    result = work()
    steps.append((label, time.perf_counter() - started))
    print(f"  {label}: {steps[-1][1]:.1f} s", flush=True)
    return result


def _county_codes(count: int) -> list[str]:
    """``count`` county codes of province 61: cities 6101…, counties 01…11 in each."""
    return [f"61{city:02d}{county:02d}" for city in range(1, 11) for county in range(1, 12)][:count]


def _table(catalogue, school: int) -> list[int]:  # noqa: ANN001
    """A small true table: counts the catalogue allows in the primary stage, 0 elsewhere."""
    return [0 if c.group and "primary" not in c.stages else (school + c.index) % 4
            for c in catalogue.cells]


def province_round(schools: int, per_county: int) -> None:
    catalogue = load()
    counties = _county_codes(-(-schools // per_county))
    print(f"\n## 3. A province's round: {schools:,} schools in {len(counties)} counties")
    steps: list[tuple[str, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        helper_db = folder / "helper.db"
        helper_settings = own_identity.init(helper_db, "province", "610000", None, "helper")
        running = start(helper_db)
        try:
            helper_id = helper_settings.identity(running.address)
            parties = _setup(folder, counties, schools, per_county, helper_db, helper_settings,
                             helper_id)
            sealed = _timed(steps, "schools split, sign and seal both shares",
                            lambda: _shares(catalogue, parties, helper_id))
            _timed(steps, "counties accept their leader shares (intake, log, receipts)",
                   lambda: _accept_counties(parties, sealed))
            _timed(steps, "the helper accepts every helper share",
                   lambda: _accept_helper(helper_db, helper_settings, sealed))
            published = _timed(steps, "each county publishes with the helper (gRPC)",
                               lambda: _publish_counties(parties))
            _timed(steps, "the province publishes from the counties' partials (gRPC)",
                   lambda: _publish_province(folder, helper_db, helper_settings, helper_id,
                                             published))
            verdict = _timed(steps, "the inspector verifies the counties' and the helper's "
                             "bundles", lambda: _inspect(folder, parties, helper_db,
                                                         helper_settings))
        finally:
            running.stop()
    total = sum(seconds for _, seconds in steps)
    print(f"  whole round: {total:.1f} s (target < 120 s: {'met' if total < 120 else 'MISSED'}); "
          f"inspection {'passed' if verdict.ok else 'FAILED'}: "
          f"{verdict.passed['secure_aggregation']} secure-aggregation checks, "
          f"{len(verdict.failures)} failures")
    for finding in verdict.failures[:5]:
        print(f"    {finding.subject}: {finding.en}")


class County:
    def __init__(self, code: str, db: Path, settings: own_identity.Settings) -> None:
        self.code, self.db, self.settings = code, db, settings
        self.schools: dict[str, SigningKey] = {}


def _setup(folder: Path, counties: list[str], schools: int, per_county: int, helper_db: Path,
           helper_settings: own_identity.Settings, helper_id: Identity) -> list[County]:
    """Every county initialised, its schools enrolled, the helper imported; the helper knowing
    every county and, from their signed enrolments, every school key."""
    made, number = [], 0
    helper_store = Store(helper_db)
    try:
        for code in counties:
            db = folder / f"county-{code}.db"
            county = County(code, db, own_identity.init(db, "county", code, "610000"))
            store = Store(db)
            try:
                with store.transaction():
                    for _ in range(min(per_county, schools - number)):
                        number += 1
                        school_id, key = f"2161{number:06d}", SigningKey.generate()
                        public = bytes(key.verify_key)
                        store.add_member(Member(school_id, "school", code, NOW.isoformat()))
                        store.add_key(MemberKey(school_id, key_id(public), public,
                                                NOW.isoformat(), None))
                        county.schools[school_id] = key
                own_identity.set_helper(store, county.settings, helper_id)
                enrol(helper_store, helper_settings, county.settings.identity("127.0.0.1:1"))
                take_enrolment(helper_store, helper_settings,
                               make_enrolment(store, county.settings, "610000", NOW), NOW)
            finally:
                store.close()
            made.append(county)
    finally:
        helper_store.close()
    return made


def _shares(catalogue, parties: list[County], helper: Identity):  # noqa: ANN001, ANN202
    """Per county: the sealed leader shares and the sealed helper shares of its schools."""
    out = {}
    for county in parties:
        sealing = county.settings.identity("127.0.0.1:1").keys.sealing
        leaders, helpers = [], []
        for n, (school_id, key) in enumerate(county.schools.items()):
            first, second = split(_table(catalogue, n))
            for party, values, to, bucket in ((Party.LEADER, first, sealing, leaders),
                                              (Party.HELPER, second, helper.keys.sealing, helpers)):
                share = Share(share_id=bytes(16), school_id=school_id, region=county.code,
                              party=party, recipient_key_id=key_id(to), period=PERIOD.code,
                              catalogue_version=catalogue.version, revision=1, values=values,
                              created_unix_ms=to_ms(NOW))
                signed = sign_body(SHARE_CONTEXT, share.SerializeToString(), key)
                bucket.append(Submission(sealed=seal(signed, to)))
        out[county.code] = (leaders, helpers)
    return out


def _intake(db: Path, settings: own_identity.Settings, submissions: list[Submission]) -> None:
    store = Store(db)
    try:
        log = TransparencyLog(settings.origin, settings.signing_key, store)
        for start_at in range(0, len(submissions), BATCH):
            opened = [open_share(s, settings, local_date(NOW))
                      for s in submissions[start_at:start_at + BATCH]]
            outcomes = accept(store, log, settings, opened, NOW)
            refused = [o for o in outcomes if not hasattr(o, "body")]
            if refused:
                raise RuntimeError(f"{settings.region} refused a share: {refused[0]}")
    finally:
        store.close()


def _accept_counties(parties: list[County], sealed) -> None:  # noqa: ANN001
    for county in parties:
        _intake(county.db, county.settings, sealed[county.code][0])


def _accept_helper(db: Path, settings: own_identity.Settings, sealed) -> None:  # noqa: ANN001
    _intake(db, settings, [s for _, helpers in sealed.values() for s in helpers])


def _publish_counties(parties: list[County]) -> dict[str, bytes]:
    """Each county's publication: its named set and leader partial, by county code."""
    out = {}
    for county in parties:
        store = Store(county.db)
        try:
            made = publish(store, county.settings, PERIOD.code, NOW, timeout=60)
        finally:
            store.close()
        out[county.code] = (made.named_set, made.partial)
    return out


def _publish_province(folder: Path, helper_db: Path, helper_settings: own_identity.Settings,
                      helper_id: Identity, published: dict) -> None:  # noqa: ANN001
    db = folder / "province.db"
    settings = own_identity.init(db, "province", "610000", None)
    helper_store = Store(helper_db)
    try:
        enrol(helper_store, helper_settings, settings.identity("127.0.0.1:1"))
    finally:
        helper_store.close()
    members, values = [], []
    for named_set, partial in published.values():
        members.extend(partials.open_named_set(named_set)[0].members)
        values.append(list(partials.open_partial(partial)[0].values))
    members.sort(key=lambda m: m.school_id)
    gathered = Gathered(NamedSet(level="province", region="610000", period=PERIOD.code,
                                 catalogue_version=load().version, created_unix_ms=to_ms(NOW),
                                 members=members), values)
    store = Store(db)
    try:
        own_identity.set_helper(store, settings, helper_id)
        publish(store, settings, PERIOD.code, NOW, gathered=gathered, timeout=120)
    finally:
        store.close()


def _inspect(folder: Path, parties: list[County], helper_db: Path,
             helper_settings: own_identity.Settings):  # noqa: ANN202
    bundles = []
    for county in [*parties, None]:
        db, settings = (county.db, county.settings) if county else (helper_db, helper_settings)
        out = folder / "bundles" / (county.code if county else "helper")
        store = Store(db)
        try:
            export_bundle(store, settings, PERIOD, out, NOW)
        finally:
            store.close()
        bundles.append(out)
    return verify(bundles)

