"""How Grafana lays out a dashboard older than schemaVersion 16 (`rows` of panels with a `span` of 12 and
pixel heights) on its 24-column grid when it loads one: DashboardMigrator.upgradeToGridLayout and its
RowArea (public/app/features/dashboard/state/DashboardMigrator.ts). Written once here for the preview
(where a panel is drawn) and the importer (what Grafana holds after loading)."""

from __future__ import annotations

import math
from typing import Any

COLUMNS = 24
CELL_HEIGHT = 30  # GRID_CELL_HEIGHT
CELL_MARGIN = 8  # GRID_CELL_VMARGIN
DEFAULT_ROW_HEIGHT = 250  # px
MIN_PANEL_HEIGHT = CELL_HEIGHT * 3  # px


def _number(value: Any, default: int) -> int:
    try:
        number = float(str(value).replace("px", "") if isinstance(value, str) else value)
    except (TypeError, ValueError):
        return default
    return int(number) if math.isfinite(number) else default


def grid_height(height: Any) -> int:
    """Grid units of a height in px (`"250px"` or 250), at least MIN_PANEL_HEIGHT (getGridHeight)."""
    return math.ceil(max(_number(height, DEFAULT_ROW_HEIGHT), MIN_PANEL_HEIGHT) / (CELL_HEIGHT + CELL_MARGIN))


def span_width(span: Any) -> int:
    """Columns of a legacy panel's span (of 12; default 4)."""
    return math.floor(_number(span, 4) or 4) * (COLUMNS // 12)


class RowArea:
    """The columns of one legacy row and how far down each is filled; `place` finds the next free spot
    from the right, as Grafana's RowArea.getPanelPosition does, moving to a new area when full."""

    def __init__(self, height: int, y: int):
        self.area = [0] * COLUMNS
        self.y = y
        self.height = height

    def add(self, x: int, y: int, w: int, h: int) -> None:
        for i in range(x, min(x + w, COLUMNS)):
            if not self.area[i] or y + h - self.y > self.area[i]:
                self.area[i] = y + h - self.y

    def place(self, width: int, once: bool = False) -> tuple[int, int] | None:
        start = end = None
        for i in range(COLUMNS - 1, -1, -1):
            if self.height - self.area[i] <= 0:
                break
            if end is None:
                end = i
            elif i < COLUMNS - 1 and self.area[i] <= self.area[i + 1]:
                start = i
            else:
                break
        if start is not None and end is not None and end - start >= width - 1:
            return start, max(self.area[start:])
        if once:
            return None
        self.y += self.height
        self.area = [0] * COLUMNS
        return self.place(width, True)
