"""The classic 24-column grid -> GridLayout, or RowsLayout when the dashboard has rows.

Facts from the pairs: positions are kept (x, y, w -> width, h -> height); inside a row y is counted
from the row's first line (row y + 1); an expanded row's panels follow it in `panels`, a collapsed
row holds them in its own `panels` (Repeating-a-row..., loki_fakedata); panel repeats become the
item's repeat {mode: variable, value, direction, maxPerRow}, row repeats the row's repeat."""

from __future__ import annotations

from typing import Any, Callable

from .elements import element_name
from .mapping import ROW
from .refusal import Context


def layout(panels: list, ctx: Context, add: Callable[[dict, tuple], None]) -> dict:
    """The layout for `panels`; `add(panel, path)` registers each panel's element."""
    if not any(p.get("type") == ROW for p in panels):
        return _grid([(p, ("panels", i)) for i, p in enumerate(panels)], 0, ctx, add)
    first_row = next(i for i, p in enumerate(panels) if p.get("type") == ROW)
    rows = []
    if first_row:
        # Panels above the first row: a row with hideHeader, y from the top. No v1 -> v2 pair shows
        # this; it is the inverse of the "Hidden Header Row" rule in Grafana's design note
        # apps/dashboard/pkg/migration/conversion/v2_to_v1_layout_conversion.md (tests/corpus/conversion).
        rows.append({"kind": "RowsLayoutRow", "spec": {
            "title": "", "collapse": False, "hideHeader": True,
            "layout": _grid([(p, ("panels", j)) for j, p in enumerate(panels[:first_row])], 0, ctx, add)}})
    i = first_row
    while i < len(panels):
        row, row_path = panels[i], ("panels", i)
        i += 1
        if row.get("collapsed"):
            members = [(p, row_path + ("panels", j)) for j, p in enumerate(row.get("panels") or [])]
        else:
            if row.get("panels"):
                ctx.refuse(row_path + ("panels",), "an expanded row that also holds panels of its own")
            members = []
            while i < len(panels) and panels[i].get("type") != ROW:
                members.append((panels[i], ("panels", i)))
                i += 1
        rows.append(_row(row, members, ctx, add))
    return {"kind": "RowsLayout", "spec": {"rows": rows}}


def _row(row: dict, members: list, ctx: Context, add) -> dict:
    spec: dict[str, Any] = {"title": row.get("title", ""), "collapse": bool(row.get("collapsed"))}
    if row.get("repeat"):
        spec["repeat"] = {"mode": "variable", "value": row["repeat"]}
    top = (row.get("gridPos") or {}).get("y", 0) + 1
    spec["layout"] = _grid(members, top, ctx, add)
    return {"kind": "RowsLayoutRow", "spec": spec}


def _grid(members: list, top: int, ctx: Context, add) -> dict:
    items = []
    for panel, path in members:
        if panel.get("type") == ROW:
            ctx.refuse(path, "a row inside a row")
        if panel.get("repeatPanelId") is not None or panel.get("repeatIteration") is not None:
            ctx.refuse(path, "a repeated copy of a panel (repeatPanelId): only the original belongs in a definition")
        add(panel, path)
        grid = panel.get("gridPos") or {}
        spec: dict[str, Any] = {"x": grid.get("x", 0), "y": grid.get("y", 0) - top,
                                "width": grid.get("w", 0), "height": grid.get("h", 0),
                                "element": {"kind": "ElementReference", "name": element_name(panel)}}
        if panel.get("repeat"):
            repeat = {"mode": "variable", "value": panel["repeat"]}
            if panel.get("repeatDirection"):
                repeat["direction"] = panel["repeatDirection"]
            if panel.get("maxPerRow"):
                repeat["maxPerRow"] = panel["maxPerRow"]
            spec["repeat"] = repeat
        items.append({"kind": "GridLayoutItem", "spec": spec})
    return {"kind": "GridLayout", "spec": {"items": items}}
