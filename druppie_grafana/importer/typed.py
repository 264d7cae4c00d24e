"""The typed class for a saved panel or query, as a person would write it (TimeSeries, Logs, Stat,
PrometheusQuery, LokiQuery, TraceQL ...), when that class writes it back exactly.

One mechanism for every class: which attribute lands where in the JSON is found by probing the class
once (the attribute set to a marker, the marker looked up in to_json_data()); the saved values at those
places become keyword arguments; what the class does not model goes into `extraJson`; and the result is
kept only if the class then writes what the build would have written from the saved JSON itself.
Anything else (a key the class always writes that the saved panel lacks, a value it refuses) leaves the
panel or query to the generic classes of grafana_ext.kept, which keep every key verbatim.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable, Iterator

import attr
import grafanalib.core as core

from ..grafana_ext import panels as ext
from ..grafana_ext import targets as queries
from ..grafana_ext.dashboard import panel_as_built
from ..serialize import plain
from .pyrepr import Call, Code

EXT_PANELS = "druppie_grafana.grafana_ext.panels"
GRAFANALIB = "grafanalib.core"
EXT_TARGETS = "druppie_grafana.grafana_ext.targets"
PLACED = ("gridPos", "id")  # set by the layout, not by the panel's class
# Attributes import never sets from saved values: placement, the parts written separately, and the
# legacy keys the build drops.
NOT_PROBED = {"gridPos", "id", "extraJson", "dataSource", "datasource", "targets", "span", "height",
              "editable", "error", "minSpan"}
MARK = "\x00probe | "  # contains " | " so TraceQL metrics queries accept it


@dataclass(frozen=True)
class Field:
    """An attribute probing cannot place (it holds objects, not JSON): where it lives in the saved JSON,
    how a saved value becomes the attribute's value, and how that value is written as Python."""

    path: tuple
    read: Callable[[Any], Any]
    write: Callable[[Any], Any]


@dataclass(frozen=True)
class Shape:
    name: str  # as the module writes it
    module: str  # where the module imports it from
    cls: type
    fields: tuple = ()  # ((attribute, Field), ...)


PANELS = {
    "timeseries": Shape("TimeSeries", EXT_PANELS, ext.TimeSeries),
    "logs": Shape("Logs", EXT_PANELS, ext.Logs),
    "table": Shape("Table", EXT_PANELS, ext.Table),
    "traces": Shape("Traces", EXT_PANELS, ext.Traces),
    "nodeGraph": Shape("NodeGraph", EXT_PANELS, ext.NodeGraph),
    "stat": Shape("Stat", GRAFANALIB, core.Stat),
    "gauge": Shape("GaugePanel", GRAFANALIB, core.GaugePanel),
    "bargauge": Shape("BarGauge", GRAFANALIB, core.BarGauge),
    "text": Shape("Text", GRAFANALIB, core.Text),
    "piechart": Shape("PieChartv2", GRAFANALIB, core.PieChartv2),
    "barchart": Shape("BarChart", GRAFANALIB, core.BarChart),
    "histogram": Shape("Histogram", GRAFANALIB, core.Histogram),
    "state-timeline": Shape("StateTimeline", GRAFANALIB, core.StateTimeline),
    "dashlist": Shape("DashboardList", GRAFANALIB, core.DashboardList),
    "news": Shape("News", GRAFANALIB, core.News),
    "heatmap": Shape("Heatmap", GRAFANALIB, core.Heatmap),
}
PROMETHEUS = Shape("PrometheusQuery", EXT_TARGETS, queries.PrometheusQuery)
LOKI = Shape("LokiQuery", EXT_TARGETS, queries.LokiQuery)
TRACEQL = Shape("TraceQL", EXT_TARGETS, queries.TraceQL)
TRACEQL_METRICS = Shape("TraceQLMetrics", EXT_TARGETS, queries.TraceQLMetrics)
SERVICE_MAP = Shape("ServiceMap", EXT_TARGETS, queries.ServiceMap)
SEARCH_FILTERS = Field(("filters",), lambda saved: tuple(queries.SearchFilter(**f) for f in saved),
                       lambda filters: [Call.of("SearchFilter", **attr.asdict(f)) for f in filters])
