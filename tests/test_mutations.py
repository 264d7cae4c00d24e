"""Mutation test: inject each rule's defect into every corpus file where it applies and check it is caught.

All dashboard mutants (and an unmutated control of each) go through one run, so one node process
parses every query. A mutant is caught when its rule reports more on it than on its control.
The catch rate per rule is printed (run with -s) and must be 100%.
"""

import collections
import copy
import json
import os
import re
from pathlib import Path

import pytest
import yaml

from druppie_grafana.checks import run_checks
from druppie_grafana.checks.inputs import CheckInput, DatasourceEntry, add_document
from druppie_grafana.checks.resolve import DashboardScope, parse_ref, target_ref
from druppie_grafana.checks.rules_queries import _dashboard_queries
from druppie_grafana.checks.walk import panels, targets, variables
from druppie_grafana.contract import DEFAULT_CONTRACT

CORPUS = Path(os.environ.get("DRUPPIE_CORPUS") or Path(__file__).resolve().parents[2] / "shared" / "corpus")
DASHBOARDS = sorted((CORPUS / "dashboards").glob("*/*.json"))
PROVISIONING = sorted((CORPUS / "provisioning").glob("*/*.yaml"))

pytestmark = pytest.mark.skipif(not DASHBOARDS, reason=f"corpus not found at {CORPUS}")


def _parts(path: str) -> list:
    return [int(i) if i is not None else k for k, i in re.findall(r"\.(\w+)|\[(\d+)\]", path)
            for k, i in [(k, i or None)]]


def _set(data, path: str, value_of):
    *head, last = _parts(path)
    for part in head:
        data = data[part]
    data[last] = value_of(data[last])


def _first_query(data, lang):
    probe = CheckInput(dashboards=[], contract=DEFAULT_CONTRACT)
    add_document(probe, data, "probe", [])
    return next((path for l, _, _, path in _dashboard_queries(probe) if l == lang), None)


def _panels_with(data, key):
    return [p for p, _ in panels(data) if key in p]


# ---- dashboard mutators: data -> True when the defect applies to this dashboard ----

def dup_panel_id(data):
    ps = [p for p, _ in panels(data) if isinstance(p.get("id"), int)]
    if len(ps) < 2:
        return False
    ps[1]["id"] = ps[0]["id"]
    return True


def _same_layer_pair(data):
    layers = collections.defaultdict(list)
    for p, path in panels(data):
        if isinstance(p.get("gridPos"), dict):
            layers[path[:-1]].append(p)
    return next((ps for ps in layers.values() if len(ps) >= 2), None)


def overlap(data):
    pair = _same_layer_pair(data)
    if not pair:
        return False
    pair[1]["gridPos"] = dict(pair[0]["gridPos"])
    return True


def invalid_grid(data):
    # Not a row: Grafana lays a row across the grid whatever its w says (DashboardGrid.tsx).
    ps = [p for p in _panels_with(data, "gridPos") if p.get("type") != "row"]
    if not ps:
        return False
    ps[0]["gridPos"] = {**ps[0]["gridPos"], "w": 0}
    return True


def out_of_grid(data):
    ps = [p for p in _panels_with(data, "gridPos") if p.get("type") != "row"]  # rows span the grid
    if not ps:
        return False
    ps[0]["gridPos"] = {**ps[0]["gridPos"], "x": 20, "w": 10}
    return True


def unknown_datasource(data):
    for p, path in panels(data):
        for t, _ in targets(p, path):
            t["datasource"] = {"type": "prometheus", "uid": "no-such-datasource"}
            return True
    return False


def undefined_variable(data):
    ps = [p for p, _ in panels(data)]
    if not ps:
        return False
    ps[0]["title"] = f"{ps[0].get('title') or ''} $no_such_variable"
    return True


def unused_variable(data):
    if any(isinstance(l, dict) and l.get("includeVars") for l in data.get("links") or []):
        return False  # every variable travels with the links: not applicable
    data.setdefault("templating", {}).setdefault("list", []).append(
        {"name": "mutant_unused", "type": "custom", "query": "a,b"})
    return True


def _break_query(lang, suffix):
    def mutate(data):
        path = _first_query(data, lang)
        if path is None:
            return False
        _set(data, path, lambda q: q + suffix)
        return True
    return mutate


def loki_trace_filter(data):
    path = _first_query(data, "logql")
    if path is None:
        return False
    _set(data, path, lambda q: '{service_name="router"} | json | traceID="4bf92f3577b34da6"')
    return True


