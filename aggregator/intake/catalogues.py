"""Which catalogue versions (目录版本) an aggregator accepts, during a transition and after.

A new version of the statistics table is rolled out while the old one is still accepted: the
configuration lists the versions accepted and, for the old one, the last day it is. Schools
switch at their own pace within that window; after it, a report of the old version is refused
with FAILED_PRECONDITION and told which version to release with. Rollups never mix versions:
``aggregator.rollup.build`` refuses, naming the members of each version, until they agree.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from common.errors import GuanaiError
from protos.catalogue import CatalogueError, load
from protos.refusals import Kind, Refused


class CataloguePolicyError(GuanaiError):
    """A catalogue policy naming unknown versions or dates for versions it does not accept."""


@dataclass(frozen=True)
class CataloguePolicy:
    accept: tuple[str, ...] | None = None  # None: every version guanai knows
    until: Mapping[str, date] = field(default_factory=dict)  # version → last day accepted

    def __post_init__(self) -> None:
        for version in (*(self.accept or ()), *self.until):
            try:
                load(version)
            except CatalogueError as exc:
                raise CataloguePolicyError(f"目录版本未知 catalogue policy: {exc}") from None
        stray = sorted(set(self.until) - set(self.accept or self.until))
        if stray:
            raise CataloguePolicyError(
                f"目录版本未接受 a last day is given for {stray[0]}, which is not accepted")

    def open_versions(self, today: date) -> list[str]:
        """The versions accepted today (of those listed)."""
        return [v for v in (self.accept or ()) if v not in self.until or today <= self.until[v]]

    def check(self, version: str, today: date) -> None:
        """Refused (FAILED_PRECONDITION) unless a report of ``version`` is accepted today."""
        if self.accept is not None and version not in self.accept:
            raise Refused(Kind.NOT_NOW,
                           f"目录版本不受理 catalogue {version} is not accepted here; release with "
                           f"{' or '.join(self.open_versions(today)) or 'the version the county names'}")
        last = self.until.get(version)
        if last is not None and today > last:
            newer = [v for v in self.open_versions(today) if v != version]
            raise Refused(Kind.NOT_NOW,
                           f"目录版本已停用 catalogue {version} was accepted until {last}; release a "
                           f"correction with {' or '.join(newer) or 'a newer version'} "
                           "(catalogue.version in the node's configuration)")


ACCEPT_ALL = CataloguePolicy()
