"""Retention: a dashboard or a trace lookup that reaches past what the audit trail keeps shows an empty
past as if nothing happened; traces and logs kept for different periods tell half the story."""

from __future__ import annotations

import re
from typing import Iterator

from ..audit_trail import human
from .finding import WARNING, Hit
from .inputs import CheckInput
from .registry import check, define

RETENTION_EXCEEDED = define(
    "retention-exceeded", WARNING,
    "a dashboard's time range or Tempo's trace lookup window reaches past how long traces or logs are kept",
    "shorten the time range, or keep the trail longer (audit.retention in environments.yaml)")
RETENTION_MISMATCH = define(
    "retention-mismatch", WARNING,
    "traces and logs of the environment are kept for different periods, so part of an incident's story "
    "disappears first",
    "keep them alike (audit.retention: <days>d), unless someone must have them apart")

_RELATIVE = re.compile(r"now-(\d+)([smhdwMy])(?:/[a-zA-Z]+)?")
_SHIFT = re.compile(r"-?(\d+)([smhdw])")
_HOURS = {"s": 1 / 3600, "m": 1 / 60, "h": 1, "d": 24, "w": 168, "M": 24 * 31, "y": 24 * 366}


def reach_hours(text) -> float | None:
    """How far back a relative time ('now-400d', '-30m') reaches, in hours; None for absolute times."""
    m = _RELATIVE.fullmatch(str(text)) or _SHIFT.fullmatch(str(text))
    return int(m.group(1)) * _HOURS[m.group(2)] if m else None


@check
def retention(checked: CheckInput) -> Iterator[Hit]:
    env = checked.environment
    audit = getattr(env, "audit", None)
    if audit is None:
        return
    kept = min(audit.traces_hours, audit.logs_hours)
    signal = "traces" if audit.traces_hours <= audit.logs_hours else "logs"
    for dash in checked.dashboards:
        time = dash.data.get("time") if isinstance(dash.data.get("time"), dict) else {}
        reach = reach_hours(time.get("from"))
        if reach is not None and reach > kept:
            yield Hit(RETENTION_EXCEEDED, f"the time range {time['from']} reaches past the {human(kept)} "
                      f"{signal} are kept in environment {env.name}", dash.file, "$.time.from")
    for entry in checked.datasources:
        lookup = entry.json_data.get("traceQuery") if entry.type == "tempo" else None
        if not isinstance(lookup, dict) or not lookup.get("timeShiftEnabled"):
            continue  # unbounded: Tempo looks the id up in every block it still has
        reach = reach_hours(lookup.get("spanStartTimeShift"))
        if reach is not None and reach > audit.traces_hours:
            yield Hit(RETENTION_EXCEEDED, f"the trace lookup window ({lookup['spanStartTimeShift']}) reaches past "
                      f"the {human(audit.traces_hours)} traces are kept in environment {env.name}",
                      entry.file, entry.at("jsonData", "traceQuery", "spanStartTimeShift"))
    if not audit.same_retention:
        yield Hit(RETENTION_MISMATCH, f"environment {env.name} keeps traces {human(audit.traces_hours)} and logs "
                  f"{human(audit.logs_hours)}", env.source, f"$.environments.{env.name}.audit.retention")
