"""links.py and logql_match.py on their own: the Grafana and Loki rules they reproduce, case by case."""

from __future__ import annotations

import pytest

from druppie_grafana.jsregex import node_path
from druppie_grafana.links import (LinkError, LogRow, SpanView, derived_field_values, interpolate,
                                   interval_to_ms, js_object_key_order, log_links, logs_link, time_range_ms,
                                   traces_to_logs_options)
from druppie_grafana.logql_match import LogEntry, LogQLError, LogQLUnsupported, parse

needs_node = pytest.mark.skipif(node_path() is None, reason="node is needed for JavaScript regex semantics")

TEMPO = {"uid": "tempo-uid", "name": "Tempo", "type": "tempo"}
LOKI = {"uid": "loki-uid", "name": "Loki", "type": "loki"}
TID = "4bf92f3577b34da6a3ce929d0e0e4736"
SID = "00f067aa0ba902b7"


def loki(*configs):
    return {**LOKI, "jsonData": {"derivedFields": list(configs)}}


# ---- derived fields ------------------------------------------------------------------------------

@needs_node
def test_configs_with_one_name_share_the_first_matcher_and_each_add_a_link():
    spec = loki({"name": "T", "matcherRegex": "id=(\\w+)", "url": "${__value.raw}", "datasourceUid": "tempo-uid",
                 "urlDisplayLabel": "Trace ${__value.raw}"},
                {"name": "T", "matcherRegex": "never-used", "url": "https://x/${__value.raw}", "targetBlank": True},
                {"name": "gone", "matcherRegex": "id=(\\w+)", "datasourceUid": "nope", "url": "${__value.raw}"})
    [links] = log_links(spec, [LogRow("a id=abc b")], [TEMPO, LOKI])
    assert [(l.field, l.internal, l.query or l.url) for l in links] == \
        [("T", True, "abc"), ("T", False, "https://x/abc"), ("gone", True, "abc")]
    assert links[0].title == "Trace abc" and links[0].query_type == "traceql"
    assert links[2].datasource_name == "Data source not found" and links[2].query_type is None


@needs_node
def test_regex_mode_uses_javascript_group_one_and_an_empty_group_gives_no_link():
    json_data = {"derivedFields": [{"name": "a", "matcherRegex": "x=(\\d*)(y)?"},
                                   {"name": "b", "matcherType": "something-else", "matcherRegex": "(.)"}]}
    values = derived_field_values(json_data, [LogRow("x=12"), LogRow("x=y"), LogRow("none")])
    assert values == [{"a": "12", "b": None}, {"a": None, "b": None}, {"a": None, "b": None}]


@needs_node
def test_label_mode_is_an_unanchored_test_over_keys_and_the_first_key_wins():
    json_data = {"derivedFields": [{"name": "loose", "matcherType": "label", "matcherRegex": "trace_id"},
                                   {"name": "anchored", "matcherType": "label", "matcherRegex": "^trace_id$"}]}
    rows = [LogRow("", {"parent_trace_id": "p", "trace_id": "t"}), LogRow("", {}), LogRow("trace_id=1", None)]
    assert derived_field_values(json_data, rows) == [
        {"loose": "p", "anchored": "t"}, {"loose": None, "anchored": None}, {"loose": None, "anchored": None}]


@needs_node
def test_an_invalid_javascript_regex_is_an_error_like_in_grafana():
    with pytest.raises(LinkError, match="not a valid JavaScript regex"):
        derived_field_values({"derivedFields": [{"name": "a", "matcherRegex": "(?P<id>\\w+)"}]}, [LogRow("x")])


def test_object_key_order_puts_integer_keys_first():
    assert js_object_key_order(["b", "10", "a", "2", "01"]) == ["2", "10", "b", "a", "01"]


def test_interpolation_fills_known_variables_and_leaves_the_rest():
    scoped = {"__span": {"tags": {"http.method": "GET", "a": {"b": 1}}, "traceId": TID}, "__tags": "x=\"1\""}
    text = '${__span.tags["http.method"]} ${__span.tags.http.method} ${__span.tags.a.b} $__tags ${__trace.traceId}'
    assert interpolate(text, scoped) == 'GET GET 1 x="1" ${__trace.traceId}'


