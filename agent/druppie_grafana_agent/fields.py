"""The log-line fields of the correlation contract that this helper writes.

Grafana's Loki datasource finds a line's trace id by these names, so they must be the ones the
provisioning's contract uses. The defaults are the contract's `druppie` preset (druppie-grafana's
druppie_grafana/contract.py, LOG_PRESETS["druppie"] and Contract's defaults); this package cannot
import that one (agents should not install the provisioning tool), so druppie-grafana's test suite
asserts that the two agree (tests/test_agent.py).

Any object with these seven attributes works where a LogFields is expected: druppie-grafana's
Contract has them, so `setup_logging(contract=env.contract)` writes an environment's own fields.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

LOG_FORMATS = ("json", "logfmt")


@dataclass(frozen=True)
class LogFields:
    """Names of a log line's fields, and whether the line is JSON or logfmt."""

    log_format: str = "json"
    trace_id_field: str = "traceID"
    span_id_field: str = "spanID"
    trace_id_prefix: str = ""  # written before each id (the OTel SDK console's "0x"); empty for plain hex
    level_field: str = "level"
    message_field: str = "msg"
    logger_field: str = "logger"

    def __post_init__(self) -> None:
        if self.log_format not in LOG_FORMATS:
            raise ValueError(f"log_format must be one of {LOG_FORMATS}, got {self.log_format!r}")
        if not self.trace_id_field:
            raise ValueError("trace_id_field must not be empty")


# The attribute names a contract object must have to be used by the formatter.
FIELD_NAMES = tuple(f.name for f in fields(LogFields))
DEFAULT_LOG_FIELDS = LogFields()
