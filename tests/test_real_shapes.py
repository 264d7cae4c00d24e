"""Each class of false error (or silent pass) found on real files, as a minimal file of that shape."""

import hashlib
import json

import pytest

from druppie_grafana.checks import ERROR, run_checks
from druppie_grafana.checks.inputs import CheckInput, add_document, derived_uid, from_paths
from druppie_grafana.cli import main
from druppie_grafana.contract import DEFAULT_CONTRACT

PROM = {"type": "prometheus", "uid": "prom"}


def findings(*docs, datasources=None):
    checked = CheckInput(contract=DEFAULT_CONTRACT)
    for n, doc in enumerate(docs):
        add_document(checked, doc, f"file{n}", [])
    if datasources is not None:
        add_document(checked, {"apiVersion": 1, "datasources": datasources}, "ds.yaml", [])
        checked.complete_inventory = True
    return run_checks(checked)


def rules(found, severity=None):
    return sorted({f.rule for f in found if severity is None or f.severity == severity})


def dash(*panels, **extra):
    return {"title": "t", "uid": "u", "schemaVersion": 39, "panels": list(panels), **extra}


def target_panel(expr, datasource=PROM, pid=1, **extra):
    return {"id": pid, "type": "timeseries", "gridPos": {"x": 0, "y": 0, "w": 12, "h": 8},
            "datasource": datasource, "targets": [{"refId": "A", "expr": expr}], **extra}


def test_promql_comment_with_apostrophe_keeps_later_variables_substituted():
    expr = "# we're counting requests\nsum(rate(http_requests_total[$__rate_interval]))"
    assert rules(findings(dash(target_panel(expr))), ERROR) == []
    # the comment does not hide a real error after it
    assert "promql-syntax" in rules(findings(dash(target_panel(expr + " +"))), ERROR)


def test_legacy_rows_with_empty_gridpos_are_laid_out_by_grafana():
    row_panel = {"id": 1, "type": "graph", "span": 6, "gridPos": {}, "datasource": PROM,
                 "targets": [{"refId": "A", "expr": "up"}]}
    legacy = {"title": "old", "schemaVersion": 14, "rows": [{"height": "250px", "panels": [row_panel,
                                                                                         {**row_panel, "id": 2}]}]}
    assert rules(findings(legacy), ERROR) == []


def test_fractional_gridpos_in_a_collapsed_repeated_row_is_a_warning():
    inner = {"id": 2, "type": "stat", "gridPos": {"x": 0, "y": 1, "w": 7.5, "h": 4.5}}
    row = {"id": 1, "type": "row", "collapsed": True, "repeat": "x", "gridPos": {"x": 0, "y": 0, "w": 0, "h": 1},
           "panels": [inner]}
    found = findings(dash(row, templating={"list": [{"name": "x", "type": "custom", "query": "a,b"}]}))
    assert rules(found, ERROR) == []
    assert "gridpos-fractional" in rules(found)
    bad = dict(inner, gridPos={"x": 0, "y": 1, "w": -2, "h": 4})
    assert "gridpos-invalid" in rules(findings(dash(dict(row, panels=[bad]))), ERROR)


def test_datasource_provisioning_grafana_corrects_is_accepted():
    entry = {"name": "prom", "type": "prometheus", "access": "INVALID_ACCESS", "url": 9090, "version": "2",
             "editable": "true", "orgId": "1", "uid": 12345}
    assert rules(findings(datasources=[entry]), ERROR) == []
    assert "schema" in rules(findings(datasources=[{**entry, "version": "two"}]), ERROR)


def test_provisioned_datasource_without_uid_gets_grafanas_derived_uid():
    # Grafana: "P" + upper(hex(sha256(name)[:8])) (pkg/services/provisioning/datasources/types.go)
    assert derived_uid("Prometheus") == "P" + hashlib.sha256(b"Prometheus").hexdigest()[:16].upper()
    ref = {"type": "prometheus", "uid": derived_uid("Prometheus")}
    ok = findings(dash(target_panel("up", ref)), datasources=[{"name": "Prometheus", "type": "prometheus"}])
    assert rules(ok, ERROR) == []
    wrong = findings(dash(target_panel("up", {"type": "prometheus", "uid": "PNOTIT"})),
                     datasources=[{"name": "Prometheus", "type": "prometheus"}])
    assert "datasource-unresolved" in rules(wrong, ERROR)


