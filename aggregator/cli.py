"""``guanai aggregator …``: county, city and provincial aggregators."""

import click


@click.group()
def aggregator() -> None:
    """汇总节点 Aggregator (county 县区, city 市, province 省)."""
