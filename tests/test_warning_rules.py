"""Warning rules: the shipped file loads, bad files are refused, noise does not cause warnings."""

from __future__ import annotations

import pytest

from aggregator.warnings.rules import (
    DEFAULT_RULES,
    Figures,
    RulesError,
    evaluate,
    judge,
    load_rules,
)
from privacy import dp
from protos.catalogue import load

CAT = load()
RULES = load_rules()
W03 = next(r for r in RULES.rules if r.id == "W03")


def _figures(values: dict[str, float], variance: float, members=10, missing=0) -> Figures:
    full = {c.id: 0.0 for c in CAT.cells} | values
    return Figures("610102", "county", full, dict.fromkeys(full, variance), members, missing)


def test_the_shipped_rules_cover_what_the_plan_asks():
    ids = {r.id for r in RULES.rules}
    assert ids >= {"W01", "W02", "W03", "W04", "W05", "W06", "W07", "W08"}
    assert all(r.label.zh and r.label.en and r.advice.zh for r in RULES.rules)


def test_a_rule_fires_only_when_the_interval_is_wholly_beyond():
    clear = judge(W03, _figures({"key.current": 1000, "psy.talk_monthly": 500}, 25.0))
    assert clear.fires and clear.interval.low > 0.10
    borderline = judge(W03, _figures({"key.current": 1000, "psy.talk_monthly": 880}, 400.0))
    assert borderline.interval.value > 0.10 and not borderline.fires


def test_missing_members_fire_and_regions_without_members_are_not_judged():
    findings = {f.rule.id: f for f in evaluate(RULES, _figures({}, 1.0, members=0, missing=3))}
    assert findings["W08"].fires and "W03" not in findings
    assert not judge(next(r for r in RULES.rules if r.id == "W08"),
                     _figures({}, 1.0, missing=0)).fires


def test_noise_at_the_threshold_warns_at_most_as_often_as_the_confidence_allows():
    """A county of 30 schools sits exactly at W03's threshold. Over 4,000 noisy rounds the
    rule fires at most 2.5% + 1.5% of the time (6 standard errors of the rate's estimate:
    √(0.025·0.975/4000) = 0.25%), so a correct implementation fails far less than once in a
    million runs."""
    scale = dp.noise_plan(CAT, 0.5, frozenset({"primary"}))["monitored"].scale
    schools, key, talked = 30, 40, 36  # 10% without a monthly talk: exactly the threshold
    fired = 0
    for _ in range(4000):
        noisy = dp.add_noise([key] * schools + [talked] * schools, scale)
        figures = _figures({"key.current": sum(noisy[:schools]),
                            "psy.talk_monthly": sum(noisy[schools:])}, scale**2 * schools)
        fired += judge(W03, figures).fires
    assert fired / 4000 < 0.04


def test_bad_rule_files_are_refused(tmp_path):
    text = DEFAULT_RULES.read_text(encoding="utf-8")
    cases = {
        '\ndirection = "above"': ('\ndirection = "sideways"', "direction"),
        '\nnumerator = ["acad.dropped_out"]': ('\nnumerator = ["acad.nothing"]', "matches no cell"),
        '\nseverity = "red"': ('\nseverity = "purple"', "severity"),
    }
    for old, (new, message) in cases.items():
        path = tmp_path / "rules.toml"
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
        with pytest.raises(RulesError, match=message):
            load_rules(path)
    with pytest.raises(RulesError, match="no warning-rules file"):
        load_rules(tmp_path / "absent.toml")