def test_text_panel_content_uses_a_variable_and_expression_refids_are_no_variables():
    text = {"id": 1, "type": "text", "gridPos": {"x": 0, "y": 0, "w": 24, "h": 3},
            "options": {"content": "Cluster: **$cluster**", "mode": "markdown"}}
    expr = {"id": 2, "type": "timeseries", "gridPos": {"x": 0, "y": 3, "w": 24, "h": 8}, "datasource": PROM,
            "targets": [{"refId": "A", "expr": "up"},
                        {"refId": "B", "datasource": {"type": "__expr__", "uid": "__expr__"}, "type": "math",
                         "expression": "$A * 100"}]}
    found = findings(dash(text, expr, templating={"list": [{"name": "cluster", "type": "custom", "query": "a"}]}))
    assert "variable-unused" not in rules(found) and "variable-undefined" not in rules(found)
    expr["targets"][1]["expression"] = "$A * $nope"
    assert "variable-undefined" in rules(findings(dash(expr)))


def test_directory_run_checks_every_file_and_json_always_prints(tmp_path, capsys):
    classic = dash(target_panel("rate(up[5m]"))
    (tmp_path / "k8s-v1.json").write_text(json.dumps(
        {"apiVersion": "dashboard.grafana.app/v1beta1", "kind": "Dashboard", "metadata": {"name": "u"},
         "spec": classic}))
    (tmp_path / "k8s-v2.json").write_text(json.dumps(
        {"apiVersion": "dashboard.grafana.app/v2beta1", "kind": "Dashboard", "metadata": {"name": "v"},
         "spec": {"title": "v2", "elements": {"panel-1": {"kind": "Panel", "spec": {"id": 1, "title": "p", "data": {
             "kind": "QueryGroup", "spec": {"queries": [{"kind": "PanelQuery", "spec": {"refId": "A", "query": {
                 "kind": "DataQuery", "group": "prometheus", "spec": {"expr": "rate(up[5m]"}}}}]}},
             "vizConfig": {"kind": "VizConfig", "group": "timeseries", "spec": {}}}}},
                  "layout": {"kind": "GridLayout", "spec": {"items": [{"kind": "GridLayoutItem", "spec": {
                      "x": 0, "y": 0, "width": 12, "height": 8,
                      "element": {"kind": "ElementReference", "name": "panel-1"}}}]}}}}))
    (tmp_path / "broken.json").write_text('{"title": ')
    (tmp_path / "package.json").write_text('{"name": "not-grafana"}')
    (tmp_path / "ok.json").write_text(json.dumps(dash(target_panel("up"))))
    assert main(["validate", "--root", str(tmp_path), "--format", "json", str(tmp_path)]) == 1
    report = json.loads(capsys.readouterr().out)
    by_file = {(f["file"].rsplit("/", 1)[-1], f["rule"]) for f in report["findings"]}
    assert ("k8s-v1.json", "promql-syntax") in by_file  # the spec was checked as a classic dashboard
    # a v2 dashboard is checked by the same rules, the finding at its v2 place (checks/v2_view.py)
    assert ("k8s-v2.json", "promql-syntax") in by_file
    v2 = next(f for f in report["findings"] if f["file"].endswith("k8s-v2.json"))
    assert v2["path"] == "$.spec.elements.panel-1.spec.data.spec.queries[0].spec.query.spec.expr"
    assert ("broken.json", "file-unreadable") in by_file
    assert ("package.json", "not-checked") in by_file
    assert "2 dashboards, 1 dashboard (v2)" in report["checked"] and "2 files not checked" in report["checked"]
    # a run that cannot start still prints JSON
    assert main(["validate", "--root", str(tmp_path), "--format", "json", str(tmp_path / "missing.json")]) == 1
    assert json.loads(capsys.readouterr().out)["failure"]


