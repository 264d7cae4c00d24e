"""Latency: where does the time go? Request rate, errors and p50/p95/p99 per service and per agent
(span metrics with exemplars), LLM calls, database queries, the IAM check, and the slowest traces."""

from _common import SERVICE_ATTRIBUTE, dashboard_url, datasources, finish

from druppie_grafana.grafana_ext.layout import Row
from druppie_grafana.grafana_ext.panels import Table, TimeSeries, by_name, link
from druppie_grafana.grafana_ext.queries import anchored, label_name, matchers, quote, traceql_attribute
from druppie_grafana.grafana_ext.targets import PrometheusQuery, TraceQL, TraceQLMetrics
from druppie_grafana.grafana_ext.variables import CustomVariable, prometheus_values

UID = "druppie-latency"
STEM = "latency"
QUANTILES = (0.5, 0.95, 0.99)
RATE = "[$__rate_interval]"
THRESHOLDS = ("250ms", "500ms", "1s", "2s", "5s", "10s", "30s")


def agent_label(contract) -> str:
    """The span-metric label of the agent attribute: metrics-generator and the collector's Prometheus
    exporter both turn `gen_ai.agent.name` into `gen_ai_agent_name`."""
    return label_name(contract.agent_attribute)


class SpanMetrics:
    """PromQL over the span metrics of the contract's producer."""

    def __init__(self, contract):
        self.m = contract.metrics

    def _selector(self, matchers_: tuple) -> str:
        return matchers(*matchers_) if matchers_ else ""

    def rate(self, group: str, *where) -> str:
        return f"sum by ({group}) (rate({self.m.calls_total}{self._selector(where)}{RATE}))"

    def error_ratio(self, group: str, *where) -> str:
        """Errors / calls, 0 (not no series) for a group without errors: the producers write an error
        series only once a span failed."""
        errors = where + ((self.m.status_code_label, "=", self.m.status_error_value),)
        calls = self.rate(group, *where)
        return f"({self.rate(group, *errors)} or {calls} * 0) / {calls}"

    def quantile(self, q: float, group: str, *where) -> str:
        expr = (f"histogram_quantile({q}, sum by (le, {group}) "
                f"(rate({self.m.latency_bucket}{self._selector(where)}{RATE})))")
        scale = self.m.latency_unit_seconds
        return expr if scale == 1 else f"{expr} * {scale:g}"


def _durations(title, description, ds, metrics: SpanMetrics, group: str, *where) -> TimeSeries:
    # Exemplars on the middle quantile: each one is a real request, linked to its trace in Tempo.
    targets = [PrometheusQuery(ds.prometheus, metrics.quantile(q, group, *where), refId=ref,
                               legendFormat=f"{{{{{group}}}}} p{round(q * 100)}", exemplar=(q == 0.95))
               for q, ref in zip(QUANTILES, "ABC")]
    return TimeSeries(title=title, description=description, dataSource=ds.prometheus, targets=targets, unit="s")


def _red_row(title, what, ds, metrics, group, *where) -> Row:
    return Row(title, [
        TimeSeries(title=f"Request rate {what}", dataSource=ds.prometheus, unit="reqps",
                   targets=[PrometheusQuery(ds.prometheus, metrics.rate(group, *where),
                                            legendFormat=f"{{{{{group}}}}}")]),
        TimeSeries(title=f"Error ratio {what}", dataSource=ds.prometheus, unit="percentunit",
                   targets=[PrometheusQuery(ds.prometheus, metrics.error_ratio(group, *where),
                                            legendFormat=f"{{{{{group}}}}}")]),
        _durations(f"Duration {what} (p50, p95, p99)", "Dots are exemplars: click one to open its trace.",
                   ds, metrics, group, *where),
    ])


def llm_spans(contract) -> str:
    """TraceQL condition for LLM calls: gen_ai.* semantic conventions, or the contract's name pattern."""
    system = traceql_attribute("span", contract.llm_system_attribute)
    return f"({system} != nil || name =~ {quote(anchored(contract.llm_span_name_regex))})"


def service_condition() -> str:
    return f"{traceql_attribute('resource', SERVICE_ATTRIBUTE)} =~ {quote('$service')}"


def iam_server_spans(contract) -> tuple:
    """Matchers for the IAM check: server spans of the contract's IAM service(s), whatever their names."""
    m = contract.metrics
    return ((m.service_label, "=~", contract.iam_service_regex), (m.span_kind_label, "=", m.span_kind_server_value))


