"""validate: rules on small inputs, configuration, the verb (output, exit codes) and the build gate."""

import json
import shutil
from pathlib import Path

import pytest

from druppie_grafana.build import Project, build
from druppie_grafana.checks import ERROR, WARNING, run_checks
from druppie_grafana.checks.config import RuleConfig
from druppie_grafana.checks.inputs import CheckInput, add_document
from druppie_grafana.checks.interpolate import interpolate
from druppie_grafana.cli import main
from druppie_grafana.contract import DEFAULT_CONTRACT
from druppie_grafana.errors import InputError

NODE = shutil.which("node")
GRAMMARS = (Path(__file__).resolve().parents[1] / "druppie_grafana" / "js" / "node_modules" / "@grafana" / "lezer-logql").is_dir()
needs_grammars = pytest.mark.skipif(not (NODE and GRAMMARS), reason="node or the npm grammars are missing (.ci/run installs them)")


def dashboard(*panels, variables=(), **extra):
    return {"title": "t", "uid": "d1", "schemaVersion": 39, "panels": list(panels),
            "templating": {"list": list(variables)}, **extra}


def panel(pid, x=0, y=0, w=12, h=8, targets=(), ds=None):
    return {"id": pid, "type": "timeseries", "title": f"p{pid}", "gridPos": {"x": x, "y": y, "w": w, "h": h},
            "datasource": ds, "targets": list(targets)}


PROM = {"type": "prometheus", "uid": "prom"}
LOKI = {"type": "loki", "uid": "loki"}
TEMPO = {"type": "tempo", "uid": "tempo"}


def rules_of(*docs, config=None):
    checked = CheckInput(contract=DEFAULT_CONTRACT)
    for n, doc in enumerate(docs):
        add_document(checked, doc, f"file{n}", [])
    checked.complete_inventory = bool(checked.datasources)
    return {(f.rule, f.severity) for f in run_checks(checked, config)}, run_checks(checked, config)


def datasources(*entries):
    return {"apiVersion": 1, "datasources": list(entries)}


GOOD_DS = datasources(
    {"name": "Prom", "type": "prometheus", "uid": "prom",
     "jsonData": {"exemplarTraceIdDestinations": [{"name": "traceID", "datasourceUid": "tempo"}]}},
    {"name": "Loki", "type": "loki", "uid": "loki", "jsonData": {"derivedFields": [
        {"name": "TraceID", "matcherRegex": DEFAULT_CONTRACT.trace_id_regex(), "url": "$${__value.raw}",
         "datasourceUid": "tempo"}]}},
    {"name": "Tempo", "type": "tempo", "uid": "tempo", "jsonData": {
        "tracesToLogsV2": {"datasourceUid": "loki", "customQuery": True,
                           "query": '{$${__tags}} |= "$${__trace.traceId}" | json'},
        "tracesToMetrics": {"datasourceUid": "prom", "queries": [{"name": "r", "query": "sum(rate(x{$$__tags}[5m]))"}]},
        "serviceMap": {"datasourceUid": "prom"}}},
)


@needs_grammars
def test_a_clean_stack_has_no_findings():
    ok = dashboard(panel(1, targets=[{"refId": "A", "expr": "sum(rate(x[$__rate_interval]))", "datasource": PROM}]),
                   panel(2, x=12, targets=[{"refId": "A", "expr": '{a="$svc"} |= "$tid" | json', "datasource": LOKI}]),
                   panel(3, y=8, w=24, targets=[{"refId": "A", "queryType": "traceql",
                                                 "query": '{ resource.service.name = "$svc" }', "datasource": TEMPO}]),
                   variables=[{"name": "svc", "type": "custom", "query": "a"}, {"name": "tid", "type": "textbox"}])
    found, findings = rules_of(ok, GOOD_DS)
    assert findings == [], [str(f) for f in findings]


