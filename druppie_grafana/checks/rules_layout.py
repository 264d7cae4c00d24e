"""Panel layout: unique panel ids, and gridPos inside Grafana's 24-column grid without overlaps.

What Grafana does with the layout it is given (grafana/grafana):
- panels of legacy `rows` get a gridPos computed from span/height on load, whatever they say
  (public/app/features/dashboard/state/DashboardMigrator.ts, upgradeToGridLayout, schemaVersion < 16);
  so their gridPos is not checked;
- a gridPos key that is missing takes PanelModel's default {x: 0, y: 0, w: 6, h: 3}
  (public/app/features/dashboard/state/PanelModel.ts, defaultsDeep);
- a row panel is laid across all 24 columns, 1 high, whatever its gridPos.x/w/h says
  (public/app/features/dashboard/dashgrid/DashboardGrid.tsx, buildLayout);
- fractional x/y/w/h are kept in the classic (v1) model and drawn by react-grid-layout; Grafana rounds
  them on import of a v2 dashboard and truncates them when it converts to v2
  (public/app/features/manage-dashboards/.../floatingGridItems.ts: roundFloatGridItems,
  truncateFloatGridItems): the dashboard loads, so it is a warning.
"""

from __future__ import annotations

from typing import Iterator

from .finding import ERROR, WARNING, Hit
from .inputs import CheckInput
from .registry import check, define
from .walk import at, panels

GRID_COLUMNS = 24
_DEFAULT = {"x": 0, "y": 0, "w": 6, "h": 3}  # PanelModel.ts defaults

PANEL_ID = define(
    "panel-id-duplicate", WARNING,
    "two panels of a dashboard share an id; Grafana renumbers one on load, so links by id (viewPanel, "
    "d-solo embeds) reach a different panel than meant",
    "give every panel its own id, or leave ids out and let the build number them")
INVALID = define(
    "gridpos-invalid", ERROR,
    "a panel's gridPos is not numbers, or is negative or empty",
    "use integers with x >= 0, y >= 0, w >= 1 and h >= 1")
FRACTIONAL = define(
    "gridpos-fractional", WARNING,
    "a panel's gridPos has fractions; the v1 dashboard loads, but Grafana rounds or truncates them when "
    "it converts to v2 (Grafana 12/13), so the layout can shift",
    "use whole numbers")
OUT_OF_GRID = define(
    "gridpos-out-of-grid", WARNING,
    "a panel reaches past column 24; Grafana narrows it on load, so it is not as wide as written",
    "keep x + w <= 24")
OVERLAP = define(
    "gridpos-overlap", WARNING,
    "two panels overlap; Grafana pushes one down, so the layout is not what the definition says",
    "move or resize one of the panels")


@check
def panel_ids(checked: CheckInput) -> Iterator[Hit]:
    for dash in checked.dashboards:
        seen: dict[int, str] = {}
        for panel, path in panels(dash.data):
            pid = panel.get("id")
            if not isinstance(pid, int) or isinstance(pid, bool):
                continue
            if pid in seen:
                yield Hit(PANEL_ID, f"panel id {pid} is also used by {seen[pid]}", dash.file, at(path + ("id",)))
            else:
                seen[pid] = at(path)


def _box(panel: dict) -> tuple[int, int, int, int] | None | tuple[str, str]:
    """(x, y, w, h), None without gridPos, or (rule, message) when it is wrong."""
    pos = panel.get("gridPos")
    if not isinstance(pos, dict):
        return None
    values = [pos.get(k) if pos.get(k) is not None else _DEFAULT[k] for k in ("x", "y", "w", "h")]
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        return INVALID, f"gridPos values must be numbers, got {pos}"
    x, y, w, h = values
    if panel.get("type") == "row":
        x, w, h = 0, GRID_COLUMNS, 1  # DashboardGrid.tsx: a row spans the grid whatever it says
    if x < 0 or y < 0 or w <= 0 or h <= 0:
        return INVALID, f"gridPos {pos} has a negative position or an empty size"
    if not all(float(v).is_integer() for v in (x, y, w, h)):
        return FRACTIONAL, f"gridPos {pos} is not whole numbers"
    if x + w > GRID_COLUMNS:
        return OUT_OF_GRID, f"gridPos {pos} reaches column {x + w} of 24"
    return x, y, w, h


def _layers(dashboard: dict) -> dict[tuple, list[tuple[dict, tuple]]]:
    """Panels that share one grid: the top level, and each row's own nested panels (stored as if open)."""
    layers: dict[tuple, list] = {}
    for panel, path in panels(dashboard):
        if path[0] == "rows":
            continue  # legacy rows: Grafana computes these positions from span/height (upgradeToGridLayout)
        layers.setdefault(path[:-1], []).append((panel, path))
    return layers


@check
def grid_positions(checked: CheckInput) -> Iterator[Hit]:
    for dash in checked.dashboards:
        for layer in _layers(dash.data).values():
            placed = []
            for panel, path in layer:
                box = _box(panel)
                if box and isinstance(box[0], str):
                    yield Hit(box[0], box[1], dash.file, at(path + ("gridPos",)))
                    if box[0] != FRACTIONAL:
                        continue
                    pos = {**_DEFAULT, **{k: v for k, v in panel["gridPos"].items() if v is not None}}
                    box = tuple(round(pos[k]) for k in ("x", "y", "w", "h"))
                if box is None:
                    continue
                x, y, w, h = box
                for (ox, oy, ow, oh), opath in placed:
                    if x < ox + ow and ox < x + w and y < oy + oh and oy < y + h:
                        yield Hit(OVERLAP, f"panel {panel.get('title')!r} at {box} overlaps {at(opath)}",
                                  dash.file, at(path + ("gridPos",)))
                        break
                placed.append((box, path))


SCHEMA_VERSION_OLD = define(
    "schema-version-old", WARNING,
    "a dashboard with the grid layout (panels with gridPos, schemaVersion 16+) says schemaVersion < 16, e.g. a "
    "grafanalib Dashboard written without conversion (schemaVersion 12): Grafana runs every older migration on it",
    "set schemaVersion to the Grafana you target (41 for 11.6/12.0/12.1, 42 for 12.2+/13)")


@check
def schema_version(checked: CheckInput) -> Iterator[Hit]:
    # DashboardMigrator.ts updateSchema: each `if (oldVersion < N)` block runs on a dashboard below N.
    for dash in checked.dashboards:
        version = dash.data.get("schemaVersion")
        grid = any(isinstance(p, dict) and isinstance(p.get("gridPos"), dict) for p in dash.data.get("panels") or [])
        if isinstance(version, int) and version < 16 and grid and not dash.data.get("rows"):
            yield Hit(SCHEMA_VERSION_OLD, f"schemaVersion {version} on a dashboard laid out with gridPos",
                      dash.file, "$.schemaVersion")
