"""Panels placed on Grafana's 24-column grid row by row, so no definition writes a gridPos by hand.

    layout([
        Row("Timeline", [trace_panel], height=14),
        Row("Spans", [Cell(spans, 14), Cell(attrs, 10)]),
    ])

Each Row starts with a row header (when titled), then its cells left to right; a cell that does not
fit in what is left of the line starts a new line. Cells without a width share the line equally.
Ids are assigned 1, 2, 3 ... in reading order, so they are unique and stable. A collapsed row keeps
its panels inside it (placed as if it were open); the next row starts right below its header.

as_placed() keeps the gridPos each panel was given, for a layout rows cannot express (what `import`
writes when a dashboard saved in Grafana has gaps or panels stacked beside a taller one).
"""

from __future__ import annotations

import itertools
from typing import Any, Iterable, Sequence

import attr
from grafanalib.core import GridPos, Repeat, RowPanel

COLUMNS = 24


@attr.s(frozen=True)
class Cell:
    """One panel with an optional width (columns) and height (grid units of 30 px)."""

    panel: Any = attr.ib()
    width: int | None = attr.ib(default=None)
    height: int | None = attr.ib(default=None)

    def __attrs_post_init__(self):
        if self.width is not None and not 1 <= self.width <= COLUMNS:
            raise ValueError(f"panel {getattr(self.panel, 'title', '')!r}: width {self.width} is outside 1..{COLUMNS}")
        if self.height is not None and self.height < 1:
            raise ValueError(f"panel {getattr(self.panel, 'title', '')!r}: height must be at least 1")


@attr.s(frozen=True)
class Row:
    """A titled band of panels (title None: no row header)."""

    title: str | None = attr.ib()
    cells: Sequence[Any] = attr.ib(converter=lambda cells: tuple(c if isinstance(c, Cell) else Cell(c)
                                                                  for c in cells))
    height: int = attr.ib(default=8)
    collapsed: bool = attr.ib(default=False)
    repeat: str | None = attr.ib(default=None)  # the variable the row repeats for
    id: int | None = attr.ib(default=None)  # the header's panel id; None: numbered by layout()


def _widths(cells: Sequence[Cell]) -> list[int]:
    """Given widths as they are; cells without one share what the given ones leave of a line."""
    free = [c for c in cells if c.width is None]
    if not free:
        return [c.width for c in cells]
    left = COLUMNS - sum(c.width for c in cells if c.width is not None)
    if left < len(free):  # no room left on this line: the free cells share lines of their own
        left = COLUMNS
    base, extra = divmod(left, len(free))
    shares = iter([base + (1 if i < extra else 0) for i in range(len(free))])
    return [c.width if c.width is not None else next(shares) for c in cells]


def _ids(given: Iterable[Any]):
    """Fresh panel ids 1, 2 ... skipping the ids panels were given (links like `viewPanel=7` name them,
    so an imported dashboard keeps its own)."""
    taken = {i for i in given if i is not None}
    return (i for i in itertools.count(1) if i not in taken)


def _id(given: Any, fresh) -> int:
    return given if given is not None else next(fresh)


def layout(rows: Iterable[Row]) -> list[Any]:
    """The panels of rows with gridPos and id set (ids 1..n in reading order, unless a panel has one)."""
    rows = list(rows)
    ids = _ids([r.id for r in rows] + [getattr(c.panel, "id", None) for r in rows for c in r.cells])
    placed: list[Any] = []
    y = 0
    for row in rows:
        header = None
        if row.title is not None:
            header = RowPanel(title=row.title, gridPos=GridPos(h=1, w=COLUMNS, x=0, y=y), id=_id(row.id, ids),
                              collapsed=row.collapsed, repeat=Repeat(variable=row.repeat))
            placed.append(header)
            y += 1
        inside: list[Any] = []
        x, line_height, top = 0, 0, y
        for cell, width in zip(row.cells, _widths(row.cells)):
            if x + width > COLUMNS:
                y, x, line_height = y + line_height, 0, 0
            height = cell.height or row.height
            inside.append(attr.evolve(cell.panel, gridPos=GridPos(h=height, w=width, x=x, y=y),
                                      id=_id(getattr(cell.panel, "id", None), ids)))
            x += width
            line_height = max(line_height, height)
        y += line_height
        if header is not None and row.collapsed:
            placed[-1] = attr.evolve(header, panels=inside)
            y = top
        else:
            placed.extend(inside)
    return placed


def as_placed(panels: Iterable[Any]) -> list[Any]:
    """Panels whose gridPos is given, with ids 1..n in the order given (a collapsed row's panels
    numbered right after it), unless a panel has one."""
    panels = list(panels)
    ids = _ids([getattr(p, "id", None) for p in panels]
               + [getattr(q, "id", None) for p in panels for q in getattr(p, "panels", None) or []])
    out = []
    for panel in panels:
        panel = attr.evolve(panel, id=_id(getattr(panel, "id", None), ids))
        if getattr(panel, "panels", None):
            panel = attr.evolve(panel, panels=[attr.evolve(p, id=_id(getattr(p, "id", None), ids))
                                               for p in panel.panels])
        out.append(panel)
    return out


def _name(panel: dict) -> str:
    return f"panel {panel.get('id')} {panel.get('title', '')!r}"


def layout_problems(panels: list[dict]) -> list[str]:
    """What is wrong with the placement of JSON panels: an id missing or used twice, gridPos missing,
    outside the 24 columns, or overlapping another panel.

    The panels a collapsed row keeps inside it are placed as if the row were open, so they are
    checked against each other, not against the panels below the row.
    """
    problems: list[str] = []
    groups = [panels] + [p["panels"] for p in panels if p.get("panels")]
    seen: dict[Any, str] = {}
    for panel in itertools.chain.from_iterable(groups):
        pid = panel.get("id")
        if pid is None:
            problems.append(f"{_name(panel)} has no id")
        elif pid in seen:
            problems.append(f"{_name(panel)} has the same id as {seen[pid]}")
        else:
            seen[pid] = _name(panel)
    for group in groups:
        boxes = []
        for panel in group:
            pos = panel.get("gridPos")
            if not isinstance(pos, dict) or not all(isinstance(pos.get(k), int) for k in "hwxy"):
                problems.append(f"{_name(panel)} has no complete gridPos (h, w, x, y)")
                continue
            if pos["x"] < 0 or pos["y"] < 0 or pos["w"] < 1 or pos["h"] < 1 or pos["x"] + pos["w"] > COLUMNS:
                problems.append(f"{_name(panel)} gridPos {pos} lies outside the {COLUMNS}-column grid")
            boxes.append((panel, pos))
        for (a, p), (b, q) in itertools.combinations(boxes, 2):
            if (p["x"] < q["x"] + q["w"] and q["x"] < p["x"] + p["w"]
                    and p["y"] < q["y"] + q["h"] and q["y"] < p["y"] + p["h"]):
                problems.append(f"{_name(a)} overlaps {_name(b)}")
    return problems
