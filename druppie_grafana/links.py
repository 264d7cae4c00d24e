"""What Grafana does when a user clicks: the links it derives from built datasource configs.

Three clicks, each evaluated the way Grafana's frontend code does it (see grafana-facts.md §2-§4):

* log line -> trace: the Loki datasource's derivedFields (getDerivedFields.ts). Configs are grouped
  by name; the first config of a group decides the matcher. Regex mode is `line.match(re)` in
  JavaScript (run through node), value = capture group 1; label mode is an unanchored
  `new RegExp(re).test(key)` over the row's label keys, first key wins.
* span -> logs: the Tempo datasource's tracesToLogsV2 (createSpanLink.tsx): tag mapping, the
  generated query with the trace-id / span-id filters (or the custom query), variable
  interpolation, the "every variable defined" rule and the time shifts.
* exemplar -> trace: the Prometheus datasource's exemplarTraceIdDestinations.

Inputs are datasource specs in the HTTP API form (the `spec` of a built Resource: single `$`).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Sequence

from .jsregex import JsRegexCase, run_js_regexes


class LinkError(ValueError):
    """Grafana would fail here too (an invalid regex, a bad time shift), or the case is not modelled."""


# ---- JavaScript details that decide order and text ---------------------------------------------

_ARRAY_INDEX = re.compile(r"0|[1-9][0-9]*")


def js_object_key_order(keys: Iterable[str]) -> list[str]:
    """The order Object.keys()/Object.values() give for an object built by inserting `keys`:
    integer-like keys ascending first, then the others in insertion order."""
    keys = list(dict.fromkeys(keys))
    ints = sorted((k for k in keys if _ARRAY_INDEX.fullmatch(k) and int(k) < 2**32 - 1), key=int)
    return ints + [k for k in keys if k not in ints]


def js_string(value: Any) -> str:
    """String(value) as JavaScript writes it, for values in span tags and variables."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        return str(int(value)) if value.is_integer() and abs(value) < 1e21 else repr(value)
    if isinstance(value, (list, tuple)):
        return ",".join("" if v is None else js_string(v) for v in value)
    return str(value)


# Grafana's template variable syntax: $name, [[name]], ${name.path:format}.
_VARIABLE = re.compile(r"\$(\w+)|\[\[(\w+?)(?::(\w+))?\]\]|\$\{(\w+)(?:\.([^:^}]+))?(?::([^}]+))?\}")


def lookup(scoped: Mapping[str, Any], name: str, path: str | None) -> Any:
    value = scoped.get(name)
    if path is None or value is None:
        return value
    # Paths like tags.http.method or tags["http.status"]: Grafana walks the object with lodash get;
    # here a key may itself contain dots, so the longest matching key wins at each step.
    parts = re.findall(r'\["([^"]*)"\]|\[\'([^\']*)\'\]|([^.\[\]]+)', path)
    steps = [a or b or c for a, b, c in parts]
    i = 0
    while i < len(steps):
        if not isinstance(value, Mapping):
            return None
        for j in range(len(steps), i, -1):
            key = ".".join(steps[i:j])
            if key in value:
                value, i = value[key], j
                break
        else:
            return None
    return value


def variables_in(text: str) -> list[tuple[str, str | None]]:
    out = []
    for m in _VARIABLE.finditer(text):
        name = m.group(1) or m.group(2) or m.group(4)
        out.append((name, m.group(5)))
    return out


def interpolate(text: str, scoped: Mapping[str, Any]) -> str:
    """Replace the variables scoped vars define; leave the others as written (as Grafana does)."""
    def replace(m: re.Match) -> str:
        name = m.group(1) or m.group(2) or m.group(4)
        value = lookup(scoped, name, m.group(5))
        return m.group(0) if value is None else js_string(value)
    return _VARIABLE.sub(replace, text)


