"""Build an imported module back and compare it with the dashboard it came from, after normalising
what Grafana itself treats as equal: key order, ids, schemaVersion, panel order (Grafana sorts by
gridPos), values equal to Grafana's defaults, legacy keys Grafana ignores, and datasource references
of our roles (their uid is the environment's). Whatever else differs is named by its JSON path.

Legacy panel keys (styles, columns, mappings, fontSize ... of pre-8 table/singlestat panels) are
dropped by to_grafana_json on purpose; they are reported as `dropped` rather than as failures.

Panel positions are compared where Grafana displays them (grid_placement: its grid closes gaps and
moves panels that overlap or reach past column 24). Panels the module places elsewhere than saved,
because Grafana's grid moves them, are reported as `moved` (one line per panel: path, saved -> shown).

A dashboard broken as saved (a `$name` no variable defines, a refId used twice: importer/saved.py) is
reported as `broken` without building; one with datasource references of unknown plugin type as
`refused`.
"""

from __future__ import annotations

import copy
import types
from dataclasses import dataclass, field
from typing import Any

from ..grafana_ext.dashboard import (LEGACY_DASHBOARD_KEYS, LEGACY_PANEL_KEYS, ROW_KEYS, _drop_nones, _timepicker,
                                     _variable, without_panel_defaults)
from .datasources import RoleMap
from .emit import DEFAULT_TIME, DROPPED
from .grafana import as_loaded
from ..grid_placement import place_dashboard
from .grid import reading_order
from .read import Source
from .saved import broken_as_saved, untyped_datasources

SCHEMA_VERSION = 41
IGNORED_PANEL_KEYS = ("span", "height", "minSpan", "error", "editable")  # Grafana ignores them on the grid
DROPPED_PANEL_KEYS = tuple(k for k in LEGACY_PANEL_KEYS if k not in IGNORED_PANEL_KEYS)
DASHBOARD_DEFAULTS = {"editable": True, "graphTooltip": 0, "links": [], "tags": [], "refresh": "", "timezone": "",
                      "description": "", "timepicker": {}, "annotations": {"list": []}, "templating": {"list": []},
                      "time": DEFAULT_TIME}
PANEL_DEFAULTS = {"links": [], "transformations": [], "targets": [], "description": "", "options": {},
                  "fieldConfig": {"defaults": {}, "overrides": []}, "title": ""}
REFRESH_INTERVALS = ["5s", "10s", "30s", "1m", "5m", "15m", "30m", "1h", "2h", "1d"]


def role_uid(role: str) -> str:
    return f"{role}-uid"


def context(schema_version: int = SCHEMA_VERSION) -> Any:
    """A build context for an imported module: our roles have the uids role_uid() gives."""
    return types.SimpleNamespace(env=types.SimpleNamespace(schema_version=schema_version),
                                 datasource_uid=role_uid, dashboard_uid=lambda name: name)


def build_text(text: str, name: str = "imported") -> dict:
    """What build(ctx) of module text returns."""
    module = types.ModuleType(f"_druppie_import_{name}")
    exec(compile(text, f"<import {name}>", "exec"), module.__dict__)
    return module.build(context())


def _panel(panel: dict, dropped: list[str], where: str) -> dict:
    panel = _drop_nones(panel)
    panel.pop("id", None)
    if panel.get("type") == "row":
        row = {k: v for k, v in panel.items() if k in ROW_KEYS}
        inner = [_panel(p, dropped, f"{where}.panels[{i}]") for i, p in enumerate(row.pop("panels", None) or [])]
        if inner:
            row["panels"] = inner
        if not row.get("collapsed"):
            row.pop("collapsed", None)
        if not row.get("repeat"):
            row.pop("repeat", None)
        return row
    for key in IGNORED_PANEL_KEYS:
        panel.pop(key, None)
    for key in DROPPED_PANEL_KEYS:
        if key in panel:
            dropped.append(f"{where}.{key} ({panel.get('type')} {panel.get('title', '')!r})")
            panel.pop(key)
    without_panel_defaults(panel)
    for key, default in PANEL_DEFAULTS.items():
        if panel.get(key, default) == default:
            panel.pop(key, None)
    return panel