@pytest.mark.parametrize("rule, doc", [
    ("panel-id-duplicate", dashboard(panel(1), panel(1, x=12))),
    ("gridpos-overlap", dashboard(panel(1), panel(2, x=6))),
    ("gridpos-invalid", dashboard(panel(1, h=0))),
    ("gridpos-out-of-grid", dashboard(panel(1, x=18, w=12))),
    ("variable-undefined", dashboard(panel(1, targets=[{"expr": "up{job=\"$job\"}", "datasource": PROM}]))),
    ("variable-unused", dashboard(panel(1), variables=[{"name": "job", "type": "custom"}])),
    ("dollar-escaping", dashboard(panel(1), description="x", links=[{"url": "/d/x?var-a=$$a"}])),
    ("uid-format", dashboard(panel(1), uid="a" * 41)),
    ("schema", dashboard(panel(1), title="")),
    ("import-placeholder", dashboard(panel(1, ds="${DS_PROM}"), __inputs=[{"name": "DS_PROM"}])),
])
def test_each_dashboard_rule_fires(rule, doc):
    found, findings = rules_of(doc)
    assert rule in {r for r, _ in found}, [str(f) for f in findings]


@needs_grammars
@pytest.mark.parametrize("rule, target", [
    ("promql-syntax", {"expr": "sum(rate(x[5m])", "datasource": PROM}),
    ("promql-syntax", {"expr": "rate(x)", "datasource": PROM}),  # a type error Prometheus refuses
    ("promql-syntax", {"expr": "histogram_quantile(0.9 sum(x))", "datasource": PROM}),
    ("logql-syntax", {"expr": '{a="b" |= "x"', "datasource": LOKI}),
    ("traceql-syntax", {"queryType": "traceql", "query": "{ .a = }", "datasource": TEMPO}),
    ("loki-trace-filter-order", {"expr": '{a="b"} | json | traceID="abc"', "datasource": LOKI}),
])
def test_each_query_rule_fires(rule, target):
    found, findings = rules_of(dashboard(panel(1, targets=[target])))
    assert (rule, ERROR if rule.endswith("syntax") else WARNING) in found, [str(f) for f in findings]


def _mutated(change):
    data = json.loads(json.dumps(GOOD_DS))
    change(data["datasources"])
    return data


@pytest.mark.parametrize("rule, change", [
    ("correlation-unresolved", lambda d: d[2]["jsonData"]["serviceMap"].update(datasourceUid="nope")),
    ("correlation-by-name", lambda d: d[2]["jsonData"]["serviceMap"].update(datasourceUid="Prom")),
    ("derived-field-regex", lambda d: d[1]["jsonData"]["derivedFields"][0].update(matcherRegex="(?P<x>a)")),
    ("derived-field-regex", lambda d: d[1]["jsonData"]["derivedFields"][0].update(matcherRegex="traceID")),
    ("derived-field-url", lambda d: d[1]["jsonData"]["derivedFields"][0].update(url="")),
    ("contract-mismatch", lambda d: d[1]["jsonData"]["derivedFields"][0].update(matcherRegex="traceID=(\\w+)")),
    ("contract-mismatch", lambda d: d[1]["jsonData"]["derivedFields"][0].update(matcherRegex='"traceID":"(\\w*)"')),
    ("contract-mismatch", lambda d: d[0]["jsonData"]["exemplarTraceIdDestinations"][0].update(name="trace_id")),
    ("default-datasource-multiple", lambda d: [e.update(isDefault=True) for e in d[:2]]),
    ("deprecated-setting", lambda d: d[2]["jsonData"].update(lokiSearch={"datasourceUid": "loki"})),
    ("dollar-escaping", lambda d: d[1]["jsonData"]["derivedFields"][0].update(url="${__value.raw}")),
    ("uid-duplicate", lambda d: d[1].update(uid="prom")),
    ("schema", lambda d: d[0].pop("type")),
    ("promql-syntax", lambda d: d[2]["jsonData"]["tracesToMetrics"]["queries"][0].update(query="sum(rate(x[5m])")),
])
@needs_grammars
def test_each_datasource_rule_fires(rule, change):
    found, findings = rules_of(_mutated(change))
    assert rule in {r for r, _ in found}, [str(f) for f in findings]