def build(ctx):
    contract = ctx.contract
    m = contract.metrics
    ds = datasources(ctx)
    metrics = SpanMetrics(contract)
    service = (m.service_label, "=~", "$service")
    agent = agent_label(contract)
    name = m.span_name_label
    quantiles = ", ".join(f"{q:g}" for q in QUANTILES)

    # One span kind per call: the caller's client span. An LLM gateway's server span for the same call
    # carries the same gen_ai name, so without the kind every call is counted twice.
    client = (m.span_kind_label, "=", m.span_kind_client_value)
    # Per calling service, over all services: a chosen service that makes no LLM calls (IAM) would
    # leave the panel empty.
    llm_from_metrics = _durations(
        "LLM call duration per caller (span metrics)", "Client spans whose name matches the contract's LLM pattern.",
        ds, metrics, m.service_label, client, (name, "=~", contract.llm_span_name_regex))
    llm_from_traces = TimeSeries(
        title="LLM call duration (TraceQL metrics)", dataSource=ds.tempo, unit="s",
        description=f"Client spans with {contract.llm_system_attribute} (gen_ai semantic conventions) or an LLM span name.",
        targets=[TraceQLMetrics(ds.tempo, f"{{ {service_condition()} && kind = client && {llm_spans(contract)} }}"
                                          f" | quantile_over_time(duration, {quantiles}) by (name)")])
    db_system = traceql_attribute("span", contract.db_system_attribute)
    database = TimeSeries(
        title="Database query duration (TraceQL metrics)", dataSource=ds.tempo, unit="s",
        description=f"Spans with {contract.db_system_attribute}, by database system.",
        targets=[TraceQLMetrics(ds.tempo, f"{{ {service_condition()} && {db_system} != nil }}"
                                          f" | quantile_over_time(duration, {quantiles}) by ({db_system})")])
    iam_where = iam_server_spans(contract)
    iam = _durations("IAM authentication check duration",
                     "Server spans of the IAM service (contract iam_service_regex), per operation.",
                     ds, metrics, name, *iam_where)
    iam_errors = TimeSeries(title="IAM authentication check errors", dataSource=ds.prometheus, unit="percentunit",
                            targets=[PrometheusQuery(ds.prometheus, metrics.error_ratio(name, *iam_where),
                                                     legendFormat=f"{{{{{name}}}}}")])
    slowest = Table(
        title="Slowest traces (longer than $min_duration)", dataSource=ds.tempo,
        description="Click a trace id to audit it.",
        targets=[TraceQL(ds.tempo, f"{{ {service_condition()} && duration > $min_duration }}",
                         tableType="traces", limit=50)],
        overrides=[by_name("traceID", links=[link("Audit this trace",
                                                  dashboard_url(ctx, "trace_audit", "var-traceID=${__value.raw}"))])],
        sortBy=[{"displayName": "Duration", "desc": True}])
    per_service_traces = TimeSeries(
        title="Server span duration per service (TraceQL metrics, without Prometheus)", dataSource=ds.tempo,
        unit="s", targets=[TraceQLMetrics(
            ds.tempo, f"{{ {service_condition()} && kind = server }}"
                      f" | quantile_over_time(duration, {quantiles}) by ({traceql_attribute('resource', SERVICE_ATTRIBUTE)})")])

    variables = [
        prometheus_values("service", "Service", ds.prometheus, m.calls_total, m.service_label, allValue=".+"),
        prometheus_values("agent", "Agent", ds.prometheus, m.calls_total, agent, allValue=".+"),
        CustomVariable("min_duration", "Slower than", THRESHOLDS, default="1s"),
    ]
    server = (m.span_kind_label, "=", m.span_kind_server_value)
    rows = [
        _red_row("Per service (server spans)", "per service", ds, metrics, m.service_label, service, server),
        # Server spans only: an agent's own LLM and database client spans carry its name too, and
        # would count each request several times and mix call durations into request durations.
        # Filtered by Agent, not by Service: a service that is no agent (IAM, the LLM gateway) would
        # leave the row empty.
        _red_row("Per agent (server spans)", "per agent", ds, metrics, agent, server, (agent, "=~", "$agent")),
        Row("LLM calls", [llm_from_metrics, llm_from_traces]),
        Row("Database and IAM", [database, iam, iam_errors]),
        Row("Slowest traces", [slowest, per_service_traces], height=10),
    ]
    return finish(ctx, STEM, UID,
                  "Where time goes: rate, errors and p50/p95/p99 per service and agent, LLM calls, database "
                  "queries and the IAM check. Click an exemplar or a slow trace to audit it.",
                  rows, variables, time=("now-3h", "now"), refresh="1m", tags=["latency"])
