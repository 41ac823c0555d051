"""``guanai query``: ask an aggregator for figures; read them as a table, a file or a chart."""

from __future__ import annotations

from pathlib import Path

import click

from aggregator.figures.holdings import RANKS
from aggregator.grpc.query_client import ask, periods_between, request
from aggregator.warnings.rules import load_rules
from common.tables import FORMATS
from member.client import ClientTls
from privacy.credential import from_text
from privacy.identity import Identity
from protos.catalogue import load


def _rule_threshold(indicator: str) -> float | None:
    """The threshold of a warning rule named by its id (W01 …), for the chart's line."""
    rule = next((r for r in load_rules().rules if r.id == indicator.strip()), None)
    return rule.threshold if rule is not None and rule.kind != "missing" else None


@click.command()
@click.argument("indicator")
@click.option("--aggregator", "export", required=True,
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The aggregator's export (`guanai aggregator export-keys`): address, TLS CA.")
@click.option("--credential", "credential_file", required=True, envvar="GUANAI_CREDENTIAL",
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Your credential file (`guanai aggregator credential`, or `guanai node "
                   "credential` for a school); also $GUANAI_CREDENTIAL.")
@click.option("--period", "period_text", required=True,
              help="2025-H1, or a range for a trend: 2024-H1..2025-H2 (or 2023..2025).")
@click.option("--region", "regions", multiple=True,
              help="Region code or school id (repeatable); default: your credential's region.")
@click.option("--below", type=click.Choice([lv for lv in RANKS if lv != "province"]),
              help="Every region of this level under the (first) region, e.g. county.")
@click.option("--stage", type=click.Choice([s.id for s in load().stages.values]),
              help="Only this stage's cells (学段).")
@click.option("--confidence", type=click.FloatRange(0.5, 0.999), default=0.95, show_default=True)
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to this file (needed for xlsx).")
@click.option("--chart", type=click.Path(dir_okay=False, path_type=Path),
              help="Also draw a chart (PNG): bars by region, or lines over periods.")
@click.option("--threshold", type=float,
              help="Threshold line on the chart (a ratio as a fraction: 0.1 = 10%); default: "
                   "the rule's, when INDICATOR is a rule id.")
@click.option("--client-cert", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Client certificate (PEM), for an aggregator that requires mutual TLS.")
@click.option("--client-key", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--timeout", type=click.FloatRange(min=0.1), default=60.0, show_default=True)
def query(indicator: str, export: Path, credential_file: Path, period_text: str,
          regions: tuple[str, ...], below: str | None, stage: str | None, confidence: float,
          fmt: str, out: Path | None, chart: Path | None, threshold: float | None,
          client_cert: Path | None, client_key: Path | None, timeout: float) -> None:
    """统计查询 Figures with confidence intervals, from an aggregator.

    INDICATOR is a warning rule's id (W01 … W07), or cells of the catalogue joined by + and -,
    with / for a ratio, e.g. "acad.dropped_out / acad.reg_expected" or "pop.in_difficulty".
    """
    from guanai.charts import draw
    from guanai.query_export import export as write_result

    target = Identity.from_json(export.read_text(encoding="utf-8"))
    token = from_text(credential_file.read_text(encoding="ascii"))
    tls = ClientTls.from_files(client_cert, client_key)
    asked = request(indicator, periods_between(period_text), regions, below or "", stage or "",
                    confidence)
    response = ask(target, token, asked, client_tls=tls, timeout=timeout)
    text = write_result(response, fmt, out)
    if text is not None:
        click.echo(text)
    elif out is not None:
        click.echo(f"已写入 written: {out}")
    if chart is not None:
        draw(response, chart, threshold if threshold is not None else _rule_threshold(indicator))
        click.echo(f"图表已写入 chart written: {chart}")
