"""Staff credentials (工作人员凭据): the key with which an official signs each decision.

The aggregator's operator, who holds its key files, registers an official: a new Ed25519 key
file is written for that person (mode 0600) and its public half is kept with the name
(`guanai aggregator staff add --name 王科长 --key-out wang.key`). Decisions (deadlines,
unlock, return, revoke) then name the credential file (`--credential wang.key`); a key that
is not registered here is refused. The registration itself is a decision signed with the
aggregator's own key.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from nacl.signing import SigningKey

from aggregator.store.sqlite import Staff, Store
from common.clock import stamp
from common.errors import GuanaiError
from privacy.keys import generate_signing_key, key_id, load_signing_key


class StaffError(GuanaiError):
    """A credential that is not registered, or a registration that cannot be made."""


@dataclass(frozen=True)
class Credential:
    """Who signs a decision: ``label`` is what the record names (staff:<key id>, …)."""

    label: str
    key: SigningKey


def aggregator_credential(signing_key: SigningKey) -> Credential:
    return Credential(f"aggregator:{key_id(signing_key.verify_key)}", signing_key)


def check_name(name: str) -> str:
    """The official's name stripped; StaffError unless 1–100 characters."""
    name = name.strip()
    if not name or len(name) > 100:
        raise StaffError("姓名不合要求 give the official's name (1–100 characters)")
    return name


def add(store: Store, name: str, key_out: Path, at: datetime) -> tuple[Staff, SigningKey]:
    """Write a new credential file for ``name`` and register its public key."""
    name = check_name(name)
    key = generate_signing_key(key_out)
    return register(store, name, key, at), key


def register(store: Store, name: str, key: SigningKey, at: datetime) -> Staff:
    """Register ``key``'s public half for ``name`` (a web account's credential is kept sealed in
    the store, aggregator/keys/accounts.py, instead of in a file)."""
    staff = Staff(key_id(key.verify_key), check_name(name), bytes(key.verify_key), stamp(at))
    store.add_staff(staff)
    return staff


def load(store: Store, key_file: Path) -> Credential:
    """The registered credential in ``key_file``."""
    key = load_signing_key(Path(key_file))
    kid = key_id(key.verify_key)
    if not any(s.key_id == kid and s.public_key == bytes(key.verify_key) for s in store.staff()):
        raise StaffError(
            f"凭据未登记 the credential {key_file} (key {kid}) is not registered at this "
            "aggregator; its operator registers officials with `guanai aggregator staff add`"
        )
    return Credential(f"staff:{kid}", key)
