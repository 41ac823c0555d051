"""Web accounts of an aggregator: made, listed and revoked by the CLI; a deciding role's staff
credential kept sealed by the password and opened only by signing in."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner

from aggregator.calendar import decisions
from aggregator.keys import accounts
from aggregator.keys.own_identity import load
from aggregator.store.sqlite import Store
from guanai.cli import cli
from privacy.envelope import verify_with_context
from privacy.memberauth import DECISION_CONTEXT
from protos.deadlines import default_deadlines
from protos.periods import Period
from tests.federation import Aggregator, aggregator_cli, aggregator_cli_fails, dump

NOW = datetime(2027, 6, 30, 2, 0, tzinfo=UTC)


@pytest.fixture
def county(tmp_path):
    return Aggregator(tmp_path, "610102", "county", "610100")


def test_accounts_are_added_listed_and_revoked_by_the_cli(county, tmp_path):
    secret = tmp_path / "pw.txt"
    secret.write_text("a good password\n", encoding="utf-8")
    said = aggregator_cli(county.db, "account", "add", "--name", "张三", "--role", "reviewer",
                          "--password-file", str(secret))
    assert "张三" in said and "审核人" in said and "staff credential" in said
    typed = CliRunner().invoke(cli, ["aggregator", "--db", str(county.db), "account", "add",
                                     "--name", "李四", "--role", "viewer"],
                               input="another password\nanother password\n")
    assert typed.exit_code == 0, typed.output
    listing = aggregator_cli(county.db, "account", "list")
    assert "张三" in listing and "李四" in listing and "查看 Viewer" in listing
    store = Store(county.db)
    held = {a.name: a for a in store.accounts()}
    assert held["张三"].password_hash.startswith("$argon2id$")
    assert held["李四"].staff_key_id is None and held["李四"].sealed_key is None
    assert [s.name for s in store.staff()] == ["张三"]  # registered as an official
    aggregator_cli(county.db, "account", "revoke", "--name", "李四")
    assert store.account("李四").revoked_at is not None and store.account("张三").active
    assert "no active account" in str(aggregator_cli_fails(county.db, "account", "revoke",
                                                            "--name", "李四"))


@pytest.mark.parametrize("args, words", [
    (("--name", "张三", "--role", "viewer"), "账号已存在"),
    (("--name", "王五", "--role", "viewer", "--region", "610103"), "不属本地区"),
    (("--name", "王五", "--role", "boss"), "boss"),
    (("--name", "王 五", "--role", "viewer"), "账号名不合要求"),
])
def test_a_bad_account_is_refused_and_changes_nothing(county, tmp_path, args, words):
    secret = tmp_path / "pw.txt"
    secret.write_text("a good password\n", encoding="utf-8")
    aggregator_cli(county.db, "account", "add", "--name", "张三", "--role", "operator",
                   "--password-file", str(secret))
    before = dump(county.db)
    failed = CliRunner().invoke(cli, ["aggregator", "--db", str(county.db), "account", "add",
                                      *args, "--password-file", str(secret)])
    assert failed.exit_code != 0 and words in failed.output + str(failed.exception)
    assert dump(county.db) == before


def test_a_short_password_is_refused(county, tmp_path):
    store = Store(county.db)
    with pytest.raises(accounts.AccountError, match="密码至少 8 位"):
        accounts.add(store, load(store), "赵六", "viewer", "short", NOW)
    assert store.accounts() == []


def test_signing_in_opens_the_staff_credential_the_decision_is_signed_with(county):
    store = Store(county.db)
    settings = load(store)
    made = accounts.add(store, settings, "张三", "operator", "a good password", NOW)
    # the seed is kept only sealed: the store holds neither it nor the password
    with pytest.raises(accounts.SignInRefused):
        accounts.sign_in(store, "张三", "a wrong password", "127.0.0.1", NOW)
    signed = accounts.sign_in(store, "张三", "a good password", "127.0.0.1", NOW)
    credential = signed.credential
    assert credential is not None and credential.label == f"staff:{made.staff_key_id}"
    raw = county.db.read_bytes()
    assert bytes(credential.key) not in raw and b"a good password" not in raw
    official = next(s for s in store.staff() if s.key_id == made.staff_key_id)
    assert official.public_key == bytes(credential.key.verify_key)
    # the registration is the aggregator's own signed decision, as `staff add` records it
    registered = [d for d in store.decisions() if d.kind == "staff"]
    assert len(registered) == 1 and registered[0].credential.startswith("aggregator:")
    # a decision made with the opened credential names it and verifies with its public key
    period = Period.parse("2027-H1")
    decisions.set_deadlines(store, settings, credential, period, default_deadlines(period), NOW)
    decision = [d for d in store.decisions() if d.kind == "deadline"][-1]
    assert decision.credential == credential.label
    verify_with_context(DECISION_CONTEXT, decision.record, decision.signature,
                        official.public_key)
    viewer = accounts.add(store, settings, "李四", "viewer", "a good password", NOW)
    assert viewer.staff_key_id is None
    assert accounts.sign_in(store, "李四", "a good password", "::1", NOW).credential is None


def _password(db, name: str, typed: str, *more: str):  # noqa: ANN001, ANN202
    """``guanai aggregator account password --name NAME [MORE]`` with ``typed`` on stdin."""
    return CliRunner().invoke(cli, ["aggregator", "--db", str(db), "account", "password",
                                    "--name", name, *more], input=typed)


def test_the_administrator_resets_a_password_keeping_or_renewing_the_credential(county):
    store = Store(county.db)
    settings = load(store)
    accounts.add(store, settings, "李四", "viewer", "a good password", NOW)
    made = accounts.add(store, settings, "张三", "operator", "a good password", NOW)
    # a viewer: the new password twice
    reset = _password(county.db, "李四", "a new password\na new password\n")
    assert reset.exit_code == 0 and "密码已重设" in reset.output, reset.output
    assert accounts.sign_in(store, "李四", "a new password", "-", NOW).credential is None
    with pytest.raises(accounts.SignInRefused):
        accounts.sign_in(store, "李四", "a good password", "-", NOW)
    # a deciding role: the old password opens its credential, sealed again under the new one
    reset = _password(county.db, "张三", "a good password\nthe new password\nthe new password\n")
    assert reset.exit_code == 0 and "the same" in reset.output, reset.output
    signed = accounts.sign_in(store, "张三", "the new password", "-", NOW)
    assert signed.credential.label == f"staff:{made.staff_key_id}"
    assert len(store.staff()) == 1
    # forgotten: --new-key registers a new credential (a decision of the aggregator's own);
    # the old one stays registered, so what it signed still verifies
    reset = _password(county.db, "张三", "a third password\na third password\n", "--new-key")
    assert reset.exit_code == 0 and "(new, registered)" in reset.output, reset.output
    renewed = store.account("张三")
    assert renewed.staff_key_id != made.staff_key_id
    assert {s.key_id for s in store.staff()} == {made.staff_key_id, renewed.staff_key_id}
    assert [d.kind for d in store.decisions()].count("staff") == 2
    signed = accounts.sign_in(store, "张三", "a third password", "-", NOW)
    assert signed.credential.label == f"staff:{renewed.staff_key_id}"
    raw = county.db.read_bytes()
    assert bytes(signed.credential.key) not in raw and b"a third password" not in raw


@pytest.mark.parametrize("name, typed, more, words", [
    ("王五", "a new password\na new password\n", (), "no active account"),
    ("李四", "a new password\nanother password\n", (), "两次输入的密码不一致"),
    ("张三", "a wrong password\nthe new password\nthe new password\n", (), "旧密码不对"),
    ("张三", "a good password\n张三\n张三\n", (), "密码不能与账号名相同"),
    ("张三", "a good password\nshort\nshort\n", (), "密码至少 8 位"),
    ("李四", "a new password\na new password\n", ("--new-key",), "没有签字凭据"),
])
def test_a_bad_reset_is_refused_clearly_and_changes_nothing(county, name, typed, more, words):
    store = Store(county.db)
    settings = load(store)
    accounts.add(store, settings, "李四", "viewer", "a good password", NOW)
    accounts.add(store, settings, "张三", "operator", "a good password", NOW)
    before = dump(county.db)
    failed = _password(county.db, name, typed, *more)
    # GuanaiError and ClickException: one clear line from guanai.cli.main, exit status 2
    said = failed.output + str(failed.exception or "")
    assert failed.exit_code != 0 and words in said, said
    assert dump(county.db) == before


def _files_of(db) -> dict[str, bytes]:  # noqa: ANN001
    """The bytes of the store's .db, -wal and -shm files (those that exist)."""
    return {p.name: p.read_bytes() for p in (db, db.with_name(db.name + "-wal"),
                                             db.with_name(db.name + "-shm")) if p.exists()}


