"""Reading the TOML files people edit (configuration, rules), with errors they can act on."""

from __future__ import annotations

import tomllib
from pathlib import Path

from common.errors import GuanaiError


def read_toml(path: Path, error: type[GuanaiError], what: str) -> dict:
    """The parsed file; a missing or malformed file raises ``error`` naming the file."""
    try:
        return tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise error(f"no {what} at {path}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise error(f"{path} is not valid TOML (UTF-8): {exc}") from None
