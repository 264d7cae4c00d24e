"""Loki derived fields, evaluated as Grafana's browser code does (JavaScript RegExp via node), against
the correlation contract's sample log lines; and the exemplar label the contract's producer writes."""

from __future__ import annotations

from typing import Iterator

from ..errors import DruppieError
from ..jsregex import JsRegexCase, run_js_regexes
from .finding import ERROR, WARNING, Hit
from .inputs import CheckInput, DatasourceEntry
from .registry import check, define

REGEX = define(
    "derived-field-regex", ERROR,
    "a derived field's matcherRegex is not valid JavaScript, or (regex mode) has no capture group 1",
    "write a JavaScript regex whose group 1 is the trace id, e.g. \"traceID\"\\s*:\\s*\"([^\"]+)\"")
URL = define(
    "derived-field-url", ERROR,
    "an internal derived field (datasourceUid set) has an empty url, so the trace query is empty",
    "set url: ${__value.raw} (write $${__value.raw} in provisioning YAML)")
CONTRACT = define(
    "contract-mismatch", WARNING,
    "a derived field does not extract the trace id from the contract's sample log lines, links a line "
    "without one, or an exemplar label differs from the contract's (an error in the project's own build)",
    "build the regex from the contract (contract.trace_id_regex()) or fix the contract in environments.yaml")
NOT_CHECKED = define(
    "not-checked", WARNING,
    "a check could not run: node or a query grammar is missing, so regexes or query syntax were not checked",
    "install Node.js 20+ with npm and run `druppie-grafana setup` (in a checkout: `npm ci --prefix druppie_grafana/js`)")

SAMPLE_TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"


def _fields(entry: DatasourceEntry) -> Iterator[tuple[int, dict]]:
    items = entry.json_data.get("derivedFields")
    if not isinstance(items, list):
        return
    first_of_name = set()
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            continue
        # Grafana groups fields by name; only the first of a group supplies the matcher.
        name = item.get("name")
        if name in first_of_name:
            continue
        first_of_name.add(name)
        yield index, item


@check
def derived_fields(checked: CheckInput) -> Iterator[Hit]:
    contract = checked.contract
    samples = contract.sample_lines(SAMPLE_TRACE_ID)
    without = contract.lines_without_trace()
    key = contract.structured_metadata_trace_key
    cases, sites = [], []
    for entry in checked.datasources:
        for index, item in _fields(entry):
            where = entry.at("jsonData", "derivedFields", index)
            if item.get("datasourceUid") and not str(item.get("url") or "").strip():
                yield Hit(URL, f"derived field {item.get('name')!r} links to {item['datasourceUid']!r} with an empty url",
                          entry.file, where + ".url")
            pattern = item.get("matcherRegex")
            if not isinstance(pattern, str):
                continue
            label_mode = item.get("matcherType") == "label"
            cases.append(JsRegexCase(pattern, keys=[key]) if label_mode else JsRegexCase(pattern, samples + without))
            sites.append((entry, where + ".matcherRegex", label_mode))
    if not cases:
        return
    try:
        results = run_js_regexes(cases)
    except DruppieError as exc:
        yield Hit(NOT_CHECKED, f"{len(cases)} derived-field regex(es) not checked: {exc}", sites[0][0].file, sites[0][1])
        return
    for (entry, where, label_mode), result in zip(sites, results):
        if result.error:
            yield Hit(REGEX, f"not a valid JavaScript regex: {result.error}", entry.file, where)
        elif label_mode:
            if result.first_key is None:
                yield Hit(CONTRACT, f"label-mode regex does not match the structured-metadata key {key!r}",
                          entry.file, where)
        elif result.groups < 1:
            yield Hit(REGEX, "the regex has no capture group, so Grafana finds no value (it uses group 1)",
                      entry.file, where)
        else:
            got = result.values[:len(samples)]
            missed = [line for line, value in zip(samples, got) if value != SAMPLE_TRACE_ID]
            if missed:
                yield Hit(CONTRACT, f"does not extract the trace id from the contract's sample line {missed[0]!r} "
                          f"(group 1 gave {got[samples.index(missed[0])]!r})", entry.file, where)
            linked = [line for line, value in zip(without, result.values[len(samples):]) if value]
            if linked:
                yield Hit(CONTRACT, f"makes a trace link from a line without a trace id: {linked[0]!r}",
                          entry.file, where)


@check
def exemplar_labels(checked: CheckInput) -> Iterator[Hit]:
    wanted = checked.contract.exemplar_label
    for entry in checked.datasources:
        items = entry.json_data.get("exemplarTraceIdDestinations")
        for index, item in enumerate(items if isinstance(items, list) else []):
            if isinstance(item, dict) and isinstance(item.get("name"), str) and item["name"] != wanted:
                yield Hit(CONTRACT, f"exemplar label {item['name']!r} differs from the contract's {wanted!r} "
                          f"(metrics_naming {checked.contract.metrics_naming!r})", entry.file,
                          entry.at("jsonData", "exemplarTraceIdDestinations", index, "name"))
