"""The dashboards show data: every Prometheus query of every built dashboard, variable and datasource
link, run against a real Prometheus fed with the series Tempo's metrics-generator (metrics_naming
tempo) or the Collector's connectors (otel-collector) write for real SDK traffic, with the producer
settings of our own built Helm values. Exemplars carry the contract's label and open their trace,
down to its log lines on the Trace audit dashboard.

Needs the `prometheus` binary (Debian's package; .ci/run installs it); skipped without it.
"""

from __future__ import annotations

import dataclasses
import math
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

pytest.importorskip("opentelemetry.sdk", reason="the agent extra (opentelemetry-sdk) is not installed")
pytest.importorskip("cramjam", reason="cramjam (snappy for remote write) is in the test extra")
PROMETHEUS = shutil.which("prometheus")
pytestmark = pytest.mark.skipif(PROMETHEUS is None, reason="no prometheus binary (apt-get install prometheus)")

from druppie_grafana.build import Project, build_resources  # noqa: E402
from druppie_grafana.contract import DEFAULT_CONTRACT, METRICS_NAMINGS  # noqa: E402
from druppie_grafana.links import exemplar_links  # noqa: E402
from druppie_grafana.logql_match import LogEntry, parse  # noqa: E402
from druppie_grafana.outputs.helm_values import helm_files  # noqa: E402
from druppie_grafana.resources import DASHBOARD, DATASOURCE  # noqa: E402

from grafana_promql import (Query, cases, dashboard_queries, dashboard_variables, interpolate,  # noqa: E402
                            label_values)
from prometheus_server import Prometheus  # noqa: E402
from pipeline_producers import Incident, pipeline_series  # noqa: E402
from span_metric_producers import collector_series, tempo_series  # noqa: E402
from traffic import Traffic, place, record  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
WINDOW_S = 30 * 60  # the traffic's timeline: 30 minutes ending now
# The producers' clock is not Grafana's: their first write falls at an odd moment of the step grid
# (aligned, a 60 s flush would put two samples in a closed 60 s window by chance).
PHASE_MS = 7_300
REQUESTS = 60


@dataclass
class Fed:
    naming: str
    contract: object
    prometheus: Prometheus
    dashboards: list[dict]
    datasources: dict[str, dict]  # by type
    traffic: Traffic  # on the timeline
    end_s: float
    incident: Incident  # what the pipeline lost, once


@pytest.fixture(scope="module")
def recorded() -> Traffic:
    return record(DEFAULT_CONTRACT, requests=REQUESTS)


