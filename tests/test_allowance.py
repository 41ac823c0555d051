"""The school's privacy allowance is said plainly; ρ and ε appear only on the details line."""

from __future__ import annotations

from node.allowance import allowance_lines


def test_the_allowance_reads_plainly_with_the_symbols_only_in_details():
    lines = allowance_lines(spent=0.5, cap=1.0, per_release=0.25, epsilon=3.9, delta=1e-6)
    plain, details = lines[:-1], lines[-1]
    assert "已用 50% used" in plain[0] and "还可再发布 2 次" in plain[0]
    assert "看不出任何一名学生" in plain[1] and "not even a correction" in plain[2]
    assert not any(s in line for line in plain for s in ("ρ", "ε", "zCDP"))
    assert "技术细节 details" in details and "ρ (zCDP) 0.5 of 1" in details and "ε = 3.90" in details


def test_a_spent_allowance_leaves_no_room():
    first = allowance_lines(spent=1.0, cap=1.0, per_release=0.25)[0]
    assert "剩余 0% left" in first and "还可再发布 0 次" in first
