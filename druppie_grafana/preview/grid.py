"""Grafana's dashboard grid: 24 columns, cells 30 px high with an 8 px margin; where each panel sits.

Classic dashboards carry a gridPos per panel. Dashboards older than schemaVersion 16 carry `rows` of
panels with a `span` (of 12) and pixel heights; Grafana lays those out on load with
DashboardMigrator.upgradeToGridLayout, which `migrate_rows` follows."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from ..legacy_rows import CELL_HEIGHT, CELL_MARGIN, COLUMNS, DEFAULT_ROW_HEIGHT, RowArea, grid_height, span_width

DEFAULT_GRID_POS = {"x": 0, "y": 0, "w": 6, "h": 3}  # PanelModel's default


@dataclass
class Item:
    """A panel (or row) on the grid: its JSON path, the panel, its grid position; a collapsed row's panels."""

    path: str
    panel: dict
    x: int
    y: int
    w: int
    h: int
    children: list["Item"] = field(default_factory=list)

    @property
    def is_row(self) -> bool:
        return self.panel.get("type") == "row"

    @property
    def collapsed(self) -> bool:
        return self.is_row and bool(self.panel.get("collapsed"))


def _int(value: Any, default: int) -> int:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return default
    return int(number) if math.isfinite(number) else default


def grid_pos(panel: dict) -> tuple[int, int, int, int]:
    pos = panel.get("gridPos") if isinstance(panel.get("gridPos"), dict) else {}
    return tuple(_int(pos.get(k), DEFAULT_GRID_POS[k]) for k in ("x", "y", "w", "h"))  # type: ignore[return-value]


def layout(dashboard: dict) -> list[Item]:
    """The dashboard's top-level items in JSON order; a collapsed row holds its own panels."""
    panels = dashboard.get("panels")
    base = "$.panels"
    if not panels and isinstance(dashboard.get("rows"), list):
        panels, base = migrate_rows(dashboard), "$.rows"
    items = []
    for i, panel in enumerate(p for p in panels or [] if isinstance(p, dict)):
        path = panel.pop("__path", f"{base}[{i}]") if "__path" in panel else f"{base}[{i}]"
        item = Item(path, panel, *grid_pos(panel))
        if item.is_row:
            for j, child in enumerate(c for c in panel.get("panels") or [] if isinstance(c, dict)):
                child_path = child.pop("__path", f"{path}.panels[{j}]") if "__path" in child else f"{path}.panels[{j}]"
                item.children.append(Item(child_path, child, *grid_pos(child)))
        items.append(item)
    return items


def height_px(h: int) -> int:
    return h * CELL_HEIGHT + max(h - 1, 0) * CELL_MARGIN


# ---- schemaVersion < 16: rows of spans -> gridPos (druppie_grafana/legacy_rows.py) -------------

def migrate_rows(dashboard: dict) -> list[dict]:
    """Panels with gridPos, as Grafana makes them from an old dashboard's `rows` (copies; `__path` kept)."""
    rows = [r for r in dashboard.get("rows") or [] if isinstance(r, dict)]
    ids = [_int(p.get("id"), 0) for r in rows for p in r.get("panels") or [] if isinstance(p, dict)]
    next_id = max(ids, default=0) + 1
    show_rows = any(r.get("collapse") or r.get("showTitle") or r.get("repeat") for r in rows)
    out: list[dict] = []
    y = 0
    for r, row in enumerate(rows):
        if row.get("repeatIteration"):
            continue
        row_height = grid_height(row.get("height") or DEFAULT_ROW_HEIGHT)
        row_panel = None
        if show_rows:
            row_panel = {"__path": f"$.rows[{r}]", "id": next_id, "type": "row", "title": row.get("title") or "",
                         "collapsed": bool(row.get("collapse")), "repeat": row.get("repeat"), "panels": [],
                         "gridPos": {"x": 0, "y": y, "w": COLUMNS, "h": row_height}}
            next_id += 1
            y += 1
        area = RowArea(row_height, y)
        for p, original in enumerate(row.get("panels") or []):
            if not isinstance(original, dict):
                continue
            panel = {k: v for k, v in original.items() if k != "span"}
            panel["__path"] = f"$.rows[{r}].panels[{p}]"
            width = span_width(original.get("span"))
            height = grid_height(original["height"]) if original.get("height") else row_height
            place = area.place(width) or (0, 0)
            y = area.y
            panel["gridPos"] = {"x": place[0], "y": y + place[1], "w": width, "h": height}
            area.add(**panel["gridPos"])
            if row_panel is not None and row_panel["collapsed"]:
                row_panel["panels"].append(panel)
            else:
                out.append(panel)
        if row_panel is not None:
            out.append(row_panel)
        if not (row_panel is not None and row_panel["collapsed"]):
            y += row_height
    return out
