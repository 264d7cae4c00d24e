"""Benchmark: validate 1,000 realistic dashboards (12 panels each: PromQL, LogQL, TraceQL) with every rule,
grammar checks included, and compare with the time grafanalib takes to build and serialise them.

    python bench/validate.py [--dashboards N]

Two cases: "repeated" (the same ~5 query texts in every dashboard: each distinct query is parsed once,
so the grammar work is tiny) and "distinct" (every query text differs, as in real dashboards: every one
goes through the grammar). Prints throughput, peak memory (tracemalloc, Python heap) and the ratio
validate / (build + serialise) for both.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

from grafanalib.core import Dashboard, GridPos, Logs, Target, Template, Templating, TimeSeries
from grafanalib._gen import DashboardEncoder

from druppie_grafana.checks import ERROR, run_checks
from druppie_grafana.checks.inputs import CheckInput, add_document
from druppie_grafana.contract import DEFAULT_CONTRACT

PROM = {"type": "prometheus", "uid": "druppie-prometheus"}
LOKI = {"type": "loki", "uid": "druppie-loki"}
TEMPO = {"type": "tempo", "uid": "druppie-tempo"}
SERVICES = ["router-agent", "llm-gateway", "db-proxy", "auth", "planner", "indexer"]


def make_dashboard(n: int, distinct: bool = False) -> Dashboard:
    service = SERVICES[n % len(SERVICES)]
    m = DEFAULT_CONTRACT.metrics
    # distinct: a label value unique to this dashboard and panel makes every query text different
    tag = (lambda i: f', shard="s{n}-{i}"') if distinct else (lambda i: "")
    panels = []
    for i in range(10):
        expr = [f'sum by ({m.span_name_label}) (rate({m.calls_total}{{{m.service_label}="$service"{tag(i)}}}[$__rate_interval]))',
                f'histogram_quantile(0.95, sum by (le) (rate({m.latency_bucket}{{{m.service_label}="$service", span_name=~"$span"{tag(i)}}}[$__rate_interval])))',
                f'sum(rate({m.calls_total}{{{m.service_label}="$service", {m.status_code_label}="{m.status_error_value}"{tag(i)}}}[5m])) '
                f'/ sum(rate({m.calls_total}{{{m.service_label}="$service"}}[5m]))'][i % 3]
        panels.append(TimeSeries(title=f"{service} panel {i}", dataSource=PROM,
                                 targets=[Target(expr=expr, refId="A", datasource=PROM)],
                                 gridPos=GridPos(h=8, w=12, x=12 * (i % 2), y=8 * (i // 2))))
    panels.append(Logs(title="Logs of the trace", dataSource=LOKI,
                       targets=[{"refId": "A", "datasource": LOKI,
                                 "expr": f'{{service_name="$service"{tag(10)}}} |= "$trace_id" | json | level=~"$level"'}],
                       gridPos=GridPos(h=10, w=24, x=0, y=40)))
    panels.append(TimeSeries(title="Slow spans", dataSource=TEMPO,
                             targets=[{"refId": "A", "datasource": TEMPO, "queryType": "traceql",
                                       "query": f'{{ resource.service.name = "$service" && duration > {n % 97 + 2 if distinct else 2}s }}'}],
                             gridPos=GridPos(h=8, w=24, x=0, y=50)))
    variables = [Template(name="service", query=",".join(SERVICES), type="custom", default=service),
                 Template(name="span", query="label_values(span_name)", dataSource="druppie-prometheus"),
                 Template(name="level", query="info,warn,error", type="custom", default="info"),
                 Template(name="trace_id", query="", type="textbox", default="")]
    return Dashboard(title=f"Druppie {service} {n}", uid=f"bench-{n}", panels=panels, schemaVersion=41,
                     templating=Templating(list=variables)).auto_panel_ids()


def build_and_serialise(count: int, distinct: bool = False) -> list[str]:
    return [json.dumps(make_dashboard(n, distinct).to_json_data(), cls=DashboardEncoder, sort_keys=True)
            for n in range(count)]


def validate(texts: list[str]):
    checked = CheckInput(contract=DEFAULT_CONTRACT)
    for n, text in enumerate(texts):
        add_document(checked, json.loads(text), f"bench-{n}.json", [])
    return run_checks(checked)


def time_each_check(texts: list[str]) -> list[tuple[str, float]]:
    from druppie_grafana.checks.registry import CHECKS
    checked = CheckInput(contract=DEFAULT_CONTRACT)
    for n, text in enumerate(texts):
        add_document(checked, json.loads(text), f"bench-{n}.json", [])
    out = []
    for check in CHECKS:
        start = time.perf_counter()
        list(check(checked))
        out.append((f"{check.__module__.rsplit('.', 1)[-1]}.{check.__name__}", time.perf_counter() - start))
    return sorted(out, key=lambda item: -item[1])[:6]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dashboards", type=int, default=1000)
    count = parser.parse_args().dashboards
    for name, distinct in (("repeated", False), ("distinct", True)):
        print(f"== case {name!r}: {'every query text differs' if distinct else 'about 5 query texts repeated'}")
        run_case(count, distinct)


def run_case(count: int, distinct: bool) -> None:
    start = time.perf_counter()
    texts = build_and_serialise(count, distinct)
    build_seconds = time.perf_counter() - start

    start = time.perf_counter()
    findings = validate(texts)
    validate_seconds = time.perf_counter() - start
    # Memory in a second run: tracemalloc slows Python down several times, so it is not timed.
    tracemalloc.start()
    validate(texts)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    by_check = time_each_check(texts)

    panels = sum(len(json.loads(t)["panels"]) for t in texts)
    distinct_queries = len({(t.get("expr") or t.get("query")) for text in texts for p in json.loads(text)["panels"]
                            for t in p.get("targets", [])})
    errors = [f for f in findings if f.severity == ERROR]
    print(f"dashboards:           {count} ({panels} panels, {panels} queries, {distinct_queries} distinct)")
    print(f"grafanalib build+dump {build_seconds:.2f} s")
    print(f"validate (all rules)  {validate_seconds:.2f} s  = {count / validate_seconds:.0f} dashboards/s, "
          f"{panels / validate_seconds:.0f} queries/s")
    print(f"peak memory (Python)  {peak / 2**20:.1f} MiB while validating")
    print(f"ratio validate/build  {validate_seconds / build_seconds:.2f}x (aim: <= 2x)")
    print(f"findings              {len(errors)} errors, {len(findings) - len(errors)} warnings")
    for finding in findings[:5]:
        print(f"  {finding}")
    print("time per check function:")
    for name, seconds in by_check:
        print(f"  {name:45} {seconds:.2f} s")


if __name__ == "__main__":
    main()
