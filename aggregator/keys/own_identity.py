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
from privacy.identity import HELPER, LEVELS, Identity
from privacy.keys import (
    PublicKeys,
    generate_sealing_key,
    generate_signing_key,
    load_sealing_key,
    load_signing_key,
)
from privacy.receipt import log_origin
from protos.regions import LEVEL_NAMES, check_region, level, name, parents


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
    role: str | None = None  # None: a leader aggregator; "helper": the province's helper

    @property
    def sealing_keys(self) -> tuple[PrivateKey, ...]:
        """Every key a submission may be sealed to: the current one, then retired ones."""
        return (self.sealing_key, *self.retired_sealing_keys)

    @property
    def origin(self) -> str:
        return log_origin(self.region, self.role)

    @property
    def helper(self) -> bool:
        """Whether this is the province's helper of secure aggregation (DESIGN §8)."""
        return self.role == HELPER

    @property
    def public_keys(self) -> PublicKeys:
        return PublicKeys.of(self.signing_key, self.sealing_key)

    def identity(self, address: str | None = None, tls_ca: str | None = None) -> Identity:
        return Identity(id=self.region, kind="aggregator", region=self.region, level=self.level,
                        keys=self.public_keys, address=address, tls_ca=tls_ca, role=self.role)

    def describe(self) -> str:
        """``陕西省 610000 (省级 province)``: the region, its code and level, Chinese first."""
        return f"{name(self.region)} {self.region} ({LEVEL_NAMES[self.level]} {self.level})"


def init(db: Path, level_name: str, region: str, parent_region: str | None,
         role: str | None = None) -> Settings:
    """Create the store and the keys of a new aggregator; ``role`` "helper" makes the helper
    of province ``region`` (secure aggregation, docs/secure-aggregation.md), which has no parent.
    Raises ``ConfigError`` for a level, parent or role that does not fit the region."""
    check_region(region)
    if role not in (None, HELPER) or (role and (level_name != "province" or parent_region)):
        raise ConfigError(f"角色不符 bad role: the only role is {HELPER}, of a province, "
                          "without a parent (`--role helper --level province --region 610000`)")
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
            if role:
                store.set_meta("role", role)
    finally:
        store.close()
    return Settings(region, level_name, parent_region, signing, sealing, role=role)


def load(store: Store) -> Settings:
    region, level_name = store.get_meta("region"), store.get_meta("level")
    if not region or not level_name:
        raise ConfigError(f"未初始化 {store.path} is not set up (run `guanai aggregator init`)")
    signing_path, sealing_path = key_paths(store.path)
    retired = tuple(load_sealing_key(retired_key_paths(store.path, old)[1])
                    for old, _ in reversed(store.key_rotations()))
    return Settings(region, level_name, store.get_meta("parent_region"),
                    load_signing_key(signing_path), load_sealing_key(sealing_path), retired,
                    store.get_meta("role"))


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


def helper(store: Store) -> Identity | None:
    """The province's helper, as a leader keeps its export (``set_helper``); None: none."""
    text = store.get_meta("helper_identity")
    return Identity.from_json(text) if text else None


def set_helper(store: Store, settings: Settings, identity: Identity) -> None:
    """Keep the export of the helper of this leader's province (secure aggregation): the leader
    sends it its signed enrolment and asks it which shares it holds. ``ConfigError`` otherwise."""
    province = settings.region[:2] + "0000"
    if settings.helper or identity.role != HELPER or not identity.address or identity.id != province:
        raise ConfigError(f"协助方文件错误 not the export of the helper of province {province} "
                          "with an address (`guanai aggregator export-keys` at the helper)")
    with store.transaction():
        store.set_meta("helper_identity", identity.to_json())
