"""v2 layouts -> the classic flat `panels` list with gridPos, as Grafana's v2 -> v1 conversion places
them (apps/dashboard/pkg/migration/conversion/v2_to_v1_layout_conversion.md, in
../shared/corpus/grafana13/conversion; pair v2beta1.tabs-with-nested-rows):

- GridLayout: positions kept; inside a row y is counted from the line below the row (the inverse of ../layout.py).
- RowsLayout: a row panel (h 1, w 24) per row. An expanded row's panels follow it; a collapsed row
  holds them in its own `panels` at their absolute y and takes one line. A row with hideHeader gets
  no row panel and its panels keep their y as written ("Hidden Header Row"); the next row starts
  below them.
- TabsLayout: each tab is an expanded row panel, its layout follows it.
- A row or tab holding rows or tabs: the parent row panel is kept, the nested ones follow it flattened.
- AutoGridLayout: width 24 / maxColumnCount (3 when unset), height by rowHeightMode (mapping.py), filled
  left to right; a repeat there repeats horizontally, maxPerRow = maxColumnCount ("AutoGrid Repeat Options").
- Row panels get ids after the highest panel id, in order (tabs pair: rows 5..9 after panels 1..4).
"""

from __future__ import annotations

import math
from typing import Any

from ..mapping import (AUTO_GRID_CELL_PX, AUTO_GRID_COLUMNS, AUTO_GRID_HEIGHTS, COLUMNS, ROW, ROW_HEIGHT)
from .elements import panel
from .reader import Reader

LAYOUT_KINDS = ("GridLayout", "AutoGridLayout", "RowsLayout", "TabsLayout")
NESTING = ("RowsLayout", "TabsLayout")  # layouts whose rows are flattened after their parent row


