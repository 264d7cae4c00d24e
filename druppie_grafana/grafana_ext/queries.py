"""Small helpers for writing TraceQL, LogQL and PromQL text from contract names.

They quote and escape, so a contract value with a quote or backslash still gives a valid query.
"""

from __future__ import annotations

import re
from typing import Iterable

_TRACEQL_BARE_ATTRIBUTE = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-/]*$")
_NOT_LABEL_CHAR = re.compile(r"[^A-Za-z0-9_]")


def quote(value: str) -> str:
    """A double-quoted string literal (Go syntax, shared by TraceQL, LogQL and PromQL)."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def anchored(regex: str) -> str:
    """The regex matching whole values only, whatever the engine's anchoring default."""
    return f"^(?:{regex})$"


def traceql_attribute(scope: str, name: str) -> str:
    """`span.user.id`, or `span."odd name"` for names TraceQL cannot read bare."""
    if _TRACEQL_BARE_ATTRIBUTE.match(name):
        return f"{scope}.{name}"
    return f"{scope}.{quote(name)}"


def label_name(field: str) -> str:
    """The label name Loki's json/logfmt parsers and Prometheus exporters give a field or attribute:
    every character outside [A-Za-z0-9_] becomes `_` (so `user.id` -> `user_id`)."""
    label = _NOT_LABEL_CHAR.sub("_", field)
    return f"_{label}" if label[:1].isdigit() else label


def matchers(*pairs: tuple[str, str, str]) -> str:
    """`{a="x", b=~"y"}` from (label, operator, value) triples; values are quoted."""
    return "{" + ", ".join(f"{label}{op}{quote(value)}" for label, op, value in pairs) + "}"


def logql_parser(log_format: str) -> str:
    """The LogQL parser stage for the agents' log format."""
    if log_format not in ("json", "logfmt"):
        raise ValueError(f"no LogQL parser for log format {log_format!r}")
    return f"| {log_format}"


def by(labels: Iterable[str]) -> str:
    return "by (" + ", ".join(labels) + ")"
