"""Datasource references and queries: the v2 DataQuery kind (group = plugin type, datasource name = uid)."""

from __future__ import annotations

from typing import Any

from .mapping import TARGET_ENVELOPE
from .refusal import Context

# The built-in annotation's datasource may come without a type; Grafana then writes group "" and no
# datasource name (pairs: templating-dashboard-links-and-variables, testdata-test-variable-output).
GRAFANA_BUILTIN_UIDS = ("-- Grafana --", "grafana")


def data_query(ref: Any, spec: dict, ctx: Context, path: tuple, builtin: bool = False) -> dict:
    """DataQueryKind for a classic datasource reference {type, uid} and the query's own fields."""
    if ref is None:
        ref = {}
    if not isinstance(ref, dict):
        ctx.refuse(path, "a datasource given by name (a string) is resolved by Grafana from its datasource "
                         "list, which the converter does not have; write {type, uid}")
    kind = ref.get("type")
    uid = ref.get("uid")
    if not kind and uid and not (builtin and uid in GRAFANA_BUILTIN_UIDS):
        ctx.refuse(path, f"datasource uid {uid!r} has no type; Grafana looks the type up in its datasource "
                         "list, which the converter does not have; write {type, uid}")
    query: dict[str, Any] = {"kind": "DataQuery", "group": kind or "", "version": "v0"}
    if kind and uid:
        query["datasource"] = {"name": uid}
    query["spec"] = spec
    return query


def panel_query(target: dict, panel_ref: Any, ctx: Context, path: tuple) -> dict:
    """PanelQueryKind: the target's own datasource, else the panel's (classic targets inherit it)."""
    ref = target.get("datasource", panel_ref)
    spec = {k: v for k, v in target.items() if k not in TARGET_ENVELOPE}
    return {"kind": "PanelQuery", "spec": {
        "query": data_query(ref, spec, ctx, path + ("datasource",)),
        "refId": target.get("refId", ""),
        "hidden": bool(target.get("hide", False)),
    }}
