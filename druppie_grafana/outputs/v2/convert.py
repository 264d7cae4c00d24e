"""Classic dashboard JSON -> v2 spec: the dashboard-level fields, and the parts put together."""

from __future__ import annotations

import copy
from typing import Any

from .annotations import annotations
from .elements import element, element_name
from .layout import layout
from .mapping import CURSOR_SYNC, DEFAULT_REFRESH_INTERVALS, SCHEMA_VERSION
from .refusal import Context
from .variables import variables

# Root keys v2 has no place for on purpose: identity lives in metadata (uid, id, version), the
# schemaVersion is implied by the apiVersion, gnetId/__inputs/__requires belong to grafana.com import.
DROPPED = {"uid", "id", "version", "schemaVersion", "gnetId", "__inputs", "__requires", "__elements"}
KNOWN = {"annotations", "description", "editable", "fiscalYearStartMonth", "graphTooltip", "links", "liveNow",
         "panels", "preload", "refresh", "revision", "tags", "templating", "time", "timepicker", "timezone",
         "title", "weekStart"} | DROPPED


def to_v2beta1_spec(dashboard: dict) -> dict:
    """The dashboard.grafana.app/v2beta1 spec of a classic dashboard (schemaVersion 42); raises
    ConversionRefused for input the converter does not handle. The input is not modified."""
    dashboard = copy.deepcopy(dashboard)
    ctx = Context(dashboard)
    if dashboard.get("schemaVersion") != SCHEMA_VERSION:
        ctx.refuse(("schemaVersion",), f"schemaVersion {dashboard.get('schemaVersion')!r}: the converter takes "
                                       f"{SCHEMA_VERSION}, what Grafana migrates to before converting (target Grafana 12.2+)")
    unknown = sorted(set(dashboard) - KNOWN)
    if unknown:
        ctx.refuse((unknown[0],), f"dashboard keys the converter does not map: {', '.join(unknown)}")

    elements: dict[str, dict] = {}

    def add(panel: dict, path: tuple) -> None:
        name = element_name(panel) if isinstance(panel.get("id"), int) else ""
        if name in elements:
            ctx.refuse(path + ("id",), f"panel id {panel['id']} is used twice; v2 names elements by id")
        elements[name or "?"] = element(panel, ctx, path)

    the_layout = layout(dashboard.get("panels") or [], ctx, add)
    spec: dict[str, Any] = {
        "annotations": annotations((dashboard.get("annotations") or {}).get("list") or [], ctx),
        "cursorSync": _cursor_sync(dashboard, ctx),
    }
    if dashboard.get("description"):
        spec["description"] = dashboard["description"]
    spec["editable"] = dashboard.get("editable", True)
    spec["elements"] = elements
    spec["layout"] = the_layout
    spec["links"] = [_dashboard_link(link) for link in dashboard.get("links") or []]
    spec["liveNow"] = bool(dashboard.get("liveNow", False))
    spec["preload"] = bool(dashboard.get("preload", False))
    if "revision" in dashboard:
        spec["revision"] = dashboard["revision"]
    spec["tags"] = dashboard.get("tags") or []
    spec["timeSettings"] = _time_settings(dashboard)
    spec["title"] = dashboard.get("title", "")
    spec["variables"] = variables((dashboard.get("templating") or {}).get("list") or [], ctx)
    return spec


def to_v2_spec(dashboard: dict) -> dict:
    """The dashboard.grafana.app/v2 spec (Grafana 13): v2beta1 with transformations as
    {kind: Transformation, group: <id>, spec: {options, disabled, filter, topic}} (the v2 and v2beta1
    types.spec.gen.d.ts differ only there and in the optional `preferences`)."""
    spec = to_v2beta1_spec(dashboard)
    for element_ in spec["elements"].values():
        if element_["kind"] != "Panel":
            continue
        group = element_["spec"]["data"]["spec"]
        group["transformations"] = [
            {"kind": "Transformation", "group": t["kind"],
             "spec": {k: v for k, v in t["spec"].items() if k != "id"}} for t in group["transformations"]]
    return spec


def _cursor_sync(dashboard: dict, ctx: Context) -> str:
    value = dashboard.get("graphTooltip", 0)
    if value not in (0, 1, 2) or isinstance(value, bool):
        ctx.refuse(("graphTooltip",), f"graphTooltip {value!r} is none of 0, 1, 2")
    return CURSOR_SYNC[value]


def _dashboard_link(link: dict) -> dict:
    # pair templating-dashboard-links-and-variables: missing strings become "", flags false, url only if given
    out = {"title": link.get("title", ""), "type": link.get("type", "link"), "icon": link.get("icon", ""),
           "tooltip": link.get("tooltip", "")}
    if "url" in link:
        out["url"] = link["url"]
    out.update({"tags": link.get("tags") or [], "asDropdown": bool(link.get("asDropdown", False)),
                "targetBlank": bool(link.get("targetBlank", False)),
                "includeVars": bool(link.get("includeVars", False)), "keepTime": bool(link.get("keepTime", False))})
    return out


def _time_settings(dashboard: dict) -> dict:
    time = dashboard.get("time") or {}
    picker = dashboard.get("timepicker") or {}
    out: dict[str, Any] = {}
    if "timezone" in dashboard:
        out["timezone"] = dashboard["timezone"]
    out.update({"from": time.get("from", "now-6h"), "to": time.get("to", "now"),
                "autoRefresh": dashboard.get("refresh") or "",
                "autoRefreshIntervals": picker.get("refresh_intervals") or list(DEFAULT_REFRESH_INTERVALS)})
    if picker.get("quick_ranges"):
        out["quickRanges"] = picker["quick_ranges"]
    out["hideTimepicker"] = bool(picker.get("hidden", False))
    if dashboard.get("weekStart"):
        out["weekStart"] = dashboard["weekStart"]
    out["fiscalYearStartMonth"] = dashboard.get("fiscalYearStartMonth", 0)
    if picker.get("nowDelay"):
        out["nowDelay"] = picker["nowDelay"]
    return out
