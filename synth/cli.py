"""``guanai synth …``: synthetic schools and provinces for demos, tests and benchmarks."""

import click


@click.group()
def synth() -> None:
    """合成数据 Synthetic data (never real students)."""
