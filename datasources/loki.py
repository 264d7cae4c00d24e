"""Loki: logs, with each line's TraceID turned into a link to its trace in Tempo."""

from druppie_grafana.datasource_base import datasource

ROLE = "loki"
UID = "druppie-loki"


def build(ctx):
    contract = ctx.contract
    tempo = ctx.datasource_uid("tempo")
    return datasource(ctx, ROLE, uid=UID, name="Druppie Loki", type="loki", json_data={
        "maxLines": 1000,
        "derivedFields": [
            {   # The trace id inside the line text, as the agents write it (JavaScript regex, group 1).
                "name": "TraceID",
                "matcherType": "regex",
                "matcherRegex": contract.trace_id_regex(),
                "url": "${__value.raw}",
                "datasourceUid": tempo,
                "urlDisplayLabel": "View trace",
            },
            {   # The trace id that Loki's OTLP ingestion stores as structured metadata. Anchored,
                # because label matching is unanchored (it would also match parent_trace_id).
                "name": contract.structured_metadata_trace_key,
                "matcherType": "label",
                "matcherRegex": f"^{contract.structured_metadata_trace_key}$",
                "url": "${__value.raw}",
                "datasourceUid": tempo,
                "urlDisplayLabel": "View trace",
            },
        ],
    })