def test_datasource_reference_resolution():
    stack = datasources({"name": "Prom", "type": "prometheus", "uid": "prom"})
    ref = lambda ds: dashboard(panel(1, ds=ds), variables=[{"name": "ds", "type": "datasource", "query": "prometheus"},
                                                         {"name": "logs", "type": "datasource", "query": "loki"}])
    for good in (PROM, "Prom", "prom", "$ds", {"uid": "${ds}"}, None, "-- Grafana --", {"type": "datasource", "uid": "-- Mixed --"}):
        found, findings = rules_of(ref(good), stack)
        assert ("datasource-unresolved", ERROR) not in found, (good, [str(f) for f in findings])
    for bad in ({"type": "prometheus", "uid": "gone"}, "Gone", "$logs"):
        found, _ = rules_of(ref(bad), stack)
        assert ("datasource-unresolved", ERROR) in found, bad
    # Without datasource files, concrete uids cannot be judged and are left alone.
    found, _ = rules_of(ref({"type": "prometheus", "uid": "gone"}))
    assert ("datasource-unresolved", ERROR) not in found


def test_variables_stand_in_by_position():
    assert interpolate('rate(x{a="$a"}[$__rate_interval]) > $t', "promql") == ('rate(x{a="$a"}[5m]) > x', True)
    assert interpolate("sum(rate(x{$__tags}[5m]))", "promql") == ('sum(rate(x{x="x"}[5m]))', False)
    assert interpolate("x offset $shift", "promql") == ("x offset 5m", False)
    assert interpolate("{ .a = $v }", "traceql") == ('{ .a = "x" }', False)


def test_rules_can_be_disabled_or_changed():
    doc = dashboard(panel(1), panel(2, x=6))
    config = RuleConfig()
    config.apply({"gridpos-overlap": "error"}, "test", "$")
    assert ("gridpos-overlap", ERROR) in rules_of(doc, config=config)[0]
    config.apply({"gridpos-overlap": "off"}, "test", "$")
    assert "gridpos-overlap" not in {r for r, _ in rules_of(doc, config=config)[0]}
    with pytest.raises(InputError, match="unknown rule id"):
        config.apply({"no-such-rule": "off"}, "test", "$")