TRACEQL_SEARCH = Shape("TraceQLSearch", EXT_TARGETS, queries.TraceQLSearch, (("filters", SEARCH_FILTERS),))
ALL = list(PANELS.values()) + [PROMETHEUS, LOKI, TRACEQL, TRACEQL_METRICS, SERVICE_MAP, TRACEQL_SEARCH]
NAMES_USED = {TRACEQL_SEARCH.name: ("SearchFilter",)}  # what a class's written values need imported too


def target_shape(target: dict, family: str | None) -> Shape | None:
    """The typed query class for a target of a datasource family (tempo, loki, prometheus)."""
    if family == queries.PROMETHEUS:
        return PROMETHEUS
    if family == queries.LOKI:
        return LOKI
    if family == queries.TEMPO:
        kind = target.get("queryType")
        if kind == "traceql":
            return TRACEQL_METRICS if "metricsQueryType" in target else TRACEQL
        if kind == "serviceMap":
            return SERVICE_MAP
        if kind == "traceqlSearch":
            return TRACEQL_SEARCH
    return None  # other datasources: the generic Target


# ---------------------------------------------------------------- probing


def _mandatory(cls: type) -> list[str]:
    return [a.name for a in attr.fields(cls) if a.default is attr.NOTHING and a.init]


def _where(value: Any, marker: str, path: tuple = ()) -> Iterator[tuple]:
    if value == marker:
        yield path
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _where(item, marker, path + (key,))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _where(item, marker, path + (i,))


@lru_cache(maxsize=None)
def attribute_paths(cls: type) -> tuple[tuple[str, tuple], ...]:
    """(attribute, JSON path) for each attribute the class writes verbatim at one place."""
    base = {name: MARK + "base" for name in _mandatory(cls)}
    found = []
    for a in attr.fields(cls):
        if a.name in NOT_PROBED or not a.init:
            continue
        marker = MARK + a.name
        try:
            with attr.validators.disabled():
                data = plain(cls(**{**base, a.name: marker}))
        except Exception:  # noqa: BLE001 - an attribute the class transforms: not mapped, left to extraJson
            continue
        paths = [p for p in _where(data, marker) if p and not isinstance(p[-1], int)]
        if len(paths) == 1:
            found.append((a.name, paths[0]))
        elif isinstance(a.default, bool):
            path = _flag_path(cls, base, a.name, a.default)
            if path:
                found.append((a.name, path))
    return tuple(found)


def _flag_path(cls: type, base: dict, name: str, default: bool) -> tuple | None:
    """Where a flag the class writes only when set (`if self.hide: data["hide"] = True`) lands."""
    try:
        with attr.validators.disabled():
            off, on = plain(cls(**base)), plain(cls(**{**base, name: not default}))
    except Exception:  # noqa: BLE001
        return None
    changed = [p for p in _where(on, not default) if _at(off, p) != (True, not default)]
    return changed[0] if len(changed) == 1 and changed[0] else None


# ---------------------------------------------------------------- expressing one saved object


def _at(data: Any, path: tuple) -> tuple[bool, Any]:
    for key in path:
        if not isinstance(data, dict) or key not in data:
            return False, None
        data = data[key]
    return True, data


def _same(a: Any, b: Any) -> bool:
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def _residual(saved: dict, written: dict) -> dict:
    """The parts of saved that written lacks or writes differently (what extraJson must add)."""
    out = {}
    for key, value in saved.items():
        if key not in written:
            out[key] = value
        elif isinstance(value, dict) and isinstance(written[key], dict):
            inner = _residual(value, written[key])
            if inner:
                out[key] = inner
        elif not _same(value, written[key]):
            out[key] = value
    return out


@dataclass
class Expressed:
    """The keyword arguments that make shape.cls write a saved object; extraJson holds the rest."""

    shape: Shape
    kwargs: dict
    extra: dict


