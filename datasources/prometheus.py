"""Prometheus: span metrics and service graphs; exemplars link a latency point to its trace."""

from druppie_grafana.datasource_base import datasource

ROLE = "prometheus"
UID = "druppie-prometheus"


def build(ctx):
    return datasource(ctx, ROLE, uid=UID, name="Druppie Prometheus", type="prometheus", json_data={
        "httpMethod": "POST",
        "timeInterval": "15s",
        "exemplarTraceIdDestinations": [
            {"name": ctx.contract.exemplar_label, "datasourceUid": ctx.datasource_uid("tempo"),
             "urlDisplayLabel": "View trace"},
        ],
    })
