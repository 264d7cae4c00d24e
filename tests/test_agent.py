"""The agent helper with the real OpenTelemetry SDK: log line fields, and tracing set up from OTEL_*."""

from __future__ import annotations

import io
import json
import logging
import re
import subprocess
import sys
import threading
import tomllib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

pytest.importorskip("opentelemetry.sdk", reason="the agent extra (opentelemetry-sdk) is not installed")

from opentelemetry.sdk.trace import TracerProvider  # noqa: E402
from opentelemetry.sdk.trace.export import SimpleSpanProcessor  # noqa: E402
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter  # noqa: E402

from druppie_grafana_agent import LogFields, TraceLogFormatter, setup_logging, setup_tracing  # noqa: E402
from druppie_grafana_agent.fields import FIELD_NAMES  # noqa: E402
from druppie_grafana.contract import DEFAULT_CONTRACT, LOG_PRESETS, Contract  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]

HEX32 = re.compile(r"^[0-9a-f]{32}$")
HEX16 = re.compile(r"^[0-9a-f]{16}$")


@pytest.fixture
def tracer_and_spans():
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    yield provider.get_tracer("test"), exporter
    provider.shutdown()


@pytest.fixture
def capture():
    """A fresh logger whose lines land in a buffer; returns (logger, buffer, install)."""
    logger = logging.getLogger(f"druppie.test.{id(object())}")
    logger.propagate = False
    buffer = io.StringIO()

    def install(contract: Contract = DEFAULT_CONTRACT, **kwargs):
        return setup_logging(stream=buffer, logger=logger, contract=contract, **kwargs)
    yield logger, buffer, install
    for handler in list(logger.handlers):
        logger.removeHandler(handler)


def lines_of(buffer: io.StringIO) -> list[str]:
    return buffer.getvalue().splitlines()


def test_line_inside_a_span_carries_its_ids_as_lowercase_hex(tracer_and_spans, capture):
    tracer, exporter = tracer_and_spans
    logger, buffer, install = capture
    install()
    with tracer.start_as_current_span("outer"):
        logger.info("outer line")
        with tracer.start_as_current_span("inner"):
            logger.warning("inner %s", "line", extra={"rows": 2, "detail": {"a": [1, 2]}})
    spans = {s.name: s.get_span_context() for s in exporter.get_finished_spans()}
    outer, inner = (json.loads(line) for line in lines_of(buffer))
    c = DEFAULT_CONTRACT
    for record, ctx in ((outer, spans["outer"]), (inner, spans["inner"])):
        assert HEX32.match(record[c.trace_id_field]) and HEX16.match(record[c.span_id_field])
        assert int(record[c.trace_id_field], 16) == ctx.trace_id
        assert int(record[c.span_id_field], 16) == ctx.span_id
        assert record[c.logger_field] == logger.name
    assert outer[c.trace_id_field] == inner[c.trace_id_field]
    assert (inner[c.level_field], inner[c.message_field]) == ("warning", "inner line")
    assert inner["rows"] == 2 and inner["detail"] == {"a": [1, 2]}


def test_outside_a_span_there_is_no_trace_field_at_all(tracer_and_spans, capture):
    tracer, _ = tracer_and_spans
    logger, buffer, install = capture
    install()
    logger.info("before")
    with tracer.start_as_current_span("s"):
        pass
    logger.info("after")
    for line in lines_of(buffer):
        record = json.loads(line)
        assert DEFAULT_CONTRACT.trace_id_field not in record and DEFAULT_CONTRACT.span_id_field not in record
        assert "0" * 16 not in line


def test_exception_and_stack_stay_on_one_json_line(tracer_and_spans, capture):
    tracer, _ = tracer_and_spans
    logger, buffer, install = capture
    install()
    with tracer.start_as_current_span("failing"):
        try:
            {}["missing"]
        except KeyError:
            logger.exception("lookup failed")
        logger.info("with stack", stack_info=True)
    lines = lines_of(buffer)
    assert len(lines) == 2
    failed, stacked = (json.loads(line) for line in lines)
    assert failed["level"] == "error" and "KeyError: 'missing'" in failed["exception"]
    assert failed["exception"].count("\n") >= 2  # a real multi-line traceback, escaped into one line
    assert "test_exception_and_stack_stay_on_one_json_line" in stacked["stack"]
    assert failed[DEFAULT_CONTRACT.trace_id_field] == stacked[DEFAULT_CONTRACT.trace_id_field]


