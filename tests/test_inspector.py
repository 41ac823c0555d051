"""The inspector (督查): an honest round verifies clean; each kind of tampering is caught and named.

One real round (nodes, OpenDP releases, gRPC servers on loopback, rollups up to the province)
is made once; each test copies it and plays a dishonest aggregator on the copy — editing its
store before exporting, or the exported bundle — then inspects with what schools and the
inspector hold: the bundles, the schools' receipts and the keys they exported.
"""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from aggregator.keys import own_identity
from aggregator.rollup.build import make_rollup
from aggregator.store.sqlite import Store
from guanai.cli import cli
from inspector.sums import cell_name
from inspector.verify import verify
from privacy.checkpoint import parse_checkpoint, sign_checkpoint
from privacy.envelope import sign_report
from privacy.identity import Identity
from privacy.keys import PublicKeys, load_signing_key
from protos.envelope_pb2 import SignedReport
from protos.report_pb2 import Report
from tests.inspection import (
    H1,
    aggregator_db,
    copy_round,
    correct,
    export_all,
    export_school_receipts,
    run_round,
    trusted_keys,
)

ROOT = Path(__file__).resolve().parents[1]
SCHOOL = "2161010001"  # the first school of county 610102: its submission is leaf 0 there


@pytest.fixture(scope="module")
def honest(tmp_path_factory):
    folder = tmp_path_factory.mktemp("round")
    run_round(folder)
    return folder


@pytest.fixture
def round_(honest, tmp_path):
    return copy_round(honest, tmp_path / "round")


def inspect(folder: Path, bundles: Path | None = None, keys: bool = True):  # noqa: ANN201
    """Export every bundle (unless given), the schools' receipts, and verify them all."""
    bundles = bundles or export_all(folder)
    receipts = export_school_receipts(folder)
    return verify([bundles], [receipts], [trusted_keys(folder)] if keys else [])


def failures(verdict, check: str | None = None) -> list:  # noqa: ANN001
    return [f for f in verdict.failures if check is None or f.check == check]


def text(findings) -> str:  # noqa: ANN001
    return "\n".join(f"{f.subject} | {f.zh} | {f.en}" for f in findings)


def edit(db: Path, *statements: tuple[str, list]) -> None:
    conn = sqlite3.connect(db)
    try:
        with conn:
            for sql, params in statements:
                conn.execute(sql, params)
    finally:
        conn.close()


def stored(db: Path, sql: str, params: list) -> bytes:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql, params).fetchone()[0]
    finally:
        conn.close()


def test_an_honest_round_verifies_clean_from_the_command_line(round_):
    runner = CliRunner()
    for region in ("610000", "610102", "610103"):
        result = runner.invoke(cli, ["aggregator", "--db", str(aggregator_db(round_, region)),
                                     "export", "--period", "2025-H1",
                                     "--out", str(round_ / "bundles" / region)])
        assert result.exit_code == 0, result.output
    school = round_ / f"school-{SCHOOL}.db"
    result = runner.invoke(cli, ["node", "--db", str(school), "receipts", "--export",
                                 str(round_ / "receipts")])
    assert result.exit_code == 0 and "exported 1 receipt" in result.output
    export_school_receipts(round_)
    arguments = ["inspect", "verify", str(round_ / "bundles"), "--receipts",
                 str(round_ / "receipts"), "--keys", str(trusted_keys(round_))]
    result = runner.invoke(cli, arguments)
    assert result.exit_code == 0, result.output
    assert "通过 PASSED" in result.output and "问题 Problems" not in result.output

    verdict = json.loads(runner.invoke(cli, [*arguments, "--format", "json"]).output)
    assert verdict["verdict"] == "pass" and verdict["failures"] == [] and verdict["notes"] == []
    checked = verdict["checked"]
    assert checked["signature"] == 7  # 4 schools, 2 county rollups, the province's rollup
    assert checked["receipt"] == 6  # 4 schools' and 2 counties' (from the province)
    assert checked["rollup"] == 5  # each county's own and as the province holds it; the province's
    assert checked["inclusion"] == 6 and checked["checkpoint"] == 6


