"""What Grafana does to a dashboard when it loads one, so that the importer reads (and the round trip
compares) the form Grafana itself works with:

- legacy `rows` (schemaVersion < 16) become row panels on the 24-column grid (span s -> width 2s,
  height px -> ceil(px / 38) grid units, packed as Grafana's upgradeToGridLayout/RowArea pack them);
- a query without a refId gets the first free letter; a gridPos without x or y is at 0; a row header is drawn 1 high, full width;
- a datasource named by a string becomes a reference: `$var`/`${var}` -> {type of that datasource
  variable, uid: the text}, `${DS_X}` -> {type of that `__inputs` entry, uid: the text},
  `-- Grafana --` / `-- Mixed --` / `-- Dashboard --` -> Grafana's built-in references, `default` -> none.
  A plain name stays a name (type unknown): Grafana would look it up in its own instance.
  A reference {uid: "$var"} without a type (what the schemaVersion 33 migration writes for a `$var`
  name) gets the type of that datasource variable (its `query` is the plugin id): Grafana resolves such
  a uid through the variable's current datasource (public/app/features/plugins/datasource_srv.ts,
  getInstanceSettings, "template variable data source names"), so {uid: "$v"} and {type: T, uid: "$v"}
  are the same datasource for T the variable's plugin. Without such a variable the type stays unknown
  (importer/saved.py reports it).
"""

from __future__ import annotations

import copy
import re
from typing import Any

from ..legacy_rows import COLUMNS, DEFAULT_ROW_HEIGHT, RowArea, grid_height, span_width

BUILTIN_REFS = {
    "-- Grafana --": {"type": "datasource", "uid": "grafana"},
    "-- Mixed --": {"type": "datasource", "uid": "-- Mixed --"},
    "-- Dashboard --": {"type": "datasource", "uid": "-- Dashboard --"},
}
_VARIABLE = re.compile(r"^\$\{?([A-Za-z_]\w*)\}?$")


def rows_to_panels(dashboard: dict) -> dict:
    """A legacy rows dashboard as a grid dashboard, as Grafana's upgradeToGridLayout makes it
    (the dashboard is changed in place and returned)."""
    rows = dashboard.pop("rows", None) or []
    if not rows or dashboard.get("panels"):
        return dashboard
    show_rows = any(r.get("collapse") or r.get("showTitle") or r.get("repeat") for r in rows)
    panels: list[dict] = []
    y = 0
    for row in rows:
        if row.get("repeatIteration"):
            continue
        row_height = grid_height(row.get("height") or DEFAULT_ROW_HEIGHT)
        header = None
        if show_rows:
            header = {"type": "row", "title": row.get("title", ""), "collapsed": bool(row.get("collapse")),
                      "panels": [], "gridPos": {"x": 0, "y": y, "w": COLUMNS, "h": 1}}
            if row.get("repeat"):
                header["repeat"] = row["repeat"]
            panels.append(header)
            y += 1
        area = RowArea(row_height, y)
        for panel in row.get("panels") or []:
            panel = dict(panel)
            width = span_width(panel.pop("span", None))
            height = panel.pop("height", None)
            height = grid_height(height) if height not in (None, "") else row_height
            spot = area.place(width)
            if spot is None:
                raise ValueError(f"legacy row {row.get('title', '')!r}: panel {panel.get('title', '')!r} "
                                 f"({width} columns) does not fit the grid")
            y = area.y
            panel["gridPos"] = {"x": spot[0], "y": y + spot[1], "w": width, "h": height}
            area.add(**panel["gridPos"])
            (header["panels"] if header is not None and header["collapsed"] else panels).append(panel)
        if not (header is not None and header["collapsed"]):
            y += row_height
    dashboard["panels"] = panels
    return dashboard


def _ref_ids(panel: dict) -> None:
    """Grafana gives a query without a refId the first free letter (A, B, ... Z, AA ...)."""
    targets = panel.get("targets")
    if not isinstance(targets, list):
        return
    used = {t.get("refId") for t in targets if isinstance(t, dict)}
    def letters(n):
        out = ""
        while True:
            out = chr(65 + n % 26) + out
            n = n // 26 - 1
            if n < 0:
                return out
    n = 0
    for target in targets:
        if isinstance(target, dict) and not target.get("refId"):
            while letters(n) in used:
                n += 1
            target["refId"] = letters(n)
            used.add(target["refId"])


def _each_panel(dashboard: dict):
    for panel in dashboard.get("panels") or []:
        yield panel
        yield from (p for p in panel.get("panels") or [] if isinstance(p, dict))


def datasource_variables(dashboard: dict) -> dict[str, str]:
    """name -> plugin type of each datasource variable."""
    return {v.get("name"): v.get("query") for v in (dashboard.get("templating") or {}).get("list") or []
            if v.get("type") == "datasource" and isinstance(v.get("query"), str)}


def input_types(inputs: list[dict]) -> dict[str, str]:
    """`__inputs` name -> plugin type of each datasource input."""
    return {i.get("name"): i.get("pluginId") for i in inputs if i.get("type") == "datasource"}


def resolve_ref(ref: Any, variables: dict[str, str], inputs: dict[str, str]) -> Any:
    """A datasource reference as Grafana resolves it on load (see the module text)."""
    if isinstance(ref, dict) and "uid" in ref and not ref.get("type"):
        match = _VARIABLE.match(str(ref["uid"]))
        kind = match and (inputs.get(match.group(1)) or variables.get(match.group(1)))
        return {"type": kind, "uid": ref["uid"]} if kind else ref
    if not isinstance(ref, str):
        return ref
    if ref in ("", "default"):
        return None
    if ref in BUILTIN_REFS:
        return dict(BUILTIN_REFS[ref])
    match = _VARIABLE.match(ref)
    if match:
        kind = inputs.get(match.group(1)) or variables.get(match.group(1))
        return {"type": kind, "uid": ref} if kind else {"uid": ref}
    return ref


def _resolve_all(value: Any, variables: dict, inputs: dict) -> Any:
    if isinstance(value, dict):
        return {k: (resolve_ref(v, variables, inputs) if k == "datasource" else _resolve_all(v, variables, inputs))
                for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve_all(v, variables, inputs) for v in value]
    return value


def as_loaded(dashboard: dict, inputs: list[dict] | None = None) -> dict:
    """A copy of dashboard in the form Grafana works with after loading it."""
    out = rows_to_panels(copy.deepcopy(dashboard))
    for panel in _each_panel(out):
        _ref_ids(panel)
        if isinstance(panel.get("gridPos"), dict):  # Grafana's PanelModel defaults a missing x or y to 0
            panel["gridPos"] = {"x": 0, "y": 0, **panel["gridPos"]}
        if panel.get("type") == "row" and isinstance(panel.get("gridPos"), dict):
            panel["gridPos"] = {**panel["gridPos"], "x": 0, "w": COLUMNS, "h": 1}  # how Grafana draws a row
    inputs = inputs if inputs is not None else list(out.get("__inputs") or [])
    return _resolve_all(out, datasource_variables(out), input_types(inputs))
