"""Query syntax (LogQL and TraceQL with Grafana's grammars, PromQL with Prometheus' grammar and type
rules), and a Loki cost rule. Every query of a run goes to one node process."""

from __future__ import annotations

import re
from typing import Iterator

from ..correlations import QUERY_OF_TYPE, correlation_items
from .finding import ERROR, WARNING, Hit
from .grammar import check_syntax
from .inputs import CheckInput
from .interpolate import current_values, interpolate
from .registry import check, define
from .resolve import EXPRESSION, DashboardScope
from .rules_derived_fields import NOT_CHECKED
from .walk import annotations, at, is_known_builtin, panels, targets, variable_refs, variables

LANGUAGE_OF_TYPE = {"prometheus": "promql", "loki": "logql", "tempo": "traceql"}
# Grafana's own datasources carry no query text to check (random walk, search, another panel's data).
NO_QUERY_TYPES = {"grafana", "dashboard", "datasource", "mixed"}
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


def _unchecked_why(kind: str | None, what: str) -> str | None:
    """Why a query sent to a datasource of this type is not checked (None: it is, or has nothing to check)."""
    if kind is None:
        return f"datasource type unknown: {what}"
    if kind in NO_QUERY_TYPES or kind in LANGUAGE_OF_TYPE:
        return None
    if kind == EXPRESSION:
        return "server-side expressions (math, reduce, resample, classic conditions) are not checked"
    return f"{kind} queries: no grammar for this datasource's query language"


def _walk_queries(checked: CheckInput) -> tuple[list, list]:
    """(sites to check: (lang, text, file, path), not checked: (why, file, path)) of every dashboard:
    each panel target and annotation, with its datasource type resolved the way Grafana resolves it."""
    found: list = []
    unchecked: list = []
    for dash in checked.dashboards:
        scope = DashboardScope(dash.data, checked)
        for panel, path in panels(dash.data):
            for target, tpath in targets(panel, path):
                kind, what = scope.query_type(target, panel)
                lang = LANGUAGE_OF_TYPE.get(kind or "")
                if lang == "traceql":
                    # traceqlSearch, serviceMap, search ... build their query from form fields: no text.
                    if target.get("queryType") in ("traceql", None):
                        _site(lang, target.get("query"), dash.file, at(tpath + ("query",)), found)
                elif lang:
                    _site(lang, target.get("expr"), dash.file, at(tpath + ("expr",)), found)
                elif (why := _unchecked_why(kind, what)) is not None:
                    unchecked.append((why, dash.file, at(tpath)))
        for ann, path in annotations(dash.data):
            if ann.get("builtIn"):
                continue  # Grafana's own annotations & alerts
            kind, what = scope.value_type(ann.get("datasource"))
            lang = LANGUAGE_OF_TYPE.get(kind or "")
            if lang in ("promql", "logql"):
                _site(lang, ann.get("expr"), dash.file, at(path + ("expr",)), found)
            elif lang is None and (why := _unchecked_why(kind, what)) is not None:
                unchecked.append((why, dash.file, at(path)))
        for var, path in variables(dash.data):
            if var.get("type") != "query":
                continue
            kind, what = scope.value_type(var.get("datasource"))
            _variable_query(var.get("query"), kind, what, dash.file, path, found, unchecked)
    return found, unchecked


# Prometheus variable functions (public/app/plugins/datasource/prometheus/metric_find_query.ts): the
# expression inside query_result() and the selector of label_values(selector, label) are PromQL.
_PROM_FUNCTION = re.compile(r"\s*(label_values|query_result|label_names|metrics)\s*\((.*)\)\s*", re.S)


def _variable_query(query, kind: str | None, what: str, file: str, path: tuple, found: list, unchecked: list) -> None:
    """A query variable's query: checked in its language where it has one, otherwise counted as not checked."""
    lang = LANGUAGE_OF_TYPE.get(kind or "")
    text = query.get("query") if isinstance(query, dict) else query
    where = at(path + ("query",))
    if lang == "promql" and isinstance(text, str):
        match = _PROM_FUNCTION.fullmatch(text)
        if match is None:
            _site(lang, text, file, where, found)
        elif match.group(1) == "query_result":
            _site(lang, match.group(2), file, where, found)
        elif match.group(1) == "label_values" and "," in match.group(2):
            _site(lang, match.group(2).rsplit(",", 1)[0], file, where, found)
    elif lang == "logql" and isinstance(query, dict) and isinstance(query.get("stream"), str):
        _site(lang, query["stream"], file, where, found)  # Loki's variable editor: label values of a stream
    elif lang is None and (why := _unchecked_why(kind, what)) is not None and (text or query):
        unchecked.append((f"variable query: {why}", file, where))
    elif lang is not None and not isinstance(text, str) and not (isinstance(query, dict) and query.get("label")):
        unchecked.append((f"variable query of a form not recognised for {kind}", file, where))


def _dashboard_queries(checked: CheckInput) -> list[tuple[str, str, str, str]]:
    return _walk_queries(checked)[0]