def test_a_correction_at_every_level_verifies_clean_with_every_revision(round_):
    correct(round_, SCHOOL, "610102")
    verdict = inspect(round_)
    assert verdict.ok, text(verdict.failures)
    assert [b.rollups for b in verdict.bundles] == [2, 2, 1]  # 610000, 610102, 610103
    assert verdict.passed["receipt"] == 8  # the school's two, the county's two rollups'
    # the province's two and the three county rollups it logged; the counties' own three
    assert verdict.passed["rollup"] == 8


def test_the_province_alone_verifies_and_says_what_it_cannot_check(round_):
    verdict = verify([export_all(round_) / "610000"])
    assert verdict.ok
    notes = text(verdict.notes)
    assert "enrolled at 610102, whose bundle was not given" in notes
    assert "taken from its own bundle" in notes


def test_a_changed_cell_in_a_stored_submission_is_caught_and_named(round_):
    db = aggregator_db(round_, "610102")
    signed = SignedReport.FromString(stored(
        db, "SELECT signed FROM submissions WHERE sender_id = ?", [SCHOOL]))
    report = Report.FromString(signed.report)
    cell = next(i for i, v in enumerate(report.noise_variance) if v > 0)
    report.values[cell] += 7
    signed.report = report.SerializeToString()
    edit(db, ("UPDATE submissions SET signed = ? WHERE sender_id = ?",
              [signed.SerializeToString(), SCHOOL]))

    verdict = inspect(round_)
    assert not verdict.ok
    name = cell_name("v1", cell)
    # the school's report is blamed, not the county's honest rollup that summed it as logged
    assert {f.check for f in verdict.failures} == {"signature", "log"}
    assert all("610102" in f.subject and "汇总 rollup" not in f.subject for f in verdict.failures)
    assert "altered after it was signed" in text(failures(verdict, "signature"))
    changed = text(failures(verdict, "log"))
    assert "changed after it was accepted" in changed and f"leaf 0: {SCHOOL}" in changed
    assert f"{name}: 发送 sent {report.values[cell] - 7}, 存储 stored {report.values[cell]}" \
        in changed  # the school's receipt names the cell that changed
    assert "is not blamed for it" in text([n for n in verdict.notes if n.check == "rollup"])


def test_a_dropped_submission_is_proven_by_the_schools_receipt(round_):
    bundles = export_all(round_)
    (bundles / "610102" / "submissions" / "0.signed").unlink()

    verdict = inspect(round_, bundles)
    dropped = text(failures(verdict, "log"))
    assert f"receipt of {SCHOOL}" in dropped and "the aggregator dropped it" in dropped
    assert "was withheld" in dropped
    assert f"names member {SCHOOL} revision 1 at leaf 0" in text(failures(verdict, "rollup"))


def test_a_rollup_that_does_not_sum_is_caught_cell_by_cell_variances_too(round_):
    db = aggregator_db(round_, "610000")
    report = Report.FromString(SignedReport.FromString(stored(
        db, "SELECT signed FROM rollups WHERE period = ?", [H1.code])).report)
    report.values[3] += 1
    varied = next(i for i, v in enumerate(report.noise_variance) if v > 0)
    report.noise_variance[varied] *= 0.5
    key = load_signing_key(own_identity.key_paths(db)[0])
    edit(db, ("UPDATE rollups SET signed = ? WHERE period = ?",
              [sign_report(report.SerializeToString(), key), H1.code]))

    verdict = inspect(round_)
    [problem] = verdict.failures
    assert problem.check == "rollup" and "610000 本级汇总 own rollup" in problem.subject
    assert f"{cell_name('v1', 3)} value: the rollup states {report.values[3]}" in problem.en
    assert f"{cell_name('v1', varied)} variance" in problem.en


