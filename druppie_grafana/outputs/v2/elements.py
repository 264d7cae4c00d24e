"""Panels -> v2 elements (Panel or LibraryPanel), keyed "panel-<id>" as Grafana keys them."""

from __future__ import annotations

from typing import Any

from . import mapping
from .mapping import QUERY_OPTIONS
from .queries import panel_query
from .refusal import Context

# Keys the layout reads (gridPos, repeats) and keys every element conversion consumes.
LAYOUT_KEYS = ("gridPos", "repeat", "repeatDirection", "maxPerRow")
PANEL_KEYS = {"id", "type", "title", "description", "links", "datasource", "targets", "transformations",
              "options", "fieldConfig", "pluginVersion", "transparent", *QUERY_OPTIONS, *LAYOUT_KEYS}


def element_name(panel: dict) -> str:
    return mapping.element_name(panel["id"])


def element(panel: dict, ctx: Context, path: tuple) -> dict:
    ctx.panel = f"{panel.get('id')} ({panel.get('title', '')!r})"
    if not isinstance(panel.get("id"), int):
        ctx.refuse(path + ("id",), "a panel needs an integer id: v2 names its element panel-<id>")
    if "libraryPanel" in panel:
        return _library_panel(panel, ctx, path)
    unknown = sorted(set(panel) - PANEL_KEYS)
    if unknown:
        # e.g. autoMigrateFrom (angular panels): Grafana's output for those differs between its versions
        ctx.refuse(path + (unknown[0],), f"panel keys the converter does not map: {', '.join(unknown)}")
    spec: dict[str, Any] = {
        "id": panel["id"],
        "title": panel.get("title", ""),
        "description": panel.get("description", ""),
        "links": [_data_link(link) for link in panel.get("links") or []],
        "data": {"kind": "QueryGroup", "spec": {
            "queries": [panel_query(t, panel.get("datasource"), ctx, path + ("targets", i))
                        for i, t in enumerate(panel.get("targets") or [])],
            "transformations": [transformation_v2beta1(t, ctx, path + ("transformations", i))
                                 for i, t in enumerate(panel.get("transformations") or [])],
            "queryOptions": {k: panel[k] for k in QUERY_OPTIONS if panel.get(k) not in (None, "")},
        }},
        "vizConfig": {"kind": "VizConfig", "group": panel.get("type", ""), "version": panel.get("pluginVersion", ""),
                      "spec": {"options": panel.get("options") or {},
                               "fieldConfig": field_config(panel.get("fieldConfig") or {})}},
    }
    if panel.get("transparent"):
        spec["transparent"] = True
    return {"kind": "Panel", "spec": spec}


def _library_panel(panel: dict, ctx: Context, path: tuple) -> dict:
    # Pair panel-library: only id, title and the reference travel; the library holds the rest.
    ref = panel["libraryPanel"]
    if not isinstance(ref, dict) or not ref.get("uid"):
        ctx.refuse(path + ("libraryPanel",), "a library panel reference needs a uid")
    return {"kind": "LibraryPanel", "spec": {"id": panel["id"], "title": panel.get("title", ""),
                                             "libraryPanel": {"name": ref.get("name", ""), "uid": ref["uid"]}}}


def _data_link(link: dict) -> dict:
    out = {"title": link.get("title", ""), "url": link.get("url", "")}
    if link.get("targetBlank"):
        out["targetBlank"] = True
    return out


def transformation_v2beta1(t: Any, ctx: Context, path: tuple) -> dict:
    """v2beta1 keeps the classic DataTransformerConfig as spec and names its kind after the id."""
    if not isinstance(t, dict) or not t.get("id"):
        ctx.refuse(path, "a transformation needs an id")
    return {"kind": t["id"], "spec": t}


def field_config(source: dict) -> dict:
    """Grafana drops empty custom and mappings from the defaults and writes every threshold step with
    its value first, null where the classic step had none (pairs: loki_fakedata, join-by-labels)."""
    defaults = dict(source.get("defaults") or {})
    for key, empty in (("custom", {}), ("mappings", [])):
        if defaults.get(key) == empty:
            del defaults[key]
    thresholds = defaults.get("thresholds")
    if isinstance(thresholds, dict) and isinstance(thresholds.get("steps"), list):
        defaults["thresholds"] = {**thresholds, "steps": [
            {"value": s.get("value"), "color": s.get("color"), **{k: v for k, v in s.items() if k not in ("value", "color")}}
            if isinstance(s, dict) else s for s in thresholds["steps"]]}
    return {"defaults": defaults, "overrides": source.get("overrides") or []}
