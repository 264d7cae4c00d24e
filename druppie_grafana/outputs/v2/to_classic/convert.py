"""A v2 spec -> the classic dashboard JSON: the dashboard-level fields, and the parts put together.
The inverse of ../convert.py, reading the same tables (mapping.py)."""

from __future__ import annotations

import copy
from typing import Any

from ..mapping import CURSOR_SYNC, SAME_DASHBOARD_KEYS, SCHEMA_VERSION, TIME_SETTINGS
from .layout import flatten
from .reader import Reader
from .variables import annotation, variable

INTERNAL_ID = "grafana.app/deprecatedInternalID"  # the label holding the classic numeric id (grafana13.md)


def to_classic(spec: Any, reader: Reader | None = None, metadata: dict | None = None,
               keep_unplaced: bool = False) -> dict:
    """The classic dashboard (schemaVersion 42) of a v2alpha1/v2beta1/v2 spec. `reader` decides
    strictness and records paths (default: strict, paths from the spec root); `metadata` of a
    Kubernetes object gives uid (metadata.name) and id. The input is not modified."""
    reader = reader or Reader()
    spec = copy.deepcopy(reader.obj(spec, (), "the dashboard spec", optional=False))
    out: dict[str, Any] = {}
    metadata = metadata if isinstance(metadata, dict) else {}
    internal = (metadata.get("labels") or {}).get(INTERNAL_ID) if isinstance(metadata.get("labels"), dict) else None
    if isinstance(internal, str) and internal.isdigit():
        out["id"] = int(internal)
    if isinstance(metadata.get("name"), str) and metadata["name"]:
        out["uid"] = metadata["name"]
    for key in SAME_DASHBOARD_KEYS:
        if key in spec and spec[key] != [] or key in ("title", "description") and key in spec:  # no empty lists (tabs pair)
            out[key] = spec[key]
            reader.map((key,), (key,))
    cursor = spec.get("cursorSync", "Off")
    if cursor not in CURSOR_SYNC:
        reader.fail(("cursorSync",), f"cursorSync {cursor!r} is none of {', '.join(CURSOR_SYNC)}")
    out["graphTooltip"] = CURSOR_SYNC.index(cursor) if cursor in CURSOR_SYNC else 0
    _time_settings(reader.obj(spec.get("timeSettings"), ("timeSettings",), "timeSettings"), out)
    out["schemaVersion"] = SCHEMA_VERSION
    out["panels"] = flatten(spec, reader, keep_unplaced)
    variables = reader.items(spec.get("variables"), ("variables",), "variables")
    templating = [v for v in (variable(var, reader, i) for i, var in enumerate(variables)) if v]
    if templating:  # Grafana writes no empty templating (tabs pair)
        out["templating"] = {"list": templating}
    annotations = reader.items(spec.get("annotations"), ("annotations",), "annotations")
    out["annotations"] = {"list": [annotation(a, reader, i) for i, a in enumerate(annotations)]}
    return out


def _time_settings(settings: dict, out: dict) -> None:
    # the classic defaults Grafana writes when converting (pair tabs-with-nested-rows): time and
    # refresh always, the timepicker with its intervals
    out["time"] = {"from": "now-6h", "to": "now"}
    out["refresh"] = ""
    for classic, key in TIME_SETTINGS:
        if key in settings:
            where = out
            for part in classic[:-1]:
                where = where.setdefault(part, {})
            where[classic[-1]] = settings[key]
    picker = out.setdefault("timepicker", {})
    if picker.get("hidden") is False:
        del picker["hidden"]  # Grafana leaves a visible timepicker unsaid (pair tabs-with-nested-rows)