# ---- trace to logs ---------------------------------------------------------------------------------

def tempo(**options):
    return {**TEMPO, "jsonData": {"tracesToLogsV2": {"datasourceUid": "loki-uid", **options}}}


SPAN = SpanView(TID, SID, "chat gpt-4o", start_us=1_700_000_000_123_456.0, duration_us=2_500.0,
                resource=(("service.name", "router-agent"), ("k8s.pod.name", "p-1")),
                attributes=(("gen_ai.system", "openai"), ("retries", 2), ("cached", False)),
                trace_name="process_question", trace_duration_us=9_000.0)


def test_tags_map_span_attributes_to_labels_in_span_order():
    link = logs_link(tempo(tags=[{"key": "gen_ai.system", "value": "ai"}, {"key": "service.name",
                                                                            "value": "service_name"},
                                 {"key": "cached"}], filterByTraceID=False), SPAN, [LOKI])
    assert link.expr == '{service_name="router-agent", ai="openai", cached="false"}'


def test_empty_tags_fall_back_to_grafanas_default_tags():
    link = logs_link(tempo(tags=[]), SPAN, [LOKI])
    assert link.expr == '{service_name="router-agent"}'


def test_generated_filters_in_both_styles():
    options = {"tags": [{"key": "service.name", "value": "service_name"}], "filterByTraceID": True,
               "filterBySpanID": True}
    current = logs_link(tempo(**options), SPAN, [LOKI]).expr
    assert current == ('{service_name="router-agent"} | label_format log_line_contains_trace_id='
                       f'`{{{{ contains "{TID}" __line__  }}}}` | log_line_contains_trace_id="true" or '
                       f'trace_id="{TID}" | label_format log_line_contains_span_id=`{{{{ contains "{SID}" '
                       f'__line__  }}}}` | log_line_contains_span_id="true" or span_id="{SID}"')
    older = logs_link(tempo(**options), SPAN, [LOKI], style="line_filter").expr
    assert older == f'{{service_name="router-agent"}} |="{TID}" |="{SID}"'


def test_custom_query_is_interpolated_and_hidden_when_a_variable_is_missing():
    ok = logs_link(tempo(customQuery=True, query='{${__tags}} | json | trace_id="${__trace.traceId}" '
                                                   '| name="${__span.name}" | r="${__span.tags.retries}"',
                         tags=[{"key": "service.name", "value": "service_name"}]), SPAN, [LOKI])
    assert ok.expr == f'{{service_name="router-agent"}} | json | trace_id="{TID}" | name="chat gpt-4o" | r="2"'
    assert logs_link(tempo(customQuery=True, query='{a="${__span.tags.missing}"}'), SPAN, [LOKI]) is None


def test_no_link_without_a_resolvable_logs_datasource_and_legacy_v1_is_converted():
    assert logs_link({**TEMPO, "jsonData": {"tracesToLogsV2": {"datasourceUid": "elsewhere",
                                                               "tags": [{"key": "service.name"}]}}},
                     SPAN, [LOKI]) is None
    v1 = {"tracesToLogs": {"datasourceUid": "Loki", "tags": ["k8s.pod.name"], "filterByTraceID": True}}
    assert traces_to_logs_options(v1)["tags"] == [{"key": "k8s.pod.name"}]
    link = logs_link({**TEMPO, "jsonData": v1}, SPAN, [LOKI], style="line_filter")  # resolved by name
    assert link.expr == f'{{k8s.pod.name="p-1"}} |="{TID}"' and link.datasource_uid == "loki-uid"


@pytest.mark.parametrize("text,ms", [("-1m", -60_000), ("2s", 2_000), ("500ms", 500), ("1h", 3_600_000),
                                     ("3", 3_000), ("-2", -2_000), ("1.5s", 1_000), ("10m30s", 600_000)])
def test_interval_to_ms_as_grafana_reads_it(text, ms):
    assert interval_to_ms(text) == ms


@pytest.mark.parametrize("text", ["0", "abc", "1x"])
def test_intervals_grafana_throws_on(text):
    with pytest.raises(LinkError):
        interval_to_ms(text)


