"""Backups: taken while the aggregator accepts submissions, restored after losing the disk,
and a round finished with what was restored — receipts, rollup and all."""

from __future__ import annotations

import io
import os
import stat
import tarfile
import threading
import time
from datetime import date

import pytest
from click.testing import CliRunner
from nacl.signing import SigningKey

from aggregator.rollup.build import make_rollup, rollup_report, send_rollup
from aggregator.store.sqlite import Store
from guanai.backup import BackupError, backup, restore
from guanai.cli import cli
from member.client import Backoff, submit_until_receipt
from node.membership import ensure_key, import_parent, own_identity
from node.release import release_period
from node.store import open_store
from node.submit import outbox, receipts, submit
from privacy.envelope import verify_signed
from protos.periods import Period
from tests.conftest import School
from tests.federation import Aggregator, make_report, school_identity, sealed

H1 = Period.parse("2025-H1")
DAY = date(2025, 12, 31)
FAST = dict(attempts=5, backoff=Backoff(initial=0.05, maximum=0.2), timeout=10)


def run(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def make_school(folder, school_id: str, county: Aggregator) -> School:
    school = School(folder / f"school-{school_id}.db", school_id=school_id, region="610102")
    school.student("primary", ["poverty"], name="学生甲")
    school.student("primary", ["disability"], name="学生乙")
    ensure_key(school.path)
    county.enrol(own_identity(school.db, school.path))
    import_parent(school.db, county.identity())
    release_period(school.db, H1, "610102", today=DAY)
    return school


def lose(path) -> None:  # noqa: ANN001
    """The disk is gone: the store, its WAL files and its keys."""
    for file in path.parent.glob(path.name + "*"):
        file.unlink()


def test_a_restored_county_and_school_finish_the_round(tmp_path):
    province = Aggregator(tmp_path, "610000", "province")
    county = Aggregator(tmp_path, "610102", "county", "610000")
    province.start()
    county.start()
    try:
        county.set_parent(province)
        province.enrol(county.identity())
        first = make_school(tmp_path, "2161010001", county)
        second = make_school(tmp_path, "2161010002", county)
        submit(first.db, first.path, H1, **FAST)
        backups = tmp_path / "backups"
        backups.mkdir()
        run("aggregator", "--db", str(county.db), "backup", "--out", str(backups))
        run("node", "--db", str(second.path), "backup", "--out", str(backups / "school.tar.gz"))
        released = second.db.execute("SELECT report FROM releases").fetchone()[0]
        port = county.running.port
        county.stop()
        second.db.close()
        lose(county.db)
        lose(second.path)

        (county_backup,) = backups.glob("guanai-aggregator-610102-county-*.tar.gz")
        run("aggregator", "--db", str(county.db), "restore", str(county_backup))
        run("node", "--db", str(second.path), "restore", str(backups / "school.tar.gz"))
        county.start(listen=f"127.0.0.1:{port}")
        restored = open_store(second.path)
        assert restored.execute("SELECT report FROM releases").fetchone()[0] == released
        (body,) = submit(restored, second.path, H1, **FAST)  # verified with restored keys
        assert body.aggregator_id == "610102" and body.log_index == 1

        store = Store(county.db)
        try:
            made, _ = make_rollup(store, county.settings, H1)
            send_rollup(store, county.settings, province.identity(), made, **FAST)
        finally:
            store.close()
        store = Store(province.db)
        try:
            total = rollup_report(make_rollup(store, province.settings, H1)[0])
        finally:
            store.close()
        reports = [verify_signed(outbox(db)[-1].signed)[0] for db in (first.db, restored)]
        assert list(total.values) == [a + b for a, b in zip(*(r.values for r in reports),
                                                            strict=True)]
        assert [r.revision for r in receipts(restored)] == [1]
    finally:
        county.stop()
        province.stop()


def test_a_backup_taken_while_submissions_arrive_is_consistent(tmp_path):
    county = Aggregator(tmp_path, "610102", "county")
    running = county.start()
    key = SigningKey.generate()
    county.enrol(school_identity("2161010001", "610102", key))
    target = county.identity()
    stop = threading.Event()
    accepted: list[int] = []

    def keep_submitting() -> None:
        revision = 0
        while not stop.is_set() and revision < 1000:
            revision += 1
            report = make_report(revision=revision, base=revision)
            submit_until_receipt(target, sealed(report, key, target), **FAST)
            accepted.append(revision)

    writer = threading.Thread(target=keep_submitting)
    writer.start()
    copies = []
    try:
        for i, wanted in enumerate((10, 40, 80)):
            while len(accepted) < wanted and writer.is_alive():
                time.sleep(0.005)
            copies.append(backup(county.db, "aggregator", tmp_path / f"copy{i}.tar.gz")[1])
    finally:
        stop.set()
        writer.join()
    live = Store(county.db)
    try:
        leaves = live.leaf_hashes()
    finally:
        live.close()
    running.stop()
    sizes = []
    for i, path in enumerate(copies):
        db = tmp_path / f"restored{i}" / "county.db"
        restore(path, "aggregator", db)
        store = Store(db)
        try:
            restored = store.leaf_hashes()  # raises on a gap in the log
            assert restored == leaves[:len(restored)]
            for index in range(len(restored)):
                assert store.submission_at(index).receipt  # stored with its receipt, or not at all
        finally:
            store.close()
        sizes.append(len(restored))
    assert sizes[0] >= 10 and sizes == sorted(sizes) and len(leaves) >= sizes[-1] >= 80


def test_a_backup_holds_the_store_and_keys_privately_and_restore_never_overwrites(tmp_path):
    county = Aggregator(tmp_path, "610102", "county")
    manifest, path = backup(county.db, "aggregator", tmp_path)
    assert path.name.startswith("guanai-aggregator-610102-county-")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert sorted(manifest.files) == ["keys/.sealing.key", "keys/.signing.key", "store.db"]
    with pytest.raises(BackupError, match="never overwrites"):
        backup(county.db, "aggregator", path)
    with pytest.raises(BackupError, match="would overwrite"):
        restore(path, "aggregator", county.db)
    with pytest.raises(BackupError, match="not of a node"):
        restore(path, "node", tmp_path / "school.db")
    with pytest.raises(BackupError, match="not a set-up node store"):
        backup(county.db, "node", tmp_path / "wrong.tar.gz")

    target = tmp_path / "elsewhere" / "county.db"
    restore(path, "aggregator", target)
    for suffix in ("", ".signing.key", ".sealing.key"):
        original, copy = f"{county.db}{suffix}", f"{target}{suffix}"
        assert stat.S_IMODE(os.stat(copy).st_mode) == 0o600
        if suffix:
            assert open(original, "rb").read() == open(copy, "rb").read()


def test_a_damaged_backup_restores_nothing(tmp_path):
    county = Aggregator(tmp_path, "610102", "county")
    _, path = backup(county.db, "aggregator", tmp_path / "good.tar.gz")
    with tarfile.open(path) as tar:
        members = {m.name: tar.extractfile(m).read() for m in tar.getmembers()}
    key = members["keys/.signing.key"]
    members["keys/.signing.key"] = key[:-2] + (b"x" if key[-2:-1] != b"x" else b"y") + b"\n"
    bad = tmp_path / "bad.tar.gz"
    with tarfile.open(bad, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    target = tmp_path / "restored" / "county.db"
    with pytest.raises(BackupError, match="does not match its manifest"):
        restore(bad, "aggregator", target)
    assert not target.parent.exists() or list(target.parent.iterdir()) == []