def test_missing_node_is_a_not_checked_warning(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # a PATH without node
    found, findings = rules_of(dashboard(panel(1, targets=[{"expr": "sum(", "datasource": PROM}])), GOOD_DS)
    assert ("not-checked", WARNING) in found
    assert not any(r.endswith("-syntax") for r, _ in found)


# ---- the verb and the gate ----

BAD_DASHBOARD = '''
UID = "bad-dash"
LINT_IGNORE = {IGNORED}

def build(ctx):
    prom = {{"type": "prometheus", "uid": ctx.datasource_uid("prometheus")}}
    return {{"title": "Bad", "schemaVersion": 39, "templating": {{"list": []}}, "panels": [
        {{"id": 1, "type": "timeseries", "title": "a", "gridPos": {{"x": 0, "y": 0, "w": 12, "h": 8}}, "datasource": prom,
          "targets": [{{"refId": "A", "expr": "sum(rate(calls[5m]))", "datasource": prom}}]}},
        {{"id": 1, "type": "timeseries", "title": "b", "gridPos": {{"x": 12, "y": 0, "w": 12, "h": 8}},
          "datasource": {{"type": "prometheus", "uid": "{UID}"}}, "targets": []}},
    ]}}
'''


def _write(root, uid="druppie-prometheus", ignored="{}"):
    (root / "dashboards" / "bad.py").write_text(BAD_DASHBOARD.format(UID=uid, IGNORED=ignored))


def test_validate_verb_exit_codes_and_json(scratch_project, capsys):
    _write(scratch_project, uid="no-such-datasource")
    assert main(["validate", "--root", str(scratch_project), "--format", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    rules = {f["rule"] for f in report["findings"]}
    assert "datasource-unresolved" in rules and "panel-id-duplicate" in rules
    dashboard_findings = [f for f in report["findings"] if f["rule"] != "datasources-unprotected"]  # environments.yaml
    assert all(f["file"].endswith("bad.py") and f["path"].startswith("$.") for f in dashboard_findings)
    _write(scratch_project)
    assert main(["validate", "--root", str(scratch_project), "--disable", "panel-id-duplicate"]) == 0
    assert "0 errors" in capsys.readouterr().out
    assert main(["validate", "--root", str(scratch_project), "--severity", "panel-id-duplicate"]) == 2
    assert main(["validate", "--root", str(scratch_project), "--disable", "no-such-rule"]) == 2


def test_validate_paths(tmp_path, capsys):
    bad = tmp_path / "ui-made.json"
    bad.write_text(json.dumps(dashboard(panel(1), panel(2, h=-1))))
    assert main(["validate", "--root", str(tmp_path), str(bad)]) == 1
    out = capsys.readouterr().out
    assert "ui-made.json: $.panels[1].gridPos: error [gridpos-invalid]" in out
    other = tmp_path / "notes.yaml"
    other.write_text("hello: world\n")
    assert main(["validate", "--root", str(tmp_path), str(other)]) == 0  # a warning: not checked, and why
    assert "warning [not-checked] file not checked: not a dashboard" in capsys.readouterr().out


def test_build_refuses_errors_and_honours_dashboard_ignores(scratch_project):
    # The gate is what is tested: pin the classic schema, since this dashboard's duplicate panel ids
    # (a warning here) are something the v2 converter refuses outright (v2 names elements by id).
    env_file = scratch_project / "environments.yaml"
    env_file.write_text(env_file.read_text().replace("\n    folder:\n", "\n    dashboards: {schema: v1}\n    folder:\n", 1))
    _write(scratch_project, uid="no-such-datasource")
    with pytest.raises(InputError, match="datasource-unresolved"):
        build(Project(scratch_project), None)
    assert not (scratch_project / "build").exists()  # nothing written
    _write(scratch_project, uid="no-such-datasource", ignored='{"datasource-unresolved": "points at an external one"}')
    result = build(Project(scratch_project), None)
    assert any("panel-id-duplicate" in w for w in result.warnings)


def test_checks_block_in_environments_file(scratch_project, capsys):
    _write(scratch_project)
    env_file = scratch_project / "environments.yaml"
    env_file.write_text(env_file.read_text() + "\nchecks:\n  severity: {panel-id-duplicate: error}\n")
    assert main(["validate", "--root", str(scratch_project)]) == 1
    assert "error [panel-id-duplicate]" in capsys.readouterr().out
    env_file.write_text(env_file.read_text().replace("panel-id-duplicate: error", "panel-id-duplicate: off"))
    assert main(["validate", "--root", str(scratch_project)]) == 0


def test_query_variables_are_checked_or_counted(tmp_path, capsys):
    """Issue 15: no query left unchecked in silence, variables included (label_values' selector and
    query_result's expression are PromQL; a Loki variable's stream is LogQL; others are counted)."""
    def variable(name, ds, query):
        return {"name": name, "type": "query", "datasource": ds, "query": query}
    prom, loki, sql = ({"type": "prometheus", "uid": "p"}, {"type": "loki", "uid": "l"}, {"type": "mysql", "uid": "m"})
    dashboard = {"title": "vars", "uid": "vars", "schemaVersion": 41, "panels": [], "templating": {"list": [
        variable("ok", prom, "label_values(up{job=\"api\"}, instance)"),
        variable("broken_selector", prom, "label_values(up{job=\"api\", instance)"),
        variable("broken_result", prom, {"query": "query_result(rate(x[5m])", "refId": "A"}),
        variable("stream", loki, {"stream": "{app=\"x\"", "label": "pod", "type": 1}),
        variable("names", prom, "label_names()"),
        variable("sql", sql, "SELECT host FROM hosts"),
    ]}}
    path = tmp_path / "vars.json"
    path.write_text(json.dumps(dashboard))
    code = main(["validate", str(path), "--format", "json", "--root", str(tmp_path)])
    findings = json.loads(capsys.readouterr().out)["findings"]
    errors = sorted((f["rule"], f["path"]) for f in findings if f["severity"] == "error")
    assert code == 1 and errors == [("logql-syntax", "$.templating.list[3].query"),
                                    ("promql-syntax", "$.templating.list[1].query"),
                                    ("promql-syntax", "$.templating.list[2].query")]
    assert any(f["rule"] == "not-checked" and "variable query: mysql" in f["message"] for f in findings)