@pytest.fixture(scope="module", params=METRICS_NAMINGS)
def fed(request, recorded):
    contract = DEFAULT_CONTRACT.replace(metrics_naming=request.param)
    project = Project(ROOT)
    env = dataclasses.replace(project.environment("dev"), contract=contract)
    resources = build_resources(project, env)
    helm = {path.removeprefix("helm/"): yaml.safe_load(text) for path, text in helm_files(resources, env).items()}
    end_ms = int(time.time()) * 1000 - 2000
    start_ms = end_ms - WINDOW_S * 1000
    traffic = place(recorded, (start_ms + 1000) * 1_000_000, (WINDOW_S - 120) / REQUESTS)
    series = (tempo_series(traffic.spans, helm["tempo-values.yaml"], start_ms + PHASE_MS, end_ms)
              + collector_series(traffic.spans, helm["otel-collector-values.yaml"], start_ms + PHASE_MS, end_ms))
    assert series, "the built values make no producer write span metrics"
    # The pipeline's own health, in the collector's current naming for one run and an older one for the other.
    incident = Incident(at_ms=end_ms - WINDOW_S * 1000 // 2)
    series += pipeline_series(traffic, helm["otel-collector-values.yaml"], start_ms + PHASE_MS, end_ms,
                              legacy=request.param != "tempo", incident=incident)
    prometheus = Prometheus(PROMETHEUS)
    try:
        prometheus.remote_write(series)
        yield Fed(request.param, contract, prometheus,
                  [r.spec for r in resources if r.kind == DASHBOARD],
                  {r.spec["type"]: r.spec for r in resources if r.kind == DATASOURCE}, traffic, end_ms / 1000,
                  incident)
    finally:
        prometheus.stop()


def _has_data(data: dict) -> bool:
    if data["resultType"] == "matrix":
        return any(not math.isnan(float(v)) for s in data["result"] for _, v in s["values"])
    if data["resultType"] == "vector":
        return any(not math.isnan(float(s["value"][1])) for s in data["result"])
    return False


def _run(fed: Fed, text: str, q: Query, step: float) -> dict:
    if q.instant:
        return fed.prometheus.api("/api/v1/query", query=text, time=fed.end_s)
    # Grafana aligns a range query to its step
    return fed.prometheus.api("/api/v1/query_range", query=text, start=(fed.end_s - q.range_s) // step * step,
                              end=fed.end_s // step * step, step=step)


def _time_interval(fed: Fed) -> str:
    return fed.datasources["prometheus"]["jsonData"]["timeInterval"]


def _variables(fed: Fed, dashboard: dict) -> list:
    variables = dashboard_variables(dashboard, fed.datasources["prometheus"]["uid"])
    for v in variables:  # what Grafana asks for label_values(metric, label)
        metric, label = label_values(v.query)
        v.values = fed.prometheus.api(f"/api/v1/label/{label}/values", **{"match[]": metric},
                                      start=fed.end_s - 3 * 3600, end=fed.end_s)
    return variables


def _tags_queries(fed: Fed) -> list[tuple[str, str]]:
    """The Tempo datasource's trace-to-metrics queries for a server span of each service."""
    options = fed.datasources["tempo"]["jsonData"]["tracesToMetrics"]
    out = []
    for service in sorted({s.service for s in fed.traffic.spans}):
        span = next(s for s in fed.traffic.spans if s.service == service)
        tags = ", ".join(f'{t.get("value") or t["key"]}="{span.resource[t["key"]]}"'
                         for t in options["tags"] if t["key"] in span.resource)
        out += [(f"tempo tracesToMetrics {q['name']} / {service}", q["query"].replace("$__tags", tags))
                for q in options["queries"]]
    return out


def test_every_prometheus_query_returns_data_for_all_and_each_value(fed, capsys):
    empty, ran = [], set()
    for dashboard in fed.dashboards:
        variables = _variables(fed, dashboard)
        for v in variables:
            assert v.values, f"{dashboard['uid']}: variable {v.name} ({v.query}) has no values"
        for q in dashboard_queries(dashboard, fed.datasources["prometheus"]["uid"]):
            for values in cases(variables):
                text, step = interpolate(q.expr, q.range_s, _time_interval(fed), values)
                if (q.where, text) in ran:
                    continue
                ran.add((q.where, text))
                if not _has_data(_run(fed, text, q, step)):
                    empty.append(f"{q.where}: {text}")
    for where, expr in _tags_queries(fed):
        q = Query(where, expr, 3600)
        text, step = interpolate(expr, 3600, _time_interval(fed), {})
        ran.add((where, text))
        if not _has_data(_run(fed, text, q, step)):
            empty.append(f"{where}: {text}")
    with capsys.disabled():
        print(f"\n[{fed.naming}] {len(ran)} Prometheus queries run, {len(ran) - len(empty)} returned data")
    assert len(ran) >= 40
    assert not empty, f"{len(empty)} of {len(ran)} queries return no data:\n" + "\n".join(empty)


def _lines_of_audit(fed: Fed, trace_id: str) -> set[str]:
    """The log lines the Trace audit's log panel shows for var-traceID=trace_id."""
    audit = next(d for d in fed.dashboards if d["uid"] == "druppie-trace-audit")
    expr = next(t["expr"] for p in audit["panels"] for t in p.get("targets", []) if "expr" in t)
    query = parse(expr.replace("$traceID", trace_id))
    return {l.text for l in fed.traffic.lines if query.selects(LogEntry(l.text, l.stream))}


def test_exemplars_carry_the_contract_label_and_open_their_trace_and_its_log_lines(fed):
    prom_uid = fed.datasources["prometheus"]["uid"]
    label = fed.contract.exemplar_label
    seen, trimmed = 0, 0
    for dashboard in fed.dashboards:
        all_values = cases(_variables(fed, dashboard))[0]
        for q in dashboard_queries(dashboard, prom_uid):
            if not q.exemplar:
                continue
            text, _ = interpolate(q.expr, q.range_s, _time_interval(fed), all_values)
            data = fed.prometheus.api("/api/v1/query_exemplars", query=text, start=fed.end_s - q.range_s,
                                      end=fed.end_s)
            found = [(d["seriesLabels"], e) for d in data for e in d["exemplars"]]
            assert found, f"no exemplars for {q.where}: {text}"
            for series, exemplar in found[:20]:
                tid = exemplar["labels"][label]
                spans = [s for s in fed.traffic.spans if s.trace_hex == tid.rjust(32, "0")]
                service = series.get(fed.contract.metrics.service_label)
                assert any(s.service == service and s.name == series.get("span_name") for s in spans), \
                    f"exemplar {tid} of {series} is no span of that trace"
                trimmed += len(tid) < 32
                # Click: the exemplar's links; the Trace audit one shows exactly that trace's lines.
                links = exemplar_links(fed.datasources["prometheus"], exemplar["labels"],
                                       list(fed.datasources.values()))
                assert [l.query for l in links if l.internal] == [tid]
                (audit,) = [l.url for l in links if not l.internal]
                shown = _lines_of_audit(fed, audit.split("var-traceID=")[1].split("&")[0])
                assert shown and shown == {l.text for l in fed.traffic.lines if l.trace_id == tid.rjust(32, "0")}
                seen += 1
    assert seen >= 10
    if fed.naming == "tempo":  # Tempo trims the zeros of about one id in sixteen; our traffic has more
        assert trimmed, "no exemplar with a trimmed id: the leading-zero case was not exercised"


def test_pipeline_health_shows_what_was_lost_and_zero_where_nothing_was(fed):
    """The 'Lost per stage' lines: the incident's refused spans, Tempo's and Loki's discards, and 0 for the
    stages that lost nothing (log records in the collector, the metrics-generator's remote write)."""
    health = next(d for d in fed.dashboards if d["uid"] == "druppie-pipeline-health")
    lost = next(p for p in health["panels"] if p["title"] == "Lost per stage (per interval)")
    totals = {}
    for target in lost["targets"]:
        q = Query(target["legendFormat"], target["expr"], 3600)
        text, step = interpolate(q.expr, q.range_s, _time_interval(fed), {})
        data = _run(fed, text, q, step)
        values = [float(v) for s in data["result"] for _, v in s["values"]]
        assert values, f"{q.where}: no data ({text})"
        totals[q.where] = sum(values)  # each point counts what was lost since the previous one
    assert totals == {"collector: spans lost": fed.incident.refused_spans,
                      "collector: log records lost": 0,
                      "Tempo: spans discarded": fed.incident.tempo_discarded,
                      "Loki: lines discarded": fed.incident.loki_discarded,
                      "metrics-generator: samples failed": 0}
