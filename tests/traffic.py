"""Traffic of instrumented services, recorded with the real OpenTelemetry SDK, laid on a timeline.

Four services as the Druppie platform runs them: the router agent (server span per question, with the
agent attribute), an IAM service called over HTTP (client span "POST", server span "POST /v1/authorize",
the HTTP semantic conventions' names), an LLM gateway (the caller's client span and the gateway's server
span both named "chat gpt-4o", gen_ai conventions) and a database client span (db.system). Every
fourth trace id is drawn with leading zero nibbles, which Tempo writes without them.

The SDK records real spans and log lines in a moment; `place` moves each trace onto a timeline
(one request every `spacing` seconds), so producers flush on that timeline in Prometheus time.
"""

from __future__ import annotations

import io
import logging
import random
from dataclasses import dataclass, replace

from opentelemetry import trace
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.id_generator import RandomIdGenerator
from opentelemetry.trace import SpanKind, Status, StatusCode

from druppie_grafana_agent import setup_logging, setup_tracing
from druppie_grafana.contract import Contract

SERVICES = ("router-agent", "iam-service", "llm-gateway")
AGENT = "router-agent"
NAMESPACE = "druppie"


class SomeLeadingZeros(RandomIdGenerator):
    """Seeded ids; every fourth trace id starts with zero nibbles (1 to 3 of them)."""

    def __init__(self, seed: int):
        self.random = random.Random(seed)
        self.count = 0

    def generate_span_id(self) -> int:
        return self.random.getrandbits(64) or 1

    def generate_trace_id(self) -> int:
        self.count += 1
        tid = self.random.getrandbits(128) | 1
        if self.count % 4 == 0:
            tid >>= 4 * (1 + self.count // 4 % 3)
        return tid


@dataclass(frozen=True)
class Span:
    """What the producers read of a span (OTLP fields), with times on the timeline."""

    trace_id: bytes
    span_id: bytes
    parent_span_id: bytes  # b"" for a root span
    name: str
    kind: str  # OTLP enum name: SPAN_KIND_SERVER ...
    error: bool
    resource: dict
    attributes: dict
    start_ns: int
    end_ns: int

    @property
    def service(self) -> str:
        return self.resource["service.name"]

    @property
    def trace_hex(self) -> str:
        return self.trace_id.hex()


@dataclass(frozen=True)
class Line:
    text: str
    service: str
    stream: dict
    trace_id: str | None  # ground truth from the SDK (32 hex)
    ts_ns: int


@dataclass
class Traffic:
    spans: list[Span]
    lines: list[Line]

    @property
    def trace_ids(self) -> set[str]:
        return {s.trace_hex for s in self.spans}


_KINDS = {SpanKind.SERVER: "SPAN_KIND_SERVER", SpanKind.CLIENT: "SPAN_KIND_CLIENT",
          SpanKind.INTERNAL: "SPAN_KIND_INTERNAL", SpanKind.PRODUCER: "SPAN_KIND_PRODUCER",
          SpanKind.CONSUMER: "SPAN_KIND_CONSUMER"}


def _span(s) -> Span:
    return Span(s.context.trace_id.to_bytes(16, "big"), s.context.span_id.to_bytes(8, "big"),
                s.parent.span_id.to_bytes(8, "big") if s.parent else b"", s.name, _KINDS[s.kind],
                s.status.status_code == StatusCode.ERROR, dict(s.resource.attributes), dict(s.attributes or {}),
                s.start_time, s.end_time)


def record(contract: Contract, requests: int = 60, seed: int = 14) -> Traffic:
    """Run `requests` questions through the services; every fifth is denied by IAM, every seventh
    finds no rows in the database."""
    exporter = InMemorySpanExporter()
    providers, loggers, buffers, handlers = {}, {}, {}, {}
    for service in SERVICES:
        providers[service] = setup_tracing(service, service_namespace=NAMESPACE, environment="dev",
                                           exporter=exporter, batch=False, set_global=False)
        providers[service].id_generator = SomeLeadingZeros(seed + len(providers))
        loggers[service] = logging.getLogger(f"druppie.traffic.{service}")
        loggers[service].propagate = False
        buffers[service] = io.StringIO()
        handlers[service] = setup_logging(stream=buffers[service], logger=loggers[service], contract=contract)
    tracer = {s: providers[s].get_tracer("traffic") for s in SERVICES}
    log = loggers
    truth: dict[str, list] = {s: [] for s in SERVICES}

    def say(service: str, text: str) -> None:
        ctx = trace.get_current_span().get_span_context()
        truth[service].append(format(ctx.trace_id, "032x") if ctx.is_valid else None)
        log[service].info(text)

    def serve(service: str, name: str, client_span, attributes: dict, fail: bool = False) -> None:
        ctx = trace.set_span_in_context(client_span)
        with tracer[service].start_as_current_span(name, context=ctx, kind=SpanKind.SERVER,
                                                   attributes=attributes) as span:
            say(service, f"{name} ontvangen")
            if fail:
                span.set_status(Status(StatusCode.ERROR, "denied"))

    say("router-agent", "router agent gestart")
    for i in range(requests):
        denied, empty = i % 5 == 4, i % 7 == 6
        with tracer["router-agent"].start_as_current_span("process_question", kind=SpanKind.SERVER, attributes={
                contract.agent_attribute: AGENT, "user.id": f"user_{i % 3}", "question.category": "waterbeheer"}):
            say("router-agent", "Vraag ontvangen")
            http = {"http.request.method": "POST", "server.address": "iam-service",
                    "url.full": "http://iam-service/v1/authorize"}
            with tracer["router-agent"].start_as_current_span("POST", kind=SpanKind.CLIENT, attributes=http) as c:
                serve("iam-service", "POST /v1/authorize", c,
                      {"http.request.method": "POST", "http.route": "/v1/authorize"}, fail=denied)
                if denied:
                    c.set_status(Status(StatusCode.ERROR, "403"))
            if denied:
                continue
            llm = {contract.llm_system_attribute: "openai", "gen_ai.operation.name": "chat",
                   "gen_ai.request.model": "gpt-4o"}
            with tracer["router-agent"].start_as_current_span(
                    "chat gpt-4o", kind=SpanKind.CLIENT, attributes={**llm, contract.agent_attribute: AGENT}) as c:
                say("router-agent", "Prompt verstuurd")
                serve("llm-gateway", "chat gpt-4o", c, llm)
            with tracer["router-agent"].start_as_current_span("SELECT waterstanden", kind=SpanKind.CLIENT,
                                                              attributes={contract.db_system_attribute: "postgresql"}) as db:
                say("router-agent", "Query gestart")
                if empty:
                    db.set_status(Status(StatusCode.ERROR, "no rows"))
            say("router-agent", "Antwoord verstuurd")
    lines = []
    for service in SERVICES:
        texts = buffers[service].getvalue().splitlines()
        assert len(texts) == len(truth[service])
        stream = {label: str(providers[service].resource.attributes[attr])
                  for attr, label in contract.resource_labels if attr in providers[service].resource.attributes}
        lines += [Line(t, service, stream, tid, 0) for t, tid in zip(texts, truth[service])]
        loggers[service].removeHandler(handlers[service])
        providers[service].shutdown()
    return Traffic([_span(s) for s in exporter.get_finished_spans()], lines)


def place(traffic: Traffic, start_ns: int, spacing_s: float) -> Traffic:
    """Each trace moved to start at start_ns + k * spacing (k: its order), durations kept. Lines
    inside a trace move to its start; lines outside any trace stay at start_ns."""
    first: dict[str, int] = {}
    for s in traffic.spans:
        first[s.trace_hex] = min(first.get(s.trace_hex, s.start_ns), s.start_ns)
    at = {tid: start_ns + int(k * spacing_s * 1e9) for k, tid in enumerate(sorted(first, key=first.get))}
    spans = [replace(s, start_ns=s.start_ns - first[s.trace_hex] + at[s.trace_hex],
                     end_ns=s.end_ns - first[s.trace_hex] + at[s.trace_hex]) for s in traffic.spans]
    lines = [replace(l, ts_ns=at[l.trace_id] if l.trace_id else start_ns) for l in traffic.lines]
    return Traffic(spans, lines)
