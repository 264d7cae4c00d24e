"""Query targets as attrs value objects with to_json_data(), in the shape Grafana saves them.

Field names follow Grafana's query models (the foundation SDK's tempo/loki/prometheus schemas):
Tempo `queryType` traceql | traceqlSearch | serviceMap, `tableType` traces | spans, `limit`, `spss`,
`filters`, `metricsQueryType`; Loki `expr`, `queryType` range | instant; Prometheus `expr`, `range`,
`instant`, `exemplar`, `format`.

Every target takes `extraJson`: keys Grafana saved that the class does not model, merged over its
JSON the way grafanalib merges a panel's extraJson (import writes them; see importer/typed.py).
A datasource left at None is the panel's, as Grafana resolves it; a key whose value is None is not
written, so Grafana's own default applies (for Prometheus: a range query, no exemplars, time_series;
promlib models/query.go runs a query with neither `range` nor `instant` as a range query).
"""

from __future__ import annotations

import attr
from attr.validators import in_, instance_of, optional

from .extra_json import merged
from .queries import quote

TEMPO, LOKI, PROMETHEUS = "tempo", "loki", "prometheus"


@attr.s(frozen=True)
class DatasourceRef:
    """A reference to one datasource: its plugin type and uid (or a `$variable` naming one)."""

    type: str = attr.ib(validator=instance_of(str))
    uid: str = attr.ib(validator=instance_of(str))

    def to_json_data(self):
        return {"type": self.type, "uid": self.uid}


def _ref(expected_type: str):
    def check(instance, attribute, value):
        if value is not None and (not isinstance(value, DatasourceRef) or value.type != expected_type):
            raise ValueError(f"{type(instance).__name__}.{attribute.name} must be a DatasourceRef of type "
                             f"{expected_type!r}, got {value!r}")
    return check


def _base(target, query_type: str | None = None) -> dict:
    data = {"datasource": target.datasource, "refId": target.refId} if target.datasource is not None else {
        "refId": target.refId}
    if query_type:
        data["queryType"] = query_type
    if target.hide:
        data["hide"] = True
    return data


def _written(data: dict, target) -> dict:
    """data without the keys left at None, with the target's extraJson merged over it."""
    return merged({k: v for k, v in data.items() if v is not None}, target.extraJson)


def _extra():
    return attr.ib(factory=dict, validator=instance_of(dict), kw_only=True)


# ---- Tempo ---------------------------------------------------------------------------------------


@attr.s(frozen=True)
class TraceQL:
    """A TraceQL query (or a bare trace id, which Grafana fetches as one trace).

    tableType `traces` lists one row per trace, `spans` one row per matching span.
    """

    datasource: DatasourceRef = attr.ib(validator=_ref(TEMPO))
    query: str = attr.ib(validator=instance_of(str))
    refId: str = attr.ib(default="A")
    tableType: str | None = attr.ib(default=None, validator=optional(in_(("traces", "spans", "raw"))))
    limit: int | None = attr.ib(default=20)
    spss: int | None = attr.ib(default=None)  # spans per spanset
    hide: bool = attr.ib(default=False)
    extraJson: dict = _extra()

    def to_json_data(self):
        data = _base(self, "traceql")
        data["query"] = self.query
        for key in ("tableType", "limit", "spss"):
            if getattr(self, key) is not None:
                data[key] = getattr(self, key)
        data["filters"] = []  # required by Grafana's TempoQuery model, unused in code mode
        return _written(data, self)


@attr.s(frozen=True)
class TraceQLMetrics:
    """A TraceQL metrics query (`{...} | rate()`, `quantile_over_time(...)`): time series from Tempo alone."""

    datasource: DatasourceRef = attr.ib(validator=_ref(TEMPO))
    query: str = attr.ib(validator=instance_of(str))
    refId: str = attr.ib(default="A")
    step: str | None = attr.ib(default=None)
    exemplars: int | None = attr.ib(default=None)
    hide: bool = attr.ib(default=False)
    extraJson: dict = _extra()

    def __attrs_post_init__(self):
        if "|" not in self.query:
            raise ValueError(f"TraceQL metrics query needs a metrics function after `|`: {self.query!r}")

    def to_json_data(self):
        data = _base(self, "traceql")
        data.update({"query": self.query, "metricsQueryType": "range", "filters": []})
        if self.step is not None:
            data["step"] = self.step
        if self.exemplars is not None:
            data["exemplars"] = self.exemplars
        return _written(data, self)


@attr.s(frozen=True)
class SearchFilter:
    """One filter of Grafana's TraceQL search (builder) editor."""

    id: str = attr.ib(validator=instance_of(str))
    tag: str = attr.ib(validator=instance_of(str))
    operator: str = attr.ib(validator=in_(("=", "!=", "=~", "!~", ">", ">=", "<", "<=")))
    value: str | tuple[str, ...] = attr.ib()
    scope: str = attr.ib(default="span", validator=in_(("intrinsic", "unscoped", "event", "instrumentation",
                                                         "link", "resource", "span")))
    valueType: str = attr.ib(default="string", validator=in_(("string", "int", "float", "duration",
                                                               "boolean", "keyword")))

    def traceql(self) -> str:
        """The condition Grafana generates from this filter."""
        values = [self.value] if isinstance(self.value, str) else list(self.value)
        if self.scope == "intrinsic":
            field = self.tag
        elif self.scope == "unscoped":
            field = f".{self.tag}"
        else:
            field = f"{self.scope}.{self.tag}"
        literal = (lambda v: quote(v)) if self.valueType == "string" else (lambda v: v)
        if len(values) == 1:
            return f"{field}{self.operator}{literal(values[0])}"
        # Several values: Grafana joins them into one regex.
        return f"{field}{self.operator}{quote('|'.join(values))}"

    def to_json_data(self):
        value = self.value if isinstance(self.value, str) else list(self.value)
        return {"id": self.id, "tag": self.tag, "operator": self.operator, "value": value,
                "scope": self.scope, "valueType": self.valueType}


