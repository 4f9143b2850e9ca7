"""JSON-lines logging for the daemon: one object per line with time, level, message and fields."""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import Any


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        entry.update(getattr(record, "fields", {}) or {})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        fields = getattr(record, "fields", {}) or {}
        extra = " ".join(f"{key}={value}" for key, value in fields.items())
        text = f"{time.strftime('%H:%M:%S', time.localtime(record.created))} {record.levelname.lower():<7} {record.getMessage()}"
        if record.exc_info:
            extra += "\n" + self.formatException(record.exc_info)
        return f"{text} {extra}".rstrip()


def configure(json_lines: bool, level: int = logging.INFO) -> None:
    """Send the daemon's logs to stderr, as JSON lines or as text."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if json_lines else TextFormatter())
    logger = logging.getLogger("swarm_stake")
    logger.handlers[:] = [handler]
    logger.setLevel(level)
    logger.propagate = False
