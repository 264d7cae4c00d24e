"""Panel positions -> `layout([Row(...), ...])` when the rows reproduce them exactly, else
`as_placed([...])` with each panel's gridPos as saved (gaps, panels beside a taller one ...).

A saved layout that the build refuses (panels overlapping, past column 24, without a complete gridPos)
is not refused by Grafana: its grid moves those panels (druppie_grafana/grid_placement.py). Then the
module places every panel where Grafana displays it, and a comment names each panel that moved."""

from __future__ import annotations

from collections import Counter
from typing import Any, Callable

from grafanalib.core import GridPos

from ..grafana_ext.kept import Panel
from ..grid_placement import Move, place_dashboard, refused_layout
from ..grafana_ext.layout import Cell, Row, as_placed, layout
from ..serialize import plain
from .pyrepr import Call

ROW_LAYOUT_KEYS = {"type", "title", "gridPos", "id", "collapsed", "panels", "repeat"}


def reading_order(panels: list[dict]) -> list[dict]:
    """Panels as Grafana orders them: by gridPos y, then x (a collapsed row's panels likewise)."""
    def key(p):
        pos = p.get("gridPos") or {}
        return (pos.get("y", 0), pos.get("x", 0))
    out = []
    for panel in sorted(panels, key=key):
        if panel.get("type") == "row" and panel.get("panels"):
            panel = {**panel, "panels": sorted(panel["panels"], key=key)}
        out.append(panel)
    return out


def _segments(panels: list[dict]) -> list[tuple[dict | None, list[dict]]] | None:
    segments: list[tuple[dict | None, list[dict]]] = []
    for panel in panels:
        if panel.get("type") == "row":
            if set(panel) - ROW_LAYOUT_KEYS or panel.get("gridPos", {}).get("h", 1) != 1:
                return None
            segments.append((panel, list(panel.get("panels") or []) if panel.get("collapsed") else []))
        else:
            if not segments:
                segments.append((None, []))
            if segments[-1][0] is not None and segments[-1][0].get("collapsed"):
                return None  # an open panel after a collapsed row's header: not a rows layout
            segments[-1][1].append(panel)
    return segments


def _rows(segments) -> list[Row]:
    rows = []
    for header, panels in segments:
        heights = Counter(p["gridPos"]["h"] for p in panels)
        height = heights.most_common(1)[0][0] if heights else 8
        cells = [Cell(i, p["gridPos"]["w"], None if p["gridPos"]["h"] == height else p["gridPos"]["h"])
                 for i, p in enumerate(panels)]
        rows.append(Row(None if header is None else header.get("title", ""), cells, height=height,
                        collapsed=bool(header and header.get("collapsed")),
                        repeat=(header or {}).get("repeat") or None))
    return rows


def _expressible(panels: list[dict], rows: list[Row]) -> bool:
    """Whether layout(rows) puts every panel where it was."""
    try:
        stub = [Row(r.title, [Cell(Panel("stub"), c.width, c.height) for c in r.cells], r.height, r.collapsed,
                    r.repeat) for r in rows]
        placed = plain(layout(stub))
    except ValueError:
        return False
    def positions(items):
        out = []
        for p in items:
            out.append((p.get("type") == "row", p.get("gridPos")))
            out += [(False, q.get("gridPos")) for q in p.get("panels") or []]
        return out
    return positions(placed) == positions(panels)