def resolve_datasource(ref: str | None, datasources: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """getInstanceSettings(ref): a datasource by uid, or else by name."""
    if not ref:
        return None
    for ds in datasources:
        if ds.get("uid") == ref:
            return ds
    for ds in datasources:
        if ds.get("name") == ref:
            return ds
    return None


# ---- log line -> trace (Loki derived fields) ---------------------------------------------------

@dataclass(frozen=True)
class LogRow:
    """One row of a Loki logs frame: the line text and its `labels` field.

    labels holds stream labels, structured metadata and labels parsed by the query (| json);
    None means the frame has no labels field at all.
    """

    line: str
    labels: Mapping[str, str] | None = None


@dataclass(frozen=True)
class DerivedLink:
    field: str  # the derived field's name
    value: str
    title: str
    internal: bool
    query: str | None = None  # internal: the query sent to the target datasource
    query_type: str | None = None  # 'traceql' for Tempo
    datasource_uid: str | None = None
    datasource_name: str | None = None  # 'Data source not found' when the uid does not resolve
    url: str | None = None  # external link
    target_blank: bool = False


def _grouped(configs: Sequence[Mapping[str, Any]]) -> dict[str, list[Mapping[str, Any]]]:
    """lodash groupBy(configs, 'name'), in the order Object.values() returns the groups."""
    groups: dict[str, list[Mapping[str, Any]]] = {}
    for config in configs:
        name = config.get("name")
        groups.setdefault("undefined" if name is None else js_string(name), []).append(config)
    return {key: groups[key] for key in js_object_key_order(groups)}


def derived_field_values(loki_json_data: Mapping[str, Any], rows: Sequence[LogRow]) -> list[dict[str, str | None]]:
    """For each row, derived field name -> extracted value (None: no link), as getDerivedFields does."""
    groups = _grouped(loki_json_data.get("derivedFields") or [])
    out: list[dict[str, str | None]] = [{name: None for name in groups} for _ in rows]
    cases: list[JsRegexCase] = []
    plan: list[tuple[str, str, int | None]] = []  # (field, mode, row index for label mode)
    for name, configs in groups.items():
        first = configs[0]
        mode = first.get("matcherType")
        regex = js_string(first.get("matcherRegex"))
        if mode == "label":
            for i, row in enumerate(rows):
                if row.labels is not None:
                    cases.append(JsRegexCase(regex, keys=js_object_key_order(row.labels)))
                    plan.append((name, "label", i))
        elif mode in (None, "regex"):
            cases.append(JsRegexCase(regex, lines=[row.line for row in rows]))
            plan.append((name, "regex", None))
        # any other matcherType gives null for every row
    for (name, mode, index), result in zip(plan, run_js_regexes(cases)):
        if result.error and (mode == "regex" and rows or mode == "label" and rows[index].labels):
            raise LinkError(f"derived field {name!r}: matcherRegex is not a valid JavaScript regex "
                            f"({result.error}); Grafana's logs view fails on it")
        if mode == "regex":
            for i, value in enumerate(result.values):
                out[i][name] = value
        elif result.first_key is not None:
            out[index][name] = rows[index].labels[result.first_key]
    return out


def _links_of_group(name: str, configs: Sequence[Mapping[str, Any]], value: str,
                    datasources: Sequence[Mapping[str, Any]]) -> list[DerivedLink]:
    scoped = {"__value": {"raw": value, "text": value, "value": value}}
    links = []
    for config in configs:
        title = interpolate(js_string(config.get("urlDisplayLabel") or ""), scoped)
        target_blank = bool(config.get("targetBlank"))
        if config.get("datasourceUid"):
            target = resolve_datasource(config["datasourceUid"], datasources)
            target_type = target.get("type") if target else None
            query_type = {"tempo": "traceql", "grafana-x-ray-datasource": "getTrace"}.get(target_type)
            links.append(DerivedLink(name, value, title, True,
                                     query=interpolate(js_string(config.get("url") or ""), scoped),
                                     query_type=query_type, datasource_uid=config["datasourceUid"],
                                     datasource_name=target.get("name") if target else "Data source not found",
                                     target_blank=target_blank))
        elif config.get("url"):
            links.append(DerivedLink(name, value, title, False, url=interpolate(js_string(config["url"]), scoped),
                                     target_blank=target_blank))
    return links


def log_links(loki_spec: Mapping[str, Any], rows: Sequence[LogRow],
              datasources: Sequence[Mapping[str, Any]]) -> list[list[DerivedLink]]:
    """For each row, the links its derived fields offer (empty: the line links nowhere)."""
    json_data = loki_spec.get("jsonData") or {}
    groups = _grouped(json_data.get("derivedFields") or [])
    result = []
    for values in derived_field_values(json_data, rows):
        links: list[DerivedLink] = []
        for name, value in values.items():
            if value is not None:
                links.extend(_links_of_group(name, groups[name], value, datasources))
        result.append(links)
    return result


# ---- span -> logs (Tempo trace to logs) ---------------------------------------------------------

# getDefaultLogsTags(): used when tracesToLogsV2.tags is empty; dotted keys map to underscores.
DEFAULT_LOGS_TAGS: tuple[tuple[str, str | None], ...] = (
    ("cluster", None), ("hostname", None), ("namespace", None), ("pod", None),
    ("service.name", "service_name"), ("service.namespace", "service_namespace"),
)

# How the generated Loki query filters by id. Current Grafana: a label_format that tests the line
# text, or'ed with a trace_id / span_id label (structured metadata from OTLP ingestion). Older
# Grafana releases: a plain line filter |="<id>".
FILTER_STYLES = ("label_format", "line_filter")


@dataclass(frozen=True)
class SpanView:
    """A span as Grafana's trace view holds it (TraceSpan): ids as hex, times in microseconds."""

    trace_id: str
    span_id: str
    name: str
    start_us: float
    duration_us: float
    resource: tuple[tuple[str, Any], ...] = ()  # process tags: the resource attributes
    attributes: tuple[tuple[str, Any], ...] = ()  # span tags
    trace_name: str = ""  # the trace's root span name
    trace_duration_us: float = 0

    @classmethod
    def from_otel(cls, span: Any, trace_spans: Sequence[Any] = ()) -> "SpanView":
        """From an OpenTelemetry SDK ReadableSpan (and optionally all spans of its trace)."""
        ctx = span.get_span_context()
        root = next((s for s in trace_spans if s.parent is None and
                     s.get_span_context().trace_id == ctx.trace_id), None)
        trace_start = min((s.start_time for s in trace_spans), default=span.start_time)
        trace_end = max((s.end_time for s in trace_spans), default=span.end_time)
        return cls(
            trace_id=format(ctx.trace_id, "032x"),
            span_id=format(ctx.span_id, "016x"),
            name=span.name,
            start_us=span.start_time / 1000,
            duration_us=(span.end_time - span.start_time) / 1000,
            resource=tuple(span.resource.attributes.items()),
            attributes=tuple((span.attributes or {}).items()),
            trace_name=root.name if root is not None else "",
            trace_duration_us=(trace_end - trace_start) / 1000,
        )

    def all_tags(self) -> list[tuple[str, Any]]:
        """getSpanTags(span): process tags, span tags, then spanId, traceId, name, duration."""
        return [*self.resource, *self.attributes, ("spanId", self.span_id), ("traceId", self.trace_id),
                ("name", self.name), ("duration", self.duration_us)]


@dataclass(frozen=True)
class LogsLink:
    datasource_uid: str
    datasource_name: str
    expr: str  # the LogQL query, variables interpolated
    from_ms: int
    to_ms: int
    template: str = ""  # the query before interpolation


def interval_to_ms(text: str) -> float:
    """rangeUtil.intervalToMs: '-1m', '2s', '500ms', or a unit-less number of seconds."""
    stripped = text.strip()
    try:
        number = float(stripped) if stripped else 0.0
    except ValueError:
        number = 0.0
    if number:  # JavaScript: Number(str) is truthy -> seconds, parseInt of the text
        m = re.match(r"\s*[+-]?\d+", text)
        return (int(m.group()) if m else 0) * 1000
    m = re.match(r"^(-?\d+(?:\.\d+)?)(ms|[Mwdhmsy])", text)
    if not m:
        raise LinkError(f"time shift {text!r} is not an interval Grafana reads (e.g. -1m, 2s, 500ms); "
                        "Grafana throws on it and shows no logs link")
    seconds = {"y": 31536000, "M": 2592000, "w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1,
               "ms": 0.001}[m.group(2)]
    return seconds * 1000 * int(float(m.group(1)))  # parseInt drops any fraction


def traces_to_logs_options(tempo_json_data: Mapping[str, Any]) -> dict[str, Any] | None:
    """tracesToLogsV2, or the legacy tracesToLogs converted the way Grafana converts it."""
    v2 = tempo_json_data.get("tracesToLogsV2")
    if v2:
        return dict(v2)
    v1 = tempo_json_data.get("tracesToLogs")
    if not v1:
        return None
    options = {k: v for k, v in v1.items() if k not in ("tags", "mappedTags", "mapTagNamesEnabled")}
    if v1.get("mapTagNamesEnabled"):
        options["tags"] = list(v1.get("mappedTags") or [])
    else:
        options["tags"] = [{"key": key} for key in v1.get("tags") or []]
    options["customQuery"] = False
    return options


def _formatted_tags(span: SpanView, tags_to_use: Sequence[tuple[str, str | None]]) -> str:
    parts = []
    for key, value in span.all_tags():
        for use_key, label in tags_to_use:
            if use_key == key:
                parts.append(f'{label or use_key}="{js_string(value)}"')
                break
    return ", ".join(parts)


def _loki_query(options: Mapping[str, Any], tags: str, span: SpanView, style: str) -> str | None:
    if options.get("customQuery"):
        return js_string(options.get("query") or "") or None
    if not tags:
        return None  # no configured tag on this span: Grafana shows no logs link
    expr = "{${__tags}}"
    if style == "label_format":
        if options.get("filterByTraceID") and span.trace_id:
            expr += (' | label_format log_line_contains_trace_id=`{{ contains "${__span.traceId}" __line__  }}`'
                     ' | log_line_contains_trace_id="true" or trace_id="${__span.traceId}"')
        if options.get("filterBySpanID") and span.span_id:
            expr += (' | label_format log_line_contains_span_id=`{{ contains "${__span.spanId}" __line__  }}`'
                     ' | log_line_contains_span_id="true" or span_id="${__span.spanId}"')
    else:
        if options.get("filterByTraceID") and span.trace_id:
            expr += ' |="${__span.traceId}"'
        if options.get("filterBySpanID") and span.span_id:
            expr += ' |="${__span.spanId}"'
    return expr


def _scoped_vars(span: SpanView, tags: str) -> dict[str, Any]:
    span_tags: dict[str, Any] = {}
    for key, value in (*span.resource, *span.attributes):
        span_tags[key] = value
    return {
        "__tags": tags,
        "__span": {"spanId": span.span_id, "traceId": span.trace_id, "duration": span.duration_us,
                   "name": span.name, "tags": span_tags},
        "__trace": {"traceId": span.trace_id, "duration": span.trace_duration_us, "name": span.trace_name},
    }


def _defined(value: Any) -> bool:
    return value is not None and value != ""


def time_range_ms(span: SpanView, start_shift: str | None, end_shift: str | None) -> tuple[int, int]:
    """getTimeRangeFromSpan: span start/end in ms plus the shifts, never an empty range."""
    start_ms = interval_to_ms(start_shift) if start_shift else 0
    end_ms = interval_to_ms(end_shift) if end_shift else 0
    start = math.floor(span.start_us / 1000 + start_ms)
    end = math.floor((span.start_us + span.duration_us) / 1000 + end_ms)
    if start == end:
        end += 1
    return start, end


def logs_link(tempo_spec: Mapping[str, Any], span: SpanView, datasources: Sequence[Mapping[str, Any]],
              style: str = "label_format") -> LogsLink | None:
    """The "Logs for this span" link Grafana shows for `span`, or None when it shows none."""
    if style not in FILTER_STYLES:
        raise LinkError(f"style must be one of {FILTER_STYLES}, got {style!r}")
    options = traces_to_logs_options(tempo_spec.get("jsonData") or {})
    if not options or not options.get("datasourceUid"):
        return None
    logs_ds = resolve_datasource(options["datasourceUid"], datasources)
    if logs_ds is None:
        return None
    if logs_ds.get("type") != "loki":
        raise LinkError(f"trace to logs into a {logs_ds.get('type')!r} datasource is not modelled (only loki)")
    configured = options.get("tags") or []
    tags_to_use = ([(t["key"], t.get("value") or None) for t in configured] if configured
                   else list(DEFAULT_LOGS_TAGS))
    tags = _formatted_tags(span, tags_to_use)
    template = _loki_query(options, tags, span, style)
    if template is None:
        return None
    scoped = _scoped_vars(span, tags)
    if not all(_defined(lookup(scoped, name, path)) for name, path in variables_in(template)):
        return None  # a variable the span cannot fill: Grafana hides the link
    start, end = time_range_ms(span, options.get("spanStartTimeShift"), options.get("spanEndTimeShift"))
    return LogsLink(logs_ds["uid"], logs_ds.get("name", ""), interpolate(template, scoped), start, end, template)


# ---- exemplar -> trace (Prometheus) -------------------------------------------------------------

@dataclass(frozen=True)
class ExemplarLink:
    label: str
    value: str
    title: str
    internal: bool
    query: str | None = None
    query_type: str | None = None
    datasource_uid: str | None = None
    url: str | None = None


def exemplar_links(prometheus_spec: Mapping[str, Any], exemplar_labels: Mapping[str, str],
                   datasources: Sequence[Mapping[str, Any]]) -> list[ExemplarLink]:
    """The links on one exemplar: one per exemplarTraceIdDestinations entry whose label it carries."""
    links = []
    for dest in (prometheus_spec.get("jsonData") or {}).get("exemplarTraceIdDestinations") or []:
        name = dest.get("name")
        if name not in exemplar_labels:
            continue
        value = exemplar_labels[name]
        scoped = {"__value": {"raw": value, "text": value, "value": value}}
        if dest.get("datasourceUid"):
            target = resolve_datasource(dest["datasourceUid"], datasources)
            if target is None:
                continue  # newer Grafana adds the link only when the datasource resolves
            title = interpolate(dest.get("urlDisplayLabel") or "", scoped) or f"Query with {target.get('name')}"
            links.append(ExemplarLink(name, value, title, True, query=value, query_type="traceql",
                                      datasource_uid=target["uid"]))
        elif dest.get("url"):
            url = interpolate(dest["url"], scoped)
            links.append(ExemplarLink(name, value, interpolate(dest.get("urlDisplayLabel") or "", scoped)
                                      or f"Go to {dest['url']}", False, url=url))
    return links