@attr.s(frozen=True)
class TraceQLSearch:
    """Grafana's TraceQL search (builder) query: filters that Grafana turns into TraceQL.

    `query` carries the equivalent TraceQL too, so the query is readable and checkable as text.
    """

    datasource: DatasourceRef = attr.ib(validator=_ref(TEMPO))
    filters: tuple[SearchFilter, ...] = attr.ib(converter=tuple)
    refId: str = attr.ib(default="A")
    tableType: str = attr.ib(default="traces", validator=in_(("traces", "spans")))
    limit: int = attr.ib(default=20)
    spss: int | None = attr.ib(default=None)
    hide: bool = attr.ib(default=False)
    extraJson: dict = _extra()

    @property
    def query(self) -> str:
        conditions = " && ".join(f.traceql() for f in self.filters)
        return "{ " + conditions + " }" if conditions else "{}"

    def to_json_data(self):
        data = _base(self, "traceqlSearch")
        data.update({"filters": list(self.filters), "query": self.query, "tableType": self.tableType,
                     "limit": self.limit})
        if self.spss is not None:
            data["spss"] = self.spss
        return _written(data, self)


@attr.s(frozen=True)
class ServiceMap:
    """Tempo's service map: node and edge frames built from the service-graph metrics in Prometheus.

    `filter` is a PromQL label matcher set such as `{client="api"}`, or empty for the whole graph.
    """

    datasource: DatasourceRef = attr.ib(validator=_ref(TEMPO))
    filter: str = attr.ib(default="")
    refId: str = attr.ib(default="A")
    includeNamespace: bool = attr.ib(default=False)
    hide: bool = attr.ib(default=False)
    extraJson: dict = _extra()

    def to_json_data(self):
        data = _base(self, "serviceMap")
        data["filters"] = []
        if self.filter:
            data["serviceMapQuery"] = self.filter
        if self.includeNamespace:
            data["serviceMapIncludeNamespace"] = True
        return _written(data, self)


# ---- Loki ----------------------------------------------------------------------------------------


@attr.s(frozen=True)
class LokiQuery:
    """A LogQL query: log lines for a logs panel (`range`), or a metric query (`count_over_time`...)."""

    datasource: DatasourceRef = attr.ib(validator=_ref(LOKI))
    expr: str = attr.ib(validator=instance_of(str))
    refId: str = attr.ib(default="A")
    legendFormat: str | None = attr.ib(default=None)
    queryType: str | None = attr.ib(default="range", validator=optional(in_(("range", "instant"))))
    maxLines: int | None = attr.ib(default=None)
    hide: bool = attr.ib(default=False)
    editorMode: str | None = attr.ib(default="code", validator=optional(in_(("code", "builder"))))
    extraJson: dict = _extra()

    def to_json_data(self):
        data = _base(self, self.queryType)
        data.update({"expr": self.expr, "editorMode": self.editorMode, "legendFormat": self.legendFormat,
                     "maxLines": self.maxLines})
        return _written(data, self)


# ---- Prometheus ----------------------------------------------------------------------------------


@attr.s(frozen=True)
class PrometheusQuery:
    """A PromQL query. exemplar=True fetches exemplars, which link a point to its trace in Tempo
    through the Prometheus datasource's exemplarTraceIdDestinations."""

    datasource: DatasourceRef = attr.ib(validator=_ref(PROMETHEUS))
    expr: str = attr.ib(validator=instance_of(str))
    refId: str = attr.ib(default="A")
    legendFormat: str | None = attr.ib(default="__auto")
    exemplar: bool | None = attr.ib(default=False, validator=optional(instance_of(bool)))
    instant: bool | None = attr.ib(default=False, validator=optional(instance_of(bool)))
    format: str | None = attr.ib(default="time_series", validator=optional(in_(("time_series", "table", "heatmap"))))
    interval: str | None = attr.ib(default=None)
    hide: bool = attr.ib(default=False)
    editorMode: str | None = attr.ib(default="code", validator=optional(in_(("code", "builder"))))
    # A range query unless instant; both True is Grafana's "Both". None writes no `range` key.
    range: bool | None = attr.ib(default=attr.Factory(lambda self: not self.instant, takes_self=True),
                                 validator=optional(instance_of(bool)))
    extraJson: dict = _extra()

    def __attrs_post_init__(self):
        if self.exemplar and self.instant:
            raise ValueError("exemplars need a range query; set instant=False or exemplar=False")

    def to_json_data(self):
        data = _base(self)
        data.update({"expr": self.expr, "editorMode": self.editorMode, "legendFormat": self.legendFormat,
                     "range": self.range, "instant": self.instant, "exemplar": self.exemplar,
                     "format": self.format, "interval": self.interval})
        return _written(data, self)
