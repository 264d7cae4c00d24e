"""End to end with the real OpenTelemetry SDK: the example agent's log lines and spans, run through the
links of the BUILT datasources exactly as Grafana evaluates them.

* every line written inside a span links (Loki derived field, JavaScript regex via node) to that
  span's trace, and lines outside spans link nowhere;
* each span's "logs for this span" query (Tempo tracesToLogsV2) selects exactly its trace's lines
  of its service, evaluated over the lines' labels and text;
* the exemplar label of the span metrics is the Prometheus datasource's exemplar destination.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import io
import logging
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

pytest.importorskip("opentelemetry.sdk", reason="the agent extra (opentelemetry-sdk) is not installed")

from opentelemetry import trace  # noqa: E402
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter  # noqa: E402

from druppie_grafana_agent import setup_logging, setup_tracing  # noqa: E402
from druppie_grafana.build import Project, build_resources  # noqa: E402
from druppie_grafana.contract import DEFAULT_CONTRACT, METRICS_NAMINGS, Contract  # noqa: E402
from druppie_grafana.jsregex import node_path  # noqa: E402
from druppie_grafana.links import (FILTER_STYLES, LogRow, SpanView, exemplar_links, log_links,  # noqa: E402
                                   logs_link)
from druppie_grafana.logql_match import LogEntry, parse  # noqa: E402
from druppie_grafana.resources import DATASOURCE  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
needs_node = pytest.mark.skipif(node_path() is None, reason="node is needed for JavaScript regex semantics")


def load_example():
    name = "druppie_example_router_agent"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, ROOT / "examples" / "agent" / "router_agent.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # dataclasses look their module up while the file runs
        spec.loader.exec_module(module)
    return sys.modules[name]


def built_datasources(contract: Contract | None = None, env_name: str = "dev") -> dict[str, dict]:
    """The project's datasources as build_resources makes them (API form), keyed by type."""
    project = Project(ROOT)
    env = project.environment(env_name)
    if contract is not None:
        env = dataclasses.replace(env, contract=contract)
    specs = [r.spec for r in build_resources(project, env) if r.kind == DATASOURCE]
    return {spec["type"]: spec for spec in specs}


# ---- running the example agent with the real SDK -------------------------------------------------

@dataclass(frozen=True)
class Captured:
    line: str
    service: str
    stream: dict  # Loki stream labels of the agent's lines
    trace_id: str | None  # ground truth: the SDK's current span when the line was logged
    span_id: str | None
    ts_ns: int


class _GroundTruth(logging.Filter):
    """Records, per record, which span the SDK says was current; independent of the formatter."""

    def __init__(self, sink: list):
        super().__init__()
        self.sink = sink

    def filter(self, record):
        ctx = trace.get_current_span().get_span_context()
        ids = (format(ctx.trace_id, "032x"), format(ctx.span_id, "016x")) if ctx.is_valid else (None, None)
        self.sink.append((*ids, int(record.created * 1e9)))
        return True


@dataclass
class AgentRun:
    captured: list[Captured]
    spans: list  # every finished ReadableSpan, all services


def stream_labels(resource_attributes, contract: Contract) -> dict:
    """The Loki stream labels a line of this resource gets (the contract's resource -> label mapping)."""
    return {label: str(resource_attributes[attr]) for attr, label in contract.resource_labels
            if attr in resource_attributes}