def test_time_range_floors_to_milliseconds_and_is_never_empty():
    instant = SpanView(TID, SID, "x", start_us=1_000_000.7, duration_us=0.2)
    assert time_range_ms(instant, None, None) == (1000, 1001)
    assert time_range_ms(SPAN, "-1s", "1s") == (1_700_000_000_123 - 1000, 1_700_000_000_125 + 1000)


# ---- LogQL matching ----------------------------------------------------------------------------------

ENTRIES = [
    LogEntry('{"traceID":"abc","msg":"a"}', {"service_name": "router", "env": "dev"}),
    LogEntry("body only", {"service_name": "router", "env": "dev"}, {"trace_id": "abc"}),
    LogEntry("level=error msg=boom", {"service_name": "planner", "env": "prod"}),
    LogEntry("other", {"service_name": "router"}),
]


def chosen(query: str) -> list[int]:
    q = parse(query)
    return [i for i, e in enumerate(ENTRIES) if q.selects(e)]


@pytest.mark.parametrize("query,expected", [
    ('{service_name="router"}', [0, 1, 3]),
    ('{service_name=~".+", service_name!="router"}', [2]),
    ('{service_name=~"rout|plan"}', []),  # label regexes are anchored
    ('{service_name=~"rout.*|plan.*"}', [0, 1, 2, 3]),
    ('{service_name=~".+", env!~"d.*"}', [2, 3]),  # a missing label is "" for matchers
    ('{env=~".+"} |= "abc"', [0]),
    ('{env=~".+"} != "abc"', [1, 2]),
    ('{env=~".+"} |~ "err(or)?"', [2]),  # line regexes are not anchored
    ('{env=~".+"} !~ `^\\{`', [1, 2]),
    ('{env=~".+"} | trace_id="abc"', [1]),  # label filters see structured metadata
    ('{env=~".+"} | trace_id=""', [0, 2]),
    ('{service_name=~".+"} | env="dev" and trace_id="abc" or service_name="planner"', [1, 2]),
    ('{service_name=~".+"} | env="dev", (trace_id="abc" or service_name="planner")', [1]),
    ('{service_name=~".+"} | label_format hit=`{{ contains "abc" __line__ }}` | hit="true" or trace_id="abc"', [0, 1]),
    ('{service_name=~".+"} | label_format x=`{{.env}}-{{ .service_name }}`, y=env | x="dev-router" | y="dev"', [0, 1]),
    ('{service_name=~".+"} | label_format env=service_name | env="router"', [0, 1, 3]),
])
def test_logql_subset(query, expected):
    assert chosen(query) == expected


@pytest.mark.parametrize("query,error", [
    ('{env=""}', LogQLError),  # Loki refuses selectors that match everything
    ('{env="dev"', LogQLError),
    ('{env="dev"} | json trace="traceID"', LogQLUnsupported),  # parsers with parameters
    ('{env="dev"} | duration > 5s', LogQLUnsupported),
    ('{env="dev"} |= "a" or "b"', LogQLUnsupported),
    ('{env="dev"} |~ "(?=x)"', LogQLUnsupported),
    ('{env="dev"} | label_format x=`{{ upper .env }}`', LogQLUnsupported),
    ('{env="dev"} |~ "("', LogQLError),
])
def test_logql_outside_the_subset_or_invalid_is_refused(query, error):
    with pytest.raises(error):
        parse(query)


def test_json_and_logfmt_parsers_make_labels_as_loki_does():
    q = parse('{env="dev"} | json | traceID=~"0*abc" | req_user="u1" | env_extracted="x"')
    assert q.selects(LogEntry('{"traceID":"000abc","req":{"user":"u1"},"env":"x"}', {"env": "dev"}))
    assert not q.selects(LogEntry('{"traceID":"000abcd","req":{"user":"u1"},"env":"x"}', {"env": "dev"}))
    assert not q.selects(LogEntry("not json", {"env": "dev"}))
    q = parse('{env="dev"} | logfmt | traceID=~"0*abc" | msg="a b"')
    assert q.selects(LogEntry('level=info traceID=0abc msg="a b"', {"env": "dev"}))


def test_go_string_escapes():
    q = parse('{env="dev"} |= "tab\\there \\"q\\" \\u00e9"')
    assert q.selects(LogEntry('x tab\there "q" é y', {"env": "dev"}))
