"""The correlation contract: every name that links a log line, a span and a metric.

Datasources, dashboards, checks, the Kubernetes values and the agents' logging helper all read
these names from here, so changing one field here changes every consumer.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from typing import Any, Mapping

LOG_FORMATS = ("json", "logfmt")

# One setting that switches every log-line field to a known producer's format (contract.log_preset).
# Fields given next to log_preset override the preset's values.
LOG_PRESETS: dict[str, dict[str, str]] = {
    # druppie_grafana_agent's own lines: {"level":"info","msg":...,"traceID":"<32 hex>","spanID":...}
    # (that package's LogFields defaults; it cannot import this module, tests/test_agent.py checks both agree)
    "druppie": {"log_format": "json", "trace_id_field": "traceID", "span_id_field": "spanID",
                "trace_id_prefix": "", "level_field": "level", "message_field": "msg", "logger_field": "logger"},
    # Go services and Loki itself: level=debug traceID=<hex> msg="..."
    "logfmt": {"log_format": "logfmt", "trace_id_field": "traceID", "span_id_field": "spanID",
               "trace_id_prefix": "", "level_field": "level", "message_field": "msg", "logger_field": "logger"},
    # python-json-logger with OpenTelemetry's LoggingInstrumentor record attributes
    "python-json-logger": {"log_format": "json", "trace_id_field": "otelTraceID", "span_id_field": "otelSpanID",
                           "trace_id_prefix": "", "level_field": "levelname", "message_field": "message",
                           "logger_field": "name"},
    # JSON with the OpenTelemetry specification's names (trace_id / span_id), e.g. renamed python-json-logger
    "otel-json": {"log_format": "json", "trace_id_field": "trace_id", "span_id_field": "span_id",
                  "trace_id_prefix": "", "level_field": "level", "message_field": "message", "logger_field": "name"},
    # opentelemetry-instrumentation-logging's text format: [trace_id=<hex> span_id=<hex> ...]
    "otel-text": {"log_format": "logfmt", "trace_id_field": "trace_id", "span_id_field": "span_id",
                  "trace_id_prefix": "", "level_field": "level", "message_field": "msg", "logger_field": "logger"},
    # the OpenTelemetry SDK's console rendering of log records: "trace_id": "0x<hex>"
    "otel-sdk-console": {"log_format": "json", "trace_id_field": "trace_id", "span_id_field": "span_id",
                         "trace_id_prefix": "0x", "level_field": "severity_text", "message_field": "body",
                         "logger_field": "logger"},
}
METRICS_NAMINGS = ("tempo", "otel-collector")

# Characters that must be escaped to be literal inside a JavaScript (and Python) regex.
_REGEX_SPECIAL = re.compile(r"([.*+?^${}()|\[\]\\/-])")


def js_regex_escape(text: str) -> str:
    """Escape text so it is a literal in both JavaScript and Python regex syntax."""
    return _REGEX_SPECIAL.sub(r"\\\1", text)


@dataclass(frozen=True)
class SpanMetricNames:
    """Metric and label names of span metrics and service graphs, as one producer writes them."""

    calls_total: str
    latency_bucket: str
    latency_count: str
    latency_sum: str
    latency_unit_seconds: float  # multiply a latency value by this to get seconds
    service_label: str
    span_name_label: str
    span_kind_label: str
    status_code_label: str
    status_error_value: str
    graph_request_total: str
    graph_request_failed_total: str
    graph_server_seconds_bucket: str
    graph_client_label: str
    graph_server_label: str
    exemplar_label: str
    # span_kind values of server spans (incoming requests) and client spans (outgoing calls); both
    # producers write the OTLP enum name (tempo modules/generator/processor/spanmetrics/spanmetrics.go
    # spanKindString; collector-contrib internal/coreinternal/traceutil SpanKindStr).
    span_kind_server_value: str = "SPAN_KIND_SERVER"
    span_kind_client_value: str = "SPAN_KIND_CLIENT"


TEMPO_METRICS = SpanMetricNames(
    calls_total="traces_spanmetrics_calls_total",
    latency_bucket="traces_spanmetrics_latency_bucket",
    latency_count="traces_spanmetrics_latency_count",
    latency_sum="traces_spanmetrics_latency_sum",
    latency_unit_seconds=1.0,
    service_label="service",
    span_name_label="span_name",
    span_kind_label="span_kind",
    status_code_label="status_code",
    status_error_value="STATUS_CODE_ERROR",
    graph_request_total="traces_service_graph_request_total",
    graph_request_failed_total="traces_service_graph_request_failed_total",
    graph_server_seconds_bucket="traces_service_graph_request_server_seconds_bucket",
    graph_client_label="client",
    graph_server_label="server",
    exemplar_label="traceID",
)

# OpenTelemetry Collector `spanmetrics` + `servicegraph` connectors (namespace traces.span.metrics,
# histogram unit milliseconds, exported through the Prometheus exporter with unit suffixes).
OTEL_COLLECTOR_METRICS = SpanMetricNames(
    calls_total="traces_span_metrics_calls_total",
    latency_bucket="traces_span_metrics_duration_milliseconds_bucket",
    latency_count="traces_span_metrics_duration_milliseconds_count",
    latency_sum="traces_span_metrics_duration_milliseconds_sum",
    latency_unit_seconds=0.001,
    service_label="service_name",
    span_name_label="span_name",
    span_kind_label="span_kind",
    status_code_label="status_code",
    status_error_value="STATUS_CODE_ERROR",
    graph_request_total="traces_service_graph_request_total",
    graph_request_failed_total="traces_service_graph_request_failed_total",
    graph_server_seconds_bucket="traces_service_graph_request_server_seconds_bucket",
    graph_client_label="client",
    graph_server_label="server",
    exemplar_label="trace_id",
)

_METRICS_BY_NAMING = {"tempo": TEMPO_METRICS, "otel-collector": OTEL_COLLECTOR_METRICS}


def _pairs(mapping: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple((str(k), str(v)) for k, v in mapping.items())


@dataclass(frozen=True)
class Contract:
    """Names shared by logs, traces and metrics. Override any field in environments.yaml `contract:`."""

    # A name from LOG_PRESETS: sets the log-line fields below at once (from_mapping and replace
    # apply it; fields given next to it win). Empty: the fields as given.
    log_preset: str = ""
    # How agents write a log line: one JSON object per line, or logfmt key=value pairs.
    log_format: str = "json"
    # Field of a log line that holds the trace id, e.g. {"traceID":"abc-123", ...}.
    trace_id_field: str = "traceID"
    span_id_field: str = "spanID"
    # Some SDK renderers prefix ids with 0x; the derived field strips it when this is set.
    trace_id_prefix: str = ""
    level_field: str = "level"
    message_field: str = "msg"
    logger_field: str = "logger"
    # Structured-metadata key that Loki's OTLP ingestion stores the trace id under.
    structured_metadata_trace_key: str = "trace_id"
    # OpenTelemetry resource attribute -> Loki stream label (Loki's OTLP ingestion defaults).
    resource_labels: tuple[tuple[str, str], ...] = (
        ("service.name", "service_name"),
        ("service.namespace", "service_namespace"),
        ("deployment.environment", "deployment_environment"),
        ("k8s.namespace.name", "k8s_namespace_name"),
    )
    # Span attributes the seed audits -> the label `| json` gives them in a log line.
    audit_attributes: tuple[tuple[str, str], ...] = (
        ("user.id", "user_id"),
        ("question.category", "question_category"),
    )
    # Which audit attributes the audit dashboards filter by (each must be a key of audit_attributes).
    audit_user_attribute: str = "user.id"
    audit_category_attribute: str = "question.category"
    plan_event_name: str = "Plan Created"
    plan_steps_attribute: str = "plan.steps"
    # Span attribute naming the agent (OpenTelemetry gen_ai semantic conventions).
    agent_attribute: str = "gen_ai.agent.name"
    llm_system_attribute: str = "gen_ai.system"
    # Span names that count as LLM calls when gen_ai.* attributes are missing.
    llm_span_name_regex: str = "(chat|text_completion|generate_content|llm)( .*)?"
    db_system_attribute: str = "db.system"
    # The service(s) that check identity and access (a regex on service.name). Identified by service,
    # not span name: an HTTP service names its spans "POST /v1/authorize" (server) and "POST" (client).
    iam_service_regex: str = "iam-service"
    # Which producer names span metrics: Tempo's metrics-generator or the OTel Collector connectors.
    metrics_naming: str = "tempo"
    # Override the exemplar label; empty means the producer's default (traceID / trace_id).
    exemplar_label_override: str = ""
    # How often the producer writes span metrics (Tempo's registry collection_interval, the collector
    # connectors' metrics_flush_interval) and so the Prometheus datasource's timeInterval: Grafana's
    # $__rate_interval is max($__interval + it, 4 x it), which must hold at least two samples.
    metrics_interval: str = "15s"

    # ---- derived names -------------------------------------------------------------------

    @property
    def metrics(self) -> SpanMetricNames:
        return _METRICS_BY_NAMING[self.metrics_naming]

    @property
    def exemplar_label(self) -> str:
        return self.exemplar_label_override or self.metrics.exemplar_label

    @property
    def service_label(self) -> str:
        """The Loki stream label that carries service.name."""
        return self.loki_label_for("service.name")

    def loki_label_for(self, attribute: str) -> str:
        for attr, label in self.resource_labels:
            if attr == attribute:
                return label
        raise KeyError(f"resource attribute {attribute!r} is not mapped to a Loki label in the contract")

    def audit_label_for(self, attribute: str) -> str:
        for attr, label in self.audit_attributes:
            if attr == attribute:
                return label
        raise KeyError(f"audit attribute {attribute!r} is not in the contract")

    def trace_id_regex(self) -> str:
        """A JavaScript regex whose capture group 1 is the trace id of a log line.

        It never captures an all-zero id ("0" or "000..."), which SDKs write outside a span and
        which would be a dead link.
        """
        field_re = js_regex_escape(self.trace_id_field)
        prefix = f"(?:{js_regex_escape(self.trace_id_prefix)})?" if self.trace_id_prefix else ""
        if self.log_format == "json":
            return f'"{field_re}"\\s*:\\s*"(?!{prefix}0*"){prefix}([^"]+)"'
        # logfmt: the key stands at the start or after a space or bracket.
        return f'(?:^|[\\s\\[]){field_re}=(?!{prefix}0*(?:\\s|$|\\])){prefix}([^\\s"\\]]+)'

    def sample_lines(self, trace_id: str = "4bf92f3577b34da6a3ce929d0e0e4736") -> list[str]:
        """Log lines as agents write them under this contract; each carries `trace_id`."""
        tid = self.trace_id_prefix + trace_id
        if self.log_format == "json":
            return [
                f'{{"{self.level_field}":"info","{self.trace_id_field}":"{tid}","{self.message_field}":"Prompt verstuurd..."}}',
                f'{{"{self.level_field}": "info", "{self.trace_id_field}": "{tid}", "{self.span_id_field}": "00f067aa0ba902b7"}}',
            ]
        return [
            f'level=info {self.trace_id_field}={tid} {self.message_field}="Prompt verstuurd..."',
            f'ts=2026-01-01T00:00:00Z level=debug {self.trace_id_field}={tid}',
        ]

    def lines_without_trace(self) -> list[str]:
        """Lines that must yield no trace link (no field, or the all-zero id written outside spans)."""
        if self.log_format == "json":
            return [
                f'{{"{self.level_field}":"info","{self.message_field}":"startup complete"}}',
                f'{{"{self.level_field}":"info","{self.trace_id_field}":"0","{self.message_field}":"no span"}}',
                f'{{"{self.trace_id_field}":"{self.trace_id_prefix}00000000000000000000000000000000"}}',
                "plain text without any id",
            ]
        return [
            f'level=info {self.message_field}="startup complete"',
            f"level=info {self.trace_id_field}=0 {self.message_field}=idle",
            "plain text without any id",
        ]

    # ---- construction --------------------------------------------------------------------

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any] | None) -> "Contract":
        """Build a contract from a mapping of overrides; unknown keys and bad values raise ValueError."""
        data = dict(data or {})
        known = {f.name: f for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - set(known))
        if unknown:
            raise ValueError(f"unknown contract field(s): {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        for key in ("resource_labels", "audit_attributes"):
            if key in data:
                if not isinstance(data[key], Mapping):
                    raise ValueError(f"contract.{key} must be a mapping of attribute -> label")
                data[key] = _pairs(data[key])
        for key, value in data.items():
            if key not in ("resource_labels", "audit_attributes") and not isinstance(value, str):
                raise ValueError(f"contract.{key} must be a string, got {type(value).__name__}")
        contract = cls(**_with_preset(data))
        contract.check()
        return contract

    def check(self) -> None:
        if self.log_preset and self.log_preset not in LOG_PRESETS:
            raise ValueError(f"contract.log_preset must be one of {', '.join(LOG_PRESETS)}, got {self.log_preset!r}")
        if self.log_format not in LOG_FORMATS:
            raise ValueError(f"contract.log_format must be one of {LOG_FORMATS}, got {self.log_format!r}")
        if self.metrics_naming not in METRICS_NAMINGS:
            raise ValueError(f"contract.metrics_naming must be one of {METRICS_NAMINGS}, got {self.metrics_naming!r}")
        label_re = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
        for attr, label in self.resource_labels + self.audit_attributes:
            if not label_re.fullmatch(label):
                raise ValueError(f"contract label {label!r} for {attr!r} is not a valid Loki label name")
        if not self.trace_id_field:
            raise ValueError("contract.trace_id_field must not be empty")
        if not re.fullmatch(r"[1-9][0-9]*s", self.metrics_interval):
            raise ValueError(f"contract.metrics_interval must be whole seconds like 15s, got {self.metrics_interval!r}")

    def replace(self, **changes: Any) -> "Contract":
        contract = dataclasses.replace(self, **_with_preset(changes))
        contract.check()
        return contract


def _with_preset(fields: Mapping[str, Any]) -> dict[str, Any]:
    """fields plus the values of fields["log_preset"] for the keys fields does not give."""
    fields = dict(fields)
    preset = fields.get("log_preset")
    if preset:
        if preset not in LOG_PRESETS:
            raise ValueError(f"contract.log_preset must be one of {', '.join(LOG_PRESETS)}, got {preset!r}")
        fields = {**LOG_PRESETS[preset], **fields}
    return fields


DEFAULT_CONTRACT = Contract()
