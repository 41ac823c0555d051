"""guanai node commands (in progress)."""

import click

CARE_COMMANDS: list[click.Command] = []
