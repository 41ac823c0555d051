"""Who is enrolled below this aggregator, as its member aggregators' signed rollups say.

Each rollup carries its sender's enrolment (protos/report.proto ``Enrolled``); this table keeps
the latest word of each member aggregator (and of the aggregators below it, whose rollups come
forwarded), one row per member enrolled somewhere below. It is what lets a province refuse a
county's rollup that claims a school another county enrolled, or one enrolled here directly
(aggregator/intake/enrolled_below.py). A mixin of the Store; its table is in aggregator/store/schema.py.
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
