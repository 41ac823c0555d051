"""Key files: created private and never overwritten, loaded only when safe; public key exports."""

from __future__ import annotations

import base64
import os
import shutil
import stat
import subprocess

import pytest
from nacl.public import PrivateKey
from nacl.signing import SigningKey

from privacy.keys import (
    ED25519_SPKI_PREFIX,
    SEALING_KEY_KIND,
    SIGNING_KEY_KIND,
    KeyFileError,
    PublicKeys,
    generate_sealing_key,
    generate_signing_key,
    key_id,
    load_sealing_key,
    load_signing_key,
    public_key_pem,
)


@pytest.fixture
def permissive_umask():
    old = os.umask(0)
    yield
    os.umask(old)


def test_signing_key_round_trip(tmp_path, permissive_umask):
    path = tmp_path / "node.key"
    key = generate_signing_key(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    kind, seed = path.read_text().split()
    assert kind == SIGNING_KEY_KIND and base64.b64decode(seed) == bytes(key)
    loaded = load_signing_key(path)
    assert loaded.verify_key == key.verify_key
    assert loaded.sign(b"m").signature == key.sign(b"m").signature


def test_sealing_key_round_trip(tmp_path, permissive_umask):
    path = tmp_path / "county.seal.key"
    key = generate_sealing_key(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text().startswith(SEALING_KEY_KIND + " ")
    assert load_sealing_key(path).public_key == key.public_key


def test_an_existing_file_is_never_overwritten(tmp_path):
    path = tmp_path / "node.key"
    generate_signing_key(path)
    before = path.read_bytes()
    with pytest.raises(KeyFileError, match="already exists"):
        generate_signing_key(path)
    with pytest.raises(KeyFileError, match="already exists"):
        generate_sealing_key(path)
    assert path.read_bytes() == before


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o644, 0o620, 0o666])
def test_a_key_file_others_can_access_is_refused(tmp_path, mode):
    path = tmp_path / "node.key"
    generate_signing_key(path)
    path.chmod(mode)
    with pytest.raises(KeyFileError, match="chmod 600"):
        load_signing_key(path)


def test_the_kind_of_key_must_match(tmp_path):
    generate_signing_key(tmp_path / "sign.key")
    generate_sealing_key(tmp_path / "seal.key")
    with pytest.raises(KeyFileError, match=SEALING_KEY_KIND):
        load_sealing_key(tmp_path / "sign.key")
    with pytest.raises(KeyFileError, match=SIGNING_KEY_KIND):
        load_signing_key(tmp_path / "seal.key")


@pytest.mark.parametrize(
    "content",
    [b"", b"garbage\n", SIGNING_KEY_KIND.encode() + b" not-base64!\n",
     SIGNING_KEY_KIND.encode() + b" " + base64.b64encode(bytes(31)) + b"\n",
     SIGNING_KEY_KIND.encode() + b" " + base64.b64encode(bytes(32)) + b" extra\n"],
)
def test_corrupt_key_files_are_refused(tmp_path, content):
    path = tmp_path / "node.key"
    path.write_bytes(content)
    path.chmod(0o600)
    with pytest.raises(KeyFileError):
        load_signing_key(path)


def test_errors_never_show_key_material(tmp_path):
    path = tmp_path / "seal.key"
    generate_sealing_key(path)
    secret = path.read_text().split()[1]
    for load in (load_signing_key, generate_signing_key):
        with pytest.raises(KeyFileError) as caught:
            load(path)
        assert secret not in str(caught.value)
    path.chmod(0o644)
    with pytest.raises(KeyFileError) as caught:
        load_sealing_key(path)
    assert secret not in str(caught.value)


def test_missing_file_and_missing_folder(tmp_path):
    with pytest.raises(KeyFileError, match="not found"):
        load_signing_key(tmp_path / "absent.key")
    with pytest.raises(KeyFileError, match="cannot create"):
        generate_signing_key(tmp_path / "no" / "such" / "folder.key")


def test_key_id_is_the_first_eight_bytes_of_sha256():
    assert key_id(bytes(32)) == "66687aadf862bd77"


def test_public_key_pem_is_subject_public_key_info():
    key = SigningKey(bytes(range(32)))
    pem = public_key_pem(key.verify_key)
    lines = pem.splitlines()
    assert lines[0] == "-----BEGIN PUBLIC KEY-----" and lines[-1] == "-----END PUBLIC KEY-----"
    assert base64.b64decode("".join(lines[1:-1])) == ED25519_SPKI_PREFIX + bytes(key.verify_key)


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is not installed")
def test_openssl_reads_the_pem(tmp_path):
    key = SigningKey.generate()
    (tmp_path / "pub.pem").write_text(public_key_pem(key.verify_key))
    der = subprocess.run(
        ["openssl", "pkey", "-pubin", "-in", str(tmp_path / "pub.pem"), "-outform", "DER"],
        capture_output=True, check=True,
    ).stdout
    assert der == ED25519_SPKI_PREFIX + bytes(key.verify_key)


def test_public_keys_export_round_trip():
    signing, sealing = SigningKey.generate(), PrivateKey.generate()
    keys = PublicKeys.of(signing, sealing)
    assert keys.signing == bytes(signing.verify_key) and keys.sealing == bytes(sealing.public_key)
    assert PublicKeys.from_dict(keys.to_dict()) == keys
    only_signing = PublicKeys.of(signing)
    assert only_signing.to_dict()["sealing"] is None
    assert PublicKeys.from_dict(only_signing.to_dict()) == only_signing


@pytest.mark.parametrize(
    "data",
    [{}, {"signing": 5}, {"signing": "!!"}, {"signing": base64.b64encode(bytes(31)).decode()},
     {"signing": base64.b64encode(bytes(32)).decode(), "sealing": "AAAA"}, "not a dict"],
)
def test_bad_public_key_exports_are_refused(data):
    with pytest.raises(KeyFileError):
        PublicKeys.from_dict(data)
