"""Service map: who calls whom, how often, and how often it fails (Tempo's service graph)."""

from _common import dashboard_url, datasources, finish

from druppie_grafana.grafana_ext.layout import Row
from druppie_grafana.grafana_ext.panels import NodeGraph, Table, TimeSeries, by_name, link, merge, organize
from druppie_grafana.grafana_ext.targets import PrometheusQuery, ServiceMap

UID = "druppie-service-map"
STEM = "service_map"
WINDOW = "[$__range]"  # the edge table summarises the whole chosen time range


def edge_queries(contract) -> dict[str, str]:
    """Column title -> instant PromQL over the service-graph metrics, one row per (client, server)."""
    m = contract.metrics
    edge = f"{m.graph_client_label}, {m.graph_server_label}"
    requests = f"sum by ({edge}) (rate({m.graph_request_total}{WINDOW}))"
    # The producers write a failed series only once an edge failed: 0 for the others, not a gap.
    failed = f"(sum by ({edge}) (rate({m.graph_request_failed_total}{WINDOW})) or {requests} * 0)"
    return {
        "Requests/s": requests,
        "Failed/s": failed,
        "Error ratio": f"{failed} / {requests}",
        "p95 server time": (f"histogram_quantile(0.95, sum by (le, {edge}) "
                            f"(rate({m.graph_server_seconds_bucket}{WINDOW})))"),
    }


def build(ctx):
    contract = ctx.contract
    m = contract.metrics
    ds = datasources(ctx)
    graph = NodeGraph(
        title="Service map", dataSource=ds.tempo, targets=[ServiceMap(ds.tempo)],
        description="Nodes are services, edges are calls. Click a node for its request rate, errors and traces.",
        nodeMainStatUnit="ms/r", nodeSecondaryStatUnit="r/sec", edgeMainStatUnit="ms/r", edgeSecondaryStatUnit="r/sec")
    queries = edge_queries(contract)
    refs = "ABCD"
    to_latency = link("Latency of this service", dashboard_url(ctx, "latency", "var-service=${__value.raw}"))
    edges = Table(
        title="Calls between services", dataSource=ds.prometheus,
        description="Each row is one edge of the map over the chosen time range. Click a service for its latency.",
        targets=[PrometheusQuery(ds.prometheus, expr, refId=ref, instant=True, format="table", legendFormat="")
                 for ref, expr in zip(refs, queries.values())],
        transformations=[merge(), organize(
            exclude=("Time",),
            rename={f"Value #{ref}": title for ref, title in zip(refs, queries)} | {
                m.graph_client_label: "Client", m.graph_server_label: "Server"},
            order=(m.graph_client_label, m.graph_server_label) + tuple(f"Value #{ref}" for ref in refs))],
        overrides=[by_name("Requests/s", unit="reqps"), by_name("Failed/s", unit="reqps"),
                   by_name("Error ratio", unit="percentunit"), by_name("p95 server time", unit="s"),
                   by_name("Client", links=[to_latency]), by_name("Server", links=[to_latency])],
        sortBy=[{"displayName": "Requests/s", "desc": True}])
    failing = TimeSeries(
        title="Failed calls per edge", dataSource=ds.prometheus, unit="reqps",
        targets=[PrometheusQuery(
            ds.prometheus,
            f"sum by ({m.graph_client_label}, {m.graph_server_label}) "
            f"(rate({m.graph_request_failed_total}[$__rate_interval])) > 0",
            legendFormat=f"{{{{{m.graph_client_label}}}}} → {{{{{m.graph_server_label}}}}}")])
    rows = [
        Row(None, [graph], height=16),
        Row("Edges", [edges], height=10),
        Row("Failures over time", [failing], height=8),
    ]
    return finish(ctx, STEM, UID,
                  "Which service calls which, how often and how often it fails, from Tempo's service graph.",
                  rows, time=("now-1h", "now"), tags=["service-map"])