def double_dollar(data):
    ps = [p for p, _ in panels(data)]
    if not ps:
        return False
    ps[0]["title"] = "cost in $$ per call"
    return True


def bad_uid(data):
    data["uid"] = "not a valid uid!"
    return True


def empty_title(data):
    data["title"] = ""
    return True


def import_placeholder(data):
    ps = [p for p, _ in panels(data) if "${DS_" not in json.dumps(p.get("datasource"))]
    if not ps:
        return False
    data.setdefault("__inputs", []).append({"name": "DS_MUTANT", "type": "datasource", "pluginId": "prometheus"})
    ps[0]["datasource"] = "${DS_MUTANT}"
    return True


DASHBOARD_MUTATIONS = {
    "panel-id-duplicate": dup_panel_id,
    "gridpos-overlap": overlap,
    "gridpos-invalid": invalid_grid,
    "gridpos-out-of-grid": out_of_grid,
    "datasource-unresolved": unknown_datasource,
    "variable-undefined": undefined_variable,
    "variable-unused": unused_variable,
    "promql-syntax": _break_query("promql", ")"),
    "logql-syntax": _break_query("logql", " |"),
    "traceql-syntax": _break_query("traceql", " &&"),
    "loki-trace-filter-order": loki_trace_filter,
    "dollar-escaping": double_dollar,
    "uid-format": bad_uid,
    "schema": empty_title,
    "import-placeholder": import_placeholder,
}


def _inventory(docs) -> list[DatasourceEntry]:
    """A datasource for every concrete uid and every datasource-variable type the corpus uses."""
    probe = CheckInput(contract=DEFAULT_CONTRACT)
    seen = {}
    for data in docs:
        scope = DashboardScope(data, probe)
        for p, path in panels(data):
            for ref in [parse_ref(p.get("datasource"))] + [target_ref(t, p) for t, _ in targets(p, path)]:
                if ref and ref.key and not ref.variable:
                    seen[ref.key] = ref.type or "prometheus"
        for var, _ in variables(data):
            if var.get("type") == "datasource" and isinstance(var.get("query"), str):
                seen.setdefault(f"any-{var['query']}", var["query"])
    return [DatasourceEntry({"uid": uid, "name": uid, "type": kind}, {}, "inventory", "$", "api")
            for uid, kind in seen.items()]


def _catch_rates(records):
    rates = {}
    for rule in sorted({r for r, _, _ in records}):
        rows = [c for r, _, c in records if r == rule]
        rates[rule] = (sum(rows), len(rows))
    print("\nrule                         caught/applicable")
    for rule, (caught, total) in rates.items():
        print(f"  {rule:28} {caught}/{total} ({100 * caught / total:.0f}%)")
    return rates


def test_every_dashboard_defect_is_caught():
    originals = {str(p): json.loads(p.read_text()) for p in DASHBOARDS}
    checked = CheckInput(contract=DEFAULT_CONTRACT, complete_inventory=True)
    checked.datasources = _inventory(originals.values())
    applied = []
    for n, (name, data) in enumerate(originals.items()):
        control = copy.deepcopy(data)
        control["uid"] = f"control-{n}"
        add_document(checked, control, f"{name}#control", [])
        for rule, mutate in DASHBOARD_MUTATIONS.items():
            mutant = copy.deepcopy(control)
            mutant["uid"] = f"m{n}-{len(applied)}"
            if mutate(mutant):
                if rule == "uid-format":
                    mutant["uid"] = "not a valid uid!"
                add_document(checked, mutant, f"{name}#{rule}", [])
                applied.append((rule, name))
        twin = copy.deepcopy(control)  # uid-duplicate: two files, one uid
        twin["uid"] = f"dup-{n}"
        add_document(checked, twin, f"{name}#uid-duplicate-first", [])
        add_document(checked, copy.deepcopy(twin), f"{name}#uid-duplicate", [])  # reported on the second
        applied.append(("uid-duplicate", name))
    counts = collections.Counter((f.rule, f.file) for f in run_checks(checked))
    records = [(rule, name, counts[(rule, f"{name}#{rule}")] > counts[(rule, f"{name}#control")])
               for rule, name in applied]
    rates = _catch_rates(records)
    missed = [f"{rule}: {name}" for rule, name, caught in records if not caught]
    assert not missed, "\n".join(missed)
    assert set(rates) == set(DASHBOARD_MUTATIONS) | {"uid-duplicate"}


