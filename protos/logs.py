"""How every guanai process writes its log: plain text, or one JSON object per line.

The JSON lines are for a county's log collector; their fields are part of what operators rely
on (docs/operations.md): ``time`` (UTC, ISO 8601), ``level``, ``logger``, ``message``, and
``exception`` when there is one. Log messages name schools, regions, periods and status
codes — never a student: nothing identifiable reaches a log line (DESIGN §4.1).
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

FORMATS = ("text", "json")
LEVELS = ("debug", "info", "warning", "error")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def configure(fmt: str = "text", level: str = "info") -> None:
    """Send the root logger's records to stderr in ``fmt`` from ``level`` up."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "guanai", False)]:
        root.removeHandler(old)
    handler.guanai = True
    root.addHandler(handler)
    root.setLevel(level.upper())
