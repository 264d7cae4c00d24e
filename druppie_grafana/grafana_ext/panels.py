"""Panels grafanalib 0.7.1 lacks (traces, nodeGraph, logs) or writes in a legacy shape (table), as
grafanalib Panel subclasses, so they share its fields (title, targets, links, transformations,
gridPos, id, repeat ...) and sit beside grafanalib's own panels in one dashboard.

Options follow Grafana's panel models (foundation SDK schemas: logs, table, nodegraph) and the real
dashboards in shared/corpus/dashboards that use the same panel types.
"""

from __future__ import annotations

from typing import Any

import attr
import grafanalib.core as core
from attr.validators import in_, instance_of, optional

from .targets import DatasourceRef

# ---- field config helpers ------------------------------------------------------------------------


def by_name(field: str, **properties: Any) -> dict:
    """A field override: properties (id -> value) for the field called `field`."""
    return {"matcher": {"id": "byName", "options": field},
            "properties": [{"id": key, "value": value} for key, value in properties.items()]}


def link(title: str, url: str, new_tab: bool = False) -> dict:
    """A data link; url may use ${__value.raw}, ${__data.fields.x}, ${__url_time_range} ..."""
    return {"title": title, "url": url, "targetBlank": new_tab}


def value_text(mapping: dict[Any, tuple[str, str]]) -> list[dict]:
    """Value mappings: raw value -> (display text, color)."""
    return [{"type": "value", "options": {str(raw): {"text": text, "color": color, "index": i}
                                          for i, (raw, (text, color)) in enumerate(mapping.items())}}]


# ---- transformation helpers ----------------------------------------------------------------------


def organize(exclude: tuple[str, ...] = (), rename: dict[str, str] | None = None,
             order: tuple[str, ...] = ()) -> dict:
    """Hide, rename and order fields (Grafana's "Organize fields" transformation)."""
    return {"id": "organize", "options": {
        "excludeByName": {name: True for name in exclude},
        "renameByName": dict(rename or {}),
        "indexByName": {name: i for i, name in enumerate(order)},
    }}


def merge() -> dict:
    """Join the frames of several table queries on their common labels (one row per label set)."""
    return {"id": "merge", "options": {}}


# ---- panels --------------------------------------------------------------------------------------


def _none_means_unwritten(cls, fields):
    """Every attribute also takes None: the key it writes is then left out, as in a panel Grafana saved
    without it (import sets None for such keys; see importer/typed.py)."""
    return [f.evolve(validator=optional(f.validator)) if f.validator is not None else f for f in fields]


def _without_nones(value: Any) -> Any:
    """value without None values, and without the dicts that held nothing else."""
    if isinstance(value, dict):
        inner = {k: _without_nones(v) for k, v in value.items() if v is not None}
        return {k: v for k, v in inner.items() if not (v == {} and value[k] != {})}
    return value


def _unwritten_left_out(data: dict) -> dict:
    """data without the None values of its options and fieldConfig (top-level Nones the build drops)."""
    for key in ("options", "fieldConfig"):
        if isinstance(data.get(key), dict):
            data[key] = _without_nones(data[key])
    return data


def _datasource(instance, attribute, value):
    if value is not None and not isinstance(value, DatasourceRef):
        raise ValueError(f"{type(instance).__name__} {instance.title!r}: dataSource must be a DatasourceRef "
                         f"(type and uid), not {value!r}; Grafana no longer resolves datasource names")


@attr.s(field_transformer=_none_means_unwritten)
class ExtPanel(core.Panel):
    """Shared behaviour: a typed datasource reference, no grafanalib maxDataPoints cap, and
    fieldConfig defaults/overrides and options written the way Grafana writes them."""

    dataSource = attr.ib(default=None, validator=_datasource)
    maxDataPoints = attr.ib(default=None)
    unit = attr.ib(default="", validator=instance_of(str))
    overrides = attr.ib(factory=list, validator=instance_of(list))
    fieldDefaults = attr.ib(factory=dict, validator=instance_of(dict))

    PANEL_TYPE = ""

    def options(self) -> dict:
        return {}

    def field_defaults(self) -> dict:
        return {}

    def to_json_data(self):
        defaults = {**self.field_defaults(), **self.fieldDefaults}
        if self.unit:
            defaults["unit"] = self.unit
        return _unwritten_left_out(self.panel_json({
            "type": self.PANEL_TYPE,
            "options": self.options(),
            "fieldConfig": {"defaults": defaults, "overrides": self.overrides},
        }))


