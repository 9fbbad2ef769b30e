"""Structured logging: JSON lines (or readable console lines) through structlog, stdlib logging included."""

from __future__ import annotations

import logging
import sys
from typing import Literal

import structlog

from consumer.ops.redact import mask_log_event

# These libraries log full URLs at INFO, and report-document URLs are presigned: anyone holding one can
# download the report until it expires. Keep them at WARNING.
_QUIET = (
    "httpx",
    "httpcore",
    "aiohttp",
    "botocore",
    "aiobotocore",
    "boto3",
    "urllib3",
    "asyncio",
    "uvicorn.access",
    "alembic",
)


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is at the time of the record.

    A handler holding the stream it was made with keeps writing to it after it is swapped and closed (a
    command run inside a test runner, a daemon's stderr redirected): the next record would fail.
    """

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> object:
        return sys.stderr

    @stream.setter
    def stream(self, _value: object) -> None:
        pass


def configure_logging(
    level: Literal["debug", "info", "warning", "error"] = "info",
    fmt: Literal["json", "console"] = "json",
) -> None:
    """Send structlog and stdlib logging to stderr as JSON or console lines; safe to call again."""
    numeric = logging.getLevelNamesMapping()[level.upper()]
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.StackInfoRenderer(),
        structlog.processors.format_exc_info,
        mask_log_event,  # last: exception text too
    ]
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer()
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        # Not cached: configure_logging may run again in one process (a CLI command run in-process), and a
        # cached logger would keep the earlier level and renderer.
        cache_logger_on_first_use=False,
    )
    handler = _StderrHandler()
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(numeric)
    for name in _QUIET:
        logging.getLogger(name).setLevel(max(numeric, logging.WARNING))
