"""Prometheus: span metrics and service graphs; exemplars link a latency point to its trace."""

from druppie_grafana.correlations import loki_target, query_correlation, tempo_target
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


def service_correlations(ctx) -> list[dict]:
    """From a span-metric series of a service (the service label's cell in Explore's table) to that
    service's log lines in Loki and its traces in Tempo: Prometheus has no derived fields, and an
    exemplar only reaches one trace, so these are the links from "this service is slow or failing"
    to what it did."""
    contract = ctx.contract
    label = contract.metrics.service_label  # `service` (Tempo) or `service_name` (collector)
    value = f"${{{label}}}"  # Explore makes every field of the clicked row a variable
    return [
        query_correlation(
            label="Logs of this service", target_uid=ctx.datasource_uid("loki"), field=label,
            description=f"The log lines of the series' service ({contract.service_label} stream label) in Loki",
            target=loki_target(f'{{{contract.service_label}="{value}"}}')),
        query_correlation(
            label="Traces of this service", target_uid=ctx.datasource_uid("tempo"), field=label,
            description="The service's traces in Tempo (TraceQL on resource.service.name)",
            target=tempo_target(f'{{resource.service.name="{value}"}}')),
    ]


def build(ctx):
    spec = datasource(ctx, ROLE, uid=UID, name="Druppie Prometheus", type="prometheus", json_data={
        "httpMethod": "POST",
        # The producers' write interval: $__rate_interval is then at least four of their samples.
        "timeInterval": ctx.contract.metrics_interval,
        "exemplarTraceIdDestinations": exemplar_destinations(ctx),
    })
    return {**spec, "correlations": service_correlations(ctx)}