@attr.s(field_transformer=_none_means_unwritten)
class Traces(ExtPanel):
    """The trace view: a Gantt chart of one trace's spans, with span details and links to logs.

    Give it a Tempo TraceQL target whose query is a trace id (e.g. `$traceID`).
    """

    PANEL_TYPE = "traces"


@attr.s(field_transformer=_none_means_unwritten)
class NodeGraph(ExtPanel):
    """A graph of nodes and edges, e.g. Tempo's service map."""

    PANEL_TYPE = "nodeGraph"
    nodeMainStatUnit = attr.ib(default="", validator=instance_of(str))
    nodeSecondaryStatUnit = attr.ib(default="", validator=instance_of(str))
    edgeMainStatUnit = attr.ib(default="", validator=instance_of(str))
    edgeSecondaryStatUnit = attr.ib(default="", validator=instance_of(str))
    zoomMode = attr.ib(default="cooperative", validator=in_(("cooperative", "greedy")))

    def options(self):
        def units(main, secondary):
            out = {}
            if main:
                out["mainStatUnit"] = main
            if secondary:
                out["secondaryStatUnit"] = secondary
            return out
        return {"nodes": units(self.nodeMainStatUnit, self.nodeSecondaryStatUnit),
                "edges": units(self.edgeMainStatUnit, self.edgeSecondaryStatUnit),
                "zoomMode": self.zoomMode}


@attr.s(field_transformer=_none_means_unwritten)
class Logs(ExtPanel):
    """Log lines; with enableLogDetails each line shows its fields and the Loki derived-field link
    to its trace."""

    PANEL_TYPE = "logs"
    showTime = attr.ib(default=True, validator=instance_of(bool))
    showLabels = attr.ib(default=False, validator=instance_of(bool))
    showCommonLabels = attr.ib(default=False, validator=instance_of(bool))
    wrapLogMessage = attr.ib(default=True, validator=instance_of(bool))
    prettifyLogMessage = attr.ib(default=False, validator=instance_of(bool))
    enableLogDetails = attr.ib(default=True, validator=instance_of(bool))
    enableInfiniteScrolling = attr.ib(default=False, validator=instance_of(bool))
    showLogContextToggle = attr.ib(default=True, validator=instance_of(bool))
    dedupStrategy = attr.ib(default="none", validator=in_(("none", "exact", "numbers", "signature")))
    sortOrder = attr.ib(default="Ascending", validator=in_(("Ascending", "Descending")))

    def options(self):
        keys = ("showTime", "showLabels", "showCommonLabels", "wrapLogMessage", "prettifyLogMessage",
                "enableLogDetails", "enableInfiniteScrolling", "showLogContextToggle", "dedupStrategy",
                "sortOrder")
        return {key: getattr(self, key) for key in keys}


@attr.s(field_transformer=_none_means_unwritten)
class Table(ExtPanel):
    """A table in Grafana 8+ form (grafanalib's Table writes the legacy columns/styles keys)."""

    PANEL_TYPE = "table"
    showHeader = attr.ib(default=True, validator=instance_of(bool))
    cellHeight = attr.ib(default="sm", validator=in_(("sm", "md", "lg", "auto")))
    filterable = attr.ib(default=False, validator=instance_of(bool))
    sortBy = attr.ib(factory=list, validator=instance_of(list))  # [{"displayName": ..., "desc": bool}]
    frameIndex = attr.ib(default=0, validator=instance_of(int))

    def options(self):
        return {"showHeader": self.showHeader, "cellHeight": self.cellHeight, "frameIndex": self.frameIndex,
                "sortBy": self.sortBy,
                "footer": {"show": False, "reducer": ["sum"], "countRows": False, "fields": []}}

    def field_defaults(self):
        return {"custom": {"align": "auto", "cellOptions": {"type": "auto"}, "inspect": False,
                           "filterable": self.filterable},
                "color": {"mode": "thresholds"}}


@attr.s(field_transformer=_none_means_unwritten)
class TimeSeries(core.TimeSeries):
    """grafanalib's TimeSeries with a typed datasource and no 100-point cap (Grafana picks the
    resolution from the panel width)."""

    dataSource = attr.ib(default=None, validator=_datasource)
    maxDataPoints = attr.ib(default=None)

    def to_json_data(self):
        data = super().to_json_data()
        # Grafana 8+ shows or hides the legend with showLegend; "hidden" is grafanalib's legacy mode.
        legend = data["options"]["legend"]
        if legend.get("displayMode") == "hidden":
            legend["displayMode"], legend["showLegend"] = "list", False
        else:
            legend.setdefault("showLegend", True)  # unless extraJson says otherwise
        return _unwritten_left_out(data)