def run_agents(contract: Contract = DEFAULT_CONTRACT) -> AgentRun:
    """Two services: the example router agent, and a planner agent it hands work to within its trace."""
    example = load_example()
    exporter = InMemorySpanExporter()
    services = {}
    for service in ("router-agent", "planner-agent"):
        provider = setup_tracing(service, service_namespace="druppie", environment="dev",
                                 exporter=exporter, batch=False, set_global=False)
        logger = logging.getLogger(f"druppie.correlation.{service}")
        logger.propagate = False
        buffer, truth = io.StringIO(), []
        handler = setup_logging(stream=buffer, logger=logger, contract=contract)
        handler.addFilter(_GroundTruth(truth))
        services[service] = (provider, logger, buffer, truth, handler)

    router_provider, router_log = services["router-agent"][:2]
    planner_provider, planner_log = services["planner-agent"][:2]
    agent = example.RouterAgent(router_provider.get_tracer("router"), router_log, contract)
    router_log.info("router agent gestart")
    agent.handle_user_question("Wat is de waterstand bij Lobith en Nijmegen?")
    agent.handle_user_question("Hoeveel regen valt er morgen?", user_id="user_456", category="onbekend")
    with router_provider.get_tracer("router").start_as_current_span("delegate_to_planner"):
        router_log.info("plan uitbesteed")
        # Same process here; in production the context travels in the traceparent header.
        with planner_provider.get_tracer("planner").start_as_current_span("plan_steps"):
            planner_log.info("stappen bepaald", extra={"steps": 3})
    planner_log.info("planner idle")
    router_log.info("router agent idle")

    captured = []
    for service, (provider, logger, buffer, truth, handler) in services.items():
        lines = buffer.getvalue().splitlines()
        assert len(lines) == len(truth), "one line per record"
        stream = stream_labels(provider.resource.attributes, contract)
        captured += [Captured(line, service, stream, tid, sid, ts) for line, (tid, sid, ts) in zip(lines, truth)]
        logger.removeHandler(handler)
        provider.shutdown()
    return AgentRun(captured, list(exporter.get_finished_spans()))


@pytest.fixture(scope="module")
def default_run() -> AgentRun:
    return run_agents()


def test_the_run_has_lines_inside_and_outside_spans_and_the_seed_shape(default_run):
    """Guards the other tests against passing vacuously; checks the example mirrors the seed."""
    inside = [c for c in default_run.captured if c.trace_id]
    outside = [c for c in default_run.captured if not c.trace_id]
    assert len(inside) >= 15 and len(outside) >= 3
    names = {s.name for s in default_run.spans}
    assert {"process_question", "chat gpt-4o", "SELECT waterstanden", "plan_steps"} <= names
    question = next(s for s in default_run.spans if s.name == "process_question")
    assert question.attributes["user.id"] == "user_123" and question.attributes["question.category"] == "waterbeheer"
    event = next(e for e in question.events if e.name == DEFAULT_CONTRACT.plan_event_name)
    assert event.attributes[DEFAULT_CONTRACT.plan_steps_attribute] == "2"
    llm = next(s for s in default_run.spans if s.name == "chat gpt-4o")
    db = next(s for s in default_run.spans if s.name == "SELECT waterstanden")
    assert llm.attributes[DEFAULT_CONTRACT.llm_system_attribute] and db.attributes[DEFAULT_CONTRACT.db_system_attribute]
    assert llm.parent.span_id == question.context.span_id == db.parent.span_id
    # every span that should have log lines has some (the LLM and DB spans included)
    span_ids = {c.span_id for c in inside}
    assert {format(s.context.span_id, "016x") for s in (question, llm, db)} <= span_ids


# ---- log line -> trace ------------------------------------------------------------------------------

CONTRACTS = {
    "default": DEFAULT_CONTRACT,
    "logfmt": DEFAULT_CONTRACT.replace(log_preset="logfmt"),
    "otel-sdk-console": DEFAULT_CONTRACT.replace(log_preset="otel-sdk-console"),
    "python-json-logger": DEFAULT_CONTRACT.replace(log_preset="python-json-logger"),
}


