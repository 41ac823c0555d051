"""The register of schools an aggregator imported (protos/school_register.py), if any.

A mixin of the Store; its table is in aggregator/store/schema.py. Empty until imported
(`guanai aggregator schools FILE`); an import replaces the whole register.
"""

from __future__ import annotations

from collections.abc import Iterable

from protos.school_register import RegisteredSchool


class SchoolRegister:
    """Store methods for ``school_register``; the Store provides ``_all``, ``_one``, ``_run``."""

    def replace_register(self, schools: Iterable[RegisteredSchool]) -> None:
        """The register is now ``schools``, inside the caller's transaction."""
        self._run("DELETE FROM school_register")
        for school in schools:
            self._run("INSERT INTO school_register VALUES (?,?,?)",
                      [school.school_id, school.region, school.name])

    def has_register(self) -> bool:
        """Whether a register was imported: only then is enrolment held to it."""
        return self._one("SELECT 1 FROM school_register LIMIT 1") is not None

    def registered_region(self, school_id: str) -> str | None:
        """The county the register gives the school (None: not listed)."""
        row = self._one("SELECT region FROM school_register WHERE school_id = ?", [school_id])
        return row[0] if row else None

    def register(self) -> list[RegisteredSchool]:
        """Every registered school, by code."""
        return [RegisteredSchool(*row) for row in
                self._all("SELECT * FROM school_register ORDER BY school_id")]