class Flattener:
    def __init__(self, elements: dict, reader: Reader):
        self.elements, self.reader = elements, reader
        self.placed: set[str] = set()

    def place(self, layout: Any, path: tuple, top: int, into: list, at: tuple) -> int:
        """Add the panels of `layout` to `into` (classic path `at`), starting at line `top`; returns
        the first free line below them."""
        reader = self.reader
        spec = reader.spec(layout, path, "a layout")
        kind = layout.get("kind") if isinstance(layout, dict) else None
        if kind not in LAYOUT_KINDS:
            reader.fail(path + ("kind",), f"layout kind {kind!r} is none of {', '.join(LAYOUT_KINDS)}")
            return top
        return getattr(self, "_" + kind)(spec, path + ("spec",), top, into, at)

    def _GridLayout(self, spec: dict, path: tuple, top: int, into: list, at: tuple) -> int:
        bottom = top
        for i, item in enumerate(self.reader.items(spec.get("items"), path + ("items",), "items")):
            item_path = path + ("items", i, "spec")
            item_spec = self.reader.spec(item, item_path[:-1], "a grid item")
            grid = {"h": _int(item_spec.get("height")), "w": _int(item_spec.get("width")),
                    "x": _int(item_spec.get("x")), "y": top + _int(item_spec.get("y"))}
            repeat = self.reader.obj(item_spec.get("repeat"), item_path + ("repeat",), "repeat")
            extra = {}
            if repeat.get("value"):
                extra = {"repeat": repeat["value"], "repeatDirection": repeat.get("direction"),
                         "maxPerRow": repeat.get("maxPerRow")}
            if self._add(item_spec, item_path, grid, extra, into, at):
                bottom = max(bottom, grid["y"] + grid["h"])
        return bottom

    def _AutoGridLayout(self, spec: dict, path: tuple, top: int, into: list, at: tuple) -> int:
        columns = min(max(_int(spec.get("maxColumnCount")) or AUTO_GRID_COLUMNS, 1), COLUMNS)
        width = COLUMNS // columns
        mode = spec.get("rowHeightMode") if isinstance(spec.get("rowHeightMode"), str) else "standard"
        height = AUTO_GRID_HEIGHTS.get(mode) or (math.ceil(_int(spec.get("rowHeight")) / AUTO_GRID_CELL_PX)
                                                 if mode == "custom" else AUTO_GRID_HEIGHTS["standard"])
        bottom, n = top, 0
        for i, item in enumerate(self.reader.items(spec.get("items"), path + ("items",), "items")):
            item_path = path + ("items", i, "spec")
            item_spec = self.reader.spec(item, item_path[:-1], "an auto grid item")
            grid = {"h": height, "w": width, "x": (n % columns) * width, "y": top + (n // columns) * height}
            repeat = self.reader.obj(item_spec.get("repeat"), item_path + ("repeat",), "repeat")
            extra = {"repeat": repeat["value"], "repeatDirection": "h", "maxPerRow": columns} \
                if repeat.get("value") else {}
            if self._add(item_spec, item_path, grid, extra, into, at):
                bottom, n = max(bottom, grid["y"] + grid["h"]), n + 1
        return bottom

    def _RowsLayout(self, spec: dict, path: tuple, top: int, into: list, at: tuple) -> int:
        y = top
        for i, row in enumerate(self.reader.items(spec.get("rows"), path + ("rows",), "rows")):
            row_path = path + ("rows", i, "spec")
            row_spec = self.reader.spec(row, row_path[:-1], "a row")
            if row_spec.get("hideHeader"):
                y = max(y, self.place(row_spec.get("layout"), row_path + ("layout",), 0, into, at))
                continue
            y = self._row(row_spec, row_path, bool(row_spec.get("collapse")), y, into, at)
        return y

    def _TabsLayout(self, spec: dict, path: tuple, top: int, into: list, at: tuple) -> int:
        y = top
        for i, tab in enumerate(self.reader.items(spec.get("tabs"), path + ("tabs",), "tabs")):
            tab_path = path + ("tabs", i, "spec")
            y = self._row(self.reader.spec(tab, tab_path[:-1], "a tab"), tab_path, False, y, into, at, tab=True)
        return y

    def _row(self, spec: dict, path: tuple, collapsed: bool, y: int, into: list, at: tuple, tab: bool = False) -> int:
        row: dict[str, Any] = {"type": ROW, "title": spec.get("title", ""), "collapsed": collapsed,
                               "gridPos": {"h": ROW_HEIGHT, "w": COLUMNS, "x": 0, "y": y}, "id": None}
        repeat = self.reader.obj(spec.get("repeat"), path + ("repeat",), "repeat")
        if repeat.get("value"):
            row["repeat"] = repeat["value"]
        if tab:
            row["panels"] = []  # a tab's row panel carries an empty list, an expanded row's none (tabs pair)
        self.reader.map(at + (len(into),), path)
        into.append(row)
        inner = spec.get("layout")
        if collapsed and not (isinstance(inner, dict) and inner.get("kind") in NESTING):
            row["panels"] = []  # only a collapsed row holds panels (tabs pair: expanded rows have no `panels`)
            self.place(inner, path + ("layout",), y + ROW_HEIGHT, row["panels"], at + (len(into) - 1, "panels"))
            return y + ROW_HEIGHT
        return max(y + ROW_HEIGHT, self.place(inner, path + ("layout",), y + ROW_HEIGHT, into, at))

    def _add(self, item: dict, path: tuple, grid: dict, extra: dict, into: list, at: tuple) -> bool:
        ref = self.reader.obj(item.get("element"), path + ("element",), "the element reference", optional=False)
        name = ref.get("name")
        if not isinstance(name, str) or name not in self.elements:
            self.reader.fail(path + ("element", "name"), f"element {name!r} is not among the spec's elements")
            return False
        self.placed.add(name)
        where = at + (len(into),)
        out = panel(name, self.elements[name], self.reader, where)
        out["gridPos"] = grid
        out.update({k: v for k, v in extra.items() if v not in (None, "")})
        self.reader.map(where + ("gridPos",), path)
        into.append(out)
        return True


def flatten(spec: dict, reader: Reader, keep_unplaced: bool = False) -> list[dict]:
    """The classic panels of a v2 spec. Elements no layout item shows are left out, as Grafana does,
    unless keep_unplaced (the checks: still checked, without a place)."""
    elements = reader.obj(spec.get("elements"), ("elements",), "elements")
    flattener = Flattener(elements, reader)
    panels: list[dict] = []
    if spec.get("layout") is not None or reader.strict:
        flattener.place(spec.get("layout"), ("layout",), 0, panels, ("panels",))
    if keep_unplaced:
        for name in sorted(set(elements) - flattener.placed):
            panels.append(panel(name, elements[name], reader, ("panels", len(panels))))
    _number(panels)
    return panels


def _number(panels: list[dict]) -> None:
    """Panels without an integer id take the one their element name gives (panel-<id>), then rows and
    whatever is left count on from the highest id."""
    every = [p for top in panels for p in [top, *(top.get("panels") or [])]]
    used = [p["id"] for p in every if isinstance(p.get("id"), int) and not isinstance(p["id"], bool)]
    next_id = max(used, default=0) + 1
    for p in every:
        if not isinstance(p.get("id"), int) or isinstance(p["id"], bool):
            p["id"] = next_id
            next_id += 1


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else \
        int(value) if isinstance(value, float) and value.is_integer() else 0