# ---- provisioning mutators: (data, loaded entries) -> True when applicable ----

def _links(data):
    from druppie_grafana.checks.rules_correlations import links
    out = []
    for i, ds in enumerate(data.get("datasources") or []):
        entry = DatasourceEntry(ds, ds, "", f"$.datasources[{i}]", "provisioning")
        for uid, path in links(entry):
            if isinstance(uid, str) and uid:
                out.append((ds, path))
    return out


def _set_link(data, value_of):
    found = _links(data)
    if not found:
        return False
    ds, path = found[0]
    block = ds["jsonData"]
    for part in path[:-1]:
        block = block[part]
    block["datasourceUid"] = value_of(block["datasourceUid"], data)
    return True


def _name_of(uid, data):
    return next(d["name"] for d in data["datasources"] if d.get("uid") == uid or d.get("name") == uid)


def _derived(data):
    return [f for d in data.get("datasources") or [] for f in (d.get("jsonData") or {}).get("derivedFields") or []]


def _mutate_derived(change):
    def mutate(data):
        fields = _derived(data)
        if not fields:
            return False
        change(fields[0])
        return True
    return mutate


def two_defaults(data):
    items = data.get("datasources") or []
    if len(items) < 2:
        return False
    for d in items:
        d["isDefault"] = True
    return True


def deprecated(data):
    tempo = [d for d in data.get("datasources") or [] if d.get("type") == "tempo"]
    if not tempo:
        return False
    json_data = tempo[0].setdefault("jsonData", {})
    key = "lokiSearch" if "lokiSearch" not in json_data else "tracesToLogs"
    if key in json_data:
        return False
    json_data[key] = {"datasourceUid": "loki"}
    return True


def contract_mismatch(data):
    loki = [d for d in data.get("datasources") or [] if d.get("type") == "loki"]
    if not loki:
        return False
    loki[0].setdefault("jsonData", {}).setdefault("derivedFields", []).append(
        {"name": "mutant", "matcherRegex": "span=(\\w+)", "url": "$${__value.raw}", "datasourceUid": loki[0].get("uid")})
    return True


def unescaped(data):
    items = data.get("datasources") or []
    if not items:
        return False
    items[0].setdefault("jsonData", {})["mutantLabel"] = "Trace ${__value.raw}"
    return True


def _mutate_correlation(change):
    def mutate(data):
        items = [c for d in data.get("datasources") or [] for c in d.get("correlations") or []]
        if not items:
            return False
        change(items[0])
        return True
    return mutate


PROVISIONING_MUTATIONS = {
    "correlation-target": _mutate_correlation(lambda c: c.update(targetUID="no-such-datasource")),
    "correlation-config": _mutate_correlation(lambda c: c.setdefault("config", {}).update(type="external")),
    "correlation-unresolved": lambda d: _set_link(d, lambda uid, data: "no-such-datasource"),
    "correlation-by-name": lambda d: _set_link(d, _name_of),
    "derived-field-regex": _mutate_derived(lambda f: f.update(matcherRegex="(?P<id>\\w+)", matcherType="regex")),
    "derived-field-url": _mutate_derived(lambda f: f.update(url="", datasourceUid=f.get("datasourceUid") or "tempo")),
    "contract-mismatch": contract_mismatch,
    "default-datasource-multiple": two_defaults,
    "deprecated-setting": deprecated,
    "dollar-escaping": unescaped,
    "uid-duplicate": lambda d: len(d.get("datasources") or []) >= 2 and
        bool(d["datasources"][1].update(uid=d["datasources"][0].get("uid", "x"), **{}) or True),
}


def _run(data, label):
    checked = CheckInput(contract=DEFAULT_CONTRACT)
    add_document(checked, data, label, [])
    checked.complete_inventory = True
    return collections.Counter(f.rule for f in run_checks(checked))


def test_every_provisioning_defect_is_caught():
    records = []
    for path in PROVISIONING:
        data = yaml.safe_load(path.read_text())
        control = _run(copy.deepcopy(data), str(path))
        for rule, mutate in PROVISIONING_MUTATIONS.items():
            mutant = copy.deepcopy(data)
            if mutate(mutant):
                records.append((rule, str(path), _run(mutant, str(path))[rule] > control[rule]))
    rates = _catch_rates(records)
    missed = [f"{rule}: {name}" for rule, name, caught in records if not caught]
    assert not missed, "\n".join(missed)
    assert set(rates) == set(PROVISIONING_MUTATIONS)
