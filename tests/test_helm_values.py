"""Helm values: they parse, the collector's pipelines are whole, endpoints are the datasources' URLs,
and label and metric names are the contract's (and follow it when it changes)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from druppie_grafana.build import Project, build, build_resources
from druppie_grafana.errors import InputError
from druppie_grafana.outputs.helm_values import loki_label_name as label_name
from druppie_grafana.resources import DATASOURCE

ENVS = ("dev", "test", "prod")


def _set(root: Path, env: str | None = None, **changes) -> None:
    """Change environments.yaml of a scratch project: top-level keys, or one environment's keys."""
    path = root / "environments.yaml"
    data = yaml.safe_load(path.read_text())
    target = data["environments"][env] if env else data
    target.update(changes)
    path.write_text(yaml.safe_dump(data))


def _helm(root: Path, env: str) -> tuple[dict[str, dict], dict[str, str]]:
    """(values by file name, datasource URL by type) of one build."""
    result = build(Project(root), env)
    values = {p.removeprefix("helm/"): yaml.safe_load(t) for p, t in result.files.items() if p.startswith("helm/")}
    urls = {r.spec["type"]: r.spec["url"] for r in result.resources if r.kind == DATASOURCE}
    return values, urls


@pytest.fixture(scope="module")
def shipped(project_root, tmp_path_factory):
    """The checkout's own environments, built into a scratch copy (build writes into the project)."""
    root = tmp_path_factory.mktemp("shipped")
    shutil.copy(project_root / "environments.yaml", root / "environments.yaml")
    shutil.copytree(project_root / "datasources", root / "datasources",
                    ignore=shutil.ignore_patterns("__pycache__"))
    (root / "dashboards").mkdir()
    built = {env: _helm(root, env) for env in ENVS}
    built["root"] = root
    return built


def _pipelines_problems(config: dict) -> list[str]:
    """Every pipeline component name that is not defined (or defined as null) in the collector config."""
    defined = {kind: {k for k, v in (config.get(kind) or {}).items() if v is not None}
               for kind in ("receivers", "processors", "exporters", "connectors", "extensions")}
    problems = []
    for name, pipe in config["service"]["pipelines"].items():
        assert pipe["receivers"] and pipe["exporters"], name
        for kind in ("receivers", "processors", "exporters"):
            for comp in pipe.get(kind, []):
                if comp not in defined[kind] and comp not in defined["connectors"]:
                    problems.append(f"{name}.{kind}: {comp}")
        if pipe.get("processors"):
            if pipe["processors"][0] != "memory_limiter" or pipe["processors"][-1] != "batch":
                problems.append(f"{name}: memory_limiter must come first and batch last")
    for ext in config["service"].get("extensions", []):
        if ext not in defined["extensions"]:
            problems.append(f"extensions: {ext}")
    # A connector is an exporter of one pipeline and a receiver of another, or it does nothing.
    for conn in defined["connectors"]:
        pipes = config["service"]["pipelines"].values()
        if not (any(conn in p["exporters"] for p in pipes) and any(conn in p["receivers"] for p in pipes)):
            problems.append(f"connector {conn} is not both exported to and received from")
    return problems


def test_every_values_file_parses_and_says_how_to_install(shipped):
    for env in ENVS:
        values, _ = shipped[env]
        assert set(values) == {"tempo-values.yaml", "otel-collector-values.yaml", "grafana-values.yaml",
                               "loki-values.yaml"}
    text = (shipped["root"] / "build/dev/helm/tempo-values.yaml").read_text()
    assert "helm upgrade --install tempo grafana/tempo --namespace monitoring -f build/dev/helm/tempo-values.yaml" in text


def test_tempo_values_persist_10gi_and_receive_otlp(shipped):
    for env in ENVS:
        tempo = shipped[env][0]["tempo-values.yaml"]
        assert tempo["persistence"] == {"enabled": True, "size": "10Gi"}
        protocols = tempo["tempo"]["receivers"]["otlp"]["protocols"]
        assert protocols["grpc"]["endpoint"].endswith(":4317") and protocols["http"]["endpoint"].endswith(":4318")


