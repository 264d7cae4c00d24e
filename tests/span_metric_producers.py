"""The series Tempo's metrics-generator and the OpenTelemetry Collector's connectors write for a set of
spans, as their source defines them, with the settings of our built Helm values.

Each fact names the upstream file it comes from (grafana/tempo and open-telemetry/opentelemetry-
collector-contrib, read for this module; no code of theirs is used). What is modelled: metric and
label names and values, the dimension sanitising, units and buckets, cumulative counters written
every interval (Tempo: a 0 first, at the end of the previous minute), exemplar label and trace-id form,
the service-graph edge rules (client/server pairing, database and "user" edges). What is not: native
histograms, span multipliers, filter policies, cardinality limits, target_info.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

from prometheus_server import Series
from traffic import Span

# ---- shared: names, buckets, cumulative series -------------------------------------------------------


def sanitize(name: str) -> str:
    """Label name from an attribute: every character outside [A-Za-z0-9_] becomes _ (tempo
    modules/generator/validation SanitizeLabelName; collector-contrib pkg/translator/prometheus
    normalize_label.go)."""
    return re.sub(r"[^A-Za-z0-9_]", "_", name)


def seconds(text: str) -> int:
    m = re.fullmatch(r"(\d+)(ms|s|m)", str(text))
    assert m, text
    return int(m.group(1)) * {"ms": 0.001, "s": 1, "m": 60}[m.group(2)]


def le(bound: float) -> str:
    """Both write bucket bounds with Go's strconv.FormatFloat(b, 'f', -1, 64)."""
    return f"{bound:.12f}".rstrip("0").rstrip(".") if bound != int(bound) else str(int(bound))


@dataclass
class Cumulative:
    """Counters and classic histograms, written in full every `interval_ms` until the end."""

    interval_ms: int
    zero_first: bool  # Tempo writes a 0 first so rate() sees the first increase
    exemplar_label: str = ""
    exemplar_id = staticmethod(lambda tid: tid.hex())
    exemplars_per_bucket: int = 1_000_000

    def __post_init__(self):
        self.values: dict[tuple, float] = {}
        self.pending: dict[tuple, list] = defaultdict(list)
        self.out: dict[tuple, Series] = {}

    def add(self, labels: dict, by: float = 1.0) -> None:
        key = tuple(sorted((k, v) for k, v in labels.items() if v != ""))
        self.values[key] = self.values.get(key, 0.0) + by

    def observe(self, name: str, labels: dict, value: float, bounds: list[float], trace_id: bytes | None,
                at_ms: int) -> None:
        for bound in [*bounds, float("inf")]:
            bucket = {**labels, "__name__": f"{name}_bucket", "le": "+Inf" if bound == float("inf") else le(bound)}
            self.add(bucket, 1 if value <= bound else 0)
            if value <= bound and trace_id is not None and self.exemplar_label:
                key = tuple(sorted((k, v) for k, v in bucket.items() if v != ""))
                self.pending[key] = (self.pending[key] + [({self.exemplar_label: self.exemplar_id(trace_id)},
                                                          value, at_ms)])[-self.exemplars_per_bucket:]
                trace_id = None  # one bucket carries the exemplar: the first whose bound holds it
        self.add({**labels, "__name__": f"{name}_count"})
        self.add({**labels, "__name__": f"{name}_sum"}, value)

    def write(self, now_ms: int) -> None:
        for key, value in self.values.items():
            series = self.out.get(key)
            if series is None:
                series = self.out[key] = Series(dict(key))
                if self.zero_first:
                    # tempo modules/generator/registry/counter.go + histogram.go collectMetrics:
                    # a new series gets 0 at getEndOfLastMinuteMs (registry.go: truncate to 1m, minus 1s).
                    zero_ms = now_ms // 60_000 * 60_000 - 1000
                    if zero_ms < now_ms:
                        series.samples.append((zero_ms, 0.0))
            series.samples.append((now_ms, value))
            for labels, v, ts in self.pending.pop(key, []):
                series.exemplars.append((labels, v, now_ms if self.zero_first else ts))

    def run(self, events, start_ms: int, end_ms: int) -> list[Series]:
        """events: (time ms, function) in any order; each write sees the events up to its time."""
        events = sorted(events, key=lambda e: e[0])
        t, i = start_ms, 0
        while t <= end_ms:
            while i < len(events) and events[i][0] <= t:
                events[i][1]()
                i += 1
            self.write(t)
            t += self.interval_ms
        return list(self.out.values())