@needs_node
@pytest.mark.parametrize("name", CONTRACTS)
def test_every_line_in_a_span_links_to_its_trace_and_no_other_line_links(name):
    """Whatever the contract says, the helper's lines and the built derived field agree."""
    contract = CONTRACTS[name]
    run = run_agents(contract)
    datasources = built_datasources(contract)
    rows = [LogRow(c.line, dict(c.stream)) for c in run.captured]
    links = log_links(datasources["loki"], rows, list(datasources.values()))
    exported_traces = {format(s.context.trace_id, "032x") for s in run.spans}
    for captured, row_links in zip(run.captured, links):
        if captured.trace_id is None:
            assert row_links == [], captured.line
            continue
        assert captured.trace_id in exported_traces
        assert len(row_links) == 1, (captured.line, row_links)
        link = row_links[0]
        assert link.internal and link.query == captured.trace_id and link.query_type == "traceql"
        assert link.datasource_uid == datasources["tempo"]["uid"]


@needs_node
@pytest.mark.filterwarnings("ignore:.*LoggingHandler.*:DeprecationWarning")
def test_otlp_ingested_lines_link_through_structured_metadata():
    """Agents that ship logs over OTLP instead: Loki stores trace_id as structured metadata and the
    label-mode derived field links it; the anchored regex ignores look-alike keys."""
    from opentelemetry.sdk._logs import LoggerProvider, LoggingHandler
    from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, SimpleLogRecordProcessor

    example = load_example()
    provider = setup_tracing("router-agent", service_namespace="druppie", exporter=InMemorySpanExporter(),
                             batch=False, set_global=False)
    log_exporter = InMemoryLogRecordExporter()
    logger_provider = LoggerProvider(resource=provider.resource)
    logger_provider.add_log_record_processor(SimpleLogRecordProcessor(log_exporter))
    logger = logging.getLogger("druppie.correlation.otlp")
    logger.propagate = False
    logger.setLevel(logging.INFO)
    handler = LoggingHandler(logger_provider=logger_provider)
    logger.addHandler(handler)
    try:
        logger.info("gestart")
        example.RouterAgent(provider.get_tracer("router"), logger).handle_user_question("Waterstand?")
    finally:
        logger.removeHandler(handler)
        logger_provider.shutdown()
        provider.shutdown()

    rows, expected = [], []
    for record in log_exporter.get_finished_logs():
        lr = record.log_record
        labels = stream_labels(record.resource.attributes, DEFAULT_CONTRACT)
        # Loki's OTLP ingestion: body -> line; non-zero trace/span ids -> structured metadata.
        if lr.trace_id:
            labels.update(trace_id=format(lr.trace_id, "032x"), span_id=format(lr.span_id, "016x"))
        labels["parent_trace_id"] = "feedfacefeedfacefeedfacefeedface"
        rows.append(LogRow(str(lr.body), labels))
        expected.append(format(lr.trace_id, "032x") if lr.trace_id else None)
    assert expected.count(None) == 1 and len(expected) >= 6
    datasources = built_datasources()
    for want, row_links in zip(expected, log_links(datasources["loki"], rows, list(datasources.values()))):
        assert [link.query for link in row_links] == ([want] if want else [])


# ---- span -> logs -------------------------------------------------------------------------------------

def entries_of(run: AgentRun) -> list[LogEntry]:
    return [LogEntry(c.line, c.stream, ts_ns=c.ts_ns) for c in run.captured]


def selected_by(link, run: AgentRun) -> set[int]:
    """Indices of the captured lines the link's query returns over the link's time range."""
    query = parse(link.expr)
    lo, hi = link.from_ms * 1_000_000, link.to_ms * 1_000_000
    return {i for i, entry in enumerate(entries_of(run)) if lo <= entry.ts_ns <= hi and query.selects(entry)}


def span_views(run: AgentRun):
    for span in run.spans:
        same_trace = [s for s in run.spans if s.context.trace_id == span.context.trace_id]
        yield span, SpanView.from_otel(span, same_trace)