def test_collector_pipelines_name_only_defined_components(shipped, scratch_project):
    configs = [shipped[env][0]["otel-collector-values.yaml"]["config"] for env in ENVS]
    _set(scratch_project, contract={"metrics_naming": "otel-collector"})
    configs.append(_helm(scratch_project, "test")[0]["otel-collector-values.yaml"]["config"])
    for config in configs:
        assert _pipelines_problems(config) == []
        assert set(config["service"]["pipelines"]) == {"traces", "logs", "metrics"}


def test_the_pipeline_check_catches_an_undefined_component(shipped):
    config = shipped["dev"][0]["otel-collector-values.yaml"]["config"]
    broken = yaml.safe_load(yaml.safe_dump(config))
    broken["service"]["pipelines"]["logs"]["exporters"].append("loki")
    broken["receivers"]["otlp"] = None
    problems = _pipelines_problems(broken)
    assert "logs.exporters: loki" in problems and "traces.receivers: otlp" in problems


def test_endpoints_are_the_datasource_urls(shipped):
    for env in ENVS:
        values, urls = shipped[env]
        exporters = values["otel-collector-values.yaml"]["config"]["exporters"]
        tempo = values["tempo-values.yaml"]["tempo"]
        assert exporters["otlphttp/loki"]["endpoint"] == urls["loki"] + "/otlp"
        assert exporters["prometheusremotewrite"]["endpoint"] == urls["prometheus"] + "/api/v1/write"
        assert tempo["metricsGenerator"]["storage"]["remote_write"][0]["url"] == urls["prometheus"] + "/api/v1/write"
        host, port = exporters["otlp/tempo"]["endpoint"].rsplit(":", 1)
        assert host == urlsplit(urls["tempo"]).hostname and port == "4317"
        assert urlsplit(urls["tempo"]).port == tempo["server"]["http_listen_port"]  # what Grafana queries


def test_a_tempo_url_on_another_port_than_the_chart_publishes_is_refused(scratch_project):
    _set(scratch_project, "dev", datasources={"tempo": {"url": "http://tempo.monitoring:3100"},
                                              "loki": {"url": "http://loki.monitoring:3100"},
                                              "prometheus": {"url": "http://prometheus.monitoring:9090"}})
    with pytest.raises(InputError, match=r"environments.yaml: \$\.environments\.dev\.datasources\.tempo\.url: .*3200"):
        build(Project(scratch_project), "dev")
    assert not (scratch_project / "build" / "dev").exists()  # nothing half-written


def _prometheus_name(namespace: str, metric: str, unit: str, suffix: str) -> str:
    """The Prometheus name the remote-write exporter gives an OTel metric (dots -> _, unit and type suffixes)."""
    units = {"ms": "milliseconds", "s": "seconds"}
    parts = [f"{namespace}.{metric}".replace(".", "_")]
    if unit:
        parts.append(units[unit])
    return "_".join(parts + [suffix])


def test_tempo_naming_generates_span_metrics_in_tempo_with_the_contract_labels(shipped):
    contract = Project(shipped["root"]).environment("dev").contract
    m = contract.metrics
    values, _ = shipped["dev"]
    generator = values["tempo-values.yaml"]["tempo"]["metricsGenerator"]
    assert generator["enabled"] is True
    assert generator["storage"]["remote_write"][0]["send_exemplars"] is True  # exemplars link points to traces
    assert set(values["tempo-values.yaml"]["tempo"]["overrides"]["defaults"]["metrics_generator"]["processors"]) \
        == {"span-metrics", "service-graphs", "local-blocks"}
    assert generator["processor"]["span_metrics"]["dimensions"] == [contract.agent_attribute]
    dims = generator["processor"]["span_metrics"]["intrinsic_dimensions"]
    assert {k for k, on in dims.items() if on} == {m.service_label, m.span_name_label, m.span_kind_label,
                                                   m.status_code_label}
    assert m.calls_total == "traces_spanmetrics_calls_total" and m.exemplar_label == "traceID"
    assert "connectors" not in values["otel-collector-values.yaml"]["config"]


