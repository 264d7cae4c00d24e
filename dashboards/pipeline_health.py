"""Pipeline health: is the audit trail complete? Per component, the spans and log records accepted,
refused and failed on the way from the agents to Tempo and Loki, and the metrics-generator's remote
write. Every metric name is the component's own (source file beside each), and every loss query shows
0, not "no data", when nothing was lost, so an empty panel is never read as "nothing dropped".

Where the series come from: the collector scrapes its own telemetry, Tempo's and Loki's /metrics
(the `prometheus` receiver in our collector values) and remote-writes them with everything else.
"""

from _common import datasources, finish

from druppie_grafana.grafana_ext.layout import Row
from druppie_grafana.grafana_ext.panels import TimeSeries
from druppie_grafana.grafana_ext.targets import PrometheusQuery

UID = "druppie-pipeline-health"
STEM = "pipeline_health"
WINDOW = "$__interval"  # each point: what happened since the previous one
SIGNALS = {"spans": "traces", "log_records": "logs"}  # collector item name -> its otel.signal value


def otelcol(name: str, **matchers: str) -> str:
    """A collector self-metric by its instrument name, with or without the `_total` a counter gets on the way
    to Prometheus: the collector's own Prometheus reader leaves it out (service/telemetry/otelconftelemetry/
    factory.go WithoutTypeSuffix), a scrape in OpenMetrics or the remote-write exporter adds it."""
    where = "".join(f', {k}="{v}"' for k, v in matchers.items())
    return f'{{__name__=~"otelcol_{name}(_total)?"{where}}}'


def per(label: str, selector: str) -> str:
    """Items counted in each interval, by label. A counter first seen with a value counts that value: a loss
    counter is born with its first loss (memory limiter, exporter failures, Tempo, Loki), and rate() or
    increase() would not see that first loss, only later ones. A counter reset (restart) counts 0."""
    by = f" by ({label})" if label else ""
    return f"sum{by} (clamp_min({selector} - {selector} offset {WINDOW}, 0) or {selector})"


def zero_when_none(loss: str, seen: str) -> str:
    """A loss counter exists only after the first loss (memory limiter, Tempo, Loki): 0 for the others."""
    return f"({loss} or {seen} * 0)"


def collector_queries(item: str) -> dict[str, dict[str, str]]:
    """Panel -> legend -> PromQL, for one kind of item (spans or log_records)."""
    signal = SIGNALS[item]
    # receiver/receiverhelper/metadata.yaml: receiver_{accepted,refused,failed}_<item>, label receiver
    accepted = per("receiver", otelcol(f"receiver_accepted_{item}"))
    receivers = {"{{receiver}} accepted": accepted}
    for outcome in ("refused", "failed"):
        receivers[f"{{{{receiver}}}} {outcome}"] = zero_when_none(
            per("receiver", otelcol(f"receiver_{outcome}_{item}")), accepted)
    # processor/memorylimiterprocessor/metadata.yaml: processor_memory_limiter_refused_<item> since v0.155.0
    # (CHANGELOG #11203), processor_refused_<item> before; processor/processorhelper/metadata.yaml:
    # processor_{incoming,outgoing}_items with labels processor and otel.signal (processorhelper/obsreport.go).
    incoming = per("processor", otelcol("processor_incoming_items", otel_signal=signal))
    outgoing = per("processor", otelcol("processor_outgoing_items", otel_signal=signal))
    refused = per("processor", f'{{__name__=~"otelcol_processor_(memory_limiter_)?refused_{item}(_total)?"}}')
    processors = {"{{processor}} refused (memory limit)": zero_when_none(refused, incoming),
                  "{{processor}} in − out": f"{incoming} - {outgoing}"}
    # exporter/exporterhelper/metadata.yaml: exporter_{sent,send_failed,enqueue_failed}_<item>, label exporter
    sent = per("exporter", otelcol(f"exporter_sent_{item}"))
    exporters = {"{{exporter}} sent": sent}
    for outcome in ("send_failed", "enqueue_failed"):
        exporters[f"{{{{exporter}}}} {outcome.replace('_', ' ')}"] = zero_when_none(
            per("exporter", otelcol(f"exporter_{outcome}_{item}")), sent)
    return {"receivers": receivers, "processors": processors, "exporters": exporters}


