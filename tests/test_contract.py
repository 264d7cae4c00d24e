"""The correlation contract's derived-field regex, run with JavaScript semantics as Grafana does."""

from __future__ import annotations

import json
import re

import pytest

from druppie_grafana.contract import DEFAULT_CONTRACT, Contract
from druppie_grafana.jsregex import js_group1, node_path

pytestmark = pytest.mark.skipif(node_path() is None, reason="node is needed for JavaScript regex semantics")

SEED_LINE = '{"level":"info", "traceID":"abc-123", "msg":"Prompt verstuurd..."}'
REAL_ID = "0af7651916cd43dd8448eb211c80319c"


def test_seed_line_and_real_id_are_extracted():
    regex = DEFAULT_CONTRACT.trace_id_regex()
    lines = [SEED_LINE, json.dumps({"level": "info", "traceID": REAL_ID, "msg": "x"}),
             '{"traceID" : "abc-123"}']
    assert js_group1(regex, lines) == ["abc-123", REAL_ID, "abc-123"]


def test_lines_without_a_trace_id_give_no_link():
    regex = DEFAULT_CONTRACT.trace_id_regex()
    lines = DEFAULT_CONTRACT.lines_without_trace() + [
        '{"level":"info","msg":"traceID mentioned in text only"}',
        '{"level":"info","parentTraceID":"",' + '"msg":"x"}',
        '{"traceID":""}',
    ]
    assert js_group1(regex, lines) == [None] * len(lines)


def test_contract_sample_lines_round_trip():
    for contract in (DEFAULT_CONTRACT, DEFAULT_CONTRACT.replace(log_format="logfmt"),
                     DEFAULT_CONTRACT.replace(trace_id_field="otelTraceID"),
                     DEFAULT_CONTRACT.replace(trace_id_field="trace_id", trace_id_prefix="0x")):
        got = js_group1(contract.trace_id_regex(), contract.sample_lines(REAL_ID))
        assert got == [REAL_ID] * len(contract.sample_lines(REAL_ID)), contract
        assert js_group1(contract.trace_id_regex(), contract.lines_without_trace()) == \
            [None] * len(contract.lines_without_trace())


def test_corpus_json_lines(corpus):
    """python-json-logger lines: the default field does not occur; switching the field links them."""
    path = corpus / "logs/generated/python-json-logger-otel-fields.log"
    lines = [l for l in path.read_text().splitlines() if l.startswith("{")]
    ids = [json.loads(l).get("otelTraceID") for l in lines]
    assert js_group1(DEFAULT_CONTRACT.trace_id_regex(), lines) == [None] * len(lines)
    switched = DEFAULT_CONTRACT.replace(trace_id_field="otelTraceID")
    expected = [i if i and set(i) != {"0"} else None for i in ids]
    assert any(expected) and js_group1(switched.trace_id_regex(), lines) == expected


def test_corpus_logfmt_lines(corpus):
    lines = (corpus / "logs/loki-testdata/distributor-logfmt.txt").read_text().splitlines()[:50]
    expected = [re.search(r"\btraceID=(\w+)", l).group(1) for l in lines]
    logfmt = DEFAULT_CONTRACT.replace(log_format="logfmt")
    assert js_group1(logfmt.trace_id_regex(), lines) == expected


def test_regex_is_python_compatible_too():
    # The same pattern is used by Python-side checks; it must mean the same thing there.
    pattern = re.compile(DEFAULT_CONTRACT.trace_id_regex())
    assert pattern.search(SEED_LINE).group(1) == "abc-123"


@pytest.mark.parametrize("overrides, message", [
    ({"log_format": "xml"}, "log_format"),
    ({"metrics_naming": "jaeger"}, "metrics_naming"),
    ({"resource_labels": {"service.name": "service-name"}}, "not a valid Loki label"),
    ({"trace_id_field": 3}, "must be a string"),
    ({"no_such_field": "x"}, "unknown contract field"),
])
def test_bad_contract_overrides(overrides, message):
    with pytest.raises(ValueError, match=message):
        Contract.from_mapping(overrides)


def test_metrics_naming_switches_exemplar_label():
    assert DEFAULT_CONTRACT.exemplar_label == "traceID"
    assert Contract.from_mapping({"metrics_naming": "otel-collector"}).exemplar_label == "trace_id"
    assert Contract.from_mapping({"exemplar_label_override": "tid"}).exemplar_label == "tid"
