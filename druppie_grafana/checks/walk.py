"""Walking a dashboard as Grafana reads it: panels (nested in rows, legacy `rows`), targets, variables,
annotations, and the template-variable references inside strings."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterator

from ..errors import json_path

Path = tuple  # JSON path parts


# Grafana's own variable syntax (public/app/features/variables/utils.ts): $name, [[name:fmt]], ${name.field:fmt}.
VARIABLE_REF = re.compile(r"\$(\w+)|\[\[(\w+?)(?::(\w+))?\]\]|\$\{(\w+)(?:\.([^:^}]+))?(?::([^}]+))?\}")


def variable_refs(text: str) -> Iterator[tuple[str, int, int]]:
    """(name, start, end) of each variable reference in text; `$1` (a regex back-reference) is no variable."""
    for m in VARIABLE_REF.finditer(text):
        name = m.group(1) or m.group(2) or m.group(4)
        if name and not name.isdigit():
            yield name, m.start(), m.end()


def is_builtin(name: str) -> bool:
    # $__interval, $__rate_interval, ${__from}, ${__value.raw}, $__all ... all start with __;
    # `timeFilter` and `interval` are legacy aliases Grafana still fills in.
    return name.startswith("__") or name in ("timeFilter", "interval")


# Grafana's own variables (docs/sources/dashboards/variables/add-template-variables: "Global variables";
# public/app/features/templating/template_srv.ts; packages/grafana-data/src/types/dataLink.ts
# DataLinkBuiltInVars; Prometheus' $__rate_interval and Loki's $__auto in their datasources;
# $__tags/$__trace/$__span of trace-to-logs; $__all the "All" value; $__searchFilter of query variables).
KNOWN_BUILTINS = frozenset({
    "__dashboard", "__from", "__to", "__interval", "__interval_ms", "__name", "__org", "__user", "__range",
    "__range_s", "__range_ms", "__rate_interval", "__rate_interval_ms", "__timeFilter", "__timezone", "__auto",
    "__all", "__url_time_range", "__all_variables", "__url", "__series", "__field", "__value", "__data",
    "__searchFilter", "__tags", "__trace", "__span", "__timeFrom", "__timeTo", "__step",
})


def is_known_builtin(name: str) -> bool:
    """Whether Grafana fills in `$name` itself (`__cell_0`, `__data.fields`, ... included)."""
    return name in KNOWN_BUILTINS or name.startswith("__cell") or name.split(".", 1)[0] in KNOWN_BUILTINS


def at(parts: Path) -> str:
    return json_path(parts)


def panels(dashboard: dict) -> Iterator[tuple[dict, Path]]:
    """Every panel, rows' nested panels included, with its JSON path."""
    def walk(items: Any, base: Path) -> Iterator[tuple[dict, Path]]:
        if not isinstance(items, list):
            return
        for index, panel in enumerate(items):
            if isinstance(panel, dict):
                yield panel, base + (index,)
                yield from walk(panel.get("panels"), base + (index, "panels"))
    yield from walk(dashboard.get("panels"), ("panels",))
    rows = dashboard.get("rows")
    if isinstance(rows, list):
        for r, row in enumerate(rows):
            if isinstance(row, dict):
                yield from walk(row.get("panels"), ("rows", r, "panels"))


def targets(panel: dict, base: Path) -> Iterator[tuple[dict, Path]]:
    items = panel.get("targets")
    if isinstance(items, list):
        for index, target in enumerate(items):
            if isinstance(target, dict):
                yield target, base + ("targets", index)


def _listed(dashboard: dict, block_key: str) -> Iterator[tuple[dict, Path]]:
    """The objects of dashboard[block_key]["list"], each with its path; anything malformed is skipped."""
    block = dashboard.get(block_key)
    items = block.get("list") if isinstance(block, dict) else None
    if isinstance(items, list):
        for index, item in enumerate(items):
            if isinstance(item, dict):
                yield item, (block_key, "list", index)


def variables(dashboard: dict) -> Iterator[tuple[dict, Path]]:
    return _listed(dashboard, "templating")


def annotations(dashboard: dict) -> Iterator[tuple[dict, Path]]:
    return _listed(dashboard, "annotations")


def strings(value: Any, base: Path) -> Iterator[tuple[str, Path]]:
    """Every string inside value, with its path."""
    if isinstance(value, str):
        yield value, base
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from strings(item, base + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from strings(item, base + (index,))


def dollar_strings(value: Any, skip_keys: frozenset = frozenset()) -> list[tuple[str, Path, bool]]:
    """(text, path, under a skip key) of every string in value that can hold a variable or `$$` (it has `$`
    or `[[`), in the order of `strings`. The path is only built for those: most strings have neither."""
    found: list[tuple[str, Path, bool]] = []
    trail: list = []

    def walk(items: Any, skipped: bool) -> None:
        for key, item in items.items() if isinstance(items, dict) else enumerate(items):
            if isinstance(item, str):
                if "$" in item or "[[" in item:
                    found.append((item, (*trail, key), skipped or key in skip_keys))
            elif isinstance(item, (dict, list)):
                trail.append(key)
                walk(item, skipped or key in skip_keys)
                trail.pop()
    if isinstance(value, str):
        if "$" in value or "[[" in value:
            found.append((value, (), False))
    elif isinstance(value, (dict, list)):
        walk(value, False)
    return found


@dataclass(frozen=True)
class Query:
    """One query text of a dashboard, with the datasource type it is sent to (when known)."""

    text: str
    ds_type: str | None
    path: Path


def input_names(dashboard: dict) -> set[str]:
    """Names declared in `__inputs` (placeholders an import replaces, e.g. DS_PROMETHEUS)."""
    items = dashboard.get("__inputs")
    return {i["name"] for i in items if isinstance(i, dict) and isinstance(i.get("name"), str)} \
        if isinstance(items, list) else set()
