"""Logging: structlog on top of the standard library, text for people or JSON for machines.

Every line carries what is bound in the context: the request id while the API answers
a request (:mod:`untxt.api.hygiene`), the job id and its submit's request id while a
worker runs one of the job's tasks (:func:`untxt.tracing.job_scope`), and with
tracing on the current trace and span ids. In JSON mode the standard library's lines
(uvicorn's access log, say) are JSON objects with the same context too.
"""

from __future__ import annotations

import logging
import sys

import structlog


class _StderrLogger:
    """Writes each line to ``sys.stderr`` as it is at that moment.

    Not the stream of the moment logging was configured: whoever swapped it since (a
    test runner capturing a command's output, say) may have closed that one.
    """

    def msg(self, message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    debug = info = warning = warn = error = critical = exception = fatal = log = msg


def _stderr_logger(*_: object) -> _StderrLogger:
    return _StderrLogger()


# Used as a library (an embedding program, a test) without configure_logging, untxt's
# lines still go to stderr: structlog's own default prints to stdout, where they would
# mix with what a command prints (its JSON, say).
if not structlog.is_configured():
    structlog.configure(logger_factory=_stderr_logger)


def configure_logging(level: str = "info", *, json: bool = False) -> None:
    """Route structlog and stdlib logging to stderr at ``level``."""
    from untxt.tracing import add_trace_ids

    processors: list[structlog.typing.Processor] = [
        structlog.contextvars.merge_contextvars,
        add_trace_ids,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[*processors, structlog.processors.format_exc_info, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=_stderr_logger,
        cache_logger_on_first_use=True,
    )
    if json:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(
            structlog.stdlib.ProcessorFormatter(
                foreign_pre_chain=[*processors, structlog.stdlib.add_logger_name],
                processors=[
                    structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                    structlog.processors.format_exc_info,
                    structlog.processors.JSONRenderer(),
                ],
            )
        )
        logging.basicConfig(level=level.upper(), handlers=[handler])
        return
    logging.basicConfig(
        level=level.upper(), stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s"
    )


def get_logger(name: str) -> structlog.typing.FilteringBoundLogger:
    """A logger bound to ``name``."""
    return structlog.get_logger(name)  # type: ignore[no-any-return]
