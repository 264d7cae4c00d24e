"""The pipeline's own health series, shaped as the collector, Tempo and Loki emit them and as the collector's
`prometheus` receiver (our values: scrape jobs otel-collector, tempo, loki) remote-writes them, for the
traffic of the real-Prometheus test, with one incident: the memory limiter refuses a burst of spans, Tempo
discards spans over its rate limit and Loki discards over-long lines.

Facts, each from the component's own source:
- collector receiver/receiverhelper/obsreport.go recordMetrics: accepted, refused and failed are added on
  every request (so the refused/failed series exist at 0); labels receiver, transport
  (receiverhelper/internal/obsmetrics.go).
- collector exporter/exporterhelper/internal/obs_report_sender.go endOp: sent on every export, send_failed
  only when something failed; label exporter.
- collector processor/processorhelper/obsreport.go: processor_{incoming,outgoing}_items with processor and
  otel.signal (-> otel_signal); processor/memorylimiterprocessor/memorylimiter.go: refused only when it
  refuses; named processor_memory_limiter_refused_<item> since v0.155.0 (CHANGELOG, #11203), before that
  processor_refused_<item>.
- collector service/telemetry/otelconftelemetry/factory.go: its own reader writes no `_total`
  (WithoutTypeSuffix); remote-written after a scrape, counters end in `_total`: `legacy` is an older
  collector read as it exposes itself, the other a current one after the remote-write exporter.
- tempo modules/distributor/distributor.go tempo_distributor_spans_received_total{tenant};
  modules/overrides/discarded_spans.go tempo_discarded_spans_total{reason, tenant}, only after a discard;
  tenant "single-tenant" without multitenancy (pkg/util/auth.go FakeTenantID).
- tempo vendor prometheus storage/remote/queue_manager.go: prometheus_remote_storage_samples_total and
  samples_failed_total are plain counters (0 from the start), labels remote_name and url; the generator
  registers them with a tenant label (modules/generator/storage/instance.go).
- loki pkg/loghttp/push/push.go loki_distributor_lines_received_total{tenant, is_internal_stream, policy,
  format}; pkg/validation/validate.go loki_discarded_samples_total{reason, tenant, ...} after a discard.
"""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_server import Series
from span_metric_producers import Cumulative, seconds

COLLECTOR = {"job": "otel-collector", "instance": "10.42.0.7:8888"}
TEMPO = {"job": "tempo", "instance": "tempo.monitoring:3200", "tenant": "single-tenant"}
LOKI = {"job": "loki", "instance": "loki.monitoring:3100", "tenant": "fake"}
RECEIVER = {"receiver": "otlp", "transport": "grpc"}
GENERATOR_QUEUE = {"remote_name": "0f6b1c", "url": "http://prometheus.monitoring:9090/api/v1/write"}


@dataclass(frozen=True)
class Incident:
    at_ms: int
    refused_spans: int = 40  # the memory limiter said no to a burst; the receiver counts them refused
    tempo_discarded: int = 5  # rate_limited
    loki_discarded: int = 3  # line_too_long


def pipeline_series(traffic, collector_values: dict, start_ms: int, end_ms: int, legacy: bool,
                    incident: Incident) -> list[Series]:
    scrape = {job["job_name"]: job for job in
              collector_values["config"]["receivers"]["prometheus"]["config"]["scrape_configs"]}
    reg = Cumulative(int(seconds(scrape["otel-collector"]["scrape_interval"]) * 1000), zero_first=False)
    suffix = "" if legacy else "_total"
    limiter = "processor_refused_" if legacy else "processor_memory_limiter_refused_"

    def col(name: str, labels: dict, by: float = 1) -> None:
        reg.add({**COLLECTOR, **labels, "__name__": f"otelcol_{name}{suffix}"}, by)

    def through(item: str, signal: str, exporter: str, n: int = 1) -> None:
        col(f"receiver_accepted_{item}", RECEIVER, n)
        col(f"receiver_refused_{item}", RECEIVER, 0)
        col(f"receiver_failed_{item}", RECEIVER, 0)
        for kind in ("incoming", "outgoing"):
            col(f"processor_{kind}_items", {"processor": "memory_limiter", "otel_signal": signal}, n)
        col(f"exporter_sent_{item}", {"exporter": exporter}, n)

    def span(_s) -> None:
        through("spans", "traces", "otlp/tempo")
        reg.add({**TEMPO, "__name__": "tempo_distributor_spans_received_total"})

    def line(_l) -> None:
        through("log_records", "logs", "otlphttp/loki")
        reg.add({**LOKI, "__name__": "loki_distributor_lines_received_total", "is_internal_stream": "false",
                 "policy": "", "format": "otlp"})

    def generator(at_ms: int) -> None:
        # The generator writes its registry every collection interval; 0 failures, as in a healthy world.
        labels = {**TEMPO, **GENERATOR_QUEUE}
        reg.add({**labels, "__name__": "prometheus_remote_storage_samples_total"}, 120)
        reg.add({**labels, "__name__": "prometheus_remote_storage_samples_failed_total"}, 0)

    def incident_happens() -> None:
        col(f"receiver_refused_spans", RECEIVER, incident.refused_spans)
        col(f"{limiter}spans", {"processor": "memory_limiter"}, incident.refused_spans)
        reg.add({**TEMPO, "__name__": "tempo_discarded_spans_total", "reason": "rate_limited"},
                incident.tempo_discarded)
        reg.add({**LOKI, "__name__": "loki_discarded_samples_total", "reason": "line_too_long",
                 "retention_hours": "168", "policy": "", "format": "otlp"}, incident.loki_discarded)

    events = [(s.end_ns // 1_000_000, lambda s=s: span(s)) for s in traffic.spans]
    events += [(l.ts_ns // 1_000_000, lambda l=l: line(l)) for l in traffic.lines]
    events += [(t, lambda t=t: generator(t)) for t in range(start_ms, end_ms, reg.interval_ms)]
    events.append((incident.at_ms, incident_happens))
    return reg.run(events, start_ms, end_ms)
