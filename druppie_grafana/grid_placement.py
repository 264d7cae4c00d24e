"""Where Grafana 11/12 draws the panels of a classic dashboard whose saved gridPos it cannot use as is:
panels overlapping, reaching past column 24, or without a complete gridPos.

Grafana does not refuse such a dashboard; its grid places the panels. What it does, step by step:

1. A panel without a gridPos, or with keys missing, gets PanelModel's defaults for the missing keys,
   {x: 0, y: 0, w: 6, h: 3} (lodash defaultsDeep; grafana/grafana
   public/app/features/dashboard/state/PanelModel.ts, `defaults` and restoreModel). The scenes
   transform builds its grid items from these PanelModels (public/app/features/dashboard-scene/
   serialization/transformSaveModelToScene.ts), and SceneGridLayout.toGridCell falls back to the same
   numbers only for values that are not numbers (grafana/scenes packages/scenes/src/components/layout/
   grid/SceneGridLayout.tsx).
2. The cells go to react-grid-layout sorted by y, then x (SceneGridLayout.buildGridLayout /
   sortGridLayout); the children of an open row are cells of the same grid, a collapsed row's children
   are not on it.
3. react-grid-layout (Grafana pins 1.4.4; lib/utils.js, synchronizeLayoutWithChildren) first corrects
   bounds (correctBounds: a cell reaching past the last column moves left to x = cols - w; one left of
   column 0 goes to x = 0 and becomes the full width), then compacts vertically (compact with the
   default compactType "vertical", SceneGridLayoutRenderer sets none and no allowOverlap):
   cells in row-then-column order; each moves up while it collides with nothing placed before it,
   then down below whatever it collides with (compactItem; resolveCompactionCollision pushes the
   cells after it down first). So overlapping panels end up stacked, and gaps close.
4. SceneGridLayout.onLayoutChange writes the compacted positions back to the panels; that is what the
   dashboard shows and what Grafana saves next.

A collapsed row's panels are placed when it is opened (SceneGridLayout.toggleRow, "copied from
DashboardModel toggleRow"): they are shifted so the first sits right below the row header, the rest
of the dashboard moves down, and the grid compacts again. `place_dashboard` therefore places each
collapsed row's panels as a grid of their own below its header.

A row header is always 1 high and the full width (DashboardGrid/SceneGridRow); the importer makes it so
before placing (importer/grafana.py as_loaded).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

COLUMNS = 24  # GRID_COLUMN_COUNT
DEFAULT_GRID_POS = {"x": 0, "y": 0, "w": 6, "h": 3}  # PanelModel.ts defaults.gridPos
KEYS = ("x", "y", "w", "h")


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def with_defaults(pos: Any) -> dict:
    """A gridPos with PanelModel's defaults for each key it lacks (defaultsDeep fills only missing
    keys; a key present but not a number is what SceneGridLayout.toGridCell replaces)."""
    pos = pos if isinstance(pos, dict) else {}
    return {k: pos[k] if _number(pos.get(k)) else DEFAULT_GRID_POS[k] for k in KEYS}


def _collides(a: dict, b: dict) -> bool:
    # react-grid-layout utils.js collides(); `a is b` stands for its `l1.i === l2.i`
    if a is b:
        return False
    return not (a["x"] + a["w"] <= b["x"] or a["x"] >= b["x"] + b["w"]
                or a["y"] + a["h"] <= b["y"] or a["y"] >= b["y"] + b["h"])


def _first_collision(cells: list[dict], cell: dict) -> dict | None:
    return next((c for c in cells if _collides(c, cell)), None)


def correct_bounds(cells: list[dict], cols: int = COLUMNS) -> None:
    """react-grid-layout correctBounds for cells that are not static (Grafana has none): in place."""
    for cell in cells:
        if cell["x"] + cell["w"] > cols:
            cell["x"] = cols - cell["w"]
        if cell["x"] < 0:
            cell["x"] = 0
            cell["w"] = cols


def _push_down(ordered: list[dict], cell: dict, to: float, key: Any) -> None:
    """resolveCompactionCollision on the y axis: the cells after `cell` in row order that it would
    hit one unit further down are pushed below it first, then it moves to `to`."""
    cell["y"] += 1
    index = next(i for i, c in enumerate(ordered) if c["_key"] == key)
    for other in ordered[index + 1:]:
        if other["y"] > cell["y"] + cell["h"]:
            break  # ordered by row: nothing further down can be hit
        if _collides(cell, other):
            _push_down(ordered, other, to + cell["h"], other["_key"])
    cell["y"] = to


def compact(cells: list[dict]) -> list[dict]:
    """react-grid-layout compact(layout, "vertical"): new cells, in the order given."""
    ordered = sorted(cells, key=lambda c: (c["y"], c["x"]))  # sortLayoutItemsByRowCol (a stable sort)
    placed: list[dict] = []
    out: dict[Any, dict] = {}
    for original in ordered:
        cell = dict(original)  # cloneLayoutItem: taken now, after earlier cells may have pushed it
        cell["y"] = min(max((c["y"] + c["h"] for c in placed), default=0), cell["y"])  # bottom(compareWith)
        while cell["y"] > 0 and not _first_collision(placed, cell):
            cell["y"] -= 1
        while (hit := _first_collision(placed, cell)) is not None:
            _push_down(ordered, cell, hit["y"] + hit["h"], cell["_key"])
        cell["y"] = max(cell["y"], 0)
        cell["x"] = max(cell["x"], 0)
        placed.append(cell)
        out[cell["_key"]] = cell
    return [out[c["_key"]] for c in cells]


def place(boxes: list[dict], cols: int = COLUMNS) -> list[dict]:
    """Where react-grid-layout draws cells with these gridPos (each given in full): correctBounds,
    then vertical compaction. Returns new {x, y, w, h} dicts in the order given."""
    cells = [{**{k: box[k] for k in KEYS}, "_key": i} for i, box in enumerate(boxes)]
    cells = sorted(cells, key=lambda c: (c["y"], c["x"]))  # SceneGridLayout.buildGridLayout: sortGridLayout
    correct_bounds(cells, cols)
    done = {c["_key"]: c for c in compact(cells)}
    return [{k: done[i][k] for k in KEYS} for i in range(len(boxes))]


@dataclass
class Move:
    """One panel that Grafana draws somewhere else than its saved gridPos says."""

    path: str  # JSON path of the panel in the dashboard as loaded, e.g. $.panels[3] or $.panels[5].panels[0]
    title: str
    saved: Any  # the gridPos as saved (None when there was none)
    shown: dict

    def line(self) -> str:
        return f"{self.path} {self.title!r}: gridPos {self.saved} -> {self.shown}"


def _is_row(panel: dict) -> bool:
    return panel.get("type") == "row"


def place_dashboard(panels: list[dict]) -> tuple[list[dict], list[Move]]:
    """The panels (copies) with the gridPos Grafana shows them at, and each panel that moved.

    The top level is one grid (row headers and the panels of open rows); each collapsed row's
    panels are a grid of their own, placed right below their header as when the row is opened.
    """
    panels = [dict(p) for p in panels]
    moves: list[Move] = []
    boxes = [with_defaults(p.get("gridPos")) for p in panels]
    for panel, box in zip(panels, boxes):
        if _is_row(panel):
            box.update(x=0, w=COLUMNS, h=1)
    for i, (panel, shown) in enumerate(zip(panels, place(boxes))):
        if panel.get("gridPos") != shown:
            moves.append(Move(f"$.panels[{i}]", str(panel.get("title", "")), panel.get("gridPos"), shown))
        panel["gridPos"] = shown
    for i, panel in enumerate(panels):
        inner = panel.get("panels")
        if not (_is_row(panel) and panel.get("collapsed") and isinstance(inner, list) and inner):
            continue
        inner = [dict(p) for p in inner]
        boxes = [with_defaults(p.get("gridPos")) for p in inner]
        # toggleRow: yDiff moves the first panel (in position order) right below the header
        first = min(boxes, key=lambda b: (b["y"], b["x"]))
        shift = first["y"] - 1
        header = {"x": 0, "y": 0, "w": COLUMNS, "h": 1}
        shown_all = place([header] + [{**b, "y": b["y"] - shift} for b in boxes])[1:]
        top = panel["gridPos"]["y"]
        for j, (child, shown) in enumerate(zip(inner, shown_all)):
            shown = {**shown, "y": shown["y"] + top}
            if child.get("gridPos") != shown:
                moves.append(Move(f"$.panels[{i}].panels[{j}]", str(child.get("title", "")),
                                  child.get("gridPos"), shown))
            child["gridPos"] = shown
        panel["panels"] = inner
    return panels, moves


def refused_layout(panels: list[dict]) -> bool:
    """Whether the saved layout is one the build refuses (grafana_ext.layout.layout_problems): a
    gridPos incomplete or not whole numbers, outside the 24 columns, or two panels overlapping."""
    groups = [panels] + [p["panels"] for p in panels if isinstance(p.get("panels"), list) and p["panels"]]
    for group in groups:
        boxes = []
        for panel in group:
            pos = panel.get("gridPos")
            if not isinstance(pos, dict) or not all(isinstance(pos.get(k), int) and not isinstance(pos.get(k), bool)
                                                    for k in KEYS):
                return True
            if pos["x"] < 0 or pos["y"] < 0 or pos["x"] + pos["w"] > COLUMNS:
                return True
            boxes.append(pos)
        for n, a in enumerate(boxes):
            if any(_collides(a, b) for b in boxes[n + 1:]):
                return True
    return False