def _target_language(checked: CheckInput, uid: object, what: str, entry, path: str, found: list,
                     unchecked: list | None) -> str | None:
    """The query language of the datasource a correlation setting sends its query to (by uid or name)."""
    target = checked.datasource_by_ref(uid) or checked.datasource_by_name(uid) if isinstance(uid, str) else None
    lang = LANGUAGE_OF_TYPE.get(target.type) if target is not None else None
    if lang is None and unchecked is not None:
        why = (f"{what} for a {target.type} datasource: no grammar for its query language" if target is not None
               else f"{what}: its target datasource {uid!r} is not among the datasources checked")
        unchecked.append((why, entry.file, path))
    return lang


def _datasource_queries(checked: CheckInput, unchecked: list | None = None) -> list[tuple[str, str, str, str]]:
    """Queries inside correlation settings: the trace-to-logs custom query and trace-to-metrics queries
    (in the language of the datasource they go to), and the target query of each Grafana correlation."""
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
        if isinstance(logs, dict) and logs.get("customQuery") and isinstance(logs.get("query"), str) \
                and logs["query"].strip():
            path = entry.at("jsonData", "tracesToLogsV2", "query")
            lang = _target_language(checked, logs.get("datasourceUid"), "trace-to-logs query", entry, path,
                                    found, unchecked)
            if lang:
                _site(lang, logs.get("query"), entry.file, path, found)
        metrics = data.get("tracesToMetrics")
        items = metrics.get("queries") if isinstance(metrics, dict) else None
        for index, item in enumerate(items if isinstance(items, list) else []):
            if isinstance(item, dict) and isinstance(item.get("query"), str) and item["query"].strip():
                path = entry.at("jsonData", "tracesToMetrics", "queries", index, "query")
                lang = _target_language(checked, metrics.get("datasourceUid"), "trace-to-metrics query", entry,
                                        path, found, unchecked)
                if lang:
                    _site(lang, item.get("query"), entry.file, path, found)
    return found


BUILTIN_UNKNOWN = define(
    "variable-builtin-unknown", ERROR,
    "a Prometheus, Loki or Tempo query uses `$__name` that is not one of Grafana's built-in variables "
    "(a typo such as $__rate_intreval stays as written, and the datasource refuses the query)",
    "use a built-in Grafana knows ($__rate_interval, $__interval, $__range, $__auto, ...)")


def _builtin_typos(sites: list) -> Iterator[Hit]:
    import difflib
    from .walk import KNOWN_BUILTINS
    for lang, text, file, path in sites:
        for name, _, _ in variable_refs(text):
            if name.startswith("__") and not is_known_builtin(name):
                close = difflib.get_close_matches(name, sorted(KNOWN_BUILTINS), n=1)
                hint = f"did you mean ${close[0]}?" if close else None
                yield Hit(BUILTIN_UNKNOWN, f"${name} is not a Grafana built-in variable", file, path, hint)


def _check_all(sites: list, values_of: dict[str, dict]) -> dict:
    """(lang, text, file) -> SyntaxResult. Each distinct query once; a query that fails with name
    stand-ins for its bare variables is tried again with the dashboard's current values of them."""
    distinct = list(dict.fromkeys((lang, text) for lang, text, _, _ in sites))
    queries = []
    for lang, text in distinct:
        stood_in, bare = interpolate(text, lang)
        queries.append((lang, stood_in, not bare))
    result_of = {key: result for key, result in zip(distinct, check_syntax(queries))}
    retry = {}
    for lang, text, file, _ in sites:
        values = values_of.get(file)
        if result_of[lang, text].errors and values:
            stood_in, bare = interpolate(text, lang, values)
            if stood_in != queries[distinct.index((lang, text))][1]:
                retry.setdefault((lang, stood_in, not bare), []).append((lang, text, file))
    out = {(lang, text, file): result_of[lang, text] for lang, text, file, _ in sites}
    if retry:
        for (query, keys), result in zip(retry.items(), check_syntax(list(retry))):
            for key in keys:
                if not result.errors:
                    out[key] = result
    return out


@check
def query_syntax(checked: CheckInput) -> Iterator[Hit]:
    sites, unchecked_sites = _walk_queries(checked)
    sites += _datasource_queries(checked, unchecked_sites)
    values_of = {dash.file: current_values([v for v, _ in variables(dash.data)]) for dash in checked.dashboards}
    yield from _builtin_typos(sites)
    # Dashboards repeat their queries (same panel in every service's copy): each distinct one is checked once.
    result_of = _check_all(sites, values_of)
    unchecked: dict[tuple[str, str], list] = {}
    for why, file, path in unchecked_sites:
        unchecked.setdefault((file, why), []).append(path)
    for lang, text, file, path in sites:
        result = result_of[lang, text, file]
        if result.unchecked:
            unchecked.setdefault((file, result.unchecked), []).append(path)
        for message in result.errors[:1]:
            yield Hit(SYNTAX[lang], f"{message} in {text[:160]!r}", file, path)
    # One finding per file and reason, so that no query goes unchecked in silence.
    for (file, why), paths in unchecked.items():
        yield Hit(NOT_CHECKED, f"{len(paths)} quer{'y' if len(paths) == 1 else 'ies'} not checked: {why}",
                  file, paths[0])


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
