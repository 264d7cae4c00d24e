"""Tempo: traces, wired to Loki (span -> its logs), Prometheus (span -> its metrics) and the service map."""

from druppie_grafana.datasource_base import datasource

ROLE = "tempo"
UID = "druppie-tempo"


def build(ctx):
    contract = ctx.contract
    m = contract.metrics
    service_tag = {"key": "service.name", "value": m.service_label}
    # $__tags expands to the span's mapped tags, e.g. service="router-agent".
    errors = f'{m.status_code_label}="{m.status_error_value}"'
    window = "[5m]"
    calls = f"sum by ({m.span_name_label}) (rate({m.calls_total}{{$__tags}}{window}))"
    return datasource(ctx, ROLE, uid=UID, name="Druppie Tempo", type="tempo", json_data={
        "tracesToLogsV2": {
            "datasourceUid": ctx.datasource_uid("loki"),
            # Resource attributes -> the Loki stream labels they are stored under.
            "tags": [{"key": attr, "value": label} for attr, label in contract.resource_labels],
            # Grafana generates the query: stream selector from the tags, then a trace-id filter.
            "customQuery": False,
            "filterByTraceID": True,
            "filterBySpanID": False,
            "spanStartTimeShift": "-1m",
            "spanEndTimeShift": "1m",
        },
        "tracesToMetrics": {
            "datasourceUid": ctx.datasource_uid("prometheus"),
            "tags": [service_tag],
            "spanStartTimeShift": "-2m",
            "spanEndTimeShift": "2m",
            "queries": [
                {"name": "Request rate", "query": calls},
                # 0, not no data, for a span kind that never failed (error series exist only after a failure)
                {"name": "Error rate",
                 "query": f"sum by ({m.span_name_label}) (rate({m.calls_total}{{$__tags, {errors}}}{window}))"
                          f" or {calls} * 0"},
                {"name": "p95 latency",
                 "query": f"histogram_quantile(0.95, sum by (le) (rate({m.latency_bucket}{{$__tags}}{window})))"},
            ],
        },
        "serviceMap": {"datasourceUid": ctx.datasource_uid("prometheus")},
        "nodeGraph": {"enabled": True},
        "search": {"hide": False},
        # Off on purpose: an auditor pastes a TraceID from an old incident into a dashboard whose time
        # range is "last 6 hours"; bounding the lookup by that range would find nothing.
        "traceQuery": {"timeShiftEnabled": False, "spanStartTimeShift": "-30m", "spanEndTimeShift": "30m"},
        "spanBar": {"type": "Duration"},
    })
