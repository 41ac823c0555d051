"""``guanai aggregator …`` end to end: init, export, enrol, revoke, parent, status, rollup."""

from __future__ import annotations

import json
import stat

import grpc
import pytest
from nacl.signing import SigningKey

from aggregator.grpc.server import start
from aggregator.intake.enrolment import EnrolmentError
from aggregator.keys.own_identity import ConfigError, key_paths, load
from aggregator.store.sqlite import Store
from privacy.keys import KeyFileError
from protos.aggregator_pb2_grpc import AggregatorStub
from tests.federation import WAIVE_ALL, Aggregator, leave_open, make_report, school_identity, sealed
from tests.federation import aggregator_cli as run
from tests.federation import aggregator_cli_fails as fails
from tests.node_web import tls_certificate


def test_init_makes_private_keys_and_refuses_a_second_time_or_a_wrong_level(tmp_path):
    db = tmp_path / "county.db"
    assert "新城区 610102 (县级 county)" in run(db, "init", "--level", "county", "--region", "610102",
                                         "--parent-region", "610000")
    for path in key_paths(db):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert isinstance(fails(db, "init", "--level", "county", "--region", "610102"),
                      ConfigError | KeyFileError)
    assert isinstance(fails(tmp_path / "x.db", "init", "--level", "province", "--region",
                            "610102"), ConfigError)
    assert isinstance(fails(tmp_path / "y.db", "init", "--level", "county", "--region", "610102",
                            "--parent-region", "620000"), ConfigError)


def test_export_enrol_revoke_and_members(tmp_path):
    db = tmp_path / "county.db"
    run(db, "init", "--level", "county", "--region", "610102", "--parent-region", "610000")
    export = tmp_path / "county.json"
    run(db, "export-keys", "--address", "127.0.0.1:50051", "--out", str(export))
    data = json.loads(export.read_text())
    assert (data["id"], data["level"], data["address"]) == ("610102", "county", "127.0.0.1:50051")
    assert data["keys"]["signing"] and data["keys"]["sealing"]
    secret = key_paths(db)[0].read_text().split()[1]
    assert secret not in export.read_text()

    school = tmp_path / "school.json"
    school.write_text(school_identity("2161010001", "610102", SigningKey.generate()).to_json())
    assert "已登记 enrolled" in run(db, "enroll", "--key", str(school), "--kind", "school")
    assert "already enrolled" in run(db, "enroll", "--key", str(school))
    fails(db, "enroll", "--key", str(school), "--member-id", "2161010002")
    elsewhere = tmp_path / "elsewhere.json"
    elsewhere.write_text(school_identity("2161030001", "610103", SigningKey.generate()).to_json())
    assert isinstance(fails(db, "enroll", "--key", str(elsewhere)), EnrolmentError)

    credential = tmp_path / "wang.key"
    run(db, "staff", "add", "--name", "王科长", "--key-out", str(credential))
    assert "revoked 1 key" in run(db, "revoke", "--member-id", "2161010001",
                                  "--from", "2025-07-01T00:00:00+08:00",
                                  "--credential", str(credential))
    assert "2025-06-30T16:00:00+00:00" in run(db, "members")
    assert isinstance(fails(db, "revoke", "--member-id", "2161010001", "--credential",
                            str(credential)), EnrolmentError)


def test_status_and_rollup_to_a_running_parent(tmp_path):
    province = Aggregator(tmp_path, "610000", "province")
    province.start()
    try:
        db = tmp_path / "county.db"
        run(db, "init", "--level", "county", "--region", "610102", "--parent-region", "610000")
        keys = {sid: SigningKey.generate() for sid in ("2161010001", "2161010002")}
        for sid, key in keys.items():
            path = tmp_path / f"{sid}.json"
            path.write_text(school_identity(sid, "610102", key).to_json())
            run(db, "enroll", "--key", str(path))

        out = run(db, "status", "--period", "2025-H1")
        assert "一个都不少" in out and "Missing" in out and "2161010001, 2161010002" in out

        leave_open(db, 2025)
        county = start(db)
        try:
            with grpc.insecure_channel(county.address) as channel:
                AggregatorStub(channel).Submit(
                    sealed(make_report("2161010001"), keys["2161010001"],
                           county.settings.identity(county.address)), timeout=5)
        finally:
            county.stop()
        out = run(db, "status", "--period", "2025-H1")
        assert "未报 Missing: 2161010002" in out

        fails(db, "rollup", "--period", "2025-H1", "--attempts", "1")  # no parent file yet
        parent_file = tmp_path / "province.json"
        parent_file.write_text(province.identity().to_json())
        run(db, "parent", str(parent_file))
        store = Store(db)
        province.enrol(load(store).identity())
        store.close()
        out = run(db, "rollup", "--period", "2025-H1", "--attempts", "3", "--backoff", "0.05",
                  *WAIVE_ALL)
        assert "1 members included, 1 missing: 2161010002" in out and "receipt verified" in out
        assert "rollup unchanged" in run(db, "rollup", "--period", "2025-H1", "--attempts", "3")
        out = run(province.db, "status", "--period", "2025-H1")
        assert "rollup of 新城区 610102" in out and "missing below: 2161010002" in out
    finally:
        province.stop()


@pytest.mark.parametrize("args", [["status", "--period", "2025-H1"], ["members"]])
def test_commands_on_a_missing_store_say_what_to_do(tmp_path, args):
    error = fails(tmp_path / "none.db", *args)
    assert "guanai aggregator init" in str(error)


def test_a_client_certificate_needs_its_key_everywhere(tmp_path):
    from common.errors import GuanaiError
    from member.client import ClientTls

    cert, key = tls_certificate(tmp_path)
    assert ClientTls.from_files(None, None) is None
    assert ClientTls.from_files(cert, key) == ClientTls(cert.read_bytes(), key.read_bytes())
    for pair in ((cert, None), (None, key)):
        with pytest.raises(GuanaiError, match="go together"):
            ClientTls.from_files(*pair)