def _ms(ns: int) -> int:
    return ns // 1_000_000


def _attr(name: str, *maps) -> str | None:
    for m in maps:
        if name in m:
            return str(m[name])
    return None


# ---- Tempo's metrics-generator --------------------------------------------------------------------

# tempo modules/generator/processor/spanmetrics/config.go: prometheus.ExponentialBuckets(0.002, 2, 14)
TEMPO_SPAN_BUCKETS = [0.002 * 2 ** i for i in range(14)]
# tempo modules/generator/processor/servicegraphs/config.go: ExponentialBuckets(0.1, 2, 8), wait 10s
TEMPO_GRAPH_BUCKETS = [0.1 * 2 ** i for i in range(8)]
TEMPO_GRAPH_WAIT_MS = 10_000
# servicegraphs.go defaultPeerAttributes; config.go DatabaseNameAttributes
TEMPO_PEER_ATTRIBUTES = ("peer.service", "db.name", "db.system", "db.system.name")
TEMPO_DATABASE_ATTRIBUTES = ("db.namespace", "db.name", "db.system", "db.system.name")
# tempo modules/generator/registry/registry.go: every series carries this external label (the host)
TEMPO_INSTANCE = {"__metrics_gen_instance": "tempo-metrics-generator-0"}


def tempo_trace_id(trace_id: bytes) -> str:
    """tempo pkg/util/traceid.go TraceIDToHexString: hex without leading zeros."""
    return trace_id.hex().lstrip("0")


def tempo_series(spans: list[Span], tempo_values: dict, start_ms: int, end_ms: int) -> list[Series]:
    generator = tempo_values["tempo"]["metricsGenerator"]
    overrides = tempo_values["tempo"]["overrides"]["defaults"]["metrics_generator"]
    processors = overrides["processors"]
    # registry/config.go: collection_interval 15s by default
    reg = Cumulative(int(seconds(overrides.get("collection_interval", "15s")) * 1000), zero_first=True,
                     exemplar_label="traceID")  # registry/histogram.go: traceIDLabelName "traceID"
    reg.exemplar_id = tempo_trace_id
    events = []
    if "span-metrics" in processors:
        cfg = generator["processor"]["span_metrics"]
        intrinsic = cfg.get("intrinsic_dimensions", {})
        dims = cfg.get("dimensions", [])
        buckets = cfg.get("histogram_buckets", TEMPO_SPAN_BUCKETS)
        for span in spans:
            events.append((_ms(span.end_ns), lambda s=span: _tempo_span(reg, s, intrinsic, dims, buckets)))
    if "service-graphs" in processors:
        buckets = generator["processor"].get("service_graphs", {}).get("histogram_buckets", TEMPO_GRAPH_BUCKETS)
        for at, edge in _tempo_edges(spans):
            events.append((at, lambda e=edge: _graph_edge(reg, e, buckets, TEMPO_INSTANCE, failed_label=False)))
    return reg.run(events, start_ms, end_ms)


def _tempo_span(reg: Cumulative, span: Span, intrinsic: dict, dims: list[str], buckets) -> None:
    # spanmetrics.go aggregateMetricsForSpan: intrinsic labels, then each dimension (span attribute,
    # else resource attribute), sanitised; "" when absent (Prometheus drops an empty label).
    labels = dict(TEMPO_INSTANCE)
    for key, value in (("service", span.service), ("span_name", span.name), ("span_kind", span.kind),
                       ("status_code", "STATUS_CODE_ERROR" if span.error else "STATUS_CODE_UNSET")):
        if intrinsic.get(key, True):
            labels[key] = value
    for d in dims:
        labels[sanitize(d)] = _attr(d, span.resource, span.attributes) or ""
    reg.add({**labels, "__name__": "traces_spanmetrics_calls_total"})
    reg.observe("traces_spanmetrics_latency", labels, (span.end_ns - span.start_ns) / 1e9, buckets,
                span.trace_id, _ms(span.end_ns))
    reg.add({**labels, "__name__": "traces_spanmetrics_size_total"}, 100.0)  # span bytes; any size does