@pytest.mark.parametrize("style", FILTER_STYLES)
def test_logs_for_a_span_are_exactly_its_traces_lines_of_its_service(default_run, style):
    datasources = built_datasources()
    checked = 0
    for span, view in span_views(default_run):
        link = logs_link(datasources["tempo"], view, list(datasources.values()), style=style)
        assert link is not None, span.name
        assert link.datasource_uid == datasources["loki"]["uid"]
        service = span.resource.attributes["service.name"]
        expected = {i for i, c in enumerate(default_run.captured)
                    if c.trace_id == view.trace_id and c.service == service}
        assert selected_by(link, default_run) == expected, (span.name, link.expr)
        checked += bool(expected)
    assert checked >= 6


def test_the_delegated_trace_crosses_services_but_each_span_keeps_to_its_own(default_run):
    """One trace, two services: the stream selector from the tag mapping keeps them apart."""
    delegated = next(s for s in default_run.spans if s.name == "plan_steps")
    tid = format(delegated.context.trace_id, "032x")
    services = {c.service for c in default_run.captured if c.trace_id == tid}
    assert services == {"router-agent", "planner-agent"}


def test_filter_by_span_id_narrows_to_the_spans_own_lines(default_run):
    datasources = built_datasources()
    tempo = dict(datasources["tempo"])
    tempo["jsonData"] = {**tempo["jsonData"],
                         "tracesToLogsV2": {**tempo["jsonData"]["tracesToLogsV2"], "filterBySpanID": True}}
    for style in FILTER_STYLES:
        for span, view in span_views(default_run):
            link = logs_link(tempo, view, list(datasources.values()), style=style)
            expected = {i for i, c in enumerate(default_run.captured) if c.span_id == view.span_id}
            assert selected_by(link, default_run) == expected, (style, span.name)


def test_the_time_range_is_the_span_widened_by_the_configured_shifts(default_run):
    datasources = built_datasources()
    options = datasources["tempo"]["jsonData"]["tracesToLogsV2"]
    assert (options["spanStartTimeShift"], options["spanEndTimeShift"]) == ("-1m", "1m")
    for span, view in span_views(default_run):
        link = logs_link(datasources["tempo"], view, list(datasources.values()))
        assert link.from_ms == span.start_time // 1_000_000 - 60_000
        assert link.to_ms == span.end_time // 1_000_000 + 60_000


def test_no_logs_link_when_the_span_has_none_of_the_mapped_tags():
    datasources = built_datasources()
    bare = SpanView("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7", "x", 1.7e15, 10.0,
                    resource=(("telemetry.sdk.language", "python"),))
    assert logs_link(datasources["tempo"], bare, list(datasources.values())) is None


# ---- exemplar -> trace --------------------------------------------------------------------------------

@pytest.mark.parametrize("contract", [DEFAULT_CONTRACT.replace(metrics_naming=n) for n in METRICS_NAMINGS]
                         + [DEFAULT_CONTRACT.replace(exemplar_label_override="trace.id")],
                         ids=[*METRICS_NAMINGS, "override"])
def test_span_metrics_exemplar_label_is_the_prometheus_destination(contract):
    datasources = built_datasources(contract)
    destinations = datasources["prometheus"]["jsonData"]["exemplarTraceIdDestinations"]
    assert [d["name"] for d in destinations] == [contract.exemplar_label] * 2
    tid = "4bf92f3577b34da6a3ce929d0e0e4736"
    links = exemplar_links(datasources["prometheus"], {contract.exemplar_label: tid, "le": "0.5"},
                           list(datasources.values()))
    assert [(l.query, l.query_type, l.datasource_uid, l.url) for l in links] == \
        [(tid, "traceql", datasources["tempo"]["uid"], None),
         (None, None, None, f"/d/druppie-trace-audit?var-traceID={tid}")]
    # An exemplar labelled the other producer's way would not link: the names must agree.
    other = {"traceID": "trace_id", "trace_id": "traceID"}.get(contract.exemplar_label, "traceID")
    assert exemplar_links(datasources["prometheus"], {other: tid}, list(datasources.values())) == []
