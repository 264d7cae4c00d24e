"""What a Druppie Python agent imports to be traceable: tracing from OTEL_* settings, and log lines
that carry the trace id where Grafana's Loki datasource looks for it.

    from druppie_grafana_agent import setup_tracing, setup_logging
    provider = setup_tracing("router-agent")
    setup_logging()

Its own distribution, druppie-grafana-agent, needing only OpenTelemetry:
pip install ./agent (from a checkout of druppie-grafana), a git URL with #subdirectory=agent, or its wheel.
"""

from .fields import DEFAULT_LOG_FIELDS, LogFields
from .jsonlog import TraceContextFilter, TraceLogFormatter, setup_logging
from .tracing import agent_resource, setup_tracing

__all__ = ["DEFAULT_LOG_FIELDS", "LogFields", "TraceContextFilter", "TraceLogFormatter", "agent_resource",
           "setup_logging", "setup_tracing"]
