"""``guanai aggregator warnings answers``: every rule's answer for every region below.

Beside the warnings themselves (``guanai aggregator warnings``), officials need to see where
the figures say nothing is wrong and where they cannot tell (aggregator/warnings/verdicts.py).
"""

from __future__ import annotations

from pathlib import Path

import click
import pandas as pd

from aggregator.figures.holdings import Holdings
from aggregator.keys import own_identity
from aggregator.store.sqlite import Store
from aggregator.warnings.rules import load_rules
from aggregator.warnings.verdicts import period_answers, shown
from common.tables import to_text
from protos.periods import Period
from protos.regions import name


@click.command("answers")
@click.option("--period", required=True, help="期间 2025-H1 or 2025-H2.")
@click.option("--rules", "rules_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="另一份预警规则 another warning-rules file (default: the shipped one).")
@click.pass_obj
def answers(db: Path, period: str, rules_file: Path | None) -> None:
    """研判结论 Every rule and region: 警示 warning / 未见异常 no sign / 数据不足以判断 cannot tell."""
    asked = Period.parse(period)
    store = Store(db)
    try:
        settings = own_identity.load(store)
        holdings = Holdings(store, settings, asked)
        other = None
        if asked.half is not None:
            other = Holdings(store, settings, Period(asked.year, 3 - asked.half))
        found = period_answers(load_rules(rules_file).rules, holdings, other)
    finally:
        store.close()
    rows = [[v.rule.id, f"{name(v.region) if len(v.region) == 6 else ''} {v.region}".strip(),
             v.label.zh, f"{shown(v.rule, v.interval.value)} "
             f"[{shown(v.rule, v.interval.low)}, {shown(v.rule, v.interval.high)}]",
             ("> " if v.rule.direction == "above" else "< ") + shown(v.rule, v.rule.threshold),
             v.basis.zh,
             v.settle.zh or "—"] for v in found]
    data = pd.DataFrame(rows, columns=["规则 Rule", "地区 Region", "结论 Answer",
                                       "数值与区间 Value [interval]", "阈值 Threshold",
                                       "判断依据 Judged on", "如何判断 What would settle it"])
    click.echo(f"研判结论 Answers for {asked.label_zh} {asked.label_en}: "
               + ", ".join(f"{k} {sum(v.label.zh == k for v in found)}"
                           for k in ("警示", "未见异常", "数据不足以判断")))
    click.echo(to_text(data) if rows else "无可研判的地区 no region to judge")
