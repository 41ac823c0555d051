"""Who is enrolled below this aggregator, as its member aggregators' signed rollups say.

Each rollup carries its sender's enrolment (protos/report.proto ``Enrolled``); this table keeps
the latest word of each member aggregator (and of the aggregators below it, whose rollups come
forwarded), one row per member enrolled somewhere below. It is what lets a province refuse a
county's rollup that claims a school another county enrolled, or one enrolled here directly
(aggregator/intake/enrolled_below.py). The keys those enrolments list as revoked are kept in a
table of their own (with those its members' signed notices give: aggregator/intake/
enrolled_below.py) and never forgotten, so that a revoked key gets no answer here (aggregator/
grpc/access.py) whatever a later enrolment says. A mixin of the Store; its tables are in
aggregator/store/schema.py.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class EnrolledBelow:
    member_id: str
    via: str
    region: str
    log_index: int


@dataclass(frozen=True)
class RevokedBelow:
    member_id: str
    signing_key: bytes
    revoked_unix_ms: int
    via: str
    said_in: str  # where ``via`` signed it: "rollup at leaf N" or "notice, decision N"


class EnrolmentsBelow:
    """Store methods for ``enrolled_below``; the Store provides ``_all`` and ``_run``."""

    def enrolled_below(self, member_ids: Iterable[str]) -> dict[str, EnrolledBelow]:
        """The rows of these members, by member id (those enrolled nowhere below are absent)."""
        found = {}
        for member_id in member_ids:
            row = self._one("SELECT * FROM enrolled_below WHERE member_id = ?", [member_id])
            if row is not None:
                found[member_id] = EnrolledBelow(*row)
        return found

    def holds_region(self, prefix: str) -> bool:
        """Whether a member enrolled here or below lies in the region whose codes start with
        ``prefix`` (2 digits: a province, 4: a city, 6: a county)."""
        pattern = prefix + "%"
        return self._one("SELECT EXISTS (SELECT 1 FROM members WHERE region LIKE ?) OR "
                         "EXISTS (SELECT 1 FROM enrolled_below WHERE region LIKE ?)",
                         [pattern, pattern])[0] == 1

    def enrolled_below_all(self) -> list[EnrolledBelow]:
        """Every member enrolled below, as the member aggregators' latest rollups say."""
        return [EnrolledBelow(*row) for row in self._all("SELECT * FROM enrolled_below")]

    def replace_enrolled_below(self, via: str, rows: Iterable[EnrolledBelow]) -> None:
        """``via``'s enrolment is now ``rows``: what it enrolled before and no longer does is
        forgotten (a school that moved to another county)."""
        self._run("DELETE FROM enrolled_below WHERE via = ?", [via])
        for row in rows:
            self._run("INSERT INTO enrolled_below VALUES (?,?,?,?)",
                      [row.member_id, row.via, row.region, row.log_index])

    def revoked_below(self, member_id: str) -> dict[bytes, RevokedBelow]:
        """The member's keys revoked below, by raw key (empty when none is)."""
        rows = self._all("SELECT * FROM revoked_below WHERE member_id = ?", [member_id])
        return {bytes(r[1]): RevokedBelow(r[0], bytes(r[1]), r[2], r[3], r[4]) for r in rows}

    def add_revoked_below(self, row: RevokedBelow) -> None:
        """Keep a revocation heard from below; a key already held keeps its earlier time."""
        self._run("INSERT INTO revoked_below VALUES (?,?,?,?,?) "
                  "ON CONFLICT (member_id, signing_key) DO UPDATE SET "
                  "revoked_unix_ms = excluded.revoked_unix_ms, via = excluded.via, "
                  "said_in = excluded.said_in "
                  "WHERE excluded.revoked_unix_ms < revoked_below.revoked_unix_ms",
                  [row.member_id, row.signing_key, row.revoked_unix_ms, row.via, row.said_in])
