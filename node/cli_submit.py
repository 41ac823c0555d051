"""guanai node commands (in progress)."""

import click

SUBMIT_COMMANDS: list[click.Command] = []
