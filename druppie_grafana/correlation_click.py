"""Where a Grafana correlation click lands: the links Explore derives from a source datasource's
correlations for one clicked cell, evaluated the way Grafana's frontend does it.

* public/app/features/correlations/utils.ts (attachCorrelationsToDataFrames): a correlation becomes a
  link on the frame field whose name equals config.field; its title is the label (else the target's
  name); the target query model goes to the target datasource.
* public/app/features/explore/utils/links.ts (getFieldLinksForExplore): every field of the clicked row
  is a variable by its name, plus ${__value.raw} (the clicked cell); the transformations run in order,
  each on its `field` (else the clicked field), their variables added on top; a link whose strings
  use a variable that is still undefined is not shown (built-ins such as __from are exempt).
* public/app/features/correlations/transformations.ts (getTransformationVars): regex runs in node
  (jsregex.js_regex_transformations); logfmt makes a variable of every key.

Inputs are API form (single `$`): the correlations as druppie_grafana.correlations writes them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from .jsregex import js_regex_transformations
from .links import interpolate, js_string, lookup, resolve_datasource, variables_in

# Variables Explore treats as always defined (links.ts builtInVariables).
BUILT_IN = frozenset({"__from", "__to", "__interval", "__interval_ms", "__org", "__user", "__range",
                      "__rate_interval", "__timeFilter", "timeFilter"})


@dataclass(frozen=True)
class CorrelationLink:
    title: str
    target_uid: str
    target_type: str | None  # None: targetUID names no datasource
    target: dict  # the target query model with the row's variables filled in
    variables: dict  # the variables the click defined (row fields and transformation outputs)


_LOGFMT = re.compile(r'([^\s=]+)(=("(?:[^"\\]|\\.)*"|\S*))?')


def logfmt_vars(text: str) -> dict[str, str]:
    """The npm logfmt parser's pairs as Grafana stringifies them: a bare key is "true", quotes are removed."""
    out = {}
    for m in _LOGFMT.finditer(text):
        value = m.group(3)
        if value is None:
            out[m.group(1)] = "true"
        else:
            out[m.group(1)] = re.sub(r"\\(.)", r"\1", value[1:-1]) if value.startswith('"') else value
    return out


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, Mapping):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def _fill(value: Any, scoped: Mapping[str, Any]) -> Any:
    if isinstance(value, str):
        return interpolate(value, scoped)
    if isinstance(value, Mapping):
        return {k: _fill(v, scoped) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, scoped) for v in value]
    return value


def transformation_vars(steps: Sequence[Mapping[str, Any]], row: Mapping[str, Any], field: str) -> dict[str, str]:
    """The variables the transformations make from this row, later steps overriding earlier ones."""
    out: dict[str, str] = {}
    regex_cases = []
    for step in steps:
        value = js_string(row.get(step.get("field") or field, ""))
        if step.get("type") == "regex" and step.get("expression"):
            regex_cases.append((step["expression"], value, step.get("mapValue") or field))
    regex_results = iter(js_regex_transformations(regex_cases))
    for step in steps:
        value = js_string(row.get(step.get("field") or field, ""))
        if step.get("type") == "regex" and step.get("expression"):
            out.update(next(regex_results))
        elif step.get("type") == "logfmt":
            out.update(logfmt_vars(value))
    return out


def correlation_links(correlations: Sequence[Mapping[str, Any]], row: Mapping[str, Any], field: str,
                      datasources: Sequence[Mapping[str, Any]]) -> list[CorrelationLink]:
    """The correlation links on cell `field` of `row` (field name -> value) of a frame from the source."""
    links = []
    for item in correlations:
        config = item.get("config") or {}
        if config.get("field") != field or item.get("type", "query") != "query":
            continue
        target_ds = resolve_datasource(item.get("targetUID"), datasources)
        scoped: dict[str, Any] = {name: js_string(value) for name, value in row.items()}
        scoped["__value"] = {"raw": row.get(field)}
        scoped.update(transformation_vars(config.get("transformations") or [], row, field))
        target = config.get("target") or {}
        title = item.get("label") or (target_ds or {}).get("name") or ""
        used = [(n, p) for s in _strings(target) + [title] for n, p in variables_in(s)]
        if any(lookup(scoped, n, p) is None for n, p in used if n not in BUILT_IN):
            continue  # getVariableUsageInfo: a variable the click cannot fill hides the link
        links.append(CorrelationLink(title, item.get("targetUID") or "", (target_ds or {}).get("type"),
                                     _fill(dict(target), scoped), scoped))
    return links
