"""The school's privacy allowance (隐私额度) said plainly, with ρ and ε only as details.

A school's aid office sees, when it releases a table, how much of the year's allowance is used
and how many more releases like this one fit; and why the allowance exists at all. The
technical figures (ρ of zero-concentrated DP, the equivalent ε and δ) follow on a line marked
as details, for whoever checks them (docs/budget.md explains them).
"""

from __future__ import annotations

import math


def allowance_lines(spent: float, cap: float, per_release: float, epsilon: float | None = None,
                    delta: float | None = None) -> list[str]:
    """Lines for a person: the share of the year's allowance used (``spent`` and ``cap`` in ρ,
    zCDP), the releases of ``per_release`` ρ that still fit, why it matters, then the details.

    ``epsilon`` and ``delta``, when given, are the (ε, δ)-DP equivalent of ``spent``.
    """
    used = 0.0 if cap <= 0 else min(1.0, spent / cap)
    left = max(0.0, cap - spent)
    more = math.floor(left / per_release + 1e-9) if per_release > 0 else 0
    lines = [
        f"本年度隐私额度 privacy allowance this year: 已用 {used:.0%} used, 剩余 {1 - used:.0%} left"
        f" — 还可再发布 {more} 次同样的统计表 room for {more} more release(s) like this one",
        "  额度保证公布的数字看不出任何一名学生是否处于困境；用完后本年不能再发布（包括更正）。",
        "  The allowance keeps any one student's situation from showing in the published figures;"
        " once it is used up, nothing more (not even a correction) can be released this year.",
    ]
    detail = f"  技术细节 details: ρ (zCDP) {spent:g} of {cap:g}, {per_release:g} per release"
    if epsilon is not None and delta is not None:
        detail += f"; ≈ (ε = {epsilon:.2f}, δ = {delta:g})"
    return [*lines, detail + " (docs/budget.md)"]
