"""``guanai plan``: what a privacy budget buys, before anything is released."""

import click


@click.command()
def plan() -> None:
    """隐私预算规划 Plan the privacy budget."""
