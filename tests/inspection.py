"""A reporting round for the inspector's tests: real nodes, real servers on loopback, then export.

Schools release with OpenDP and submit through their outbox; two counties roll up to the
province, a university reports to the province directly; then every server stops. Tests copy
the whole folder and tamper with the copy's stores or bundles as a dishonest aggregator would.
"""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

from aggregator.grpc.server import start
from aggregator.keys import own_identity
from aggregator.log.export import export_bundle
from aggregator.rollup.build import make_rollup, send_rollup
from aggregator.store.sqlite import Store
from member.client import Backoff
from node.membership import ensure_key, import_parent
from node.membership import own_identity as school_identity
from node.receipt_files import export_receipts
from node.release import release_period
from node.store import open_store
from node.submit import submit
from protos.periods import Period
from tests.conftest import School
from tests.federation import Aggregator

H1 = Period.parse("2025-H1")
DAY = date(2025, 12, 31)
FAST = dict(attempts=5, backoff=Backoff(initial=0.05, maximum=0.2), timeout=10)
COUNTY_SCHOOLS = {
    "610102": [("2161010001", "primary"), ("3161010002", "junior")],
    "610103": [("2161030004", "primary")],
}
UNIVERSITY = ("4161000006", "undergraduate", "610116")


def make_school(folder: Path, school_id: str, stage: str, region: str,
                parent: Aggregator) -> School:
    school = School(folder / f"school-{school_id}.db", school_id=school_id, region=region)
    school.student(stage, ["poverty"])
    school.student(stage, ["disability", "orphan"])
    ensure_key(school.path)
    parent.enrol(school_identity(school.db, school.path))
    import_parent(school.db, parent.identity())
    release_period(school.db, H1, parent.settings.region, today=DAY)
    submit(school.db, school.path, H1, **FAST)
    school.db.conn.close()
    return school


def run_round(folder: Path) -> None:
    """A whole round in ``folder``; every store is closed when it returns."""
    province = Aggregator(folder, "610000", "province")
    counties = {r: Aggregator(folder, r, "county", "610000") for r in COUNTY_SCHOOLS}
    try:
        for aggregator in (province, *counties.values()):
            aggregator.start()
        for county in counties.values():
            county.set_parent(province)
            province.enrol(county.identity())
        for region, members in COUNTY_SCHOOLS.items():
            for school_id, stage in members:
                make_school(folder, school_id, stage, region, counties[region])
        make_school(folder, *UNIVERSITY, province)
        for county in counties.values():
            store = Store(county.db)
            try:
                made, _ = make_rollup(store, county.settings, H1)
                send_rollup(store, county.settings, province.identity(), made, **FAST)
            finally:
                store.close()
    finally:
        for aggregator in (*counties.values(), province):
            aggregator.stop()
    store = Store(province.db)
    try:
        make_rollup(store, own_identity.load(store), H1)
    finally:
        store.close()


def aggregator_db(folder: Path, region: str) -> Path:
    return folder / f"aggregator-{region}.db"


def export_all(folder: Path, out: Path | None = None) -> Path:
    """Every aggregator's bundle of H1 under ``out`` (default ``folder/bundles``), by region."""
    out = out or folder / "bundles"
    for db in sorted(folder.glob("aggregator-*.db")):
        store = Store(db)
        try:
            settings = own_identity.load(store)
            export_bundle(store, settings, H1, out / settings.region)
        finally:
            store.close()
    return out


def export_school_receipts(folder: Path) -> Path:
    out = folder / "receipts"
    for db in sorted(folder.glob("school-*.db")):
        store = open_store(db)
        try:
            export_receipts(store, out / db.stem)
        finally:
            store.conn.close()
    return out


def trusted_keys(folder: Path) -> Path:
    """Every party's exported identity, as an inspector would collect them, in one JSON list."""
    identities = []
    for db in sorted(folder.glob("aggregator-*.db")):
        store = Store(db)
        try:
            identities.append(json.loads(own_identity.load(store).identity().to_json()))
        finally:
            store.close()
    for db in sorted(folder.glob("school-*.db")):
        store = open_store(db)
        try:
            identities.append(json.loads(school_identity(store, db).to_json()))
        finally:
            store.conn.close()
    path = folder / "trusted.json"
    path.write_text(json.dumps(identities, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def copy_round(source: Path, target: Path) -> Path:
    shutil.copytree(source, target)
    return target


def correct(folder: Path, school_id: str, region: str) -> None:
    """The school releases a correction (revision 2); its county and the province roll up again."""
    servers = {r: start(aggregator_db(folder, r)) for r in (region, "610000")}
    try:
        identities = {r: s.settings.identity(s.address) for r, s in servers.items()}
        school = open_store(folder / f"school-{school_id}.db")
        try:
            import_parent(school, identities[region])
            release_period(school, H1, region, correction=True, today=DAY)
            submit(school, folder / f"school-{school_id}.db", H1, **FAST)
        finally:
            school.conn.close()
        store = Store(aggregator_db(folder, region))
        try:
            made, _ = make_rollup(store, own_identity.load(store), H1)
            send_rollup(store, own_identity.load(store), identities["610000"], made, **FAST)
        finally:
            store.close()
    finally:
        for server in servers.values():
            server.stop(grace=5)
    store = Store(aggregator_db(folder, "610000"))
    try:
        make_rollup(store, own_identity.load(store), H1)
    finally:
        store.close()
