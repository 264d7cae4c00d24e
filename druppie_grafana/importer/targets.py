"""One query target -> a Python expression: its typed class by datasource family (PrometheusQuery,
LokiQuery, TraceQL, TraceQLMetrics, ServiceMap) when that class writes it back exactly (typed.py),
else `Target(datasource, refId, kept={...})` with the query keys as Grafana saved them."""

from __future__ import annotations

from typing import Any

from .pyrepr import Call
from .refs import Refs, as_datasource_ref
from .typed import express, target_shape, typed_call


def family(target: dict, panel_ref: Any) -> str | None:
    """The datasource type a target queries: its own reference's, else the panel's (Grafana's rule)."""
    ref = target.get("datasource") if target.get("datasource") is not None else panel_ref
    return ref.get("type") if isinstance(ref, dict) and isinstance(ref.get("type"), str) else None


def target_call(target: dict, refs: Refs, panel_ref: Any = None) -> Call:
    shape = target_shape(target, family(target, panel_ref))
    if shape is not None:
        try:
            given = {"datasource": as_datasource_ref(target.get("datasource"))}
        except ValueError:
            given = None
        expressed = given is not None and express(shape, target, given, lambda t: t)
        if expressed:
            return typed_call(expressed, refs.within, args=(refs.ref_expr(target.get("datasource")),))
    kept = {k: v for k, v in target.items() if k not in ("datasource", "refId")}
    return Call.of("Target", refs.expr(target.get("datasource")), target.get("refId", "A"),
                   kept=refs.within(kept) or None)