@pytest.mark.parametrize("how", ["change", "reset", "new key"])
def test_a_password_change_leaves_no_readable_old_sealed_seed(county, how):
    """The old SecretBox of the staff seed opens with the old password: after a change (the
    function /password calls), a reset keeping the key, or a new key, neither the .db nor its
    -wal or -shm holds it (secure_delete and a truncating checkpoint)."""
    store = Store(county.db)
    settings = load(store)
    accounts.add(store, settings, "张三", "operator", "a good password", NOW)
    accounts.add(store, settings, "李四", "viewer", "a good password", NOW)
    old = store.account("张三").sealed_key
    accounts.sign_in(store, "张三", "a good password", "127.0.0.1", NOW)  # more frames in the WAL
    assert any(old in raw for raw in _files_of(county.db).values())  # the search can find it
    if how == "change":
        accounts.change_password(store, "张三", "a good password", "the new password",
                                 "127.0.0.1", NOW)
    else:
        accounts.reset_password(store, settings, "张三", "the new password", NOW,
                                old=None if how == "new key" else "a good password",
                                new_key=how == "new key")
    assert store.account("张三").sealed_key != old
    held = {name: old in raw for name, raw in _files_of(county.db).items()}
    assert not any(held.values()), held
    store.close()


def test_replaced_content_is_overwritten_in_the_file_not_left_in_free_space(county):
    """secure_delete: a value replaced by a longer one (its cell freed, not overwritten in
    place, as a grown row is) leaves no copy in the file after ``forgetting``."""
    store = Store(county.db)
    old = b"an old secret value 0123456789abcdef"
    store.set_meta("probe", old.decode())
    store.set_meta("probe later", "a row written after it")
    with store.forgetting():
        store.set_meta("probe", "a new and much longer value " * 4)
    assert not any(old in raw for raw in _files_of(county.db).values())
    store.close()