def test_a_log_rewritten_after_its_checkpoints_were_given_out_is_caught(round_):
    """The county drops a school from its store, renumbers the log and signs it all again."""
    db = aggregator_db(round_, "610102")
    edit(db, ("DELETE FROM submissions WHERE sender_id = ?", [SCHOOL]),
         ("UPDATE submissions SET log_index = log_index - 1", []),
         ("DELETE FROM checkpoints", []), ("DELETE FROM rollups", []))
    store = Store(db)
    try:
        make_rollup(store, own_identity.load(store), H1)
    finally:
        store.close()

    verdict = inspect(round_)
    receipt = round_ / "receipts" / f"school-{SCHOOL}" / f"{SCHOOL}_2025-H1_r1.receipt"
    rewritten = text(failures(verdict, "consistency"))
    assert f"receipt of {SCHOOL}" in rewritten
    assert "the log was rewritten after checkpoint 1 was given out" in rewritten
    assert "the log was cut back" in rewritten  # the other school's checkpoint 2 is gone
    assert "the aggregator dropped it" in text(failures(verdict, "log"))
    forwarded = text(failures(verdict, "rollup"))
    assert "610102 holds other bytes than the report forwarded for this member" in forwarded
    assert "the aggregator dropped it" in forwarded
    # and the county's new rollup calls the school missing, though the school's receipt proves
    # it was accepted before that rollup was made
    assert f"lists {SCHOOL} as missing, but the receipt {receipt}" in text(
        failures(verdict, "accounted"))


def test_two_checkpoints_that_are_not_consistent_are_caught(round_):
    """A fork: the county signed two different histories; one checkpoint shows the other."""
    bundles = export_all(round_)
    key = load_signing_key(own_identity.key_paths(aggregator_db(round_, "610102"))[0])
    first = parse_checkpoint((bundles / "610102" / "checkpoints" / "1.txt").read_text())
    forked = sign_checkpoint(first.origin, 1, bytes(32), key, first.origin, first.timestamp_ms)
    (bundles / "610102" / "checkpoints" / "1.txt").write_text(forked)

    verdict = inspect(round_, bundles)
    [problem] = verdict.failures
    assert problem.check == "consistency"
    assert problem.subject == "新城区 610102 检查点 checkpoints 1 → 2"
    assert "rewritten or forked after checkpoint 1" in problem.en


def test_a_signature_by_a_revoked_key_is_caught(round_):
    edit(aggregator_db(round_, "610102"),
         ("UPDATE member_keys SET revoked_at = ? WHERE member_id = ?",
          ["2025-01-01T00:00:00+00:00", SCHOOL]))
    verdict = inspect(round_)
    [problem] = failures(verdict, "key")
    assert problem.check == "key" and f"leaf 0: {SCHOOL}" in problem.subject
    assert "revoked at 2025-01-01T00:00:00+00:00, and accepted after that" in problem.en
    # and the county's rollup, made after that time, did not tell its parent of it
    [hidden] = failures(verdict, "membership")
    assert f"does not list the revocation of {SCHOOL}'s key" in hidden.en
    assert len(verdict.failures) == 2


def test_a_signature_by_an_unknown_key_is_caught(round_):
    edit(aggregator_db(round_, "610102"),
         ("DELETE FROM member_keys WHERE member_id = ?", [SCHOOL]))
    verdict = inspect(round_)
    at_county, at_province = sorted(failures(verdict, "key"), key=lambda f: "610000" in f.subject)
    # the county's rollup signed an enrolment of that key, which its own bundle no longer shows
    [enrolment] = failures(verdict, "membership")  # once, though two levels hold the rollup
    assert f"lists {SCHOOL} (region 610102) with keys that 610102's own bundle" in enrolment.en
    assert at_county.check == at_province.check == "key"
    assert f"610102 日志叶 leaf 0: {SCHOOL}" in at_county.subject
    assert f"610000 转报 forwarded: {SCHOOL}" in at_province.subject
    for problem in (at_county, at_province):
        assert "which 610102 never enrolled" in problem.en and "unknown key" in problem.en


def test_keys_the_inspector_trusts_override_what_bundles_say(round_):
    from nacl.signing import SigningKey

    bundles = export_all(round_)
    receipts = export_school_receipts(round_)
    other = SigningKey.generate()
    for who, kind, region in ((SCHOOL, "school", "610102"), ("610103", "aggregator", "610103")):
        identity = Identity(id=who, kind=kind, region=region, level="county" if kind != "school"
                            else None, keys=PublicKeys(bytes(other.verify_key), bytes(32)
                                                       if kind != "school" else None))
        (round_ / f"{who}.json").write_text(identity.to_json())
    verdict = verify([bundles], [receipts], [round_ / f"{SCHOOL}.json", round_ / "610103.json"])
    keys = text(failures(verdict, "key"))
    assert f"not the key you trust for {SCHOOL} (--keys)" in keys
    assert "碑林区 610103" in keys and "not the key you trust for it" in keys
    assert any("610103 检查点" in f.subject for f in failures(verdict, "checkpoint"))


