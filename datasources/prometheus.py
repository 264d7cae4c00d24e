"""Prometheus: span metrics and service graphs; exemplars link a latency point to its trace."""

from druppie_grafana.datasource_base import datasource

ROLE = "prometheus"
UID = "druppie-prometheus"


def exemplar_destinations(ctx) -> list[dict]:
    """An exemplar opens its trace in Tempo (Explore) and, when the Trace audit dashboard is built,
    the whole story of that request there (spans, audit attributes, log lines)."""
    label = ctx.contract.exemplar_label
    destinations = [{"name": label, "datasourceUid": ctx.datasource_uid("tempo"), "urlDisplayLabel": "View trace"}]
    if "trace_audit" in ctx.dashboard_uids:
        destinations.append({"name": label, "urlDisplayLabel": "Audit this trace",
                             "url": f"/d/{ctx.dashboard_uid('trace_audit')}?var-traceID=${{__value.raw}}"})
    return destinations


def build(ctx):
    return datasource(ctx, ROLE, uid=UID, name="Druppie Prometheus", type="prometheus", json_data={
        "httpMethod": "POST",
        # The producers' write interval: $__rate_interval is then at least four of their samples.
        "timeInterval": ctx.contract.metrics_interval,
        "exemplarTraceIdDestinations": exemplar_destinations(ctx),
    })
