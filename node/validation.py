"""Validation of the true table before release (勾稽关系), by the catalogue's rules.

After noise, an inconsistency in the records can no longer be seen, so a violated rule blocks
the release and names the rule, its cells and their true values for staff to fix the records.
"""

from __future__ import annotations

from dataclasses import dataclass

from common.errors import GuanaiError
from protos.catalogue import Catalogue, Rule


@dataclass(frozen=True)
class Violation:
    rule: Rule
    left: int
    right: int
    cells: dict[str, int]

    def describe(self) -> str:
        cells = ", ".join(f"{cell} = {value}" for cell, value in self.cells.items() if value)
        return (
            f"{self.rule.id} {self.rule.label.zh} ({self.rule.label.en}): "
            f"{self.left} {'≤' if self.rule.op == '<=' else '='} {self.right} fails"
            f" [{cells or 'all cells 0'}]"
        )


class ValidationFailed(GuanaiError):
    """The true table breaks a rule of the catalogue; nothing was released."""

    def __init__(self, violations: list[Violation]) -> None:
        self.violations = violations
        lines = "\n  ".join(v.describe() for v in violations)
        super().__init__(
            f"校验未通过，未发布 validation failed, nothing released — fix the records first:\n  {lines}"
        )


def violations(catalogue: Catalogue, table: dict[str, int]) -> list[Violation]:
    found = []
    for rule in catalogue.rules:
        if not rule.holds(table):
            found.append(
                Violation(
                    rule,
                    sum(table[c] for c in rule.lhs),
                    sum(table[c] for c in rule.rhs),
                    {c: table[c] for c in (*rule.lhs, *rule.rhs)},
                )
            )
    return found


def check(catalogue: Catalogue, table: dict[str, int]) -> None:
    found = violations(catalogue, table)
    if found:
        raise ValidationFailed(found)