def normalise(dashboard: dict, roles: RoleMap | None = None, dropped: list[str] | None = None) -> dict:
    """The comparable form of a dashboard (see the module text); legacy keys dropped go to `dropped`."""
    dropped = [] if dropped is None else dropped
    data = as_loaded(dashboard)
    if roles is not None:
        data = roles.with_role_uids(data, role_uid)
    for key in set(LEGACY_DASHBOARD_KEYS) | set(DROPPED) | {"uid"}:
        data.pop(key, None)
    data["timepicker"] = _timepicker(data.get("timepicker"))
    if data["timepicker"].get("refresh_intervals") == REFRESH_INTERVALS:
        del data["timepicker"]["refresh_intervals"]
    if not data["timepicker"].get("nowDelay"):
        data["timepicker"].pop("nowDelay", None)
    shown, _ = place_dashboard(data.get("panels") or [])
    data["panels"] = [_panel(p, dropped, f"$.panels[{i}]") for i, p in enumerate(reading_order(shown))]
    templating = data.get("templating") or {}
    data["templating"] = {"list": [_drop_nones(_variable(v)) for v in templating.get("list") or []]}
    if not data.get("annotations"):
        data["annotations"] = {"list": []}
    for key, default in DASHBOARD_DEFAULTS.items():
        if data.get(key, default) == default or data.get(key) is None:
            data.pop(key, None)
    if not data.get("panels"):
        data.pop("panels", None)
    return _drop_nones(data)


def differences(a: Any, b: Any, path: str = "$") -> list[str]:
    """JSON paths where a and b differ (a key only one has, a value that differs)."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for key in sorted(set(a) | set(b), key=str):
            if key not in a:
                out.append(f"{path}.{key}: only in the build")
            elif key not in b:
                out.append(f"{path}.{key}: only in the original")
            else:
                out += differences(a[key], b[key], f"{path}.{key}")
        return out
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in differences(x, y, f"{path}[{i}]")]
    if a != b or type(a) is not type(b) and not (isinstance(a, (int, float)) and isinstance(b, (int, float))):
        return [f"{path}: {_short(a)} in the original, {_short(b)} in the build"]
    return []


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


@dataclass
class Result:
    differences: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    error: str = ""
    moved: list[str] = field(default_factory=list)  # panels placed where Grafana displays them, not as saved
    broken: list[str] = field(default_factory=list)  # what the dashboard gets wrong as saved (not built)
    refused: list[str] = field(default_factory=list)  # datasource references of unknown type (not built)

    @property
    def exact(self) -> bool:
        return not (self.differences or self.dropped or self.error or self.moved or self.broken or self.refused)


def _positions(panels: list[dict]) -> list[str]:
    """Every gridPos as written (a missing one or missing keys count: the build writes them)."""
    out = []
    for panel in panels:
        for p in [panel] + list(panel.get("panels") or []):
            pos = p.get("gridPos")
            out.append(repr(sorted(pos.items())) if isinstance(pos, dict) else repr(pos))
    return sorted(out)


def moved(original: dict, built: dict) -> list[str]:
    """One line per panel the build places where Grafana displays it rather than where it was saved."""
    if _positions(original.get("panels") or []) == _positions(as_loaded(built).get("panels") or []):
        return []
    return [m.line() for m in place_dashboard(original.get("panels") or [])[1]]


def compare(src: Source, text: str, name: str = "imported") -> Result:
    """Build module text and compare it with the dashboard of src."""
    original = as_loaded(src.dashboard, src.inputs)
    roles = RoleMap(original, src.inputs, src.chosen_roles)
    result = Result(broken=broken_as_saved(original, src.inputs), refused=untyped_datasources(original))
    if result.broken or result.refused:
        return result
    try:
        built = build_text(text, name)
    except Exception as exc:  # noqa: BLE001 - whatever the module raises is the finding
        result.error = f"{type(exc).__name__}: {exc}"
        return result
    want = normalise(copy.deepcopy(original), roles, result.dropped)
    got = normalise(built)
    result.differences = differences(want, got)
    result.moved = moved(original, built)
    return result
