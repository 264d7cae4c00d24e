"""Log lines that link to their trace: one line per record, field names from the correlation contract
(a LogFields, or druppie-grafana's Contract, which has the same attributes).

Inside a valid span a line carries the contract's trace-id and span-id fields (32 and 16 lowercase
hex, plus the contract's prefix if it has one); outside a span those fields are left out, never
written as "0" or all zeros, which would be dead links. Exceptions stay on the same line.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import datetime, timezone
from typing import Any, Mapping, Protocol, TextIO

from opentelemetry import trace

from .fields import DEFAULT_LOG_FIELDS


class LineFields(Protocol):
    """What the formatter reads from a contract: LogFields, or druppie_grafana.contract.Contract."""

    log_format: str
    trace_id_field: str
    span_id_field: str
    trace_id_prefix: str
    level_field: str
    message_field: str
    logger_field: str


TIME_FIELD = "time"
EXCEPTION_FIELD = "exception"
STACK_FIELD = "stack"

# Attributes every LogRecord has; anything else on a record came from `extra=` and is written out.
_RECORD_ATTRIBUTES = frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {
    "message", "asctime", "taskName"}
# Set by TraceContextFilter when the record is created, so a handler that formats later or in
# another thread (QueueHandler) still writes the span that was current when the line was logged.
_CONTEXT_ATTRIBUTE = "_druppie_span_context"


def _current_ids() -> tuple[str, str] | None:
    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return None
    return format(context.trace_id, "032x"), format(context.span_id, "016x")


class TraceContextFilter(logging.Filter):
    """Remember the current span's ids on each record as it is logged."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, _CONTEXT_ATTRIBUTE):
            setattr(record, _CONTEXT_ATTRIBUTE, _current_ids())
        return True


def _logfmt_value(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str, ensure_ascii=False)
    if text and not any(c in text for c in ' ="\\\n\r\t'):
        return text
    return json.dumps(text, ensure_ascii=False)  # quoted, with \" \\ \n escapes: still one line


def _logfmt_key(key: str) -> str:
    return "".join(c if c.isalnum() or c in "._-" else "_" for c in key) or "_"


class TraceLogFormatter(logging.Formatter):
    """Formats a record as one line in the contract's log_format (json or logfmt).

    Fields: time, level, msg, logger, trace id, span id (contract names), then `static_fields`,
    then the record's extra attributes. An extra that would overwrite one of the fixed fields is
    written as extra_<name> instead, so a caller cannot break the trace link by accident.
    """

    def __init__(self, contract: LineFields = DEFAULT_LOG_FIELDS, static_fields: Mapping[str, Any] | None = None):
        super().__init__()
        self.contract = contract
        self.static_fields = dict(static_fields or {})

    def fields(self, record: logging.LogRecord) -> dict[str, Any]:
        c = self.contract
        out: dict[str, Any] = {
            TIME_FIELD: datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            c.level_field: record.levelname.lower(),
            c.message_field: record.getMessage(),
            c.logger_field: record.name,
        }
        ids = getattr(record, _CONTEXT_ATTRIBUTE) if hasattr(record, _CONTEXT_ATTRIBUTE) else _current_ids()
        if ids is not None:
            out[c.trace_id_field] = c.trace_id_prefix + ids[0]
            out[c.span_id_field] = c.trace_id_prefix + ids[1]
        if record.exc_info:
            out[EXCEPTION_FIELD] = self.formatException(record.exc_info)
        elif record.exc_text:
            out[EXCEPTION_FIELD] = record.exc_text
        if record.stack_info:
            out[STACK_FIELD] = self.formatStack(record.stack_info)
        fixed = set(out) | {c.trace_id_field, c.span_id_field, EXCEPTION_FIELD, STACK_FIELD}
        extras = dict(self.static_fields)
        extras.update((k, v) for k, v in record.__dict__.items()
                      if k not in _RECORD_ATTRIBUTES and k != _CONTEXT_ATTRIBUTE)
        for key, value in extras.items():
            out[f"extra_{key}" if key in fixed else key] = value
        return out

    def format(self, record: logging.LogRecord) -> str:
        fields = self.fields(record)
        if self.contract.log_format == "logfmt":
            return " ".join(f"{_logfmt_key(k)}={_logfmt_value(v)}" for k, v in fields.items())
        # json.dumps escapes newlines, so a traceback stays on this one line.
        return json.dumps(fields, default=str, ensure_ascii=False, separators=(",", ":"))


def setup_logging(level: int | str = logging.INFO, *, stream: TextIO | None = None,
                  contract: LineFields = DEFAULT_LOG_FIELDS, static_fields: Mapping[str, Any] | None = None,
                  logger: logging.Logger | None = None) -> logging.Handler:
    """Send `logger`'s records (the root logger by default) to `stream` (stdout) as trace-linked lines.

    Replaces handlers this function installed before on that logger, so calling it twice does not
    write every line twice. Returns the handler.
    """
    target = logger if logger is not None else logging.getLogger()
    for old in [h for h in target.handlers if getattr(h, "_druppie_handler", False)]:
        target.removeHandler(old)
    handler = logging.StreamHandler(stream if stream is not None else sys.stdout)
    handler.setFormatter(TraceLogFormatter(contract, static_fields))
    handler.addFilter(TraceContextFilter())
    handler._druppie_handler = True  # type: ignore[attr-defined]
    target.addHandler(handler)
    target.setLevel(level)
    return handler
