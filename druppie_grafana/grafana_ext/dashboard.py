"""A grafanalib Dashboard -> the dashboard JSON the target Grafana version writes.

grafanalib 0.7.1 writes schemaVersion 12 and keys Grafana dropped long ago (`rows`, `style`,
`sharedCrosshair`, `hideControls`, per-panel `span`/`height`/`error`/`editable`, variable
`useTags`/`tagsQuery`, timepicker `time_options`). This module writes the current form and refuses a
dashboard Grafana would show wrongly: overlapping or off-grid panels, duplicate panel ids or refIds,
datasources named by string, or a `$variable` that no variable defines.
"""

from __future__ import annotations

from typing import Any

from ..serialize import plain
from .layout import layout_problems
from .variables import undefined_references

LEGACY_DASHBOARD_KEYS = ("rows", "style", "sharedCrosshair", "hideControls", "__inputs", "gnetId", "id", "version")
LEGACY_PANEL_KEYS = ("span", "height", "minSpan", "error", "editable", "columns", "fontSize", "styles", "color",
                     "mappings")
LEGACY_VARIABLE_KEYS = ("useTags", "tagsQuery", "tagValuesQuery")
INTERVAL_ONLY_VARIABLE_KEYS = ("auto", "auto_min", "auto_count")
# Keys whose false/empty value is Grafana's default; writing them only adds noise.
DEFAULT_FALSE_PANEL_KEYS = ("hideTimeOverride", "transparent")
ROW_KEYS = ("type", "id", "title", "gridPos", "collapsed", "panels", "repeat", "datasource")
BASE_THRESHOLDS = [{"color": "green", "value": None}]


class DashboardError(ValueError):
    """A dashboard that Grafana would reject or render wrongly; the message names every problem."""

    def __init__(self, title: str, problems: list[str]):
        self.title = title
        self.problems = problems
        super().__init__(f"dashboard {title!r}: " + "; ".join(problems))


def _drop_nones(value: Any) -> Any:
    # `value: null` is meaningful in thresholds (the base step) and value mappings; keep it there.
    if isinstance(value, dict):
        return {k: _drop_nones(v) for k, v in value.items() if v is not None or k == "value"}
    if isinstance(value, list):
        return [_drop_nones(v) for v in value]
    return value


def _field_config(config: dict | None) -> dict:
    config = _drop_nones(config or {})
    defaults = config.setdefault("defaults", {})
    thresholds = defaults.get("thresholds")
    if thresholds is not None and not thresholds.get("steps"):
        thresholds["steps"] = list(BASE_THRESHOLDS)
    config.setdefault("overrides", [])
    return config


def without_panel_defaults(panel: dict) -> dict:
    """panel (changed in place) without default-off keys and an unused repeat, fieldConfig in full form."""
    for key in DEFAULT_FALSE_PANEL_KEYS:
        if panel.get(key) is False:
            del panel[key]
    if not panel.get("repeat"):
        for key in ("repeat", "repeatDirection", "maxPerRow"):
            panel.pop(key, None)
    panel["fieldConfig"] = _field_config(panel.get("fieldConfig"))
    return panel


def _panel(panel: dict, problems: list[str]) -> dict:
    name = f"panel {panel.get('id')} {panel.get('title', '')!r}"
    if panel.get("type") == "row":
        row = {k: panel[k] for k in ROW_KEYS if panel.get(k) is not None}
        row["panels"] = [_panel(p, problems) for p in row.get("panels", [])]
        return row
    out = without_panel_defaults({k: v for k, v in panel.items() if v is not None and k not in LEGACY_PANEL_KEYS})
    out.setdefault("options", {})
    for where, ref in [("datasource", out.get("datasource"))] + [
            (f"targets[{i}].datasource", t.get("datasource")) for i, t in enumerate(out.get("targets", []))]:
        if ref is not None and not (isinstance(ref, dict) and ref.get("uid") and ref.get("type")):
            problems.append(f"{name}: {where} must be {{type, uid}}, not {ref!r}")
    ref_ids = [t.get("refId") for t in out.get("targets", [])]
    if len(set(ref_ids)) != len(ref_ids) or not all(ref_ids):
        problems.append(f"{name}: every target needs its own refId, got {ref_ids}")
    return out


def panel_as_built(panel: dict) -> dict:
    """One panel as to_grafana_json writes it (problems are the whole dashboard's to report)."""
    return _panel(panel, [])


def _variable(variable: dict) -> dict:
    drop = LEGACY_VARIABLE_KEYS + (() if variable.get("type") == "interval" else INTERVAL_ONLY_VARIABLE_KEYS)
    return {k: v for k, v in variable.items() if k not in drop and v is not None}


def _timepicker(picker: dict | None) -> dict:
    picker = {k: v for k, v in (picker or {}).items() if k != "time_options" and v is not None}
    if picker.get("hidden") is False:
        del picker["hidden"]
    return picker


def to_grafana_json(dashboard: Any, schema_version: int) -> dict:
    """Current Grafana JSON for a grafanalib Dashboard (or its to_json_data() dict).

    Raises DashboardError naming every problem, so nothing half-right is provisioned.
    """
    if getattr(dashboard, "rows", None):
        raise DashboardError(getattr(dashboard, "title", ""), [
            "uses grafanalib's legacy `rows`; place panels with grafana_ext.layout.layout() instead"])
    data = plain(dashboard)
    problems: list[str] = []
    for key in LEGACY_DASHBOARD_KEYS:
        data.pop(key, None)
    data["schemaVersion"] = schema_version
    data["timepicker"] = _timepicker(data.get("timepicker"))
    data["panels"] = [_panel(p, problems) for p in data.get("panels") or []]
    templating = data.setdefault("templating", {"list": []})
    templating["list"] = [_variable(v) for v in templating.get("list") or []]
    data.setdefault("annotations", {"list": []})
    if not data.get("description"):
        data.pop("description", None)
    problems += layout_problems(data["panels"])
    names = [v.get("name") for v in templating["list"]]
    problems += [f"variable {n!r} is defined twice" for n in sorted({n for n in names if names.count(n) > 1})]
    problems += [f"{where} uses ${name}, which no dashboard variable defines"
                 for where, name in undefined_references(data)]
    if problems:
        raise DashboardError(str(data.get("title", "")), problems)
    return data