def test_otel_collector_naming_moves_span_metrics_to_the_collector_under_the_contract_names(scratch_project):
    _set(scratch_project, contract={"metrics_naming": "otel-collector"})
    values, urls = _helm(scratch_project, "dev")
    contract = Project(scratch_project).environment("dev").contract
    m = contract.metrics
    tempo = values["tempo-values.yaml"]["tempo"]
    # Tempo keeps only local-blocks (TraceQL metrics): no span-metric or service-graph series twice.
    assert tempo["overrides"]["defaults"]["metrics_generator"]["processors"] == ["local-blocks"]
    assert "span_metrics" not in tempo["metricsGenerator"]["processor"]
    config = values["otel-collector-values.yaml"]["config"]
    spanmetrics = config["connectors"]["spanmetrics"]
    assert spanmetrics["exemplars"]["enabled"] is True
    ns, unit = spanmetrics["namespace"], spanmetrics["histogram"]["unit"]
    assert _prometheus_name(ns, "calls", "", "total") == m.calls_total
    for suffix, name in (("bucket", m.latency_bucket), ("count", m.latency_count), ("sum", m.latency_sum)):
        assert _prometheus_name(ns, "duration", unit, suffix) == name
    assert "servicegraph" in config["connectors"]
    assert config["service"]["pipelines"]["metrics"]["exporters"] == ["prometheusremotewrite"]
    assert config["exporters"]["prometheusremotewrite"]["endpoint"] == urls["prometheus"] + "/api/v1/write"
    # And the datasource the dashboards use asks for the same names.
    tempo_ds = build_resources(Project(scratch_project), Project(scratch_project).environment("dev"))
    queries = next(r for r in tempo_ds if r.spec.get("type") == "tempo").spec["jsonData"]["tracesToMetrics"]["queries"]
    assert all(m.calls_total in q["query"] or m.latency_bucket in q["query"] for q in queries)
    assert m.calls_total != "traces_spanmetrics_calls_total"  # the change reached the values


def test_resource_attributes_reach_loki_as_the_contract_labels(shipped, scratch_project):
    values, _ = shipped["dev"]
    # Default contract: Loki's own OTLP labels already are the contract's labels.
    limits = values["loki-values.yaml"]["loki"]["limits_config"]
    assert limits["allow_structured_metadata"] is True and "otlp_config" not in limits
    actions = values["otel-collector-values.yaml"]["config"]["processors"]["resource/correlation"]["attributes"]
    assert actions == [{"key": "deployment.environment", "value": "dev", "action": "insert"}]
    assert values["otel-collector-values.yaml"]["presets"]["kubernetesAttributes"]["enabled"] is True

    _set(scratch_project, contract={"resource_labels": {"service.name": "app", "team.name": "team_name"}})
    values, _ = _helm(scratch_project, "dev")
    collector = values["otel-collector-values.yaml"]
    actions = collector["config"]["processors"]["resource/correlation"]["attributes"]
    assert actions == [{"key": "app", "from_attribute": "service.name", "action": "insert"}]
    assert "presets" not in collector  # no k8s.* attribute mapped, no RBAC asked for
    indexed = values["loki-values.yaml"]["loki"]["limits_config"]["otlp_config"]["resource_attributes"]
    assert indexed["attributes_config"] == [{"action": "index_label", "attributes": ["app", "team.name"]}]
    for pipe in collector["config"]["service"]["pipelines"].values():
        assert "resource/correlation" in pipe["processors"]  # traces carry the same keys as logs


