"""The public identity a party exports for another to import (docs/aggregator.md).

A school exports its id, county and signing key (`guanai node export-key`) for its county to
enrol; an aggregator exports its region, level, address and both public keys (`guanai
aggregator export-keys`) for its members to submit to it and for its parent to enrol it.
One JSON object; the keys are ``PublicKeys.to_dict``. Nothing secret is in it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from privacy.keys import KeyFileError, PublicKeys

KINDS = ("school", "aggregator")
LEVELS = ("county", "city", "province")
MAX_NAME = 100  # characters of a school's name kept


class IdentityError(KeyFileError):
    """An exported identity file that is not what guanai writes."""


@dataclass(frozen=True)
class Identity:
    """The public identity a party exports for another to import (docs/aggregator.md): who it
    is, its public keys and, for an aggregator, where and how to reach it."""

    id: str  # 10-digit 学校标识码, or an aggregator's region code
    kind: str  # school | aggregator
    region: str  # a school's county; an aggregator's own region
    keys: PublicKeys
    level: str | None = None  # aggregators: county | city | province
    address: str | None = None  # aggregators: host:port of the gRPC service
    tls_ca: str | None = None  # aggregators serving TLS: the PEM root certificate to trust
    name: str | None = None  # schools: the school's name (学校名称), shown in completeness lists

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise IdentityError(f"身份文件错误 bad identity: kind must be one of {KINDS}")
        if self.kind == "aggregator" and (self.level not in LEVELS or self.keys.sealing is None):
            raise IdentityError(
                "身份文件错误 bad identity: an aggregator's export needs a level "
                f"{LEVELS} and a sealing key; export it again with `guanai aggregator export-keys`"
            )

    def to_json(self) -> str:
        """The export file's JSON text (keys in base64; absent fields left out)."""
        data = {
            "id": self.id, "kind": self.kind, "region": self.region, "level": self.level,
            "address": self.address, "tls_ca": self.tls_ca, "name": self.name,
            "keys": self.keys.to_dict(),
        }
        return json.dumps({k: v for k, v in data.items() if v is not None}, indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Identity:
        """The identity of an export file's text; raises ``IdentityError`` for anything else."""
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise IdentityError(
                "身份文件错误 bad identity file: not JSON; use the file that "
                "`guanai node export-key` or `guanai aggregator export-keys` wrote"
            ) from exc
        if not isinstance(data, dict) or not all(
            isinstance(data.get(k), str) for k in ("id", "kind", "region")
        ):
            raise IdentityError(
                "身份文件错误 bad identity file: expected an object with id, kind, region and keys"
            )
        return cls(
            id=data["id"], kind=data["kind"], region=data["region"],
            keys=PublicKeys.from_dict(data.get("keys")),
            level=data.get("level"), address=data.get("address"), tls_ca=data.get("tls_ca"),
            name=data["name"][:MAX_NAME] if isinstance(data.get("name"), str) else None,
        )
