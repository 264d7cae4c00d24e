"""Trace audit: "what happened at incident X?" One TraceID -> its timeline, spans, audit attributes,
plan events and the log lines of the same trace."""

from _common import SERVICE_ATTRIBUTE, dashboard_url, datasources, finish

from druppie_grafana.contract import js_regex_escape
from druppie_grafana.grafana_ext.layout import Cell, Row
from druppie_grafana.grafana_ext.panels import Logs, Table, Traces, by_name, link, organize, value_text
from druppie_grafana.grafana_ext.queries import label_name, logql_parser, matchers, quote, traceql_attribute
from druppie_grafana.grafana_ext.targets import LokiQuery, SearchFilter, TraceQL, TraceQLSearch
from druppie_grafana.grafana_ext.variables import TextboxVariable, tempo_values

UID = "druppie-trace-audit"
STEM = "trace_audit"
TRACE = "$traceID"
# Columns of the trace frame Grafana's Tempo datasource returns for a trace id, that the spans table hides.
TRACE_FRAME_HIDDEN = ("traceID", "parentSpanID", "serviceTags", "logs", "references", "tags", "warnings",
                      "stackTraces", "instrumentationLibraryName", "instrumentationLibraryVersion", "traceState")
STATUS_CODES = {0: ("unset", "text"), 1: ("ok", "green"), 2: ("error", "red")}  # OTLP span status codes


def trace_logs_query(contract) -> str:
    """The log lines of one trace: any service's stream, the id as a line filter (cheap, before the
    parser), then the parsed trace-id field must be that id. Tempo writes ids without leading zeros
    (search results, exemplars) while log lines carry all 32 hex digits, so the field may have zeros
    in front of the id given."""
    selector = matchers((contract.service_label, "=~", ".+"))
    field = label_name(contract.trace_id_field)
    return (f"{selector} |= {quote(TRACE)} {logql_parser(contract.log_format)}"
            f" | {field}=~{quote(js_regex_escape(contract.trace_id_prefix) + '0*' + TRACE)}")


def audit_attributes_query(contract) -> str:
    attributes = [traceql_attribute("span", attribute) for attribute, _label in contract.audit_attributes]
    present = " || ".join(f"{a} != nil" for a in attributes)
    return f"{{ trace:id = {quote(TRACE)} && ({present}) }} | select({', '.join(attributes)})"


def plan_events_query(contract) -> str:
    steps = traceql_attribute("event", contract.plan_steps_attribute)
    return (f"{{ trace:id = {quote(TRACE)} && event:name = {quote(contract.plan_event_name)} }}"
            f" | select({steps})")


def build(ctx):
    contract = ctx.contract
    ds = datasources(ctx)
    trace_by_id = TraceQL(ds.tempo, TRACE, limit=None)

    timeline = Traces(
        title="Trace timeline", dataSource=ds.tempo, targets=[trace_by_id],
        description="Every span of the trace on one time axis. Open a span for its attributes and events; "
                    "its log icon opens the span's log lines in Loki. Is this trace complete? The Pipeline "
                    "health link shows whether any span or log line was dropped on the way.",
        links=[link("Is this trace complete? (Pipeline health)", dashboard_url(ctx, "pipeline_health"))])
    spans = Table(
        title="Spans", dataSource=ds.tempo, targets=[trace_by_id],
        description="The spans of the trace in start order: service, operation, duration and status.",
        transformations=[organize(
            exclude=TRACE_FRAME_HIDDEN,
            rename={"serviceName": "Service", "operationName": "Span", "duration": "Duration",
                    "statusCode": "Status", "statusMessage": "Status message", "startTime": "Start",
                    "kind": "Kind", "spanID": "Span ID"},
            order=("startTime", "serviceName", "operationName", "duration", "statusCode", "statusMessage",
                   "kind", "spanID"))],
        overrides=[by_name("Duration", unit="ms"), by_name("Start", unit="dateTimeAsIso"),
                   by_name("Status", mappings=value_text(STATUS_CODES))],
        sortBy=[{"displayName": "Start", "desc": False}])
    audit = Table(
        title="Audit attributes", dataSource=ds.tempo,
        targets=[TraceQL(ds.tempo, audit_attributes_query(contract), tableType="spans", limit=None, spss=100)],
        description="Who asked and what about: the audit attributes on the spans of this trace.")
    plans = Table(
        title="Plan events", dataSource=ds.tempo,
        targets=[TraceQL(ds.tempo, plan_events_query(contract), tableType="spans", limit=None, spss=100)],
        description=f"The {contract.plan_event_name!r} events of this trace and their "
                    f"{contract.plan_steps_attribute}.")
    logs = Logs(
        title="Log lines of this trace", dataSource=ds.loki,
        targets=[LokiQuery(ds.loki, trace_logs_query(contract), maxLines=1000)],
        description="What was sent and decided, in the agents' own words. Open a line for its fields.")
    recent = Table(
        title="Recent traces of the service", dataSource=ds.tempo,
        targets=[TraceQLSearch(ds.tempo, [SearchFilter("service-name", SERVICE_ATTRIBUTE, "=~", "$service",
                                                       scope="resource")], tableType="traces", limit=50)],
        description="Click a trace id to audit that trace here.",
        overrides=[by_name("traceID", links=[link(
            "Audit this trace", dashboard_url(ctx, STEM, "var-traceID=${__value.raw}", "${service:queryparam}"))])])

    variables = [
        TextboxVariable("traceID", "TraceID", description="The trace id from a log line, an exemplar or a report"),
        tempo_values("service", "Service", ds.tempo, SERVICE_ATTRIBUTE, allValue=".+"),
    ]
    rows = [
        Row("Timeline", [timeline], height=14),
        Row("Spans and audit trail", [Cell(spans, 12), Cell(audit, 6), Cell(plans, 6)], height=10),
        Row("Log lines", [logs], height=12),
        Row("Find a trace", [recent], height=9),
    ]
    return finish(ctx, STEM, UID,
                  "Audit one request: paste its TraceID to see the whole story as one timeline, its spans, "
                  "audit attributes, plan events and log lines.",
                  rows, variables, time=("now-24h", "now"), tags=["audit"])
