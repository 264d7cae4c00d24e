"""A trace id in every form Tempo writes it (search results and exemplars trim leading zeros:
tempo pkg/util/traceid.go TraceIDToHexString; trace-by-id responses and log lines keep all 32 hex
digits) goes through every link we build and still reaches exactly that trace's log lines: exemplar ->
Trace audit, slow-trace table -> Trace audit, Tempo span -> Loki, log line -> Tempo. Real SDK traffic
with leading-zero ids (tests/traffic.py), the built dashboards and datasources, logql_match for LogQL."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

pytest.importorskip("opentelemetry.sdk", reason="the agent extra (opentelemetry-sdk) is not installed")

from druppie_grafana.build import Project, build_resources  # noqa: E402
from druppie_grafana.contract import DEFAULT_CONTRACT  # noqa: E402
from druppie_grafana.jsregex import node_path  # noqa: E402
from druppie_grafana.links import LogRow, SpanView, exemplar_links, interpolate, log_links, logs_link  # noqa: E402
from druppie_grafana.logql_match import LogEntry, parse  # noqa: E402
from druppie_grafana.resources import DASHBOARD, DATASOURCE  # noqa: E402

from traffic import record  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def world():
    project = Project(ROOT)
    env = dataclasses.replace(project.environment("dev"), contract=DEFAULT_CONTRACT)
    resources = build_resources(project, env)
    traffic = record(DEFAULT_CONTRACT, requests=16)
    return ({r.uid: r.spec for r in resources if r.kind == DASHBOARD},
            {r.spec["type"]: r.spec for r in resources if r.kind == DATASOURCE}, traffic)


def forms(trace_hex: str) -> set[str]:
    return {trace_hex, trace_hex.lstrip("0")}


def audit_lines(dashboards, traffic, var_trace_id: str) -> set[str]:
    audit = dashboards["druppie-trace-audit"]
    expr = next(t["expr"] for p in audit["panels"] for t in p.get("targets", []) if "expr" in t)
    query = parse(expr.replace("$traceID", var_trace_id))
    return {l.text for l in traffic.lines if query.selects(LogEntry(l.text, l.stream))}


def _var_trace_id(url: str) -> str:
    return url.split("var-traceID=")[1].split("&")[0]


def test_the_traffic_has_ids_with_leading_zeros(world):
    _, _, traffic = world
    assert sum(tid.startswith("0") for tid in traffic.trace_ids) >= 3


def test_exemplar_and_table_links_to_trace_audit_show_the_traces_lines_in_every_form(world):
    dashboards, datasources, traffic = world
    table_links = [l["url"] for d in ("druppie-latency", "druppie-trace-audit") for p in dashboards[d]["panels"]
                   for o in p.get("fieldConfig", {}).get("overrides", [])
                   if o["matcher"].get("options") == "traceID"
                   for prop in o["properties"] if prop["id"] == "links" for l in prop["value"]]
    assert len(table_links) == 2  # slowest traces (Latency), recent traces (Trace audit)
    checked = 0
    for tid in traffic.trace_ids:
        want = {l.text for l in traffic.lines if l.trace_id == tid}
        assert want
        for form in forms(tid):
            scoped = {"__value": {"raw": form}, "__url_time_range": "", "service": ""}
            for url in table_links:
                assert audit_lines(dashboards, traffic, _var_trace_id(interpolate(url, scoped))) == want
            (audit,) = [l.url for l in exemplar_links(datasources["prometheus"], {DEFAULT_CONTRACT.exemplar_label: form},
                                                      list(datasources.values())) if not l.internal]
            assert audit_lines(dashboards, traffic, _var_trace_id(audit)) == want
            checked += 1
    assert checked > len(traffic.trace_ids)  # trimmed forms were among them


def test_span_to_logs_selects_the_traces_lines_of_the_service_in_every_form(world):
    _, datasources, traffic = world
    for span in traffic.spans:
        for form in forms(span.trace_hex):
            view = SpanView(form, span.span_id.hex(), span.name, span.start_ns / 1000,
                            (span.end_ns - span.start_ns) / 1000, resource=tuple(span.resource.items()))
            for style in ("label_format", "line_filter"):
                link = logs_link(datasources["tempo"], view, list(datasources.values()), style=style)
                query = parse(link.expr)
                got = {l.text for l in traffic.lines if query.selects(LogEntry(l.text, l.stream))}
                assert got == {l.text for l in traffic.lines
                               if l.trace_id == span.trace_hex and l.service == span.service}, (form, style)


@pytest.mark.skipif(node_path() is None, reason="node is needed for JavaScript regex semantics")
def test_a_log_line_links_to_its_trace_which_tempo_finds_in_either_form(world):
    _, datasources, traffic = world
    rows = [LogRow(l.text, dict(l.stream)) for l in traffic.lines]
    for line, links in zip(traffic.lines, log_links(datasources["loki"], rows, list(datasources.values()))):
        queries = [l.query for l in links]
        # the 32-hex id of the line; Tempo reads a trace id with or without its leading zeros
        assert queries == ([line.trace_id] if line.trace_id else [])
