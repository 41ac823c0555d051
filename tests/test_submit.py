"""The node's submit: outbox in the store, same bytes on every attempt, resumes, verifies receipts."""

from __future__ import annotations

import stat
from datetime import date

import grpc
import pytest
from click.testing import CliRunner
from nacl.signing import SigningKey

from aggregator.store.sqlite import Store
from guanai.cli import cli
from member.client import Backoff, SubmitGaveUp, SubmitRefused
from node.membership import MembershipError, ensure_key, import_parent, key_path, own_identity
from node.release import release_period
from node.submit import NothingToSubmit, enqueue, outbox, receipts, submit
from privacy.identity import Identity
from privacy.keys import PublicKeys
from privacy.receipt import ReceiptError
from protos.periods import Period
from tests.conftest import School
from tests.federation import Aggregator, dump, free_port

H1 = Period.parse("2025-H1")
DAY = date(2025, 12, 31)
FAST = dict(backoff=Backoff(initial=0.02, maximum=0.1), timeout=5)


@pytest.fixture
def county(tmp_path):
    county = Aggregator(tmp_path, "610102", "county", "610000")
    yield county
    county.stop()


@pytest.fixture
def school(tmp_path, county):
    school = School(tmp_path / "school.db")
    school.student("primary", ["poverty"])
    ensure_key(school.path)
    return school


def enrol_and_release(school: School, county: Aggregator, address: str | None = None) -> None:
    county.enrol(own_identity(school.db, school.path))
    import_parent(school.db, county.identity(address))
    release_period(school.db, H1, "610102", today=DAY)


def test_an_unreachable_parent_is_retried_and_a_later_run_resumes_with_the_same_bytes(
        school, county):
    port = free_port()
    address = f"127.0.0.1:{port}"
    enrol_and_release(school, county, address)
    with pytest.raises(SubmitGaveUp, match="stays queued"):
        submit(school.db, school.path, H1, attempts=3, **FAST)
    [queued] = outbox(school.db)
    assert (queued.state, queued.attempts) == ("pending", 3)
    assert queued.last_error.startswith("UNAVAILABLE")

    county.start(listen=address)
    [body] = submit(school.db, school.path, attempts=20, **FAST)
    [delivered] = outbox(school.db)
    assert delivered.state == "delivered" and delivered.signed == queued.signed
    store = Store(county.db)
    assert store.submission(school_id(school), "2025-H1", 1).signed == queued.signed
    store.close()
    assert [r.log_index for r in receipts(school.db)] == [body.log_index]
    assert school.db.execute("SELECT count(*) FROM releases").fetchone()[0] == 1
    assert submit(school.db, school.path, H1, attempts=1, **FAST) == []


def school_id(school: School) -> str:
    return school.db.execute("SELECT value FROM meta WHERE key = 'school_id'").fetchone()[0]


def test_a_refusal_stops_at_once_and_an_explicit_submit_tries_again(school, county):
    county.start()
    import_parent(school.db, county.identity())
    release_period(school.db, H1, "610102", today=DAY)
    with pytest.raises(SubmitRefused) as info:
        submit(school.db, school.path, H1, attempts=50, **FAST)
    assert info.value.code == grpc.StatusCode.UNAUTHENTICATED
    [item] = outbox(school.db)
    assert (item.state, item.attempts) == ("refused", 1)
    assert submit(school.db, school.path, attempts=1, **FAST) == []  # refused is not resumed

    county.enrol(own_identity(school.db, school.path))
    [body] = submit(school.db, school.path, H1, attempts=1, **FAST)
    assert body.sender_id == school_id(school)


def test_a_receipt_that_does_not_verify_is_not_kept(school, county):
    county.start()
    enrol_and_release(school, county)
    real = county.identity()
    impostor = Identity(id=real.id, kind=real.kind, region=real.region, level=real.level,
                        address=real.address,
                        keys=PublicKeys(bytes(SigningKey.generate().verify_key), real.keys.sealing))
    import_parent(school.db, impostor)
    with pytest.raises(ReceiptError):
        submit(school.db, school.path, H1, attempts=1, **FAST)
    assert [i.state for i in outbox(school.db)] == ["pending"] and receipts(school.db) == []


def test_a_correction_supersedes_what_is_still_queued(school, county):
    enrol_and_release(school, county)
    enqueue(school.db, school.path, H1)
    release_period(school.db, H1, "610102", correction=True, today=DAY)
    enqueue(school.db, school.path, H1)
    assert [(i.revision, i.state) for i in outbox(school.db)] == [(1, "superseded"),
                                                                  (2, "pending")]


def test_nothing_is_queued_without_a_release_or_for_another_parent(school, county):
    import_parent(school.db, county.identity())
    with pytest.raises(NothingToSubmit):
        enqueue(school.db, school.path, H1)
    release_period(school.db, H1, "610103", today=DAY)
    with pytest.raises(MembershipError, match="correction"):
        enqueue(school.db, school.path, H1)
    assert outbox(school.db) == []


def test_backoff_grows_exponentially_under_its_cap_with_jitter():
    backoff = Backoff(initial=1.0, maximum=8.0)
    for failures, cap in [(1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (10, 8.0)]:
        delays = [backoff.delay(failures) for _ in range(200)]
        assert all(0 <= d <= cap for d in delays)
        assert len(set(delays)) > 100  # jittered, not in step


def test_the_commands_init_export_parent_submit_and_receipts(tmp_path, county):
    county.start()
    db = tmp_path / "cli-school.db"
    runner = CliRunner()

    def run(*args: str) -> str:
        result = runner.invoke(cli, ["node", "--db", str(db), *args], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.output

    run("init", "--school-id", "2161010008", "--region", "610102", "--name", "测试小学")
    assert stat.S_IMODE(key_path(db).stat().st_mode) == 0o600
    key_text = key_path(db).read_text()
    export = tmp_path / "school.json"
    run("export-key", "--out", str(export))
    assert key_text.split()[1] not in export.read_text()
    county.enrol(Identity.from_json(export.read_text()))
    parent_file = tmp_path / "county.json"
    parent_file.write_text(county.identity().to_json())
    run("parent", str(parent_file))
    store = School(db, school_id="2161010008")
    store.student("primary", ["poverty"])
    release_period(store.db, H1, "610102", today=DAY)
    before = dump(county.db)
    assert "回执 receipt verified" in run("submit", "--period", "2025-H1", "--attempts", "3")
    assert dump(county.db) != before
    after = dump(county.db)
    assert "already delivered" in run("submit", "--period", "2025-H1", "--attempts", "3")
    assert dump(county.db) == after
    assert "2025-H1" in run("receipts")
