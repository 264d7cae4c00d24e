"""Grafana Correlations (a datasource's `correlations:`, Explore links): the target resolves, the entry has
the shape Grafana's provisioning accepts, and the link can show (its field and every variable of its
target come from the source's rows). Their target queries are parsed by rules_queries."""

from __future__ import annotations

import re
from typing import Any, Iterator, Mapping

from ..contract import Contract
from ..correlations import QUERY, correlation_items
from ..grafana_ext.queries import label_name
from .finding import ERROR, Hit
from .inputs import PROVISIONING, CheckInput, DatasourceEntry
from .registry import check, define
from .walk import is_builtin, strings, variable_refs

TARGET = define(
    "correlation-target", ERROR,
    "a Grafana correlation's targetUID is missing or is not the uid of a provisioned datasource",
    "set targetUID to the uid of a datasource provisioned with it (ctx.datasource_uid(role)); Grafana "
    "refuses an unknown target and does not resolve names here")
SHAPE = define(
    "correlation-config", ERROR,
    "a Grafana correlation is not what provisioning accepts: label/description not strings, config.type "
    "not query, no config.field or config.target, transformations outside config or of an unknown type, "
    "or (YAML) a root `type`",
    "write {targetUID, label, description, config: {type: query, field, target, transformations}}; "
    "druppie_grafana.correlations.query_correlation() does")
FIELD = define(
    "correlation-field", ERROR,
    "a Grafana correlation's field is not one the source datasource's rows have, or its target uses a "
    "variable no field or transformation defines (Grafana then shows no link)",
    "use a field of the source's rows (a span-metric label for Prometheus, Line for Loki) and "
    "${field} variables of that row or of a transformation's mapValue")

# Fields of a Loki logs frame, before and after Grafana's Loki data-plane change (logsFrame.ts).
LOKI_FIELDS = frozenset({"Line", "labels", "Time", "tsNs", "id", "body", "timestamp", "severity"})
# Fields Prometheus adds to every series in Explore's table, besides the series' own labels.
PROMETHEUS_FIELDS = frozenset({"Time", "Value", "__name__", "job", "instance", "le"})


def source_fields(ds_type: str, contract: Contract) -> frozenset[str] | None:
    """The field names rows of this source have, as far as the contract tells; None: not known."""
    if ds_type == "loki":
        return LOKI_FIELDS
    if ds_type == "prometheus":
        m = contract.metrics
        labels = {m.service_label, m.span_name_label, m.span_kind_label, m.status_code_label,
                  m.graph_client_label, m.graph_server_label, label_name(contract.agent_attribute)}
        return PROMETHEUS_FIELDS | labels
    return None


def _shape_problems(item: Mapping[str, Any], form: str) -> Iterator[tuple[str, tuple]]:
    """(message, path inside the correlation) of each thing provisioning would refuse or crash on."""
    for key in ("label", "description"):
        if not isinstance(item.get(key), str):  # unchecked .(string) in datasources.go:212-213
            yield f"{key} must be a string (Grafana's provisioning reads it unchecked and fails without it)", (key,)
    if form == PROVISIONING and "type" in item:
        yield "a root `type` in provisioning YAML is asserted to CorrelationType and fails; leave it out", ("type",)
    if "transformations" in item:
        yield "transformations must sit inside config (ErrTransformationNotNested)", ("transformations",)
    config = item.get("config")
    if not isinstance(config, Mapping):
        yield "config is missing: a query correlation needs config.field and config.target", ("config",)
        return
    if config.get("type") != QUERY:
        yield f"config.type is {config.get('type')!r}; Grafana accepts only 'query' there", ("config", "type")
    if not isinstance(config.get("field"), str) or not config["field"]:
        yield "config.field (the source field the link is shown on) is required", ("config", "field")
    if not isinstance(config.get("target"), Mapping):
        yield "config.target (the target query model) must be a mapping", ("config", "target")
    steps = config.get("transformations") or []
    for index, step in enumerate(steps if isinstance(steps, list) else [None]):
        kind = step.get("type") if isinstance(step, Mapping) else None
        if kind not in ("regex", "logfmt"):
            yield f"transformation type {kind!r} is not regex or logfmt", ("config", "transformations", index)
        elif kind == "regex" and not step.get("expression"):
            yield "a regex transformation needs an expression", ("config", "transformations", index, "expression")