@dataclass
class Edge:
    trace_id: bytes
    client: str
    server: str
    connection_type: str
    failed: bool
    client_s: float
    server_s: float


def _tempo_edges(spans: list[Span]) -> list[tuple[int, Edge]]:
    """servicegraphs.go consume/onComplete/onExpire: a client span pairs with the server span whose
    parent it is; a client span with a database attribute is an edge to that database at once; a root
    server span with no client expires after `wait` into an edge from "user"."""
    by_parent = {(s.trace_id, s.parent_span_id): s for s in spans if s.kind in ("SPAN_KIND_SERVER", "SPAN_KIND_CONSUMER")}
    edges = []
    for c in spans:
        if c.kind not in ("SPAN_KIND_CLIENT", "SPAN_KIND_PRODUCER"):
            continue
        server = by_parent.get((c.trace_id, c.span_id))
        db = _attr_first(TEMPO_DATABASE_ATTRIBUTES, c)
        if db is not None:
            name = _attr("peer.service", c.resource, c.attributes) or _attr("server.address", c.resource, c.attributes) or db
            edges.append((_ms(c.end_ns), Edge(c.trace_id, c.service, name, "database", c.error,
                                              _dur(c), _dur(c))))
        elif server is not None:
            edges.append((_ms(max(c.end_ns, server.end_ns)), Edge(c.trace_id, c.service, server.service, "",
                                                                  c.error or server.error, _dur(c), _dur(server))))
    for s in spans:
        if s.kind == "SPAN_KIND_SERVER" and not s.parent_span_id:
            edges.append((_ms(s.end_ns) + TEMPO_GRAPH_WAIT_MS,
                          Edge(s.trace_id, "user", s.service, "virtual_node", s.error, 0.0, _dur(s))))
    return edges


def _attr_first(names, span: Span) -> str | None:
    for n in names:
        v = _attr(n, span.resource, span.attributes)
        if v is not None:
            return v
    return None


def _dur(span: Span) -> float:
    return max(span.end_ns - span.start_ns, 0) / 1e9


def _graph_edge(reg: Cumulative, e: Edge, buckets, extra: dict, failed_label: bool) -> None:
    labels = {**extra, "client": e.client, "server": e.server, "connection_type": e.connection_type}
    if failed_label:  # collector: buildDimensions PutBool("failed") -> "true"/"false"
        labels["failed"] = "true" if e.failed else "false"
    reg.add({**labels, "__name__": "traces_service_graph_request_total"})
    if e.failed:
        reg.add({**labels, "__name__": "traces_service_graph_request_failed_total"})
    trace_id = e.trace_id if not failed_label else None  # the collector's graph has no exemplars (TODO upstream)
    reg.observe("traces_service_graph_request_server_seconds", labels, e.server_s, buckets, trace_id, 0)
    reg.observe("traces_service_graph_request_client_seconds", labels, e.client_s, buckets, trace_id, 0)


# ---- the Collector's spanmetrics and servicegraph connectors + prometheusremotewrite ------------------

# connector/spanmetricsconnector/config.go defaultHistogramBucketsMs
COLLECTOR_SPAN_BUCKETS_MS = [2, 4, 6, 8, 10, 50, 100, 200, 400, 800, 1000, 1400, 2000, 5000, 10_000, 15_000]
# connector/servicegraphconnector/connector.go defaultLatencyHistogramBuckets (seconds),
# defaultDatabaseNameAttributes [db.name], defaultMetricsFlushInterval 60s; spanmetrics factory.go 60s
COLLECTOR_GRAPH_BUCKETS = [0.002, 0.004, 0.006, 0.008, 0.01, 0.05, 0.1, 0.2, 0.4, 0.8, 1, 1.4, 2, 5, 10, 15]
COLLECTOR_FLUSH_DEFAULT = "60s"
# pkg/translator/prometheus: unit suffixes of the Prometheus names
UNIT_SUFFIX = {"ms": "milliseconds", "s": "seconds"}


def collector_trace_id(trace_id: bytes) -> str:
    """pkg/translator/prometheusremotewrite helper.go: exemplar label trace_id = all 32 hex digits."""
    return trace_id.hex()