def test_extras_never_overwrite_the_link_fields(tracer_and_spans, capture):
    tracer, _ = tracer_and_spans
    logger, buffer, install = capture
    install(static_fields={"service": "router-agent", "traceID": "static-would-break-links"})
    with tracer.start_as_current_span("s") as span:
        logger.info("x", extra={"level": "fake", "spanID": "fake", "logger": "fake"})
        ctx = span.get_span_context()
    record = json.loads(lines_of(buffer)[0])
    assert record["traceID"] == format(ctx.trace_id, "032x")
    assert record["spanID"] == format(ctx.span_id, "016x")
    assert (record["level"], record["logger"]) == ("info", logger.name)
    assert record["extra_traceID"] == "static-would-break-links" and record["extra_level"] == "fake"
    assert record["service"] == "router-agent"


def test_field_names_prefix_and_format_follow_the_contract(tracer_and_spans, capture):
    tracer, _ = tracer_and_spans
    logger, buffer, install = capture
    contract = DEFAULT_CONTRACT.replace(log_preset="otel-sdk-console")
    install(contract)
    with tracer.start_as_current_span("s") as span:
        logger.info("x")
        ctx = span.get_span_context()
    record = json.loads(lines_of(buffer)[0])
    assert record["trace_id"] == "0x" + format(ctx.trace_id, "032x")
    assert record["severity_text"] == "info" and record["body"] == "x"


def test_logfmt_lines_are_one_line_and_parse_back(tracer_and_spans, capture):
    tracer, _ = tracer_and_spans
    logger, buffer, install = capture
    install(DEFAULT_CONTRACT.replace(log_preset="logfmt"))
    with tracer.start_as_current_span("s") as span:
        try:
            raise ValueError('bad "quote"\nsecond line')
        except ValueError:
            logger.exception("it failed", extra={"user id": "u 1", "empty": ""})
        ctx = span.get_span_context()
    lines = lines_of(buffer)
    assert len(lines) == 1
    pairs = dict((k, json.loads(v) if v.startswith('"') else v)
                 for k, v in re.findall(r'(\S+?)=("(?:[^"\\]|\\.)*"|\S*)', lines[0]))
    assert pairs["traceID"] == format(ctx.trace_id, "032x") and pairs["msg"] == "it failed"
    assert pairs["user_id"] == "u 1" and pairs["empty"] == ""
    assert 'bad "quote"\nsecond line' in pairs["exception"]


def test_span_is_taken_when_logged_not_when_formatted(tracer_and_spans, capture):
    """A handler may format later (a queue, another thread); the line keeps the span it was logged in."""
    tracer, _ = tracer_and_spans
    logger, buffer, install = capture
    handler = install()
    records = []
    handler.emit = records.append  # keep the filtered records, format them after the span ended
    with tracer.start_as_current_span("s") as span:
        logger.info("inside")
        ctx = span.get_span_context()
    record = json.loads(TraceLogFormatter().format(records[0]))
    assert record["traceID"] == format(ctx.trace_id, "032x")
    assert "traceID" not in json.loads(TraceLogFormatter().format(logging.makeLogRecord({"msg": "bare"})))


def test_setup_logging_twice_does_not_duplicate_lines(capture):
    logger, buffer, install = capture
    install()
    install()
    logger.info("once")
    assert len(lines_of(buffer)) == 1


# ---- setup_tracing: the exporter configured from OTEL_* variables, against a real HTTP receiver ----

class _Receiver(BaseHTTPRequestHandler):
    received: list[tuple[str, dict, bytes]]

    def do_POST(self):  # noqa: N802 - http.server naming
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.server.received.append((self.path, dict(self.headers), body))
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):  # keep test output clean
        pass


