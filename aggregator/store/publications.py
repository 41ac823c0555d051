"""The figures this party published with the other from the schools' shares (secure
aggregation, docs/secure-aggregation.md): per period, level and region, the leader's signed
named set, this party's signed partial and noisy partial, and at the leader the helper's.

A publication is made once: asking again returns the stored bytes, so no party ever draws fresh
noise for a set it already answered (fresh noise could be averaged away), and a second set for
the same level, region and period is refused by the caller (aggregator/publish.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from aggregator.store.connection import SqliteConnection


@dataclass(frozen=True)
class Publication:
    """One published level: the Signed NamedSet, this party's Signed Partial and Signed
    NoisyPartial, the other party's Signed NoisyPartial (the leader only; else None)."""

    period: str
    level: str
    region: str
    set_sha256: bytes
    named_set: bytes
    partial: bytes
    noisy: bytes
    other_noisy: bytes | None
    created_at: str


class PublicationStore(Protocol):
    def add_publication(self, publication: Publication) -> None: ...
    def set_other_noisy(self, period: str, region: str, other: bytes) -> None: ...
    def publication(self, period: str, region: str) -> Publication | None: ...
    def publications(self, period: str) -> list[Publication]: ...


_COLUMNS = ("period, level, region, set_sha256, named_set, partial, noisy, other_noisy,"
            " created_at")


def _publication(row: tuple) -> Publication:
    values = list(row)
    for i in (3, 4, 5, 6):
        values[i] = bytes(values[i])
    values[7] = bytes(values[7]) if values[7] is not None else None
    return Publication(*values)


class SqlitePublications(SqliteConnection):
    """PublicationStore over ``publications``."""

    def add_publication(self, publication: Publication) -> None:
        self._run(f"INSERT INTO publications ({_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?)",
                  [publication.period, publication.level, publication.region,
                   publication.set_sha256, publication.named_set, publication.partial,
                   publication.noisy, publication.other_noisy, publication.created_at])

    def set_other_noisy(self, period: str, region: str, other: bytes) -> None:
        """Keep the helper's Signed NoisyPartial beside the leader's publication."""
        self._run("UPDATE publications SET other_noisy = ? WHERE period = ? AND region = ?",
                  [other, period, region])

    def publication(self, period: str, region: str) -> Publication | None:
        """The publication of ``region`` (a county, city or province code) for ``period``."""
        row = self._one(f"SELECT {_COLUMNS} FROM publications WHERE period = ? AND region = ?",
                        [period, region])
        return _publication(row) if row else None

    def publications(self, period: str) -> list[Publication]:
        """Every publication of the period, by region."""
        return [_publication(r) for r in self._all(
            f"SELECT {_COLUMNS} FROM publications WHERE period = ? ORDER BY region", [period])]