# grafana/tempo modules/distributor/distributor.go tempo_distributor_spans_received_total{tenant};
# modules/overrides/discarded_spans.go tempo_discarded_spans_total{reason, tenant}.
TEMPO_RECEIVED = per("", "tempo_distributor_spans_received_total")
TEMPO_DISCARDED = per("reason", "tempo_discarded_spans_total")
# grafana/loki pkg/loghttp/push/push.go loki_distributor_lines_received_total{tenant, ...};
# pkg/validation/validate.go loki_discarded_samples_total{reason, tenant, ...} (samples = log lines).
LOKI_RECEIVED = per("", "loki_distributor_lines_received_total")
LOKI_DISCARDED = per("reason", "loki_discarded_samples_total")
# The metrics-generator remote-writes through Prometheus' queue manager (tempo vendor/.../prometheus/storage/
# remote/queue_manager.go: prometheus_remote_storage_samples_{total,failed_total,dropped_total}, labels
# remote_name, url), registered with a tenant label (modules/generator/storage/instance.go), which a
# Prometheus' own queue does not carry.
GENERATOR = '{tenant!=""}'
GENERATOR_SENT = per("url", f"prometheus_remote_storage_samples_total{GENERATOR}")
GENERATOR_FAILED = per("url", f"prometheus_remote_storage_samples_failed_total{GENERATOR}")
GENERATOR_DROPPED = per("url", f"prometheus_remote_storage_samples_dropped_total{GENERATOR}")


def losses() -> dict[str, str]:
    """One line per stage: everything refused, failed or discarded there; 0 when nothing was."""
    out = {}
    for item in SIGNALS:
        # What the memory limiter refuses, its receiver reports refused (the error travels back), so it is
        # not added twice; what an exporter fails to send was accepted before (the sending queue answered).
        lost = [otelcol(f"receiver_{o}_{item}") for o in ("refused", "failed")]
        lost += [otelcol(f"exporter_{o}_{item}") for o in ("send_failed", "enqueue_failed")]
        # A counter that never moved may have no series: each term is 0 then, not a hole in the sum.
        out[f"collector: {item.replace('_', ' ')} lost"] = " + ".join(f"({per('', s)} or vector(0))" for s in lost)
    out["Tempo: spans discarded"] = f"sum({TEMPO_DISCARDED}) or vector(0)"
    out["Loki: lines discarded"] = f"sum({LOKI_DISCARDED}) or vector(0)"
    out["metrics-generator: samples failed"] = f"sum({GENERATOR_FAILED}) or vector(0)"
    return out


def _panel(title, description, ds, queries: dict[str, str], unit="short") -> TimeSeries:
    return TimeSeries(title=title, description=description, dataSource=ds.prometheus, unit=unit,
                      targets=[PrometheusQuery(ds.prometheus, expr, refId=chr(ord("A") + i), legendFormat=legend)
                               for i, (legend, expr) in enumerate(queries.items())])


def build(ctx):
    ds = datasources(ctx)
    rows = [Row("Is anything dropped?", [_panel(
        "Lost per stage (per interval)",
        "Spans and log records refused, failed or discarded anywhere between the agents and storage. "
        "All lines at 0: nothing was dropped in this time range.", ds, losses())], height=8)]
    for item, what in (("spans", "Spans"), ("log_records", "Log records")):
        queries = collector_queries(item)
        rows.append(Row(f"Collector: {what.lower()}", [
            _panel(f"{what}: receivers", "Accepted into the pipeline; refused (a later stage said no) and "
                   "failed (the receiver's own error) are lost unless the sender retries.", ds,
                   queries["receivers"]),
            _panel(f"{what}: processors", "The memory limiter refuses data when the collector is short of "
                   "memory; in − out is what a processor dropped on purpose (0 without sampling or filters).",
                   ds, queries["processors"]),
            _panel(f"{what}: exporters", "Sent to Tempo or Loki; send failed = refused by the backend after "
                   "retries, enqueue failed = the sending queue was full.", ds, queries["exporters"]),
        ], height=8))
    rows.append(Row("Storage", [
        _panel("Tempo: spans received and discarded", "Discarded by reason (rate_limited, trace_too_large, "
               "live_traces_exceeded ...): spans Tempo accepted over the wire and did not store.", ds,
               {"received": TEMPO_RECEIVED, "discarded {{reason}}": f"{TEMPO_DISCARDED} or vector(0)"}),
        _panel("Loki: lines received and discarded", "Discarded by reason (rate_limited, line_too_long, "
               "too_far_behind ...): lines Loki refused.", ds,
               {"received": LOKI_RECEIVED, "discarded {{reason}}": f"{LOKI_DISCARDED} or vector(0)"}),
        _panel("Metrics-generator: remote write", "Samples of span metrics and service graphs written to "
               "Prometheus; failed and dropped ones leave gaps in the latency and service-map dashboards.", ds,
               {"sent {{url}}": GENERATOR_SENT, "failed {{url}}": zero_when_none(GENERATOR_FAILED, GENERATOR_SENT),
                "dropped {{url}}": zero_when_none(GENERATOR_DROPPED, GENERATOR_SENT)}),
    ], height=8))
    return finish(ctx, STEM, UID,
                  "Is the audit trail complete? Spans and log records accepted, refused and failed per "
                  "collector component, Tempo's and Loki's discarded data, and the metrics-generator's "
                  "remote write.", rows, time=("now-6h", "now"), tags=["pipeline"])
