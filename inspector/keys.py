"""Whose key may sign what: keys the inspector trusts, and the keys each aggregator enrolled.

An inspector may hold keys it got by another channel (``--keys``: exported identities, docs/
formats.md §8), which then override what any bundle says. Otherwise an aggregator's key is
confirmed by its parent's enrolment of it when the parent's bundle is given, and is otherwise
taken from its own bundle (said so in a note). A member's report must be signed by a key its
aggregator enrolled for it and had not revoked when the report was accepted.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from inspector.bundle import Bundle, BundleError, EnrolledKey
from inspector.verdict import Verdict
from privacy.identity import Identity
from privacy.keys import KeyFileError, key_id
from protos.regions import name

Trusted = dict[str, frozenset[bytes]]


def read_trusted(paths: Iterable[Path]) -> Trusted:
    """Signing keys by member id, from files each holding one exported identity or a list."""
    keys: dict[str, set[bytes]] = defaultdict(set)
    for path in map(Path, paths):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            for item in data if isinstance(data, list) else [data]:
                identity = Identity.from_json(json.dumps(item))
                keys[identity.id].add(identity.keys.signing)
        except (OSError, ValueError, KeyFileError) as exc:
            raise BundleError(f"密钥文件错误 {path} is not an exported identity or a JSON list of "
                              f"them (docs/formats.md §8): {exc}") from exc
    return {member: frozenset(found) for member, found in keys.items()}


def _ms(stamp: str) -> int:
    return int(datetime.fromisoformat(stamp).timestamp() * 1000)


class Keys:
    def __init__(self, bundles: list[Bundle], trusted: Trusted, verdict: Verdict) -> None:
        self._trusted = trusted
        self._verdict = verdict
        self._manifest = {b.id: b.aggregator.keys.signing for b in bundles}
        self._enrolled: dict[tuple[str, str], list[EnrolledKey]] = defaultdict(list)
        self._enrolled_by: dict[str, set[str]] = defaultdict(set)  # member → aggregators
        seen: set[tuple[str, str, bytes]] = set()
        for bundle in bundles:
            for key in bundle.keys:
                if (bundle.id, key.member_id, key.key) not in seen:
                    seen.add((bundle.id, key.member_id, key.key))
                    self._enrolled[bundle.id, key.member_id].append(key)
                    self._enrolled_by[key.member_id].add(bundle.id)

    def aggregator_key(self, aggregator: str) -> bytes | None:
        """The key to check the aggregator's checkpoints, receipts and rollups with."""
        stated, trusted = self._manifest.get(aggregator), self._trusted.get(aggregator)
        if trusted and stated not in trusted:
            return min(trusted)
        return stated or (min(trusted) if trusted else None)

    def check_aggregator(self, bundle: Bundle) -> None:
        """Confirm the key a bundle states for its aggregator, or say that nothing could."""
        key, who = bundle.aggregator.keys.signing, f"{name(bundle.id)} {bundle.id}"
        trusted = self._trusted.get(bundle.id)
        # no aggregator is its own parent: the province enrolled at its helper (whose region
        # code is the province's, docs/secure-aggregation.md) is a leader there, not a parent
        parents = [(agg, self._enrolled[agg, bundle.id])
                   for agg in sorted(self._enrolled_by[bundle.id]) if agg != bundle.id]
        if trusted is not None:
            if key in trusted:
                self._verdict.pass_("key")
            else:
                self._verdict.fail("key", f"汇总节点 aggregator {who}",
                                   f"核验包所列密钥 {key_id(key)} 不是您信任的该节点密钥（--keys）",
                                   f"the bundle states key {key_id(key)}, not the key you trust "
                                   "for it (--keys): the bundle is not signed by this aggregator")
        for parent, keys in parents:
            if any(k.key == key for k in keys):
                self._verdict.pass_("key")
            else:
                self._verdict.fail("key", f"汇总节点 aggregator {who}",
                                   f"其密钥 {key_id(key)} 未在上级 {parent} 登记",
                                   f"its key {key_id(key)} is not enrolled at its parent {parent}")
        if trusted is None and not parents:
            self._verdict.note("key", f"汇总节点 aggregator {who}",
                               f"其密钥 {key_id(key)} 取自其自己的核验包，未经独立确认；请以 --keys "
                               "或上级核验包确认",
                               f"its key {key_id(key)} is taken from its own bundle, not confirmed "
                               "independently; confirm it with --keys or its parent's bundle")

    def check_signer(self, subject: str, sender: str, signer: bytes, aggregator: str,
                     accepted_ms: int | None) -> bool:
        """Check that ``signer`` may sign for ``sender``; False if nothing here can tell."""
        checked, ok = False, True
        trusted = self._trusted.get(sender)
        if trusted is not None:
            checked = True
            if signer not in trusted:
                ok = False
                self._verdict.fail("key", subject,
                                   f"签名密钥 {key_id(signer)} 不是您信任的 {sender} 的密钥（--keys）",
                                   f"signed with key {key_id(signer)}, not the key you trust for "
                                   f"{sender} (--keys)")
        if aggregator in self._manifest:
            checked = True
            enrolled = next((k for k in self._enrolled.get((aggregator, sender), [])
                             if k.key == signer), None)
            if enrolled is None:
                ok = False
                self._verdict.fail("key", subject,
                                   f"签名密钥 {key_id(signer)} 未在 {aggregator} 为 {sender} 登记"
                                   "（未知密钥）",
                                   f"signed with key {key_id(signer)}, which {aggregator} never "
                                   f"enrolled for {sender} (unknown key)")
            elif (enrolled.revoked_at is not None and accepted_ms is not None
                  and _ms(enrolled.revoked_at) <= accepted_ms):
                ok = False
                self._verdict.fail("key", subject,
                                   f"签名密钥 {key_id(signer)} 已于 {enrolled.revoked_at} 吊销，"
                                   "其后仍被接收",
                                   f"signed with key {key_id(signer)}, revoked at "
                                   f"{enrolled.revoked_at}, and accepted after that")
        if checked and ok:
            self._verdict.pass_("key")
        return checked
