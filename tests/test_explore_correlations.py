"""Grafana Correlations (Explore links on a source datasource): what we provision, that a click on a
span-metric series of a service lands on exactly that service's log lines and a Tempo search for it
(real OpenTelemetry SDK traffic, the series Tempo's metrics-generator and the collector's connectors
write for it, the built correlations evaluated as Grafana's Explore does), and that the validate rules
catch a wrong field, target, escaping or query."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import yaml

pytest.importorskip("opentelemetry.sdk", reason="the agent extra (opentelemetry-sdk) is not installed")

from druppie_grafana.build import Project, build_resources, render  # noqa: E402
from druppie_grafana.checks import run_checks  # noqa: E402
from druppie_grafana.checks.inputs import CheckInput, add_document, from_resources  # noqa: E402
from druppie_grafana.contract import DEFAULT_CONTRACT, METRICS_NAMINGS  # noqa: E402
from druppie_grafana.correlation_click import correlation_links, logfmt_vars  # noqa: E402
from druppie_grafana.jsregex import node_path  # noqa: E402
from druppie_grafana.logql_match import LogEntry, parse  # noqa: E402
from druppie_grafana.outputs.helm_values import helm_files  # noqa: E402
from druppie_grafana.resources import DATASOURCE  # noqa: E402

from span_metric_producers import collector_series, tempo_series  # noqa: E402
from traffic import SERVICES, place, record  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
needs_node = pytest.mark.skipif(node_path() is None, reason="node is needed for JavaScript regex semantics")
RULES = {"correlation-target", "correlation-config", "correlation-field", "logql-syntax", "traceql-syntax",
         "dollar-escaping"}


def built(naming: str = "tempo", env_name: str = "dev"):
    project = Project(ROOT)
    env = dataclasses.replace(project.environment(env_name),
                              contract=DEFAULT_CONTRACT.replace(metrics_naming=naming))
    return env, build_resources(project, env)


def prometheus_of(resources):
    return next(r for r in resources if r.kind == DATASOURCE and r.spec["type"] == "prometheus")


@pytest.fixture(scope="module")
def traffic():
    return place(record(DEFAULT_CONTRACT, requests=12), 1_700_000_000_000_000_000, 5)


# ---- what is provisioned -----------------------------------------------------------------------------

@pytest.mark.parametrize("naming", METRICS_NAMINGS)
def test_the_span_metric_service_label_links_to_logs_and_traces_in_both_output_forms(naming):
    env, resources = built(naming)
    prom = prometheus_of(resources)
    label = DEFAULT_CONTRACT.replace(metrics_naming=naming).metrics.service_label
    assert [(c["config"]["field"], c["targetUID"]) for c in prom.correlations] == \
        [(label, "druppie-loki"), (label, "druppie-tempo")]
    assert "correlations" not in prom.spec  # the datasource API has no such field
    files = render(resources, env)
    entry = yaml.safe_load(files["provisioning/datasources/druppie-prometheus.yaml"])["datasources"][0]
    assert entry["correlations"][0]["config"]["target"]["expr"] == f'{{service_name="$${{{label}}}"}}'
    assert all("type" not in c and c["config"]["type"] == "query" for c in entry["correlations"])
    api = yaml.safe_load(files["api/correlations/druppie-prometheus.json"])
    assert api["sourceUID"] == "druppie-prometheus"
    assert api["correlations"][1]["config"]["target"]["query"] == f'{{resource.service.name="${{{label}}}"}}'
    assert all(c["type"] == "query" for c in api["correlations"])


def test_the_built_correlations_pass_every_rule():
    for naming in METRICS_NAMINGS:
        _, resources = built(naming)
        findings = [f for f in run_checks(from_resources(resources, DEFAULT_CONTRACT.replace(metrics_naming=naming)))
                    if f.rule in RULES]
        assert findings == []


# ---- where a click lands: real traffic, real span-metric series ---------------------------------------

def _series(naming, traffic, resources, env):
    helm = {p.removeprefix("helm/"): yaml.safe_load(t) for p, t in helm_files(resources, env).items()}
    start = min(s.start_ns for s in traffic.spans) // 1_000_000 - 60_000
    end = max(s.end_ns for s in traffic.spans) // 1_000_000 + 120_000
    if naming == "tempo":
        return tempo_series(traffic.spans, helm["tempo-values.yaml"], start, end)
    return collector_series(traffic.spans, helm["otel-collector-values.yaml"], start, end)


@needs_node
@pytest.mark.parametrize("naming", METRICS_NAMINGS)
def test_clicking_a_services_series_lands_on_exactly_its_log_lines_and_its_traces(naming, traffic):
    env, resources = built(naming)
    contract = env.contract
    m = contract.metrics
    datasources = [r.spec for r in resources if r.kind == DATASOURCE]
    correlations = prometheus_of(resources).correlations
    calls = [s for s in _series(naming, traffic, resources, env) if s.labels["__name__"] == m.calls_total]
    assert {s.labels[m.service_label] for s in calls} == set(SERVICES)
    entries = [LogEntry(line.text, line.stream) for line in traffic.lines]
    for series in calls:
        # A row of Explore's table for this series: Time, one column per label, the value.
        row = {"Time": series.samples[-1][0], **series.labels, "Value": series.samples[-1][1]}
        service = row[m.service_label]
        logs, traces = correlation_links(correlations, row, m.service_label, datasources)
        assert (logs.target_type, traces.target_type) == ("loki", "tempo")
        query = parse(logs.target["expr"])
        got = {line.text for line, entry in zip(traffic.lines, entries) if query.selects(entry)}
        assert got == {line.text for line in traffic.lines if line.service == service} and got
        assert traces.target["query"] == f'{{resource.service.name="{service}"}}'
        assert traces.target["queryType"] == "traceql"
        # Other cells of the row carry no correlation.
        assert correlation_links(correlations, row, m.span_name_label, datasources) == []


def test_a_row_without_the_field_gets_no_link():
    _, resources = built()
    datasources = [r.spec for r in resources if r.kind == DATASOURCE]
    edge = {"Time": 1, "client": "router-agent", "server": "iam-service", "Value": 3}  # a service-graph row
    assert correlation_links(prometheus_of(resources).correlations, edge, "service", datasources) == []


@needs_node
def test_transformations_as_grafanas_documented_example():
    """docs/sources/administration/correlations/use-variables-and-transformations: the regex maps
    app1 to ${application}, logfmt gives ${service} the whole app1.loginService."""
    line = "level=error msg=error service=app1.loginService"
    correlations = [
        {"targetUID": "t", "label": "App metrics", "description": "", "config": {
            "type": "query", "field": "msg", "target": {"alias": "${application}"},
            "transformations": [{"type": "regex", "field": "msg", "expression": r"service=(\w+)\.\w+",
                                 "mapValue": "application"}]}},
        {"targetUID": "t", "label": "Service metrics", "description": "", "config": {
            "type": "query", "field": "msg", "target": {"alias": "${service}"},
            "transformations": [{"type": "logfmt", "field": "msg"}]}},
        {"targetUID": "t", "label": "Hidden", "description": "", "config": {
            "type": "query", "field": "msg", "target": {"alias": "${nowhere}"}}},
    ]
    links = correlation_links(correlations, {"time": 1, "msg": line}, "msg", [{"uid": "t", "name": "T", "type": "testdata"}])
    assert [(l.title, l.target["alias"]) for l in links] == [("App metrics", "app1"),
                                                            ("Service metrics", "app1.loginService")]
    assert logfmt_vars('a=1 b="x \\"y\\"" flag') == {"a": "1", "b": 'x "y"', "flag": "true"}


# ---- mutations: each defect is caught by its rule -----------------------------------------------------

def _provisioning_findings(mutate):
    env, resources = built()
    doc = yaml.safe_load(render(resources, env)["provisioning/datasources/druppie-prometheus.yaml"])
    mutate(doc["datasources"][0]["correlations"])
    checked = CheckInput(contract=env.contract)
    for res in resources:
        if res.kind == DATASOURCE and res.spec["type"] != "prometheus":
            add_document(checked, yaml.safe_load(render([res], env)[f"provisioning/datasources/{res.uid}.yaml"]),
                         res.uid, [])
    add_document(checked, doc, "prometheus.yaml", [])
    checked.complete_inventory = True
    return {(f.rule, f.path) for f in run_checks(checked) if f.rule in RULES}


MUTATIONS = {
    "wrong field": (lambda c: c[0]["config"].update(field="service_nam"),
                    ("correlation-field", "$.datasources[0].correlations[0].config.field")),
    "wrong target uid": (lambda c: c[1].update(targetUID="druppie-tmpo"),
                         ("correlation-target", "$.datasources[0].correlations[1].targetUID")),
    "target by name": (lambda c: c[1].update(targetUID="Druppie Tempo"),
                       ("correlation-target", "$.datasources[0].correlations[1].targetUID")),
    "variable nothing defines": (lambda c: c[0]["config"]["target"].update(expr='{service_name="$${svc}"}'),
                                 ("correlation-field", "$.datasources[0].correlations[0].config.target.expr")),
    "unescaped variable": (lambda c: c[0]["config"]["target"].update(expr='{service_name="${service}"}'),
                           ("dollar-escaping", "$.datasources[0].correlations[0].config.target.expr")),
    "broken LogQL": (lambda c: c[0]["config"]["target"].update(expr='{service_name="$${service}"'),
                     ("logql-syntax", "$.datasources[0].correlations[0].config.target.expr")),
    "broken TraceQL": (lambda c: c[1]["config"]["target"].update(query='{resource.service.name="$${service}" &&}'),
                       ("traceql-syntax", "$.datasources[0].correlations[1].config.target.query")),
    "root type in YAML": (lambda c: c[0].update(type="query"),
                          ("correlation-config", "$.datasources[0].correlations[0].type")),
    "no description": (lambda c: c[0].pop("description"),
                       ("correlation-config", "$.datasources[0].correlations[0].description")),
    "config.type external": (lambda c: c[0]["config"].update(type="external"),
                             ("correlation-config", "$.datasources[0].correlations[0].config.type")),
    "regex without expression": (lambda c: c[0]["config"].update(transformations=[{"type": "regex"}]),
                                 ("correlation-config",
                                  "$.datasources[0].correlations[0].config.transformations[0].expression")),
}


def test_the_unmutated_provisioning_file_has_no_finding():
    assert _provisioning_findings(lambda c: None) == set()


@pytest.mark.parametrize("name", MUTATIONS)
def test_each_correlation_defect_is_caught(name):
    mutate, expected = MUTATIONS[name]
    assert expected in _provisioning_findings(mutate)
