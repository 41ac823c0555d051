"""Monitoring warning rules (监测预警, R-WARN): load the declarative file, judge a region.

A rule fires only when the whole confidence interval of its indicator lies beyond the
threshold, so that noise alone makes a false warning at most (1 − confidence)/2 of the time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from aggregator.figures.estimates import Interval, combine, ratio, total, z_value
from aggregator.figures.nesting import Range, implied
from common.errors import GuanaiError
from common.tomlfile import read_toml
from protos.catalogue import Catalogue, CatalogueError, Label, load

DEFAULT_RULES = Path(__file__).with_name("warnings.toml")
KINDS = ("ratio", "total", "missing")
LEVELS = ("school", "county", "city", "province")
SEVERITIES = {
    "red": Label("严重", "severe"),
    "orange": Label("较重", "serious"),
    "yellow": Label("一般", "moderate"),
}


class RulesError(GuanaiError):
    """A warning-rules file that cannot be used; the message names the rule and the key."""


@dataclass(frozen=True)
class WarningRule:
    id: str
    label: Label
    kind: str
    numerator: dict[str, float]
    denominator: dict[str, float]
    direction: str
    threshold: float
    levels: tuple[str, ...]
    severity: str
    confidence: float
    advice: Label
    bounds: Range = Range(0.0, float("inf"))  # what the catalogue guarantees (nesting.py)

    @property
    def shown_kind(self) -> str:
        """How its figure reads: share (0–100%), ratio, total or missing."""
        return self.bounds.kind if self.kind == "ratio" else self.kind


@dataclass(frozen=True)
class RuleSet:
    version: str
    catalogue: str
    rules: tuple[WarningRule, ...]


@dataclass(frozen=True)
class Figures:
    """What an aggregator knows of one region for one period: summed cells and membership."""

    region: str
    level: str
    values: dict[str, float]
    variances: dict[str, float]
    members: int
    missing: int
    schools: int = 0  # school reports behind the figures


@dataclass(frozen=True)
class Finding:
    rule: WarningRule
    region: str
    interval: Interval
    fires: bool


def _combination(catalogue: Catalogue, terms: list[str], where: str) -> dict[str, float]:
    combination: dict[str, float] = {}
    for term in terms:
        sign = -1.0 if term.startswith("-") else 1.0
        try:
            cells = catalogue.expand(term.lstrip("-"))
        except CatalogueError as exc:
            raise RulesError(f"{where}: {exc}") from None
        for cell in cells:
            combination[cell] = combination.get(cell, 0.0) + sign
    return combination


def _rule(raw: dict, catalogue: Catalogue) -> WarningRule:
    where = f"rule {raw.get('id', '?')}"
    try:
        kind, direction = raw["kind"], raw["direction"]
        threshold, levels, severity = float(raw["threshold"]), tuple(raw["levels"]), raw["severity"]
        label, advice = Label(raw["zh"], raw["en"]), Label(raw["advice_zh"], raw["advice_en"])
    except KeyError as missing:
        raise RulesError(f"{where}: missing key {missing}") from None
    confidence = float(raw.get("confidence", 0.95))
    checks = [
        (kind in KINDS, f"kind must be one of {KINDS}"),
        (direction in ("above", "below"), "direction must be above or below"),
        (bool(levels) and set(levels) <= set(LEVELS), f"levels must be among {LEVELS}"),
        (severity in SEVERITIES, f"severity must be one of {tuple(SEVERITIES)}"),
        (0 < confidence < 1, "confidence must lie strictly between 0 and 1"),
    ]
    for ok, message in checks:
        if not ok:
            raise RulesError(f"{where}: {message}")
    numerator = denominator = {}
    if kind == "ratio":
        numerator = _combination(catalogue, raw.get("numerator", []), where)
        denominator = _combination(catalogue, raw.get("denominator", []), where)
        if not numerator or not denominator:
            raise RulesError(f"{where}: a ratio needs a numerator and a denominator")
    elif kind == "total":
        numerator = _combination(catalogue, raw.get("cells", []), where)
        if not numerator:
            raise RulesError(f"{where}: a total needs cells")
    bounds = implied(catalogue, numerator, denominator) if kind != "missing" \
        else Range(0.0, float("inf"))
    return WarningRule(raw["id"], label, kind, numerator, denominator, direction, threshold,
                       levels, severity, confidence, advice, bounds)


def load_rules(path: Path | None = None) -> RuleSet:
    """The rules of a file (default: the shipped aggregator/warnings/warnings.toml), fully checked."""
    path = path or DEFAULT_RULES
    raw = read_toml(path, RulesError, "warning-rules file")
    catalogue = load(raw.get("catalogue", "v1"))
    rules = tuple(_rule(r, catalogue) for r in raw.get("rules", []))
    ids = [r.id for r in rules]
    if len(set(ids)) != len(ids):
        raise RulesError(f"{path}: rule ids must be unique")
    return RuleSet(str(raw.get("version", "")), catalogue.version, rules)


def judge(rule: WarningRule, figures: Figures) -> Finding | None:
    """The rule's verdict on a region, or None if the rule does not apply to it."""
    if figures.level not in rule.levels:
        return None
    if rule.kind == "missing":
        count = float(figures.missing)
        interval = Interval(count, count, count)
    elif figures.members == 0:
        return None
    elif rule.kind == "total":
        interval = total(rule.numerator, figures.values, figures.variances, rule.confidence)
    else:
        interval = ratio(rule.numerator, rule.denominator, figures.values, figures.variances,
                         rule.confidence)
    beyond = interval.above if rule.direction == "above" else interval.below
    fires = not math.isnan(interval.value) and beyond(rule.threshold)
    if rule.kind == "ratio" and fires:
        fires = _beyond_at_threshold(rule, figures)
    return Finding(rule, figures.region, interval, fires)


def _beyond_at_threshold(rule: WarningRule, figures: Figures) -> bool:
    """The one-sided test at the threshold T: N − T·D beyond zero by z standard errors.

    When the true ratio is T, N − T·D has mean 0 and a variance known from the declared noise
    (shared cells included), so this bounds false warnings at (1 − confidence)/2 whatever the
    denominator's size — where Fieller's set alone may not, when the denominator is barely
    above its noise (e.g. a county's few disabled children).
    """
    cells = set(rule.numerator) | set(rule.denominator)
    at_threshold = {c: rule.numerator.get(c, 0.0) - rule.threshold * rule.denominator.get(c, 0.0)
                    for c in cells}
    value, variance = combine(at_threshold, figures.values, figures.variances)
    margin = z_value(rule.confidence) * math.sqrt(variance)
    return value > margin if rule.direction == "above" else value < -margin


def evaluate(rules: RuleSet, figures: Figures) -> list[Finding]:
    return [f for rule in rules.rules if (f := judge(rule, figures)) is not None]
