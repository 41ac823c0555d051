"""Indicators that can be asked of an aggregator: a total of catalogue cells, or a ratio of two.

An indicator is written as people read it: terms joined by ``+`` and ``-``, and for a ratio a
``/`` between numerator and denominator, e.g. ``acad.dropped_out / acad.reg_expected`` or
``key.current - psy.talk_monthly / key.current``. A term is a cell id, a glob pattern of cell
ids, or a family id (all its cells). A warning rule's id (W01 …) names its indicator. A stage
keeps only the cells of that stage (学段), which only families expanded over stages have.
The estimate and its interval come from the declared noise alone (aggregator/figures/estimates.py).
A ratio is a share (shown 0–100%) only if the catalogue's rules nest its numerator in its
denominator (aggregator/figures/nesting.py); otherwise it is a ratio in its units' quotient
(e.g. 元/人 yuan per student), which may pass 1.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from aggregator.figures.estimates import Interval, ratio, total
from aggregator.figures.nesting import Range, implied
from aggregator.warnings.rules import Figures, RuleSet, WarningRule
from common.errors import GuanaiError
from protos.catalogue import Catalogue, CatalogueError, Cell, Label

RATIO_UNIT = Label("比例", "share")


class IndicatorError(GuanaiError):
    """An indicator that names no cell, or cannot be split as asked."""


@dataclass(frozen=True)
class Indicator:
    label: Label
    unit: Label
    numerator: dict[str, float]
    denominator: dict[str, float]  # empty: a total
    bounds: Range = Range(0.0, float("inf"))  # what the catalogue guarantees (nesting.py)

    @property
    def kind(self) -> str:
        """total, share (a ratio the catalogue nests: 0–100%) or ratio (may pass 1)."""
        return self.bounds.kind if self.denominator else "total"

    def estimate(self, figures: Figures, confidence: float = 0.95) -> Interval:
        if self.denominator:
            return ratio(self.numerator, self.denominator, figures.values, figures.variances,
                         confidence)
        return total(self.numerator, figures.values, figures.variances, confidence)


def _cells(catalogue: Catalogue, term: str) -> list[str]:
    try:
        return catalogue.expand(term)
    except CatalogueError:
        family = [c.id for c in catalogue.cells if c.family == term]
        if family:
            return family
        raise IndicatorError(f"指标错误 {term!r} is no cell, pattern or family of catalogue "
                             f"{catalogue.version} (e.g. acad.dropped_out, pop.in_difficulty.*)"
                             ) from None


def _common(parts: list[list[str]]) -> list[str]:
    common = parts[0]
    for other in parts[1:]:
        n = 0
        while n < min(len(common), len(other)) and common[n] == other[n]:
            n += 1
        common = common[:n]
    return common


def _term_label(catalogue: Catalogue, term: str, cells: list[str]) -> Label:
    """The label of a term: its cell's, or what all its cells' labels begin with."""
    labels = [catalogue.cell(c).label for c in cells]
    zh = _common([lbl.zh.split("—") for lbl in labels])
    en = _common([lbl.en.split(" — ") for lbl in labels])
    if not zh or not en:
        return Label(term, term)
    return Label("—".join(zh), " — ".join(en))


def _side(catalogue: Catalogue, terms: Iterable[str]) -> tuple[dict[str, float], list[Label]]:
    combination: dict[str, float] = {}
    labels = []
    for raw in terms:
        term = raw.strip()
        sign = -1.0 if term.startswith("-") else 1.0
        term = term.lstrip("+-").strip()
        if not term:
            continue
        cells = _cells(catalogue, term)
        label = _term_label(catalogue, term, cells)
        labels.append(Label(("−" if sign < 0 else "") + label.zh,
                            ("−" if sign < 0 else "") + label.en))
        for cell in cells:
            combination[cell] = combination.get(cell, 0.0) + sign
    return {c: k for c, k in combination.items() if k}, labels


def _unit(catalogue: Catalogue, cells: Iterable[str]) -> Label:
    units = {catalogue.cell(c).unit for c in cells}
    if len(units) != 1:
        raise IndicatorError(f"单位不一 the cells mix units {sorted(units)}; ask for one unit")
    return catalogue.units[units.pop()]


def _ratio(catalogue: Catalogue, label: Label, numerator: dict[str, float],
           denominator: dict[str, float]) -> Indicator:
    """A ratio indicator: a share when the catalogue nests it, else in units per unit."""
    bounds = implied(catalogue, numerator, denominator)
    unit = RATIO_UNIT
    if not bounds.share:
        top, bottom = _unit(catalogue, numerator), _unit(catalogue, denominator)
        unit = Label(f"{top.zh}/{bottom.zh}", f"{top.en} per {bottom.en}")
    return Indicator(label, unit, numerator, denominator, bounds)


def build(catalogue: Catalogue, numerator: list[str], denominator: list[str] = ()
          ) -> Indicator:
    """The indicator of these terms (strings like ``acad.absent.*`` or ``-acad.returned``)."""
    top, top_labels = _side(catalogue, numerator)
    if not top:
        raise IndicatorError("指标为空 the indicator has no cell")
    bottom, bottom_labels = _side(catalogue, denominator)
    if denominator and not bottom:
        raise IndicatorError("分母为空 the ratio's denominator has no cell")
    zh = " ".join(lbl.zh if i == 0 or lbl.zh.startswith("−") else "+ " + lbl.zh
                  for i, lbl in enumerate(top_labels)).replace("−", "− ")
    en = " ".join(lbl.en if i == 0 or lbl.en.startswith("−") else "+ " + lbl.en
                  for i, lbl in enumerate(top_labels)).replace("−", "− ")
    if bottom:
        zh += " ÷ " + " ".join(lbl.zh for lbl in bottom_labels)
        en += " ÷ " + " ".join(lbl.en for lbl in bottom_labels)
        return _ratio(catalogue, Label(zh, en), top, bottom)
    return Indicator(Label(zh, en), _unit(catalogue, top), top, {}, implied(catalogue, top))


_TERM_SPLIT = re.compile(r"\s*(?=[+-]\s*[A-Za-z])")


def _terms(text: str) -> list[str]:
    return [t.replace(" ", "") for t in _TERM_SPLIT.split(text.strip()) if t.strip("+ ")]


def split(text: str) -> tuple[list[str], list[str]]:
    """The numerator's and denominator's terms of an indicator written as text."""
    if text.count("/") > 1:
        raise IndicatorError("指标错误 an indicator has at most one '/' (a ratio)")
    numerator, _, denominator = text.partition("/")
    return _terms(numerator), _terms(denominator)


def from_terms(catalogue: Catalogue, numerator: list[str], denominator: list[str],
               rules: RuleSet | None = None) -> Indicator:
    """The indicator of these terms; a single term may be the id of a warning rule."""
    if rules is not None and not denominator and len(numerator) == 1:
        for rule in rules.rules:
            if rule.id == numerator[0].strip():
                if rule.kind == "missing":
                    raise IndicatorError(f"{rule.id} counts missing members: see "
                                         "`guanai aggregator status` (完整性)")
                if rule.kind == "ratio":
                    return _ratio(catalogue, rule.label, dict(rule.numerator),
                                  dict(rule.denominator))
                return Indicator(rule.label, _unit(catalogue, rule.numerator),
                                 dict(rule.numerator), {}, implied(catalogue, rule.numerator))
    return build(catalogue, numerator, denominator)


def parse(text: str, catalogue: Catalogue, rules: RuleSet | None = None) -> Indicator:
    """The indicator written in ``text``: an expression, or the id of a warning rule."""
    return from_terms(catalogue, *split(text), rules)


def for_stage(indicator: Indicator, catalogue: Catalogue, stage: str) -> Indicator:
    """The same indicator restricted to the cells of one stage (学段)."""
    catalogue.stages.value(stage)  # unknown stage → CatalogueError

    def keep(side: dict[str, float]) -> dict[str, float]:
        unsplit = [c for c in side if "stage" not in catalogue.cell(c).keys]
        if unsplit:
            raise IndicatorError(
                f"不能按学段 {unsplit[0]} is not counted by stage in catalogue "
                f"{catalogue.version}; ask without --stage")
        return {c: k for c, k in side.items() if catalogue.cell(c).keys["stage"] == stage}

    label = catalogue.stages.value(stage).label
    numerator, denominator = keep(indicator.numerator), keep(indicator.denominator)
    return Indicator(Label(f"{indicator.label.zh}（{label.zh}）", f"{indicator.label.en} "
                           f"({label.en})"), indicator.unit, numerator, denominator,
                     implied(catalogue, numerator, denominator))


def find(catalogue: Catalogue, words: Iterable[str]) -> list[Cell]:
    """The cells whose id, Chinese or English label, section or unit contains every word
    (case-insensitive; Chinese words match inside labels, e.g. 辍学 or 残疾 小学)."""
    wanted = [w.casefold() for w in words if w.strip()]

    def text(cell: Cell) -> str:
        section = catalogue.sections[cell.section]
        unit = catalogue.units[cell.unit]
        return " ".join([cell.id, cell.label.zh, cell.label.en, section.zh, section.en,
                         unit.zh, unit.en]).casefold()

    return [c for c in catalogue.cells if all(w in text(c) for w in wanted)]


def find_rules(rules: RuleSet, words: Iterable[str]) -> list[WarningRule]:
    """The warning rules whose id, Chinese or English label contains every word (as ``find``
    for cells; ``guanai query --list`` and the bureau's indicator search list both)."""
    wanted = [w.casefold() for w in words if w.strip()]
    return [r for r in rules.rules
            if all(w in f"{r.id} {r.label.zh} {r.label.en}".casefold() for w in wanted)]
