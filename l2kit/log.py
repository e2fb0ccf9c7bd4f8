"""structlog setup, nothing else.

structlog (with its dev console, which pulls in rich) costs more than the whole start-up budget
of an offline command, so it is imported when a logger is first used: ``configure`` before that
only records the settings, and ``get`` hands out a proxy that resolves on first use.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import structlog


class _Stderr:
    """Looks up ``sys.stderr`` on every write, so a replaced stream (tests, daemons) is honoured."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


_pending: dict[str, Any] | None = None  # settings of a configure() not applied yet
_debug = True  # structlog's default configuration prints every level


def debug_enabled() -> bool:
    """Whether debug lines are printed: hot paths skip building them otherwise."""
    return _debug


def _scrub_event(
    _logger: object, _method: str, event: structlog.typing.EventDict
) -> structlog.typing.EventDict:
    """Every string that reaches a log line goes through ``l2kit.redact.scrub``."""
    from l2kit.redact import scrub  # loaded with the first log line, not at start-up

    return {key: scrub(value) if isinstance(value, str) else value for key, value in event.items()}


def configure(*, json: bool = False, level: str = "info") -> None:
    """Readable console lines on stderr by default; one JSON object per line with ``json``.

    Applied now if structlog is already imported (someone logs or inspects its config),
    otherwise when the first logger is used. Tracebacks are rendered as plain text *before*
    scrubbing and never show local variables (a local may hold a password, a key or a body).
    """
    global _pending, _debug
    _pending = {"json": json, "level": level}
    _debug = level.lower() == "debug"
    if "structlog" in sys.modules:
        _apply()


def _apply() -> None:
    global _pending
    if _pending is None:
        return
    json, level = _pending["json"], _pending["level"]
    _pending = None
    import logging

    import structlog

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


class _LazyLogger:
    """Stands for ``structlog.get_logger(name)``; imports structlog on the first call."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._logger: Any = None

    def __getattr__(self, attr: str) -> Any:
        if self._logger is None:
            import structlog

            _apply()
            self._logger = structlog.get_logger(self._name)
        return getattr(self._logger, attr)


def get(name: str) -> structlog.typing.FilteringBoundLogger:
    logger: structlog.typing.FilteringBoundLogger = _LazyLogger(name)  # duck-typed until used
    return logger
