"""Dashboard variables (templating) in current Grafana JSON, and the `$variable` references in a dashboard.

grafanalib's Template writes legacy keys (useTags, tagsQuery, auto_count ...) and a Prometheus-only
query form; these objects write what Grafana 11/12 saves for textbox, custom and query variables.
"""

from __future__ import annotations

import re
from typing import Any, Iterable, Iterator

import attr
from attr.validators import instance_of

from .targets import LOKI, PROMETHEUS, TEMPO, DatasourceRef

REFRESH_ON_LOAD, REFRESH_ON_TIME_RANGE = 1, 2
ALL = "$__all"

# $name, ${name}, ${name:format}, ${name.path}, [[name]] (legacy); group 1, 2 or 3 is the name.
# The forms of Grafana's variableRegex (public/app/features/variables/utils.ts):
#   \$(\w+) | \[\[([\s\S]+?)(?::(\w+))?\]\] | \${(\w+)(?:\.([^:^\}]+))?(?::([^\}]+))?}
# so `${DS_X-PROM}` (an export's input placeholder with a hyphen) is no variable reference to Grafana.
# Unlike Grafana we require a name to start with a letter or `_`: `$1` in a regex replacement is no variable.
_REFERENCE = re.compile(r"\$\{([A-Za-z_]\w*)(?:\.[^:^}]+)?(?::[^}]+)?\}|\$([A-Za-z_]\w*)"
                        r"|\[\[([A-Za-z_]\w*)(?::\w+)?\]\]")
# Grafana's own variables ($__interval, ${__value.raw}, $__all ...) start with two underscores.
_BUILTIN_PREFIX = "__"
_LEGACY_BUILTINS = {"timeFilter", "interval"}


def _current(text: Any, value: Any) -> dict:
    return {"selected": True, "text": text, "value": value}


@attr.s(frozen=True)
class TextboxVariable:
    """A free-text variable, e.g. the TraceID an auditor pastes in."""

    name: str = attr.ib(validator=instance_of(str))
    label: str = attr.ib(validator=instance_of(str))
    default: str = attr.ib(default="")
    description: str = attr.ib(default="")

    def to_json_data(self):
        option = {"selected": True, "text": self.default, "value": self.default}
        return {"type": "textbox", "name": self.name, "label": self.label, "description": self.description,
                "query": self.default, "current": _current(self.default, self.default), "options": [option],
                "hide": 0, "skipUrlSync": False}


def _all_current(multi: bool) -> dict:
    return _current(["All"], [ALL]) if multi else _current("All", ALL)


@attr.s(frozen=True)
class CustomVariable:
    """A fixed list of values (e.g. duration thresholds, log levels)."""

    name: str = attr.ib(validator=instance_of(str))
    label: str = attr.ib(validator=instance_of(str))
    values: tuple[str, ...] = attr.ib(converter=tuple)
    default: str | None = attr.ib(default=None)
    multi: bool = attr.ib(default=False)
    includeAll: bool = attr.ib(default=False)
    allValue: str | None = attr.ib(default=None)
    description: str = attr.ib(default="")

    def __attrs_post_init__(self):
        if not self.values:
            raise ValueError(f"custom variable {self.name!r} needs at least one value")
        if any("," in v for v in self.values):
            raise ValueError(f"custom variable {self.name!r}: values must not contain commas")
        if self.default is not None and self.default not in self.values:
            raise ValueError(f"custom variable {self.name!r}: default {self.default!r} is not one of its values")

    def to_json_data(self):
        default = self.default if self.default is not None else (None if self.includeAll else self.values[0])
        current = _all_current(self.multi) if default is None else (
            _current([default], [default]) if self.multi else _current(default, default))
        options = ([{"selected": default is None, "text": "All", "value": ALL}] if self.includeAll else []) + [
            {"selected": v == default, "text": v, "value": v} for v in self.values]
        data = {"type": "custom", "name": self.name, "label": self.label, "description": self.description,
                "query": ",".join(self.values), "current": current, "options": options, "multi": self.multi,
                "includeAll": self.includeAll, "hide": 0, "skipUrlSync": False}
        if self.allValue is not None:
            data["allValue"] = self.allValue
        return data


@attr.s(frozen=True)
class QueryVariable:
    """Values from a datasource: Tempo attribute values, Loki label values, Prometheus label values.

    Build one with tempo_values / loki_values / prometheus_values below.
    """

    name: str = attr.ib(validator=instance_of(str))
    label: str = attr.ib(validator=instance_of(str))
    datasource: DatasourceRef = attr.ib(validator=instance_of(DatasourceRef))
    query: Any = attr.ib()
    definition: str = attr.ib(default="")
    multi: bool = attr.ib(default=False)
    includeAll: bool = attr.ib(default=True)
    allValue: str | None = attr.ib(default=None)
    refresh: int = attr.ib(default=REFRESH_ON_TIME_RANGE)
    sort: int = attr.ib(default=1)  # alphabetical ascending
    regex: str = attr.ib(default="")
    description: str = attr.ib(default="")

    def to_json_data(self):
        current = _all_current(self.multi) if self.includeAll else _current("", "")
        data = {"type": "query", "name": self.name, "label": self.label, "description": self.description,
                "datasource": self.datasource, "query": self.query, "definition": self.definition,
                "current": current, "options": [], "multi": self.multi, "includeAll": self.includeAll,
                "refresh": self.refresh, "sort": self.sort, "regex": self.regex, "hide": 0,
                "skipUrlSync": False}
        if self.allValue is not None:
            data["allValue"] = self.allValue
        return data


