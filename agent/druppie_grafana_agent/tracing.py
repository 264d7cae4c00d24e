"""OpenTelemetry tracing for a Druppie agent, configured the standard way: from OTEL_* variables.

The OTLP/HTTP exporter reads its own settings (OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT, _HEADERS,
_TIMEOUT, _COMPRESSION, _CERTIFICATE), and the batch processor reads OTEL_BSP_*; this module only
decides which exporter to use and which resource describes the agent.
"""

from __future__ import annotations

import os
from typing import Mapping

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import (BatchSpanProcessor, ConsoleSpanExporter, SimpleSpanProcessor,
                                            SpanExporter)

# OTEL_TRACES_EXPORTER values this helper understands (the SDK's names).
EXPORTERS = ("otlp", "console", "none")


def _exporter_from_env() -> SpanExporter | None:
    name = os.environ.get("OTEL_TRACES_EXPORTER", "otlp").strip().lower() or "otlp"
    if name not in EXPORTERS:
        raise ValueError(f"OTEL_TRACES_EXPORTER={name!r} is not supported here; use one of {', '.join(EXPORTERS)}")
    if name == "none":
        return None
    if name == "console":
        return ConsoleSpanExporter()
    # Imported here so an agent that only exports to the console needs no HTTP exporter installed.
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    return OTLPSpanExporter()


def agent_resource(service_name: str, *, service_namespace: str | None = None,
                   environment: str | None = None,
                   attributes: Mapping[str, str] | None = None) -> Resource:
    """The resource that names the agent; OTEL_RESOURCE_ATTRIBUTES fills what the arguments leave out.

    These resource attributes become the Loki stream labels and Tempo's trace-to-logs tags
    (see Contract.resource_labels), so they are what joins a span to its log lines.
    """
    attrs: dict[str, str] = {"service.name": service_name}
    if service_namespace:
        attrs["service.namespace"] = service_namespace
    if environment:
        attrs["deployment.environment"] = environment
    attrs.update(attributes or {})
    return Resource.create(attrs)


def setup_tracing(service_name: str, *, service_namespace: str | None = None, environment: str | None = None,
                  resource_attributes: Mapping[str, str] | None = None,
                  exporter: SpanExporter | None = None, batch: bool = True,
                  set_global: bool = True) -> TracerProvider:
    """Configure and return the agent's TracerProvider.

    exporter: None means "from the environment": OTEL_TRACES_EXPORTER (otlp by default; console;
    none), with the OTLP/HTTP exporter reading its endpoint and headers from OTEL_EXPORTER_OTLP_*.
    Tests pass an InMemorySpanExporter. batch=False exports each span as it ends (short scripts).
    OTEL_SDK_DISABLED=true gives a provider that records nothing and exports nothing.
    set_global makes it the process-wide provider (OpenTelemetry allows that once per process).
    """
    resource = agent_resource(service_name, service_namespace=service_namespace, environment=environment,
                              attributes=resource_attributes)
    # The SDK itself honours OTEL_SDK_DISABLED (its tracers then hand out non-recording spans).
    provider = TracerProvider(resource=resource, shutdown_on_exit=set_global)
    chosen = exporter if exporter is not None else _exporter_from_env()
    if chosen is not None:
        provider.add_span_processor(BatchSpanProcessor(chosen) if batch else SimpleSpanProcessor(chosen))
    if set_global:
        trace.set_tracer_provider(provider)
    return provider