@pytest.fixture
def otlp_receiver():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    server.received = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_setup_tracing_exports_otlp_http_to_the_endpoint_and_headers_from_env(otlp_receiver, monkeypatch):
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

    port = otlp_receiver.server_address[1]
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_HEADERS", "X-Scope-OrgID=druppie,authorization=Bearer%20t0k")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TIMEOUT", "5")
    monkeypatch.setenv("OTEL_RESOURCE_ATTRIBUTES", "k8s.namespace.name=agents,service.name=from-env")
    monkeypatch.delenv("OTEL_TRACES_EXPORTER", raising=False)
    monkeypatch.delenv("OTEL_SDK_DISABLED", raising=False)
    provider = setup_tracing("router-agent", service_namespace="druppie", environment="dev",
                             set_global=False, batch=False)
    with provider.get_tracer("t").start_as_current_span("process_question") as span:
        span.set_attribute("user.id", "user_123")
        ctx = span.get_span_context()
    provider.shutdown()

    assert len(otlp_receiver.received) == 1
    path, headers, body = otlp_receiver.received[0]
    assert path == "/v1/traces"  # the per-signal path the spec appends to OTEL_EXPORTER_OTLP_ENDPOINT
    lower = {k.lower(): v for k, v in headers.items()}
    assert lower["x-scope-orgid"] == "druppie" and lower["authorization"] == "Bearer t0k"
    request = ExportTraceServiceRequest.FromString(body)
    resource_spans = request.resource_spans[0]
    attrs = {a.key: a.value.string_value for a in resource_spans.resource.attributes}
    # Arguments win over OTEL_RESOURCE_ATTRIBUTES, which fills in the rest.
    assert attrs["service.name"] == "router-agent" and attrs["service.namespace"] == "druppie"
    assert attrs["deployment.environment"] == "dev" and attrs["k8s.namespace.name"] == "agents"
    exported = resource_spans.scope_spans[0].spans[0]
    assert exported.name == "process_question"
    assert exported.trace_id.hex() == format(ctx.trace_id, "032x")


def test_setup_tracing_refuses_an_exporter_it_does_not_know(monkeypatch):
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "zipkin")
    with pytest.raises(ValueError, match="OTEL_TRACES_EXPORTER='zipkin'"):
        setup_tracing("router-agent", set_global=False)


def test_setup_tracing_with_exporter_none_records_spans_but_sends_nothing(otlp_receiver, monkeypatch):
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "none")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", f"http://127.0.0.1:{otlp_receiver.server_address[1]}")
    provider = setup_tracing("router-agent", set_global=False, batch=False)
    with provider.get_tracer("t").start_as_current_span("s") as span:
        assert span.get_span_context().is_valid  # log lines still get their trace ids
    provider.shutdown()
    assert otlp_receiver.received == []


def test_the_agents_default_fields_are_the_contracts_druppie_preset_and_defaults():
    """The agent package cannot import the contract, so its defaults are checked against it here."""
    agent = {name: getattr(LogFields(), name) for name in FIELD_NAMES}
    assert agent == LOG_PRESETS["druppie"]
    assert agent == {name: getattr(DEFAULT_CONTRACT, name) for name in FIELD_NAMES}
    for preset in LOG_PRESETS:  # every preset's line fields can be written by the helper
        contract = DEFAULT_CONTRACT.replace(log_preset=preset)
        assert LogFields(**{name: getattr(contract, name) for name in FIELD_NAMES})


def test_the_agent_distribution_needs_opentelemetry_only_and_not_the_provisioning_tool():
    project = tomllib.loads((ROOT / "agent" / "pyproject.toml").read_text())["project"]
    assert project["name"] == "druppie-grafana-agent"
    assert all(dep.startswith("opentelemetry-") for dep in project["dependencies"]), project["dependencies"]
    # Imported and used with druppie_grafana made unimportable: one JSON line with the span's trace id.
    script = (
        "import sys, json, logging, io\n"
        "sys.modules['druppie_grafana'] = None\n"
        "from druppie_grafana_agent import setup_logging, setup_tracing\n"
        "from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter\n"
        "provider = setup_tracing('a', exporter=InMemorySpanExporter(), set_global=False, batch=False)\n"
        "buf = io.StringIO(); setup_logging(stream=buf)\n"
        "with provider.get_tracer('t').start_as_current_span('s') as span:\n"
        "    logging.getLogger('x').info('hi')\n"
        "line = json.loads(buf.getvalue())\n"
        "assert line['traceID'] == format(span.get_span_context().trace_id, '032x'), line\n"
        "assert not [m for m in sys.modules if m.startswith('druppie_grafana.')]\n"
        "print('ok')\n")
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60,
                          cwd=ROOT / "agent")
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stderr


def test_druppie_grafana_agent_still_imports_the_helper():
    import druppie_grafana.agent as old
    import druppie_grafana_agent as new
    assert old.setup_logging is new.setup_logging and old.setup_tracing is new.setup_tracing