@pytest.mark.parametrize("style", ["placeholder", "name", "none", "mixed"])
def test_broken_query_is_caught_however_the_datasource_is_named(style):
    broken = "sum(rate(http_requests_total[5m])"
    inventory = [{"name": "Prometheus", "type": "prometheus", "uid": "prom", "isDefault": True}]
    if style == "placeholder":  # a UI export: the type only in __inputs[].pluginId
        doc = dash(target_panel(broken, "${DS_PROMETHEUS}"),
                   __inputs=[{"name": "DS_PROMETHEUS", "type": "datasource", "pluginId": "prometheus"}])
        found = findings(doc)
    elif style == "name":
        found = findings(dash(target_panel(broken, "Prometheus")), datasources=inventory)
    elif style == "none":  # the default datasource
        panel = target_panel(broken)
        del panel["datasource"]
        found = findings(dash(panel), datasources=inventory)
    else:  # a mixed panel: per target
        panel = target_panel("up", {"type": "datasource", "uid": "-- Mixed --"})
        panel["targets"] = [{"refId": "A", "expr": broken, "datasource": {"type": "prometheus", "uid": "prom"}}]
        found = findings(dash(panel), datasources=inventory)
    assert "promql-syntax" in rules(found, ERROR)


def test_a_query_that_cannot_be_checked_is_counted_and_says_why():
    unknown = findings(dash(target_panel("sum(rate(x[5m])", "Prometheus")))  # a name, no datasources given
    victoria = findings(dash(target_panel("rate(x)", {"type": "victoriametrics-metrics-datasource", "uid": "vm"})))
    for found, why in ((unknown, "datasource type unknown"), (victoria, "victoriametrics-metrics-datasource")):
        notes = [f for f in found if f.rule == "not-checked"]
        assert len(notes) == 1 and "1 query not checked" in notes[0].message and why in notes[0].message


def test_builtin_variable_typo_is_an_error():
    found = findings(dash(target_panel("rate(http_requests_total[$__rate_intreval])")))
    typo = [f for f in found if f.rule == "variable-builtin-unknown"]
    assert typo and typo[0].severity == ERROR and "$__rate_interval" in typo[0].hint
    assert "variable-builtin-unknown" not in rules(findings(dash(target_panel("rate(x[$__rate_interval])"))))


def test_grafanalib_dashboard_written_without_conversion_is_named():
    from grafanalib.core import Dashboard, GridPos, Target, TimeSeries
    data = Dashboard(title="g", panels=[TimeSeries(title="p", dataSource=PROM, gridPos=GridPos(h=8, w=12, x=0, y=0),
                                                   targets=[Target(expr="up", refId="A")])]).to_json_data()
    data = json.loads(json.dumps(data, default=lambda o: o.to_json_data()))
    assert data["schemaVersion"] < 16
    assert "schema-version-old" in rules(findings(data))


def test_trace_to_logs_query_is_checked_in_its_target_language():
    jaeger = {"name": "traces", "uid": "traces", "type": "jaeger", "jsonData": {"tracesToLogsV2": {
        "datasourceUid": "logs", "customQuery": True, "query": 'traceId:"$${__trace.traceId}"'}}}
    search = {"name": "logs", "uid": "logs", "type": "grafana-opensearch-datasource"}
    found = findings(datasources=[jaeger, search])
    assert rules(found, ERROR) == [] and "not-checked" in rules(found)
    loki = {"name": "logs", "uid": "logs", "type": "loki"}
    assert "logql-syntax" in rules(findings(datasources=[jaeger, loki]), ERROR)


def test_bare_operator_variable_is_tried_with_its_current_value():
    expr = 'up{job="a"} $op on (instance) up{job="b"}'
    var = {"name": "op", "type": "custom", "query": "or,unless", "current": {"text": "or", "value": "or"}}
    assert rules(findings(dash(target_panel(expr), templating={"list": [var]})), ERROR) == []


def test_legacy_provider_list_is_read(tmp_path):
    path = tmp_path / "providers.yaml"
    path.write_text("- name: default\n  type: file\n  options:\n    path: /var/lib/grafana/dashboards\n")
    checked = from_paths([path], DEFAULT_CONTRACT)
    assert checked.kinds["providers"] == 1 and not checked.skipped
