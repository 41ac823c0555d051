"""``guanai demo``: a whole reporting round on localhost."""

import click


@click.command()
def demo() -> None:
    """演示 Run a reporting round on localhost."""