def express(shape: Shape, saved: dict, given: dict, compared: Callable[[dict], Any],
            why: list | None = None) -> Expressed | None:
    """How shape.cls writes `saved`, or None when it cannot exactly.

    given: attributes set by the caller (dataSource, targets), as values that write what saved holds.
    compared: what of a written object must equal the same of `saved` (e.g. the panel as built)."""
    cls = shape.cls
    paths = [(name, path) for name, path in attribute_paths(cls) if name not in given]
    values = {}
    for name, path in paths:
        present, value = _at(saved, path)
        if present:
            values[name] = copy.deepcopy(value)
    for name, spec in shape.fields:
        present, value = _at(saved, spec.path)
        if present:
            try:
                values[name] = spec.read(value)
            except (TypeError, ValueError):
                return None
    if any(name not in values and name not in given for name in _mandatory(cls)):
        return None
    try:
        default = cls(**given, **{n: values[n] for n in _mandatory(cls) if n in values})
        plain_default = plain(default)
        kwargs = {n: v for n, v in values.items()
                  if n in _mandatory(cls) or not _same(v, getattr(default, n))}
        # Keys the class writes by default that saved lacks: None leaves them out where the class
        # allows it. Tried together first (thresholds need mode and steps unset at once).
        absent = [(n, p) for n, p in paths if n not in values and _at(compared(plain_default), p)[0]]
        kwargs.update(_unset(cls, given, kwargs, absent, compared))
        written = plain(cls(**given, **kwargs))
        extra = _residual({k: v for k, v in saved.items() if k not in PLACED},
                          {k: v for k, v in written.items() if k not in PLACED})
        final = plain(cls(**given, **kwargs, **({"extraJson": extra} if extra else {})))
    except Exception as exc:  # noqa: BLE001 - a value the class refuses: the generic class keeps it
        if why is not None:
            why.append(f"{type(exc).__name__}: {exc}")
        return None
    if not _same(compared(final), compared(saved)):
        if why is not None:
            why.append(_residual(compared(final), compared(saved)))
        return None
    return Expressed(shape, kwargs, extra)


def _unset(cls: type, given: dict, kwargs: dict, absent: list, compared: Callable) -> dict:
    """{attribute: None} for each (attribute, path) whose key None leaves out of the written object."""
    def left_out(unset: dict) -> dict | None:
        try:
            written = compared(plain(cls(**given, **kwargs, **unset)))
        except Exception:  # noqa: BLE001 - the class needs a value there
            return None
        return {n: None for n, p in absent if n in unset and not _at(written, p)[0]}
    together = left_out({n: None for n, _ in absent})
    if together is not None:
        return together
    out: dict = {}
    for name, _ in absent:
        out.update(left_out({name: None}) or {})
    return out


def panel_compared(panel: dict) -> dict:
    """What a typed panel must write like the saved one: the panel as the build writes it, unplaced."""
    built = panel_as_built(copy.deepcopy({k: v for k, v in panel.items() if k not in PLACED}))
    return {k: v for k, v in built.items() if k not in PLACED}


def typed_call(expressed: Expressed, within: Callable[[Any], Any], args: tuple = (),
               leading: tuple = ()) -> Call:
    """`Class(*args, title=..., *leading, attribute=value ..., extraJson={...})` in the class's attribute
    order; `within` writes the datasource references inside values. An attribute set to None (a key
    the saved object lacks) is written out, unlike a Call's usual left-out None."""
    order = {a.name: i for i, a in enumerate(attr.fields(expressed.shape.cls))}
    items = sorted(expressed.kwargs.items(), key=lambda kv: order.get(kv[0], len(order)))
    items += [("extraJson", expressed.extra)] if expressed.extra else []
    writers = dict(expressed.shape.fields)
    written = [(k, Code("None") if v is None else writers[k].write(v) if k in writers else within(v))
               for k, v in items]
    title = [kv for kv in written if kv[0] == "title"]
    return Call(expressed.shape.name, args, tuple(title + list(leading) + [kv for kv in written if kv[0] != "title"]))
