"""Who this aggregator is: region, level, parent, and its keys (files beside the store).

``guanai aggregator init`` writes the region, level and parent region into the store's meta
table and creates ``<db>.signing.key`` (Ed25519: receipts, checkpoints, rollups) and
``<db>.sealing.key`` (X25519: members seal their reports to it), both mode 0600. The parent's
address and keys come from the parent's export (``guanai aggregator parent FILE``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from nacl.public import PrivateKey
from nacl.signing import SigningKey

from aggregator.store.sqlite import Store
from common.errors import GuanaiError
from privacy.identity import LEVELS, Identity
from privacy.keys import (
    PublicKeys,
    generate_sealing_key,
    generate_signing_key,
    load_sealing_key,
    load_signing_key,
)
from privacy.receipt import log_origin
from protos.regions import check_region, level, name, parents


class ConfigError(GuanaiError):
    """An aggregator that is not set up, or set up inconsistently."""


def key_paths(db: Path) -> tuple[Path, Path]:
    """The signing and sealing key files of the aggregator whose store is ``db``."""
    return Path(f"{db}.signing.key"), Path(f"{db}.sealing.key")


def retired_key_paths(db: Path, key_id: str) -> tuple[Path, Path]:
    """Where the keys replaced by a rotation are kept (aggregator/keys/keyring.py)."""
    return Path(f"{db}.signing.{key_id}.key"), Path(f"{db}.sealing.{key_id}.key")


@dataclass(frozen=True)
class Settings:
    region: str
    level: str
    parent_region: str | None
    signing_key: SigningKey
    sealing_key: PrivateKey
    retired_sealing_keys: tuple[PrivateKey, ...] = ()  # the most recently retired first

    @property
    def sealing_keys(self) -> tuple[PrivateKey, ...]:
        """Every key a submission may be sealed to: the current one, then retired ones."""
        return (self.sealing_key, *self.retired_sealing_keys)

    @property
    def origin(self) -> str:
        return log_origin(self.region)

    @property
    def public_keys(self) -> PublicKeys:
        return PublicKeys.of(self.signing_key, self.sealing_key)

    def identity(self, address: str | None = None, tls_ca: str | None = None) -> Identity:
        return Identity(id=self.region, kind="aggregator", region=self.region, level=self.level,
                        keys=self.public_keys, address=address, tls_ca=tls_ca)

    def describe(self) -> str:
        return f"{name(self.region)} {self.region} ({self.level})"


def init(db: Path, level_name: str, region: str, parent_region: str | None) -> Settings:
    """Create the store and the keys of a new aggregator."""
    check_region(region)
    if level_name not in LEVELS or level(region) != level_name:
        raise ConfigError(
            f"级别不符 level mismatch: region {region} is a {level(region)} code, not {level_name}"
        )
    if parent_region is not None and parent_region not in parents(region):
        raise ConfigError(
            f"上级不符 bad parent: {parent_region} is not above {region} "
            f"(one of {', '.join(parents(region)) or 'none: a province has no parent'})"
        )
    store = Store(db, create=True)
    try:
        if store.get_meta("region"):
            raise ConfigError(f"已初始化 {db} already belongs to aggregator {store.get_meta('region')}")
        signing_path, sealing_path = key_paths(db)
        signing, sealing = generate_signing_key(signing_path), generate_sealing_key(sealing_path)
        with store.transaction():
            store.set_meta("region", region)
            store.set_meta("level", level_name)
            if parent_region:
                store.set_meta("parent_region", parent_region)
    finally:
        store.close()
    return Settings(region, level_name, parent_region, signing, sealing)


def load(store: Store) -> Settings:
    region, level_name = store.get_meta("region"), store.get_meta("level")
    if not region or not level_name:
        raise ConfigError(f"未初始化 {store.path} is not set up (run `guanai aggregator init`)")
    signing_path, sealing_path = key_paths(store.path)
    retired = tuple(load_sealing_key(retired_key_paths(store.path, old)[1])
                    for old, _ in reversed(store.key_rotations()))
    return Settings(region, level_name, store.get_meta("parent_region"),
                    load_signing_key(signing_path), load_sealing_key(sealing_path), retired)


def parent(store: Store) -> Identity | None:
    text = store.get_meta("parent_identity")
    return Identity.from_json(text) if text else None


def set_parent(store: Store, settings: Settings, identity: Identity) -> None:
    """Keep the parent's export, after checking it is the parent this aggregator reports to."""
    if identity.kind != "aggregator" or not identity.address:
        raise ConfigError("上级文件错误 not an aggregator's export with an address")
    if identity.id not in parents(settings.region):
        raise ConfigError(f"上级不符 bad parent: {identity.id} is not above {settings.region}")
    if settings.parent_region and identity.id != settings.parent_region:
        raise ConfigError(
            f"上级不符 bad parent: this aggregator reports to {settings.parent_region}, "
            f"the file is of {identity.id}"
        )
    with store.transaction():
        store.set_meta("parent_region", identity.id)
        store.set_meta("parent_identity", identity.to_json())
