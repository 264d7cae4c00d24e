"""Query syntax (LogQL and TraceQL with Grafana's grammars, PromQL with Prometheus' grammar and type
rules), and a Loki cost rule. Every query of a run goes to one node process."""

from __future__ import annotations

import re
from typing import Iterator

from ..correlations import QUERY_OF_TYPE, correlation_items
from .finding import ERROR, WARNING, Hit
from .grammar import check_syntax
from .inputs import CheckInput
from .interpolate import interpolate
from .registry import check, define
from .resolve import DashboardScope, parse_ref, target_ref
from .rules_derived_fields import NOT_CHECKED
from .walk import VARIABLE_REF, annotations, at, panels, targets

LANGUAGE_OF_TYPE = {"prometheus": "promql", "loki": "logql", "tempo": "traceql"}
SYNTAX = {
    "promql": define("promql-syntax", ERROR, "a Prometheus query does not parse or mixes types (e.g. rate() of an instant vector)",
                     "fix the PromQL; the message gives the position"),
    "logql": define("logql-syntax", ERROR, "a Loki query does not parse with Grafana's LogQL grammar",
                    "fix the LogQL; the message gives the position"),
    "traceql": define("traceql-syntax", ERROR, "a Tempo TraceQL query does not parse with Grafana's TraceQL grammar",
                      "fix the TraceQL; the message gives the position"),
}
TRACE_FILTER_ORDER = define(
    "loki-trace-filter-order", WARNING,
    "a Loki query filters on the trace id only after `| json`/`| logfmt`, so Loki parses every line of the range",
    'put a line filter first: {service_name="x"} |= "<trace id>" | json | ...; it skips lines without the id cheaply')

# A lone trace id (or a variable holding one) is a trace lookup in Tempo, not a TraceQL search.
_TRACE_ID_LOOKUP = re.compile(r"^\s*(?:[0-9a-fA-F]{16,32}|\$\{?\w+\}?)\s*$")


def _site(lang: str, text: object, file: str, path: str, found: list) -> None:
    if isinstance(text, str) and text.strip():
        if lang == "traceql" and _TRACE_ID_LOOKUP.match(text):
            return
        found.append((lang, text, file, path))


def _dashboard_queries(checked: CheckInput) -> list[tuple[str, str, str, str]]:
    found: list = []
    for dash in checked.dashboards:
        scope = DashboardScope(dash.data, checked)
        for panel, path in panels(dash.data):
            for target, tpath in targets(panel, path):
                lang = LANGUAGE_OF_TYPE.get(scope.ds_type(target_ref(target, panel)) or "")
                if lang == "traceql":
                    if target.get("queryType") in ("traceql", None):
                        _site(lang, target.get("query"), dash.file, at(tpath + ("query",)), found)
                elif lang:
                    _site(lang, target.get("expr"), dash.file, at(tpath + ("expr",)), found)
        for ann, path in annotations(dash.data):
            lang = LANGUAGE_OF_TYPE.get(scope.ds_type(parse_ref(ann.get("datasource"))) or "")
            if lang in ("promql", "logql"):
                _site(lang, ann.get("expr"), dash.file, at(path + ("expr",)), found)
    return found


def _datasource_queries(checked: CheckInput) -> list[tuple[str, str, str, str]]:
    """Queries inside correlation settings: trace-to-logs custom LogQL, trace-to-metrics PromQL, and
    the target query of each Grafana correlation (in the language of its target datasource)."""
    found: list = []
    for entry in checked.datasources:
        for index, item in correlation_items(entry.spec.get("correlations")):
            config, target_uid = item.get("config"), item.get("targetUID")
            target_ds = checked.datasource_by_ref(target_uid) if isinstance(target_uid, str) else None
            query = config.get("target") if isinstance(config, dict) else None
            if target_ds is not None and isinstance(query, dict) and target_ds.type in QUERY_OF_TYPE:
                lang, key = QUERY_OF_TYPE[target_ds.type]
                _site(lang, query.get(key), entry.file, entry.at("correlations", index, "config", "target", key), found)
        data = entry.json_data
        logs = data.get("tracesToLogsV2")
        if isinstance(logs, dict) and logs.get("customQuery"):
            _site("logql", logs.get("query"), entry.file, entry.at("jsonData", "tracesToLogsV2", "query"), found)
        metrics = data.get("tracesToMetrics")
        items = metrics.get("queries") if isinstance(metrics, dict) else None
        for index, item in enumerate(items if isinstance(items, list) else []):
            if isinstance(item, dict):
                _site("promql", item.get("query"), entry.file,
                      entry.at("jsonData", "tracesToMetrics", "queries", index, "query"), found)
    return found


@check
def query_syntax(checked: CheckInput) -> Iterator[Hit]:
    sites = _dashboard_queries(checked) + _datasource_queries(checked)
    # Dashboards repeat their queries (same panel in every service's copy): each distinct one is checked once.
    distinct = list(dict.fromkeys((lang, text) for lang, text, _, _ in sites))
    queries = []
    for lang, text in distinct:
        stood_in, bare = interpolate(text, lang)
        queries.append((lang, stood_in, not bare))
    result_of = dict(zip(distinct, check_syntax(queries)))
    unchecked: dict[str, list] = {}
    for lang, text, file, path in sites:
        result = result_of[lang, text]
        if result.unchecked:
            unchecked.setdefault(result.unchecked, []).append((file, path))
        for message in result.errors[:1]:
            yield Hit(SYNTAX[lang], f"{message} in {text[:160]!r}", file, path)
    for why, where in unchecked.items():
        file, path = where[0]
        yield Hit(NOT_CHECKED, f"{len(where)} query(ies) not checked: {why}", file, path)


def _trace_fields(checked: CheckInput) -> list[str]:
    names = {checked.contract.trace_id_field, "traceID", "trace_id", "traceId", "TraceID"}
    return sorted(re.escape(n) for n in names)


@check
def loki_trace_filter_order(checked: CheckInput) -> Iterator[Hit]:
    fields = "|".join(_trace_fields(checked))
    label_filter = re.compile(r"\|\s*(?:" + fields + r")\s*=\s*[\"`]")
    for lang, text, file, path in _dashboard_queries(checked) + _datasource_queries(checked):
        if lang != "logql":
            continue
        parser = re.search(r"\|\s*(?:json|logfmt)\b", text)
        if not parser or not label_filter.search(text, parser.end()):
            continue
        if re.search(r"\|[=~]", text[:parser.start()]):
            continue  # a line filter already runs before the parser
        yield Hit(TRACE_FILTER_ORDER, f"trace-id label filter after the parser in {text[:160]!r}", file, path)
