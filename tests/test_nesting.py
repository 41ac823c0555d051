"""A ratio is a share only when the catalogue's rules nest its numerator in its denominator;
decided from the rules, not from the cells' names (aggregator/figures/nesting.py)."""

from __future__ import annotations

import math

from aggregator.figures import indicators
from aggregator.figures.nesting import implied, text
from aggregator.warnings.rules import load_rules
from protos import codegen
from protos.catalogue import load, parse

CAT = load()
RULES = {r.id: r for r in load_rules().rules}


def kind(expression: str, catalogue=CAT) -> str:  # noqa: ANN001
    return indicators.parse(expression, catalogue).kind


def test_ratios_the_rules_nest_are_shares_and_the_others_are_not():
    assert kind("acad.dropped_out / acad.reg_expected") == "share"  # R14
    assert kind("key.current - psy.talk_monthly / key.current") == "share"  # R09
    assert kind("acad.absent.* - acad.returned / acad.reg_expected") == "share"  # R04, R05
    assert kind("pop.in_difficulty.primary / pop.enrolled.primary") == "share"  # R01
    assert kind("pop.category.orphan.* / pop.in_difficulty.*") == "share"  # R02 per stage
    per_student = indicators.parse("aid.yuan.* / aid.students.*", CAT)
    assert per_student.kind == "ratio"
    assert (per_student.unit.zh, per_student.unit.en) == ("元/人", "yuan per students")
    # tutored and dropped out are both students in difficulty, but nothing nests one in the other
    assert kind("acad.tutored / acad.dropped_out") == "ratio"
    assert kind("pop.enrolled.primary / pop.in_difficulty.primary") == "ratio"  # the wrong way


def test_it_is_the_rule_that_makes_a_share_not_the_names():
    source = (codegen.PROTO_DIR / "catalogue" / "v1.toml").read_text(encoding="utf-8")
    start = source.index('[[rules]]\nid = "R09"')
    without_r09 = parse(source[:start] + source[source.index("[[rules]]", start + 1):])
    assert kind("key.current - psy.talk_monthly / key.current") == "share"
    assert kind("key.current - psy.talk_monthly / key.current", without_r09) == "ratio"
    # and R09 is also what keeps the difference itself at 0 or above
    assert implied(CAT, {"key.current": 1, "psy.talk_monthly": -1}).low == 0.0
    assert implied(without_r09, {"key.current": 1, "psy.talk_monthly": -1}).low == -math.inf


def test_the_warning_rules_read_as_their_catalogue_makes_them():
    kinds = {rule_id: r.shown_kind for rule_id, r in RULES.items()}
    # W05: aid at the highest tier is not tied to the assessment in the catalogue (a student
    # may be aided at the top tier unassessed), so "assessed − highest tier" may be negative
    assert kinds == {"W01": "share", "W02": "share", "W03": "share", "W04": "share",
                     "W05": "ratio", "W06": "share", "W07": "share", "W08": "missing"}
    w03, w05 = RULES["W03"], RULES["W05"]
    assert [text(x, "share", w03.bounds) for x in (1.032, -0.013, 0.105, math.inf)] == [
        "100.0%", "0.0%", "10.5%", "100.0%"]
    assert [text(x, "ratio", w05.bounds) for x in (0.2, -0.013)] == ["0.200", "-0.013"]
