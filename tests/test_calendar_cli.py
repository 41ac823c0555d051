"""``guanai aggregator`` calendar commands end to end: staff, deadlines, unlock, return,
decisions, the completeness table with timeliness, and key rotation with a running parent."""

from __future__ import annotations

import grpc
from click.testing import CliRunner
from nacl.signing import SigningKey

from aggregator.keys.own_identity import key_paths, load, retired_key_paths
from aggregator.keys.staff import StaffError
from aggregator.store.sqlite import Store
from guanai.cli import cli
from privacy.keys import generate_signing_key, key_id
from protos.aggregator_pb2_grpc import AggregatorStub
from tests.federation import Aggregator, make_report, school_identity, sealed
from tests.federation import aggregator_cli as run
from tests.federation import aggregator_cli_fails as fails

SCHOOLS = ("2161010001", "2161010002", "2161010003")


def test_decisions_from_the_command_line(tmp_path):
    county = Aggregator(tmp_path, "610102", "county", "610000")
    keys = {s: SigningKey.generate() for s in SCHOOLS}
    for school_id, key in keys.items():
        county.enrol(school_identity(school_id, "610102", key))
    county.start()
    try:
        with grpc.insecure_channel(county.running.address) as channel:
            for school_id in SCHOOLS[:2]:
                AggregatorStub(channel).Submit(
                    sealed(make_report(school_id), keys[school_id], county), timeout=10)
    finally:
        county.stop()
    db = county.db
    wang = tmp_path / "wang.key"
    assert "registered 王科长" in run(db, "staff", "add", "--name", "王科长", "--key-out", str(wang))
    assert "王科长" in run(db, "staff", "list")

    out = run(db, "deadline", "--period", "2026-H1", "--due", "2026-07-10", "--credential",
              str(wang))
    assert "截止 due 2026-07-10 24:00, 锁定 locked after 2026-07-25 24:00" in out
    assert "2026-H1    2026-07-10 24:00" in run(db, "deadlines", "--year", "2026")
    assert "exception granted" in run(db, "unlock", "--member", SCHOOLS[2], "--period",
                                      "2025-H1", "--reason", "停电", "--credential", str(wang))
    out = run(db, "return", "--member", SCHOOLS[0], "--period", "2025-H1", "--reason",
              "数据有误 figures wrong", "--credential", str(wang))
    assert "returned 2161010001 2025-H1 revision 1" in out

    status = run(db, "status", "--period", "2025-H1")
    assert "退回修改 returned: 2161010001 revision 1" in status and "数据有误 figures wrong" in status
    assert "未报 Missing: 2161010003" in status
    decisions = run(db, "decisions", "--member", SCHOOLS[0])
    assert "return" in decisions and "staff:" in decisions and '"reason":"数据有误 figures wrong"' \
        in decisions

    impostor = tmp_path / "impostor.key"
    generate_signing_key(impostor)
    assert isinstance(fails(db, "unlock", "--member", SCHOOLS[2], "--period", "2025-H1",
                            "--credential", str(impostor)), StaffError)
    assert "--credential" in CliRunner().invoke(
        cli, ["aggregator", "--db", str(db), "return", "--member", SCHOOLS[0], "--period",
              "2025-H1", "--reason", "x"]).output


def test_rotate_keys_has_the_parent_enrol_the_new_key_first(tmp_path):
    province = Aggregator(tmp_path, "610000", "province")
    county = Aggregator(tmp_path, "610102", "county", "610000")
    province.start()
    try:
        county.set_parent(province)
        province.enrol(county.identity())
        old = county.settings.signing_key.verify_key
        out = run(county.db, "rotate-keys")
        assert "enrolled the new signing key" in out and "Restart the service" in out
        store = Store(county.db)
        settings = load(store)
        store.close()
        assert settings.signing_key.verify_key != old
        assert len(settings.retired_sealing_keys) == 1
        assert retired_key_paths(county.db, key_id(old))[0].exists()
        assert key_paths(county.db)[0].stat().st_mode & 0o077 == 0
        store = Store(province.db)
        enrolled = {k.signing_key for k in store.keys("610102")}
        store.close()
        assert enrolled == {bytes(old), bytes(settings.signing_key.verify_key)}
    finally:
        province.stop()