BAD_PASSWORDS = [
    (" " * 8, "密码不能全是空格"),
    ("\u3000" * 8, "密码不能全是空格"),  # ideographic spaces
    ("\t" * 8, "密码不能含控制字符"),
    ("abc\x00defgh", "密码不能含控制字符"),
    ("a good password\n", "密码不能含控制字符"),
    ("\u200b" * 12, "不可见字符"),  # zero-width spaces: nothing to see, nothing to retype
    ("\u2060" * 8 + "\ufeff", "不可见字符"),  # word joiners and a byte-order mark
    ("x" * 1025, "密码最多 1024 位"),
    ("short", "密码至少 8 位"),
]


@pytest.mark.parametrize("password, words", BAD_PASSWORDS)
def test_a_password_that_is_no_password_is_refused_by_add_change_and_reset(county, password,
                                                                            words):
    store = Store(county.db)
    settings = load(store)
    accounts.add(store, settings, "张三", "operator", "a good password", NOW)
    before = dump(county.db)
    attempts = [
        lambda: accounts.add(store, settings, "李四", "viewer", password, NOW),
        lambda: accounts.change_password(store, "张三", "a good password", password, "-", NOW),
        lambda: accounts.reset_password(store, settings, "张三", password, NOW,
                                        old="a good password"),
        lambda: accounts.reset_password(store, settings, "张三", password, NOW, new_key=True),
    ]
    for attempt in attempts:
        with pytest.raises(accounts.AccountError, match=words):
            attempt()
    assert dump(county.db) == before
    store.close()


def test_the_longest_password_is_kept_and_a_longer_one_never_signs_in(county):
    store = Store(county.db)
    longest = "长" * 1024
    accounts.add(store, load(store), "张三", "viewer", longest, NOW)
    assert accounts.sign_in(store, "张三", longest, "-", NOW).account.name == "张三"
    with pytest.raises(accounts.SignInRefused):
        accounts.sign_in(store, "张三", longest + "长", "-", NOW)
    store.close()


def test_passwords_piped_to_the_cli_are_read_without_a_getpass_warning(county):
    """``printf 'old\\nnew\\nnew\\n' | guanai aggregator account password``, and ``account add``
    the same way, in a process with no terminal at all (its own session): no "Password input
    may be echoed" warning, and the passwords taken are the lines piped."""
    def piped(*args: str, typed: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "guanai", "aggregator", "--db",
                               str(county.db), "account", *args], input=typed,
                              capture_output=True, text=True, timeout=120,
                              start_new_session=True)

    added = piped("add", "--name", "张三", "--role", "operator",
                  typed="a good password\na good password\n")
    changed = piped("password", "--name", "张三",
                    typed="a good password\nthe new password\nthe new password\n")
    for run in (added, changed):
        assert run.returncode == 0, run.stderr
        assert "Warning" not in run.stderr and "echoed" not in run.stderr, run.stderr
    store = Store(county.db)
    assert accounts.sign_in(store, "张三", "the new password", "-", NOW).credential is not None
    store.close()
    ended = piped("password", "--name", "张三", typed="the new password\n")
    assert ended.returncode == 1 and "标准输入已结束" in ended.stderr, ended.stderr