def tempo_values(name: str, label: str, datasource: DatasourceRef, attribute: str, **kw) -> QueryVariable:
    """Values of a span/resource attribute seen by Tempo (Grafana looks the scope up itself)."""
    query = {"type": 1, "label": attribute, "refId": "TempoDatasourceVariableQueryEditor-VariableQuery"}
    return QueryVariable(name, label, datasource, query, definition=attribute, **kw)


def loki_values(name: str, label: str, datasource: DatasourceRef, loki_label: str, stream: str = "",
                **kw) -> QueryVariable:
    """Values of a Loki stream label, optionally within a stream selector."""
    query = {"type": 1, "label": loki_label, "stream": stream, "refId": "LokiVariableQueryEditor-VariableQuery"}
    definition = f"label_values({stream}, {loki_label})" if stream else f"label_values({loki_label})"
    return QueryVariable(name, label, datasource, query, definition=definition, **kw)


def prometheus_values(name: str, label: str, datasource: DatasourceRef, metric: str, prom_label: str,
                      **kw) -> QueryVariable:
    """Values of a Prometheus label on one metric."""
    text = f"label_values({metric}, {prom_label})"
    query = {"qryType": 1, "query": text, "refId": "PrometheusVariableQueryEditor-VariableQuery"}
    return QueryVariable(name, label, datasource, query, definition=text, **kw)


# ---- references ----------------------------------------------------------------------------------


def _strings(value: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, f"{path}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _strings(item, f"{path}[{i}]")


def is_builtin(name: str) -> bool:
    return name.startswith(_BUILTIN_PREFIX) or name in _LEGACY_BUILTINS


def variable_references(value: Any, path: str = "$") -> Iterator[tuple[str, str]]:
    """(JSON path, variable name) of every dashboard-variable reference in value's strings."""
    for where, text in _strings(value, path):
        for match in _REFERENCE.finditer(text):
            name = next(g for g in match.groups() if g)
            if not is_builtin(name):
                yield where, name


EXPRESSION_TYPE = "__expr__"  # ExpressionDatasourceRef {type: "__expr__", uid: "__expr__"} (public/app/features/expressions/types.ts)


EXPRESSION_KINDS = ("math", "reduce", "resample", "classic_conditions", "threshold", "sql")


def _is_expression(target: Any) -> bool:
    """A server-side expression target (the same test as checks/rules_variables.py): datasource
    `__expr__` (or its old uid "-100"), or an expression `type`."""
    if not isinstance(target, dict):
        return False
    ref = target.get("datasource")
    uid = ref.get("uid") if isinstance(ref, dict) else ref
    kind = ref.get("type") if isinstance(ref, dict) else None
    return kind == EXPRESSION_TYPE or uid in (EXPRESSION_TYPE, "-100") or target.get("type") in EXPRESSION_KINDS


def expression_query_names(dashboard: dict) -> dict[str, set[str]]:
    """JSON path of each server-side expression target -> the refIds of its panel's queries.

    In an expression (datasource `__expr__`) `$A` or `${A}` names the query or expression with refId A
    of the same panel, not a dashboard variable: "When referencing data from other queries or
    expressions, the RefID is prefixed with a dollar sign, for example $A" (Grafana docs, Query and
    transform data > Write expression queries > Math; parsed by pkg/expr/mathexp/parse/lex.go).
    """
    out: dict[str, set[str]] = {}
    def walk(panels: Any, path: str) -> None:
        for i, panel in enumerate(panels if isinstance(panels, list) else []):
            if not isinstance(panel, dict):
                continue
            targets = panel.get("targets") if isinstance(panel.get("targets"), list) else []
            ref_ids = {t.get("refId") for t in targets if isinstance(t, dict) and isinstance(t.get("refId"), str)}
            for j, target in enumerate(targets):
                if _is_expression(target):
                    out[f"{path}[{i}].targets[{j}]"] = ref_ids
            walk(panel.get("panels"), f"{path}[{i}].panels")
    walk(dashboard.get("panels"), "$.panels")
    return out


def undefined_references(dashboard: dict) -> list[tuple[str, str]]:
    """(JSON path, name) of each `$name` used in the dashboard that no variable defines (a refId
    named inside a server-side expression is not a variable: see expression_query_names)."""
    variables = (dashboard.get("templating") or {}).get("list") or []
    defined = {v.get("name") for v in variables}
    expressions = expression_query_names(dashboard)
    def query_name(where: str, name: str) -> bool:
        return any(where.startswith(path + ".") and name in names for path, names in expressions.items())
    return [(where, name) for where, name in variable_references(dashboard)
            if name not in defined and not query_name(where, name)]


def names(variables: Iterable[Any]) -> list[str]:
    return [v.name for v in variables]
