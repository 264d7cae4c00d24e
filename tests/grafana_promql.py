"""Every Prometheus query of the built dashboards and datasources, with Grafana's variables filled in
as Grafana fills them before it asks Prometheus.

- $__interval: the range over the panel's data points (1000, a wide panel), rounded as Grafana rounds
  intervals, never below the datasource's timeInterval (its "min interval").
- $__rate_interval: max($__interval + timeInterval, 4 x timeInterval) (Grafana's Prometheus datasource).
- $__range: the dashboard's time range in seconds, e.g. 3600s.
- a dashboard variable: its allValue for All; a single value is regex-escaped (the variable allows
  All, so Grafana treats it as a regex: prometheusSpecialRegexEscape).
- $__tags in the Tempo datasource's trace-to-metrics queries: the span's mapped tags, key="value".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

MAX_DATA_POINTS = 1000
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}
# Grafana's rangeutil roundInterval: (upper bound, rounded interval) in seconds, first that fits.
_ROUND = [(0.015, 0.01), (0.035, 0.02), (0.075, 0.05), (0.15, 0.1), (0.35, 0.2), (0.75, 0.5), (1.5, 1),
          (3.5, 2), (7.5, 5), (12.5, 10), (17.5, 15), (25, 20), (45, 30), (90, 60), (210, 120), (450, 300),
          (750, 600), (1050, 900), (1500, 1200), (2700, 1800), (5400, 3600), (9000, 7200), (16200, 10800),
          (32400, 21600), (86400, 43200)]


def duration_s(text: str) -> float:
    m = re.fullmatch(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)", text)
    assert m, text
    return float(m.group(1)) * _UNITS[m.group(2)]


def round_interval(seconds: float) -> float:
    return next((r for bound, r in _ROUND if seconds < bound), 86400)


def range_s(time_from: str) -> float:
    """'now-3h' -> 10800."""
    m = re.fullmatch(r"now-(\d+)([smhd])", time_from)
    assert m, time_from
    return int(m.group(1)) * _UNITS[m.group(2)]


def regex_escape(value: str) -> str:
    """Grafana's prometheusSpecialRegexEscape: regex specials get a backslash, written doubled
    because the value sits in a PromQL string."""
    return re.sub(r"([$^*{}\[\]'+?.()|\\])", r"\\\\\1", value)


@dataclass(frozen=True)
class Query:
    where: str  # dashboard uid / panel title / refId, or the datasource and link name
    expr: str
    range_s: float
    instant: bool = False
    exemplar: bool = False


@dataclass
class Variable:
    name: str
    query: str  # label_values(metric, label)
    all_value: str | None
    values: list[str] = field(default_factory=list)  # filled from Prometheus


def _panels(dashboard: dict):
    for panel in dashboard.get("panels", []):
        yield panel
        yield from panel.get("panels", [])


def dashboard_queries(dashboard: dict, prometheus_uid: str) -> list[Query]:
    rng = range_s(dashboard["time"]["from"])
    out = []
    for panel in _panels(dashboard):
        for target in panel.get("targets", []):
            ds = target.get("datasource") or panel.get("datasource") or {}
            if ds.get("uid") == prometheus_uid and target.get("expr"):
                out.append(Query(f"{dashboard['uid']} / {panel.get('title')} / {target.get('refId')}",
                                 target["expr"], rng, bool(target.get("instant")), bool(target.get("exemplar"))))
    return out


def dashboard_variables(dashboard: dict, prometheus_uid: str) -> list[Variable]:
    out = []
    for v in dashboard.get("templating", {}).get("list", []):
        if v.get("type") == "query" and (v.get("datasource") or {}).get("uid") == prometheus_uid:
            query = v["query"]["query"] if isinstance(v["query"], dict) else v["query"]
            out.append(Variable(v["name"], query, v.get("allValue") if v.get("includeAll") else None))
    return out


def label_values(query: str) -> tuple[str, str]:
    m = re.fullmatch(r"label_values\(\s*([A-Za-z_:][\w:]*)\s*,\s*(\w+)\s*\)", query)
    assert m, f"variable query not modelled: {query}"
    return m.group(1), m.group(2)


def cases(variables: list[Variable]) -> list[dict[str, str]]:
    """All at once; then each value of each variable alone, the others All."""
    all_case = {v.name: v.all_value for v in variables}
    out = [all_case]
    for v in variables:
        out += [{**all_case, v.name: regex_escape(value)} for value in v.values]
    return out


def interpolate(expr: str, rng: float, time_interval: str, values: dict[str, str]) -> tuple[str, float]:
    """(query as Grafana sends it, step in seconds)."""
    scrape = duration_s(time_interval)
    interval = max(round_interval(rng / MAX_DATA_POINTS), scrape)
    rate_interval = max(interval + scrape, 4 * scrape)
    text = expr.replace("$__rate_interval", f"{int(rate_interval)}s").replace("$__range", f"{int(rng)}s")
    text = text.replace("$__interval", f"{int(interval)}s")
    for name, value in sorted(values.items(), key=lambda kv: -len(kv[0])):
        text = text.replace("${" + name + "}", value).replace("$" + name, value)
    assert "$" not in text, f"a variable left in {text}"
    return text, interval