def collector_series(spans: list[Span], collector_values: dict, start_ms: int, end_ms: int) -> list[Series]:
    connectors = collector_values["config"].get("connectors") or {}
    out: list[Series] = []
    if "spanmetrics" in connectors:
        cfg = connectors["spanmetrics"]
        reg = Cumulative(int(seconds(cfg.get("metrics_flush_interval", COLLECTOR_FLUSH_DEFAULT)) * 1000),
                         zero_first=False,
                         exemplar_label="trace_id" if (cfg.get("exemplars") or {}).get("enabled") else "")
        reg.exemplar_id = collector_trace_id
        prefix = sanitize(cfg.get("namespace", "traces.span.metrics"))  # factory.go DefaultNamespace
        unit = (cfg.get("histogram") or {}).get("unit", "ms")
        divider = {"ms": 1e6, "s": 1e9}[unit]
        bounds = COLLECTOR_SPAN_BUCKETS_MS if unit == "ms" else [b / 1000 for b in COLLECTOR_SPAN_BUCKETS_MS]
        dims = [d["name"] for d in cfg.get("dimensions", [])]
        events = [(_ms(s.end_ns), lambda s=s: _collector_span(reg, s, prefix, unit, divider, bounds, dims))
                  for s in spans]
        out += reg.run(events, start_ms, end_ms)
    if "servicegraph" in connectors:
        cfg = connectors["servicegraph"] or {}
        reg = Cumulative(int(seconds(cfg.get("metrics_flush_interval", COLLECTOR_FLUSH_DEFAULT)) * 1000),
                         zero_first=False)
        db_attrs = cfg.get("database_name_attributes") or ["db.name"]
        events = [(at, lambda e=e: _graph_edge(reg, e, COLLECTOR_GRAPH_BUCKETS, {}, failed_label=True))
                  for at, e in _collector_edges(spans, db_attrs)]
        out += reg.run(events, start_ms, end_ms)
    return out


def _collector_span(reg: Cumulative, span: Span, prefix: str, unit: str, divider: float, bounds, dims) -> None:
    # connector.go buildAttributes: service.name, span.name, span.kind, status.code, then each dimension
    # (span attribute, else resource); prometheusremotewrite names labels with dots as _, and adds
    # job = service.namespace/service.name from the resource (createAttributes).
    labels = {"service_name": span.service, "span_name": span.name, "span_kind": span.kind,
              "status_code": "STATUS_CODE_ERROR" if span.error else "STATUS_CODE_UNSET",
              "job": f"{span.resource.get('service.namespace')}/{span.service}"
              if span.resource.get("service.namespace") else span.service}
    for d in dims:
        value = _attr(d, span.attributes, span.resource)
        if value is not None:
            labels[sanitize(d)] = value
    reg.add({**labels, "__name__": f"{prefix}_calls_total"})
    reg.observe(f"{prefix}_duration_{UNIT_SUFFIX[unit]}", labels, max(span.end_ns - span.start_ns, 0) / divider,
                bounds, span.trace_id, _ms(span.end_ns))


def _collector_edges(spans: list[Span], db_attrs) -> list[tuple[int, Edge]]:
    """connector.go aggregateMetrics: client/server pairing; a client span with a database-name
    attribute is an edge to that database; no virtual nodes ("user") while the
    connector.servicegraph.virtualNode feature gate is alpha (off)."""
    by_parent = {(s.trace_id, s.parent_span_id): s for s in spans if s.kind in ("SPAN_KIND_SERVER", "SPAN_KIND_CONSUMER")}
    edges = []
    for c in spans:
        if c.kind not in ("SPAN_KIND_CLIENT", "SPAN_KIND_PRODUCER"):
            continue
        db = _attr_first(db_attrs, c)
        server = by_parent.get((c.trace_id, c.span_id))
        if db is not None:
            edges.append((_ms(c.end_ns), Edge(c.trace_id, c.service, db, "database", c.error, _dur(c), _dur(c))))
        elif server is not None:
            edges.append((_ms(max(c.end_ns, server.end_ns)), Edge(c.trace_id, c.service, server.service, "",
                                                                  c.error or server.error, _dur(c), _dur(server))))
    return edges
