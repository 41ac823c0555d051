"""``guanai query``: ask an aggregator for figures; read them as a table, a file or a chart."""

from __future__ import annotations

from pathlib import Path

import click

from aggregator.figures import indicators
from aggregator.grpc.query_client import ask, ask_table, periods_between, request
from aggregator.warnings.rules import Figures, load_rules
from common import tables
from common.tables import FORMATS
from member.client import ClientTls
from member.options import client_tls_options
from privacy.credential import from_text
from privacy.identity import Identity
from protos.catalogue import load
from protos.periods import Period
from protos.regions import name


def _rule_threshold(indicator: str) -> float | None:
    """The threshold of a warning rule named by its id (W01 …), for the chart's line."""
    from aggregator.warnings.rules import load_rules

    rule = next((r for r in load_rules().rules if r.id == indicator.strip()), None)
    return rule.threshold if rule is not None and rule.kind != "missing" else None


def _listing(words: tuple[str, ...]) -> str:
    """The catalogue's cells (and warning rules) matching every word, as a table."""
    catalogue = load()
    cells = indicators.find(catalogue, words)
    rules = indicators.find_rules(load_rules(), words)
    if not cells and not rules:
        raise click.ClickException(f"没有匹配的指标 no indicator matches {' '.join(words)!r}; "
                                   "try fewer words (试试更少的词)")
    labels = {k: [v[c.index] for c in cells] for k, v in catalogue.labels().items()}
    data = tables.frame({"section": labels["section"], "zh": labels["zh"], "en": labels["en"],
                         "unit": labels["unit"]}, {"编号（查询时用） Id to ask": labels["cell"]})
    text = tables.to_text(data) if cells else ""
    if rules:
        text += "\n【预警规则 warning rules】\n" + "\n".join(
            f"{r.id}  {r.label.zh}  {r.label.en}" for r in rules)
    return text + f"\n共 {len(cells)} 个指标 cells, {len(rules)} 条规则 rules"


def _whole_table(target: Identity, token: bytes, tls: ClientTls | None, regions: tuple[str, ...],
                 period_text: str, stage: str | None, confidence: float, fmt: str,
                 out: Path | None, timeout: float) -> None:
    """Ask for one region's whole table and show or write it (aggregator/figures/statistics.py)."""
    from aggregator.figures.official import Official  # pandas and the solver load only here
    from aggregator.figures.statistics import RegionTable, table_sheets

    period = Period.parse(period_text)
    answer = ask_table(target, token, regions[0] if regions else "", period, client_tls=tls,
                       timeout=timeout)
    catalogue = load(answer.catalogue_version)
    rows = {r.cell: r for r in answer.rows}
    figures = Figures(answer.region, answer.level, {c: rows[c].estimate for c in rows},
                      {c: rows[c].variance for c in rows}, answer.members, answer.missing,
                      answer.schools)
    official = Official(answer.region, {c: int(rows[c].official) for c in rows},
                        {c: float(rows[c].official) for c in rows})
    found = RegionTable(answer.region, figures, official, catalogue)
    unit = name(answer.region) if len(answer.region) == 6 else answer.region
    sheets = table_sheets(found, fmt, period.label_zh, period.label_en, stage, confidence,
                          tables.SignOff(unit=unit))
    text = tables.write(sheets, fmt, out)
    click.echo(text if text is not None else f"已写入 written: {out}")


@click.command()
@click.argument("words", nargs=-1)
@click.option("--list", "listing", is_flag=True,
              help="列出指标 list the catalogue's cells and warning rules matching WORDS "
                   "(Chinese or English, e.g. 辍学, 残疾 小学); no aggregator needed.")
@click.option("--table", "whole_table", is_flag=True,
              help="整张统计表 the whole statistics table (附件1) of --region (default: your "
                   "credential's) for --period: official form (table, xlsx, pdf) or analysis "
                   "form (csv, json); --stage keeps one stage's cells.")
@click.option("--aggregator", "export",
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="汇总节点身份文件 The aggregator's export (`guanai aggregator export-keys`): address, TLS CA.")
@click.option("--credential", "credential_file", envvar="GUANAI_CREDENTIAL",
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="凭据文件 Your credential file (`guanai aggregator credential`, or `guanai node "
                   "credential` for a school); also $GUANAI_CREDENTIAL.")
@click.option("--period", "period_text",
              help="报送期 2025-H1, or a range for a trend: 2024-H1..2025-H2 (or 2023..2025).")
@click.option("--region", "regions", multiple=True,
              help="地区 Region code or school id (repeatable); default: your credential's region.")
@click.option("--below", type=click.Choice(["city", "county", "school"]),
              help="下级 Every region of this level under the (first) region, e.g. county.")
@click.option("--stage", type=click.Choice([s.id for s in load().stages.values]),
              help="学段 Only this stage's cells.")
@click.option("--confidence", help="置信水平 Confidence level of the intervals.", type=click.FloatRange(0.5, 0.999), default=0.95, show_default=True)
@click.option("--format", "fmt", help="输出格式 Output format.", type=click.Choice(FORMATS), default="table", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="输出 Write to this file (needed for xlsx).")
@click.option("--chart", type=click.Path(dir_okay=False, path_type=Path),
              help="图表 Also draw a chart (PNG): bars by region, or lines over periods.")
@click.option("--threshold", type=float,
              help="阈值线 Threshold line on the chart (a ratio as a fraction: 0.1 = 10%); default: "
                   "the rule's, when INDICATOR is a rule id.")
@client_tls_options
@click.option("--timeout", help="超时秒数 Seconds to wait for each attempt.",
              type=click.FloatRange(min=0.1), default=60.0, show_default=True)
def query(words: tuple[str, ...], listing: bool, whole_table: bool, export: Path | None,
          credential_file: Path | None, period_text: str | None, regions: tuple[str, ...], below: str | None, stage: str | None, confidence: float,
          fmt: str, out: Path | None, chart: Path | None, threshold: float | None,
          client_tls: ClientTls | None, timeout: float) -> None:
    """统计查询 Figures with confidence intervals, from an aggregator.

    WORDS is the indicator: a warning rule's id (W01 … W07), or cells of the catalogue joined
    by + and -, with / for a ratio, e.g. "acad.dropped_out / acad.reg_expected" or
    "pop.in_difficulty". With --list, WORDS are what to look for among the indicators.
    """
    if listing:
        click.echo(_listing(words))
        return
    indicator = " ".join(words) or ("table" if whole_table else "")
    for value, option in ((indicator, "INDICATOR"), (export, "--aggregator"),
                          (credential_file, "--credential"), (period_text, "--period")):
        if not value:
            raise click.UsageError(f"缺少 missing {option} (or use --list to find indicators)")
    from guanai.charts import draw
    from guanai.query_export import export as write_result

    target = Identity.from_json(export.read_text(encoding="utf-8"))
    token = from_text(credential_file.read_text(encoding="ascii"))
    if whole_table:
        _whole_table(target, token, client_tls, regions, period_text, stage, confidence, fmt, out,
                     timeout)
        return
    asked = request(indicator, periods_between(period_text), regions, below or "", stage or "",
                    confidence)
    response = ask(target, token, asked, client_tls=client_tls, timeout=timeout)
    text = write_result(response, fmt, out)
    if text is not None:
        click.echo(text)
    elif out is not None:
        click.echo(f"已写入 written: {out}")
    if chart is not None:
        draw(response, chart, threshold if threshold is not None else _rule_threshold(indicator))
        click.echo(f"图表已写入 chart written: {chart}")