def test_a_folder_that_is_not_a_bundle_is_one_clear_error(tmp_path):
    (tmp_path / "empty").mkdir()
    result = subprocess.run([sys.executable, "-m", "guanai", "inspect", "verify",
                             str(tmp_path / "empty")], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "is not a bundle" in result.stderr


def test_an_export_never_overwrites_and_leaves_nothing_when_refused(round_):
    out = round_ / "bundle"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    result = subprocess.run([sys.executable, "-m", "guanai", "aggregator", "--db",
                             str(aggregator_db(round_, "610102")), "export", "--period",
                             "2025-H1", "--out", str(out)], cwd=ROOT, capture_output=True,
                            text=True)
    assert result.returncode == 2 and "is not an empty folder" in result.stderr
    assert [p.name for p in out.iterdir()] == ["keep.txt"]
    assert not (round_ / "bundle.partial").exists()
    shutil.rmtree(out)


def test_the_worked_example_in_the_docs_checks_a_leaf_by_hand(honest, tmp_path):
    docs = (ROOT / "docs" / "inspection.md").read_text()
    for script in ("signed_parts.py", "included.py"):
        code = re.search(rf"```python\n(# {re.escape(script)} .*?)```", docs, re.DOTALL).group(1)
        (tmp_path / script).write_text(code)
    shutil.copytree(export_all(copy_round(honest, tmp_path / "round")) / "610102",
                    tmp_path / "bundle-610102")
    session = re.search(r"```\n(\$ python3 signed_parts\.py .*?)```", docs, re.DOTALL).group(1)
    steps = re.findall(r"^\$ (.*)\n((?:[^$].*\n)*)", session, re.MULTILINE)
    assert [command.split()[0] for command, _ in steps] == ["python3", "openssl", "python3"]

    def run(command: str) -> subprocess.CompletedProcess:
        program, *arguments = command.split()
        executable = [sys.executable, "-I"] if program == "python3" else [program]
        return subprocess.run([*executable, *arguments], cwd=tmp_path, capture_output=True,
                              text=True)

    if shutil.which("openssl") is None:
        steps = [s for s in steps if not s[0].startswith("openssl")]
    for command, output in steps:
        done = run(command)
        assert done.returncode == 0 and done.stdout == output, (command, done.stderr)

    leaf = tmp_path / "bundle-610102" / "submissions" / "0.signed"
    data = bytearray(leaf.read_bytes())
    data[40] ^= 1  # inside the Report bytes
    leaf.write_bytes(bytes(data))
    codes = [run(command).returncode for command, _ in steps]
    assert codes[0] == 0 and all(code != 0 for code in codes[1:])  # the checks fail


def test_a_bundle_with_annual_summaries_verifies_clean(tmp_path):
    """Summaries (issue 4) are logged like tables; the inspector checks them, not their sums."""
    from aggregator.log.export import export_bundle
    from node.submit import submit
    from node.summary import file_summary
    from protos.periods import Period
    from tests.federation import Aggregator
    from tests.inspection import FAST, make_school

    county = Aggregator(tmp_path, "610102", "county")
    county.start()
    try:
        school = make_school(tmp_path, "2161010001", "primary", "610102", county)
        from node.store import open_store

        store = open_store(school.path)
        year = Period.parse("2025")
        file_summary(store, school.path, year, "# 2025年度工作总结\n全年开展关爱活动十二次。\n")
        submit(store, school.path, None, **FAST)
    finally:
        county.stop()
    aggregator_store = Store(county.db)
    try:
        bundle = export_bundle(aggregator_store, own_identity.load(aggregator_store), year,
                               tmp_path / "bundle").path
    finally:
        aggregator_store.close()
    verdict = verify([bundle])
    assert verdict.ok, verdict
