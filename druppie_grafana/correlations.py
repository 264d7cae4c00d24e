"""Grafana Correlations (Explore links defined on a source datasource), in the form both outputs start from.

A correlation is written as Grafana's file provisioning reads it under a datasource's `correlations:`
(docs/sources/administration/correlations/create-a-new-correlation/index.md), with single `$`
(the YAML writer doubles them):

    {targetUID, label, description, config: {type: query, field, target, transformations?}}

Facts behind the shape (grafana pkg/services/provisioning/datasources/datasources.go, Grafana 13):
* `label` and `description` are read with unchecked Go type assertions (:212-213): both must be
  strings, so `description` is always written, empty or not;
* a root `type` is asserted to CorrelationType (:204-216), which a YAML string is not: it is left out,
  provisioning then defaults it to query;
* `config.type` must be `query` (:239-242), `transformations` belong inside `config` (:224-226);
* on every start Grafana deletes the source's provisioned correlations and creates them again (:112-136).
The HTTP API form (POST /api/datasources/uid/<sourceUID>/correlations, CreateCorrelationCommand in
the 11.4 OpenAPI spec) takes the same fields plus the root `type`; see `api_body`.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

QUERY = "query"


def query_correlation(*, label: str, description: str, target_uid: str, field: str,
                      target: Mapping[str, Any], transformations: Sequence[Mapping[str, str]] = ()) -> dict:
    """A correlation that runs `target` in the datasource `target_uid` from the `field` of a source row.

    `target` may use ${name} for any field of the clicked row (Explore adds each one as a variable)
    or a transformation's output."""
    config: dict[str, Any] = {"type": QUERY, "field": field, "target": dict(target)}
    if transformations:
        config["transformations"] = [dict(t) for t in transformations]
    return {"targetUID": target_uid, "label": label, "description": description, "config": config}


def loki_target(expr: str) -> dict:
    """A Loki query model as Explore stores it (a range query of log lines)."""
    return {"refId": "A", "expr": expr, "queryType": "range"}


def tempo_target(traceql: str, limit: int = 20) -> dict:
    """A Tempo TraceQL search as Explore stores it (a table of traces)."""
    return {"refId": "A", "queryType": "traceql", "query": traceql, "limit": limit, "tableType": "traces"}


def api_body(correlation: Mapping[str, Any]) -> dict:
    """The POST body for /api/datasources/uid/<sourceUID>/correlations: the root `type` that Grafana 11.4+
    takes (CreateCorrelationCommand.type; config.type is its legacy place and is kept for older servers)."""
    return {"type": QUERY, **correlation}


# Where a target query model of each datasource type holds its query text, and in which language.
QUERY_OF_TYPE = {"prometheus": ("promql", "expr"), "loki": ("logql", "expr"), "tempo": ("traceql", "query")}


def correlation_items(correlations: Any) -> list[tuple[int, Mapping[str, Any]]]:
    """(index, correlation) of each mapping in a datasource entry's `correlations` value."""
    if not isinstance(correlations, list):
        return []
    return [(i, c) for i, c in enumerate(correlations) if isinstance(c, Mapping)]
