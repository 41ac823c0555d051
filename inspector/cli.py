"""``guanai inspect …``: offline verification for inspectors (督查)."""

import click


@click.group()
def inspect() -> None:
    """督查核验 Inspector: verify exported bundles offline."""
