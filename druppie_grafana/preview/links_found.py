"""Every link between datasources and dashboards: what Grafana offers on a click, read from the built JSON."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from ..checks.walk import VARIABLE_REF

DATASOURCE_NODE = "datasource"
DASHBOARD_NODE = "dashboard"
_DASHBOARD_URL = re.compile(r"^(?:https?://[^/]+)?/d/([A-Za-z0-9_-]{1,40})(?:[/?#]|$)")
BUILTIN_DATASOURCES = {"-- Grafana --", "-- Mixed --", "-- Dashboard --", "grafana", "__expr__", "-100", "-- Grafana --"}


@dataclass(frozen=True)
class Link:
    source: tuple[str, str]  # (node kind, uid)
    target: tuple[str, str]
    kind: str  # derived field, trace to logs, ...
    label: str  # what it carries
    broken: bool = False


def _s(value: Any) -> str:
    return "" if value is None else str(value)


def datasource_links(datasources: Sequence[Mapping[str, Any]], correlations: Mapping[str, list]) -> list[Link]:
    known = {_s(d.get("uid")) for d in datasources} | {_s(d.get("name")) for d in datasources}
    by_name = {_s(d.get("name")): _s(d.get("uid")) for d in datasources}
    links: list[Link] = []

    def add(ds: Mapping[str, Any], target: Any, kind: str, label: str) -> None:
        target = _s(target)
        uid = by_name.get(target, target)
        links.append(Link((DATASOURCE_NODE, _s(ds.get("uid"))), (DATASOURCE_NODE, uid), kind, label, target not in known))

    for ds in datasources:
        data = ds.get("jsonData") if isinstance(ds.get("jsonData"), Mapping) else {}
        for field in data.get("derivedFields") or []:
            if isinstance(field, Mapping) and field.get("datasourceUid"):
                mode = field.get("matcherType") or "regex"
                on = "label key" if mode == "label" else "line"
                add(ds, field["datasourceUid"], "derived field",
                    f"{_s(field.get('name'))}: /{_s(field.get('matcherRegex'))}/ on the {on}, group 1 -> {_s(field.get('url'))}")
        t2l = data.get("tracesToLogsV2") or data.get("tracesToLogs")
        if isinstance(t2l, Mapping) and t2l.get("datasourceUid"):
            tags = ", ".join(f"{_s(t.get('key'))}->{_s(t.get('value') or t.get('key'))}" if isinstance(t, Mapping) else _s(t)
                             for t in t2l.get("tags") or [])
            by = " + trace id" if t2l.get("filterByTraceID") else ""
            add(ds, t2l["datasourceUid"], "trace to logs",
                f"span tags {tags or '(defaults)'}{by}" if not t2l.get("customQuery") else f"custom query {_s(t2l.get('query'))}")
        t2m = data.get("tracesToMetrics")
        if isinstance(t2m, Mapping) and t2m.get("datasourceUid"):
            names = ", ".join(_s(q.get("name")) for q in t2m.get("queries") or [] if isinstance(q, Mapping))
            add(ds, t2m["datasourceUid"], "trace to metrics", f"queries: {names or '(none)'}")
        for key, kind in (("serviceMap", "service map"), ("lokiSearch", "log search")):
            block = data.get(key)
            if isinstance(block, Mapping) and block.get("datasourceUid"):
                add(ds, block["datasourceUid"], kind, "span-metrics series" if key == "serviceMap" else "Loki search")
        for dest in data.get("exemplarTraceIdDestinations") or []:
            if isinstance(dest, Mapping) and dest.get("datasourceUid"):
                add(ds, dest["datasourceUid"], "exemplar", f"exemplar label {_s(dest.get('name'))} as the trace id")
            elif isinstance(dest, Mapping) and _DASHBOARD_URL.match(_s(dest.get("url"))):
                uid = _DASHBOARD_URL.match(_s(dest.get("url"))).group(1)
                links.append(Link((DATASOURCE_NODE, _s(ds.get("uid"))), (DASHBOARD_NODE, uid), "exemplar",
                                  f"exemplar label {_s(dest.get('name'))} -> {_s(dest.get('url'))}"))
        for corr in correlations.get(_s(ds.get("uid")), []):
            if isinstance(corr, Mapping):
                config = corr.get("config") if isinstance(corr.get("config"), Mapping) else {}
                add(ds, corr.get("targetUID"), "correlation",
                    f"{_s(corr.get('label'))}: field {_s(config.get('field'))}")
    return links


def _datasource_refs(value: Any) -> set[str]:
    out: set[str] = set()
    if isinstance(value, Mapping):
        ref = value.get("datasource")
        if isinstance(ref, Mapping) and ref.get("uid"):
            out.add(_s(ref["uid"]))
        elif isinstance(ref, str) and ref:
            out.add(ref)
        for v in value.values():
            out |= _datasource_refs(v)
    elif isinstance(value, list):
        for v in value:
            out |= _datasource_refs(v)
    return out


def _urls(value: Any, key: str = "") -> list[tuple[str, str]]:
    """(title, url) of every link object (dashboard links, panel links, data links) in a dashboard."""
    out: list[tuple[str, str]] = []
    if isinstance(value, Mapping):
        if isinstance(value.get("url"), str) and "title" in value:
            out.append((_s(value.get("title")), value["url"]))
        for k, v in value.items():
            out += _urls(v, k)
    elif isinstance(value, list):
        for v in value:
            out += _urls(v, key)
    return out


def dashboard_links(boards: Sequence[Any], datasources: Sequence[Mapping[str, Any]]) -> list[Link]:
    """Each dashboard's datasources (queries) and its links into dashboards (dashboard, panel and data links)."""
    known_ds = {_s(d.get("uid")) for d in datasources}
    by_name = {_s(d.get("name")): _s(d.get("uid")) for d in datasources}
    known_boards = {b.uid for b in boards}
    links: list[Link] = []
    for board in boards:
        me = (DASHBOARD_NODE, board.uid)
        for ref in sorted(_datasource_refs(board.spec)):
            if ref in BUILTIN_DATASOURCES or VARIABLE_REF.search(ref):
                continue
            uid = by_name.get(ref, ref)
            links.append(Link(me, (DATASOURCE_NODE, uid), "queries", "panel and variable queries",
                              bool(known_ds) and uid not in known_ds))
        seen = set()
        for title, url in _urls(board.spec):
            m = _DASHBOARD_URL.match(url)
            if m and (m.group(1), title) not in seen:
                seen.add((m.group(1), title))
                links.append(Link(me, (DASHBOARD_NODE, m.group(1)), "dashboard link", f"{title}: {url}",
                                  m.group(1) not in known_boards))
    return links