def test_credentials_are_references_the_pods_resolve(shipped, monkeypatch):
    test_values, _ = shipped["test"]
    collector = test_values["otel-collector-values.yaml"]
    assert collector["config"]["extensions"]["basicauth/loki"]["client_auth"] == {
        "username": "grafana", "password": "${env:LOKI_PASSWORD}"}
    assert collector["config"]["exporters"]["otlphttp/loki"]["auth"] == {"authenticator": "basicauth/loki"}
    assert "basicauth/loki" in collector["config"]["service"]["extensions"]
    assert collector["extraEnvs"] == [{"name": "LOKI_PASSWORD", "valueFrom": {"secretKeyRef": {
        "name": "druppie-telemetry-credentials", "key": "LOKI_PASSWORD"}}}]
    assert test_values["grafana-values.yaml"]["envFromSecret"] == "druppie-telemetry-credentials"
    prod = shipped["prod"][0]["otel-collector-values.yaml"]
    assert prod["config"]["extensions"]["basicauth/loki"]["client_auth"]["password"] == \
        "${file:/var/run/secrets/loki/password}"
    assert "extraEnvs" not in prod and "envFromSecret" not in shipped["dev"][0]["grafana-values.yaml"]
    monkeypatch.setenv("LOKI_PASSWORD", "s3cret-not-for-output")
    files = build(Project(shipped["root"]), "test").files
    assert not any("s3cret-not-for-output" in t for t in files.values())


def test_prometheus_credentials_reach_tempo_remote_write(scratch_project):
    _set(scratch_project, "dev", datasources={
        "tempo": {"url": "http://tempo.monitoring:3200"}, "loki": {"url": "http://loki.monitoring:3100"},
        "prometheus": {"url": "https://mimir.example", "tenant": "druppie",
                       "basic_auth": {"user": "writer", "password": {"env": "PROM_PASSWORD"}}}})
    tempo = _helm(scratch_project, "dev")[0]["tempo-values.yaml"]["tempo"]
    target = tempo["metricsGenerator"]["storage"]["remote_write"][0]
    assert target["url"] == "https://mimir.example/api/v1/write"
    assert target["basic_auth"] == {"username": "writer", "password": "${PROM_PASSWORD}"}
    assert target["headers"] == {"X-Scope-OrgID": "druppie"}
    assert tempo["extraArgs"] == {"config.expand-env": "true"}  # else Tempo keeps ${PROM_PASSWORD} literally
    assert tempo["extraEnv"][0]["name"] == "PROM_PASSWORD"


# ---- the dashboards' queries against what the values make Tempo or the collector produce ---------

@pytest.mark.parametrize("naming", ["tempo", "otel-collector"])
def test_producers_write_as_often_as_the_prometheus_datasource_expects(scratch_project, naming):
    """The connectors flush every 60 s by default; rate() over $__rate_interval (4 x timeInterval)
    then sees one sample. One contract setting drives the producers and the datasource."""
    _set(scratch_project, contract={"metrics_naming": naming, "metrics_interval": "20s"})
    values, _ = _helm(scratch_project, "dev")
    project = Project(scratch_project)
    prometheus = next(r.spec for r in build_resources(project, project.environment("dev"))
                      if r.kind == DATASOURCE and r.spec["type"] == "prometheus")
    assert prometheus["jsonData"]["timeInterval"] == "20s"
    tempo = values["tempo-values.yaml"]["tempo"]["overrides"]["defaults"]["metrics_generator"]
    assert tempo["collection_interval"] == "20s"
    connectors = values["otel-collector-values.yaml"]["config"].get("connectors")
    if naming == "otel-collector":
        assert {c["metrics_flush_interval"] for c in connectors.values()} == {"20s"}
        assert "db.system" in connectors["servicegraph"]["database_name_attributes"]
    else:
        assert connectors is None


# The spanmetrics connector's own dimensions, before the configured ones.
CONNECTOR_DIMENSIONS = ("service.name", "span.name", "span.kind", "status.code")
METRIC = re.compile(r"\b(traces_[A-Za-z0-9_]+)")
MATCHERS = re.compile(r"\b(traces_[A-Za-z0-9_]+)\{([^}]*)\}")
BY = re.compile(r"\bby\s*\(([^)]*)\)")
LABEL_VALUES = re.compile(r"label_values\(\s*(traces_[A-Za-z0-9_]+)[^,]*,\s*([A-Za-z0-9_]+)\s*\)")