def defined_variables(config: Mapping[str, Any], fields: frozenset[str]) -> set[str] | None:
    """Variables a click defines: the row's fields and the transformations' outputs (None: any,
    since logfmt makes a variable of every key of the text it parses)."""
    names = set(fields)
    for step in config.get("transformations") or []:
        if not isinstance(step, Mapping):
            continue
        if step.get("type") == "logfmt":
            return None
        # regex: named groups become variables, else mapValue, else the link's field name
        groups = re.findall(r"\(\?<([A-Za-z_]\w*)>", str(step.get("expression") or ""))
        names.update(groups or [step.get("mapValue") or config.get("field")])
    return names


def _field_problems(entry: DatasourceEntry, item: Mapping[str, Any], fields: frozenset[str]) -> Iterator[tuple[str, tuple]]:
    config = item.get("config")
    if not isinstance(config, Mapping) or not isinstance(config.get("field"), str):
        return
    field = config["field"]
    if field not in fields:
        yield (f"field {field!r} is not a field of {entry.type} rows here (known: {', '.join(sorted(fields))}), "
               "so the link never shows", ("config", "field"))
    for step_index, step in enumerate(config.get("transformations") or []):
        if isinstance(step, Mapping) and step.get("field") and step["field"] not in fields:
            yield (f"transformation reads field {step['field']!r}, which {entry.type} rows do not have",
                   ("config", "transformations", step_index, "field"))
    defined = defined_variables(config, fields)
    if defined is None:
        return
    for text, parts in strings(config.get("target"), ("config", "target")):
        for name, _, _ in variable_refs(text):
            if not is_builtin(name) and name not in defined:
                yield (f"${{{name}}} is neither a field of the clicked row nor a transformation's output, so "
                       "Grafana hides the link", parts)


@check
def explore_correlations(checked: CheckInput) -> Iterator[Hit]:
    for entry in checked.datasources:
        if "correlations" in entry.spec and not isinstance(entry.spec["correlations"], list):
            yield Hit(SHAPE, "correlations must be a list", entry.file, entry.at("correlations"))
            continue
        fields = source_fields(entry.type, checked.contract)
        for index, item in correlation_items(entry.spec.get("correlations")):
            where = ("correlations", index)
            for message, parts in _shape_problems(item, entry.form):
                yield Hit(SHAPE, message, entry.file, entry.at(*where, *parts))
            yield from _target_hits(checked, entry, item, where)
            if fields is not None:
                for message, parts in _field_problems(entry, item, fields):
                    yield Hit(FIELD, message, entry.file, entry.at(*where, *parts))


def _target_hits(checked: CheckInput, entry: DatasourceEntry, item: Mapping[str, Any], where: tuple) -> Iterator[Hit]:
    uid = item.get("targetUID")
    path = entry.at(*where, "targetUID")
    if not isinstance(uid, str) or not uid:
        yield Hit(TARGET, f"targetUID is {uid!r}: a query correlation must name its target", entry.file, path)
    elif checked.datasource_by_ref(uid) is None and checked.complete_inventory:
        named = checked.datasource_by_name(uid)
        hint = f"write targetUID: {named.uid}" if named is not None else None
        known = ", ".join(sorted(filter(None, (e.uid for e in checked.datasources)))) or "none"
        yield Hit(TARGET, f"targetUID {uid!r} is no provisioned datasource's uid (defined: {known})",
                  entry.file, path, hint)
