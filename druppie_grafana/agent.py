"""The agent helper now lives in its own distribution, druppie-grafana-agent (import druppie_grafana_agent,
source in agent/), so agents install OpenTelemetry only. This module keeps `druppie_grafana.agent`
working where both are installed."""

try:
    from druppie_grafana_agent import *  # noqa: F401,F403
    from druppie_grafana_agent import __all__  # noqa: F401
except ImportError as exc:  # pragma: no cover - depends on what is installed
    raise ImportError("druppie_grafana.agent needs the druppie-grafana-agent distribution: pip install ./agent "
                      "from a checkout (or its wheel), then import druppie_grafana_agent") from exc