def _produced(values: dict, contract) -> tuple[set[str], set[str]]:
    """(metric names, label names) the span metrics and service graphs are written with."""
    m = contract.metrics
    tempo = values["tempo-values.yaml"]["tempo"]["metricsGenerator"]["processor"]
    connectors = values["otel-collector-values.yaml"]["config"].get("connectors", {})
    if "span_metrics" in tempo:
        dims = tempo["span_metrics"]
        labels = {k for k, on in dims["intrinsic_dimensions"].items() if on}
        labels |= {label_name(d) for d in dims["dimensions"]}
    else:
        attrs = CONNECTOR_DIMENSIONS + tuple(d["name"] for d in connectors["spanmetrics"]["dimensions"])
        labels = {label_name(a) for a in attrs}
    labels |= {"le", m.graph_client_label, m.graph_server_label}
    names = {m.calls_total, m.latency_bucket, m.latency_count, m.latency_sum, m.graph_request_total,
             m.graph_request_failed_total, m.graph_server_seconds_bucket}
    return names, labels


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def _unproduced(texts, names: set[str], labels: set[str]) -> list[str]:
    missing = []
    for text in texts:
        if "traces_" not in text:
            continue
        missing += [f"metric {n} in {text!r}" for n in METRIC.findall(text) if n not in names]
        used = [part.split("=")[0].split("!")[0].strip() for _, body in MATCHERS.findall(text)
                for part in body.split(",")]
        used += [label.strip() for group in BY.findall(text) for label in group.split(",")]
        used += [label for _, label in LABEL_VALUES.findall(text)]
        missing += [f"label {lb} in {text!r}" for lb in used if lb and not lb.startswith("$") and lb not in labels]
    return missing


@pytest.mark.parametrize("naming", ["tempo", "otel-collector"])
def test_the_dashboards_query_only_metrics_and_labels_that_are_produced(project_root, scratch_project, naming):
    dashboards = sorted((project_root / "dashboards").glob("*.py"))
    if not any(not p.name.startswith("_") for p in dashboards):
        pytest.skip("no dashboards defined yet")
    for path in dashboards:
        shutil.copy(path, scratch_project / "dashboards" / path.name)
    _set(scratch_project, contract={"metrics_naming": naming})
    result = build(Project(scratch_project), "dev")
    values = {p.removeprefix("helm/"): yaml.safe_load(t) for p, t in result.files.items() if p.startswith("helm/")}
    names, labels = _produced(values, result.env.contract)
    texts = [t for r in result.resources for t in _strings(r.spec)]
    assert any(result.env.contract.metrics.calls_total in t for t in texts)  # the check saw span-metric queries
    assert _unproduced(texts, names, labels) == []


def test_the_produced_check_catches_a_label_nobody_writes(shipped):
    contract = Project(shipped["root"]).environment("dev").contract
    names, labels = _produced(shipped["dev"][0], contract)
    m = contract.metrics
    bad = [f"sum by (http_route) (rate({m.calls_total}{{{m.service_label}=\"a\"}}[5m]))",
           f"label_values({m.calls_total}, gen_ai_system)", "rate(traces_spanmetrics_size_total[5m])"]
    assert len(_unproduced(bad, names, labels)) == 3


def test_the_collector_ships_its_own_and_the_backends_health_to_prometheus(shipped):
    for env in ENVS:
        values, urls = shipped[env]
        config = values["otel-collector-values.yaml"]["config"]
        assert "prometheus" in config["service"]["pipelines"]["metrics"]["receivers"]
        jobs = {job["job_name"]: job["static_configs"][0]["targets"][0]
                for job in config["receivers"]["prometheus"]["config"]["scrape_configs"]}
        assert jobs["otel-collector"] == "${env:MY_POD_IP}:8888"  # the chart's telemetry reader
        assert jobs["tempo"] == f"{urlsplit(urls['tempo']).hostname}:{urlsplit(urls['tempo']).port}"
        loki = urlsplit(urls["loki"])
        assert jobs["loki"] == f"{loki.hostname}:{loki.port or 80}"