def layout_call(panels: list[dict], panel_expr: Callable[[dict], Any],
                within: Callable[[Any], Any] = lambda v: v) -> tuple[Call, str]:
    """The expression placing panels, and a comment line saying which form was used and why
    (`within` writes the datasource references inside a row's kept keys)."""
    panels, moves = displayed(panels)
    note = moved_note(moves)
    panels = reading_order(panels)
    segments = _segments(panels)
    complete = all(isinstance(p.get("gridPos"), dict) and all(isinstance(p["gridPos"].get(k), int) for k in "hwxy")
                   for header, members in (segments or []) for p in members + ([header] if header else []))
    rows = _rows(segments) if segments is not None and complete else None
    if _numbered_by_layout(panels):
        panel_call = panel_expr
    else:  # ids as saved: links such as `viewPanel=7` and pulled dashboards (plan compares ids) need them
        def panel_call(p):
            return _with(panel_expr(p), "id", p.get("id"))
    if rows is not None and _expressible(panels, rows):
        out = []
        for row, (header, members) in zip(rows, segments):
            cells = [Call.of("Cell", panel_call(p), c.width, height=c.height) for c, p in zip(row.cells, members)]
            out.append(Call.of("Row", row.title, cells, height=row.height, collapsed=row.collapsed or None,
                               repeat=row.repeat, id=None if panel_call is panel_expr or header is None
                               else header.get("id")))
        return Call.of("layout", out), _in_body(note)
    placed = []
    for panel in panels:
        pos = panel.get("gridPos") or {}
        grid = Call.of("GridPos", h=pos.get("h"), w=pos.get("w"), x=pos.get("x"), y=pos.get("y"))
        if panel.get("type") == "row":
            inner = [_with_pos(panel_call(q), q) for q in panel.get("panels") or []]
            extra = {k: v for k, v in panel.items() if k not in ("type", "title", "gridPos", "id", "panels",
                                                                  "collapsed")}
            placed.append(Call.of("RowPanel", title=panel.get("title", ""), gridPos=grid,
                                  id=None if panel_call is panel_expr else panel.get("id"),
                                  collapsed=bool(panel.get("collapsed")), panels=inner or None,
                                  extraJson=within(extra) or None))
        else:
            placed.append(_with_pos(panel_call(panel), panel))
    kept = "# layout kept as saved: layout() rows cannot place these panels exactly"
    if moves:
        kept = "# layout() rows cannot place these panels exactly: each gridPos is given"
    return Call.of("as_placed", placed), _in_body("\n".join(line for line in (note, kept) if line))


def _in_body(text: str) -> str:
    # module_text indents a block's first line; its later lines carry their own indent
    return text.replace("\n", "\n    ")


def displayed(panels: list[dict]) -> tuple[list[dict], list[Move]]:
    """The panels as saved when the build accepts their layout; else where Grafana displays them,
    with the panels that moved."""
    if not refused_layout(panels):
        return panels, []
    return place_dashboard(panels)


def moved_note(moves: list[Move]) -> str:
    """Comment lines naming each panel Grafana's grid moves (title, saved gridPos -> displayed)."""
    if not moves:
        return ""
    lines = ["# placed as Grafana displays it: the saved layout has panels overlapping, past column 24 or",
             f"# without a complete gridPos, and Grafana's grid moves them ({len(moves)} panel(s), saved -> shown):"]
    lines += [f"#   {m.line()}" for m in moves]
    return "\n".join(lines)


def _numbered_by_layout(panels: list[dict]) -> bool:
    """Whether layout()/as_placed() may number the panels: the saved ids are what they give anyway
    (1..n in reading order), or unusable (missing, not numbers, repeated: Grafana renumbers those too)."""
    ids = [p.get("id") for panel in panels for p in [panel] + list(panel.get("panels") or [])]
    return ids == list(range(1, len(ids) + 1)) or not all(isinstance(i, int) for i in ids) or len(set(ids)) < len(ids)


def _with(call: Call, key: str, value: Any) -> Call:
    return Call(call.name, call.args, call.kwargs + ((key, value),))


def _with_pos(call: Call, panel: dict) -> Call:
    pos = panel.get("gridPos")
    grid = Call.of("GridPos", h=pos.get("h"), w=pos.get("w"), x=pos.get("x"), y=pos.get("y")) if pos else None
    return Call(call.name, call.args, call.kwargs + (("gridPos", grid),))
