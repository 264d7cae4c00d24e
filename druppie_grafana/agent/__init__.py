"""What a Druppie Python agent imports to be traceable: tracing from OTEL_* settings, and log lines
that carry the trace id where Grafana's Loki datasource looks for it.

    from druppie_grafana.agent import setup_tracing, setup_logging
    provider = setup_tracing("router-agent")
    setup_logging()

Needs the `agent` extra: pip install "druppie-grafana[agent]".
"""

from .jsonlog import TraceContextFilter, TraceLogFormatter, setup_logging
from .tracing import agent_resource, setup_tracing

__all__ = ["TraceContextFilter", "TraceLogFormatter", "agent_resource", "setup_logging", "setup_tracing"]
