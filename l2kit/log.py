"""structlog setup, nothing else."""

from __future__ import annotations

import logging
import sys

import structlog

from l2kit.redact import scrub


class _Stderr:
    """Looks up ``sys.stderr`` on every write, so a replaced stream (tests, daemons) is honoured."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


def _scrub_event(
    _logger: object, _method: str, event: structlog.typing.EventDict
) -> structlog.typing.EventDict:
    """Every string that reaches a log line goes through ``l2kit.redact.scrub``."""
    return {key: scrub(value) if isinstance(value, str) else value for key, value in event.items()}


def configure(*, json: bool = False, level: str = "info") -> None:
    """Readable console lines on stderr by default; one JSON object per line with ``json``.

    Tracebacks are rendered as plain text *before* scrubbing and never show local variables
    (a local may hold a password, a key or a response body).
    """
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer()
        if json
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            _scrub_event,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(file=_Stderr()),  # type: ignore[arg-type]
        cache_logger_on_first_use=False,
    )


def get(name: str) -> structlog.typing.FilteringBoundLogger:
    logger: structlog.typing.FilteringBoundLogger = structlog.get_logger(name)
    return logger
