"""`import`: dashboard JSON in every form it arrives in -> a definition module that builds back into it.

The round trip runs over every dashboard of ../shared/corpus and tests/corpus (real dashboards from
Grafana's mixins, kube-prometheus, the OTel demo ...) and prints what does not come back exactly."""

from __future__ import annotations

import ast
import copy
import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from druppie_grafana.errors import UsageError
from druppie_grafana.resources import DASHBOARD
from druppie_grafana.importer.emit import is_imported, module_text
from druppie_grafana.importer.read import from_data, read
from druppie_grafana.importer.roundtrip import build_text, compare, normalise, role_uid
from druppie_grafana.importer.typed import ALL, PANELS

from test_readme_examples import ROOT, project  # noqa: F401 - the fixture: a copy of the project

TESTS_CORPUS = ROOT / "tests" / "corpus" / "dashboards"
# Measured when the importer was written; the round trip must not get worse.
EXACT_AT_LEAST = 0.83  # 206 of 247 measured (204 when the importer was written); the rest is reported by category
# Measured when typed classes were added: 1078 of 3761 panels, 5761 of 5904 queries (the rest keep
# their keys through the generic classes; grafanalib's own classes always write keys older panels lack).
TYPED_PANELS_AT_LEAST = 0.25
TYPED_TARGETS_AT_LEAST = 0.95
TYPED_CLASS_NAMES = {s.name for s in ALL}


def corpus_files(corpus: Path) -> list[Path]:
    return sorted((corpus / "dashboards").rglob("*.json")) + sorted(TESTS_CORPUS.rglob("*.json"))


def test_round_trip_over_the_corpus(corpus):
    files = corpus_files(corpus)
    assert len(files) > 200
    exact, dropped_only, moved, broken, refused, failed = [], [], [], [], [], []
    calls: Counter = Counter()
    for path in files:
        src = read(path)
        text = module_text(src, "corpus")
        calls.update(node.func.id for node in ast.walk(ast.parse(text))
                     if isinstance(node, ast.Call) and isinstance(node.func, ast.Name))
        assert text == module_text(read(path), "corpus"), f"{path}: output is not deterministic"
        compile(ast.parse(text), str(path), "exec")
        assert is_imported(text)
        result = compare(src, text)
        if result.exact:
            exact.append(path)
        elif result.broken:
            broken.append((path, result.broken))
        elif result.refused:
            refused.append((path, result.refused))
        elif result.error or result.differences:
            failed.append((path, result.error or "; ".join(result.differences[:3])))
        elif result.moved:
            moved.append((path, result.moved, result.dropped))
        else:
            dropped_only.append((path, result.dropped))
    share = len(exact) / len(files)
    print(f"\nround trip over {len(files)} dashboards: {len(exact)} exact ({share:.0%}), {len(dropped_only)} lose only "
          f"legacy keys the build drops, {len(moved)} placed as Grafana displays them, {len(broken)} broken as "
          f"saved, {len(refused)} refused (datasource type unknown), {len(failed)} fail")
    def name(path):
        return path.relative_to(path.parents[2])
    panels_typed = sum(calls[s.name] for s in PANELS.values())
    targets_typed = sum(calls[s.name] for s in ALL) - panels_typed
    print(f"typed classes: {panels_typed} of {panels_typed + calls['Panel']} panels, {targets_typed} of "
          f"{targets_typed + calls['Target']} queries (the rest: generic Panel/Target, keys kept verbatim)")
    print("  " + ", ".join(f"{name} {n}" for name, n in calls.most_common() if name in TYPED_CLASS_NAMES | {
        "Panel", "Target"}))
    assert panels_typed / (panels_typed + calls["Panel"]) >= TYPED_PANELS_AT_LEAST
    assert targets_typed / (targets_typed + calls["Target"]) >= TYPED_TARGETS_AT_LEAST
    for path, keys in dropped_only:
        print(f"  dropped {name(path)}: {'; '.join(keys[:3])}")
    for path, lines, keys in moved:
        print(f"  moved   {name(path)}: {len(lines)} panel(s)" + (f"; drops {'; '.join(keys[:2])}" if keys else ""))
        for line in lines:
            print(f"            {line}")
    for path, why in broken:
        print(f"  broken as saved {name(path)}: {'; '.join(why)[:300]}")
    for path, why in refused:
        print(f"  refused {name(path)}: {'; '.join(why)[:300]}")
    for path, why in failed:
        print(f"  FAILED  {name(path)}: {why[:300]}")
    assert share >= EXACT_AT_LEAST
    assert not failed, f"{len(failed)} dashboards do not come back; see the list above"


def _dashboard(**extra) -> dict:
    prom = {"type": "prometheus", "uid": "${DS_PROM}"}
    return {"title": "Imported", "uid": "imp-1", "schemaVersion": 39, "time": {"from": "now-1h", "to": "now"},
            "panels": [
                {"id": 7, "type": "timeseries", "title": "Rate", "datasource": prom,
                 "gridPos": {"h": 8, "w": 12, "x": 0, "y": 0},
                 "targets": [{"datasource": prom, "expr": "rate(x[5m])", "refId": "A"}]},
                {"id": 9, "type": "acme-worldmap-panel", "title": "Map", "gridPos": {"h": 8, "w": 12, "x": 12, "y": 0},
                 "datasource": {"type": "mysql", "uid": "sql-1"},
                 "options": {"zoom": 3, "pins": [{"lat": 1.5}]}, "pluginVersion": "2.1.0",
                 "targets": [{"datasource": {"type": "mysql", "uid": "sql-1"}, "rawSql": "select 1", "refId": "A"}]},
            ], **extra}


EXPORT = {"__inputs": [{"name": "DS_PROM", "type": "datasource", "pluginId": "prometheus"}],
          "__requires": [], **_dashboard()}


@pytest.mark.parametrize("form, data", [
    ("export", EXPORT),
    ("api", {"dashboard": EXPORT, "meta": {"slug": "imported", "folderUid": "f"}}),
    ("kubernetes dashboard.grafana.app/v1beta1", {
        "apiVersion": "dashboard.grafana.app/v1beta1", "kind": "Dashboard", "metadata": {"name": "imp-1"},
        "spec": {k: v for k, v in EXPORT.items() if k != "uid"}}),
])
def test_every_form_imports_with_roles_and_kept_parts(form, data):
    src = from_data(copy.deepcopy(data), "x.json")
    assert src.form == form and src.dashboard["uid"] == "imp-1"
    text = module_text(src, "imp_1")
    # the placeholder resolved through __inputs: a prometheus role; the mysql one kept and flagged
    assert 'prometheus = DatasourceRef("prometheus", ctx.datasource_uid("prometheus"))' in text
    assert 'mysql_datasource = DatasourceRef("mysql", "sql-1")  # FIXME: datasource not provisioned here' in text
    assert '"acme-worldmap-panel"' in text and '"pins": [{"lat": 1.5}]' in text
    built = build_text(text)
    # saved ids 7 and 9 are kept (a `viewPanel=7` link, and plan compares ids after a pull)
    assert [p["id"] for p in built["panels"]] == [7, 9] and "id=7" in text
    assert built["panels"][0]["datasource"] == {"type": "prometheus", "uid": role_uid("prometheus")}
    assert built["panels"][1]["options"] == {"zoom": 3, "pins": [{"lat": 1.5}]}
    assert compare(src, text).exact


def _walk_panels(panels):
    for panel in panels:
        yield panel
        yield from _walk_panels(panel.get("panels") or [])


def test_our_own_dashboards_come_back_as_their_typed_classes(project):  # noqa: F811
    """What the build wrote from Logs/TimeSeries/Table/NodeGraph/Traces and PrometheusQuery/LokiQuery/TraceQL...
    imports as those classes (no generic Panel or Target), and builds back into the same dashboard."""
    from druppie_grafana.build import Project, build_resources
    root = Project(project)
    built = [r for r in build_resources(root, root.environment(None)) if r.kind == DASHBOARD]
    assert len(built) >= 5
    for res in built:
        spec = copy.deepcopy(res.spec)
        src = from_data(spec, f"{res.uid}.json")
        text = module_text(src, res.uid.replace("-", "_"))
        tree = ast.parse(text)
        called = {node.func.id for node in ast.walk(tree) if isinstance(node, ast.Call)
                  and isinstance(node.func, ast.Name)}
        assert not called & {"Panel", "Target"}, f"{res.uid}: generic classes where typed ones fit:\n{text}"
        types = {p.get("type") for p in _walk_panels(spec["panels"])} - {"row"}
        assert called >= {TYPED_NAMES[t] for t in types}, res.uid
        assert compare(src, text).exact, (res.uid, compare(src, text))


TYPED_NAMES = {"timeseries": "TimeSeries", "logs": "Logs", "table": "Table", "nodeGraph": "NodeGraph",
               "traces": "Traces"}


def test_a_typed_class_is_used_only_where_it_writes_the_panel_back_exactly():
    prom = {"type": "prometheus", "uid": "p1"}
    logs = {"id": 1, "type": "logs", "title": "Lines", "gridPos": {"h": 8, "w": 24, "x": 0, "y": 0},
            "datasource": {"type": "loki", "uid": "l1"},
            "options": {"showTime": False, "wrapLogMessage": True, "sortOrder": "Descending", "dedupStrategy": "none",
                        "enableLogDetails": True, "prettifyLogMessage": False, "showCommonLabels": False,
                        "showLabels": False, "enableInfiniteScrolling": False, "showLogContextToggle": True,
                        "futureOption": 3},
            "targets": [{"datasource": {"type": "loki", "uid": "l1"}, "refId": "A", "expr": "{app=\"x\"}",
                         "queryType": "range", "editorMode": "builder"}]}
    # a timeseries saved without the fieldConfig.custom keys grafanalib's TimeSeries always writes
    bare = {"id": 2, "type": "timeseries", "title": "Bare", "gridPos": {"h": 8, "w": 24, "x": 0, "y": 8},
            "datasource": prom, "fieldConfig": {"defaults": {"unit": "s"}, "overrides": []},
            "targets": [{"expr": "up", "refId": "A", "legendFormat": "{{job}}", "intervalFactor": 2}]}
    data = {"title": "T", "uid": "t", "schemaVersion": 39, "panels": [logs, bare]}
    src = from_data(copy.deepcopy(data), "t.json")
    text = module_text(src, "t")
    assert re.search(r"Logs\(\s*title=\"Lines\"", text) and "showTime=False" in text
    assert "sortOrder=\"Descending\"" in text and '"futureOption": 3' in text  # the unknown option kept
    assert re.search(r'LokiQuery\(\s*loki,\s*expr=', text) and 'editorMode="builder"' in text
    # the bare timeseries stays generic (TimeSeries would add hideFrom, legend ...); its target is typed,
    # inheriting the panel's datasource, with the key PrometheusQuery does not model in extraJson
    assert re.search(r'Panel\(\s*"timeseries",\s*"Bare"', text)
    assert re.search(r'PrometheusQuery\(\s*None,\s*expr="up"', text) and '"intervalFactor": 2' in text
    assert "editorMode=None" in text  # a key the saved target lacks stays out
    assert not re.search(r"\bid=", text)  # ids 1, 2 in reading order: what layout() numbers anyway
    assert compare(src, text).exact
    built = build_text(text)
    assert built["panels"][1]["targets"][0] == {"expr": "up", "refId": "A", "legendFormat": "{{job}}",
                                                 "intervalFactor": 2}


def test_an_export_placeholder_inside_a_string_becomes_the_roles_uid():
    """Grafana's import replaces `${DS_X}` in every string, so a link or a query may hold one."""
    data = copy.deepcopy(EXPORT)
    data["links"] = [{"title": "Explore", "type": "link", "url": "/explore?left={\"datasource\":\"${DS_PROM}\"}"}]
    data["panels"][0]["targets"][0]["expr"] = 'up{source="${DS_PROM}"}'
    src = from_data(data, "x.json")
    text = module_text(src, "x")
    assert 'f"/explore?left={{\\"datasource\\":\\"{prometheus.uid}\\"}}"' in text
    built = build_text(text)
    assert built["links"][0]["url"] == '/explore?left={"datasource":"%s"}' % role_uid("prometheus")
    assert built["panels"][0]["targets"][0]["expr"] == 'up{source="%s"}' % role_uid("prometheus")
    assert compare(src, text).exact


def test_a_change_that_the_module_does_not_carry_is_reported():
    src = from_data(copy.deepcopy(EXPORT), "x.json")
    text = module_text(src, "imp").replace('"rate(x[5m])"', '"rate(y[5m])"')
    result = compare(src, text)
    assert not result.exact and result.differences == [
        "$.panels[0].targets[0].expr: 'rate(x[5m])' in the original, 'rate(y[5m])' in the build"]


def test_legacy_rows_and_string_datasources_read_as_grafana_loads_them():
    legacy = {"title": "Old", "uid": "old", "schemaVersion": 14,
              "templating": {"list": [{"type": "datasource", "name": "ds", "query": "prometheus"}]},
              "rows": [{"title": "R", "showTitle": True, "height": "250px", "panels": [
                  {"type": "graph", "title": "a", "span": 6, "datasource": "$ds", "targets": [{"expr": "up"}]},
                  {"type": "graph", "title": "b", "span": 6, "datasource": "$ds", "targets": [{"expr": "up"}]}]}]}
    src = from_data(legacy, "old.json")
    text = module_text(src, "old")
    assert re.search(r'Row\(\s*"R"', text) and 'DatasourceRef("prometheus", "$ds")' in text
    panels = build_text(text)["panels"]
    assert [p["gridPos"] for p in panels] == [{"h": 1, "w": 24, "x": 0, "y": 0}, {"h": 7, "w": 12, "x": 0, "y": 1},
                                              {"h": 7, "w": 12, "x": 12, "y": 1}]
    assert panels[1]["targets"][0]["refId"] == "A"
    assert compare(src, text).exact


@pytest.mark.parametrize("data, message", [
    ({"apiVersion": "dashboard.grafana.app/v2beta1", "kind": "Dashboard", "metadata": {"name": "x"},
      "spec": {"title": "x", "elements": {}, "layout": {}}}, r"not a valid schema v2 dashboard .* at \$\.spec\.layout"),
    ({"elements": {}, "layout": {}, "title": "x"}, r"not a valid schema v2 dashboard \(v2 spec\): at \$\.layout"),
    ({"apiVersion": "v1", "kind": "ConfigMap", "spec": {}}, "not a dashboard"),
    ({"apiVersion": 1, "datasources": []}, "not a Grafana dashboard"),
    ([1, 2], "not a Grafana dashboard"),
])
def test_what_is_not_a_classic_dashboard_is_one_clear_message(data, message):
    with pytest.raises(UsageError, match=message):
        from_data(data, "in.json")


def test_normalise_ignores_what_grafana_treats_as_equal():
    a = _dashboard()
    b = json.loads(json.dumps(a))
    b["panels"].reverse()
    b["panels"][0]["id"], b["id"], b["version"], b["editable"] = 99, 4, 12, True
    b["panels"][0]["links"] = []
    assert normalise(a) == normalise(b)
    b["panels"][0]["title"] = "Other"
    assert normalise(a) != normalise(b)


def cli(root, *args):
    done = subprocess.run([sys.executable, str(ROOT / "provision.py"), *args, "--root", str(root)],
                          capture_output=True, text=True, timeout=300)
    assert "Traceback" not in done.stdout + done.stderr
    return done


def test_import_writes_a_definition_that_validates_and_never_overwrites_without_force(project, tmp_path):  # noqa: F811
    from druppie_grafana.build import Project, build_resources
    root = Project(project)
    original = copy.deepcopy(next(r.spec for r in build_resources(root, root.environment(None))
                                  if r.uid == "druppie-audit-log"))  # the classic JSON the build makes
    original["uid"], original["title"] = "team-audit", "Team audit"
    source = tmp_path / "team-audit.json"
    source.write_text(json.dumps(original))
    done = cli(project, "import", str(source))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "round trip: builds back into the same dashboard" in done.stdout
    assert "validate: the project builds and validates" in done.stdout
    written = project / "dashboards" / "team_audit.py"
    text = written.read_text()
    assert 'loki = DatasourceRef("loki", ctx.datasource_uid("loki"))' in text and "layout([" in text
    written.write_text(text + "# my edit\n")
    again = cli(project, "import", str(source))
    assert again.returncode == 2 and "exists already" in again.stderr
    assert written.read_text().endswith("# my edit\n")
    assert cli(project, "import", str(source), "--force").returncode == 0
    assert not written.read_text().endswith("# my edit\n")
    bad = tmp_path / "bad.json"
    bad.write_text('{"apiVersion": 1, "datasources": []}')
    refused = cli(project, "import", str(bad))
    assert refused.returncode == 2 and "not a Grafana dashboard" in refused.stderr


def _grid_dashboard(panels, **extra) -> dict:
    return {"title": "Grid", "uid": "grid", "schemaVersion": 39, "panels": panels, **extra}


def _stat(title, pos=None, **extra) -> dict:
    panel = {"type": "stat", "title": title, "targets": [{"refId": "A", "expr": "up"}], **extra}
    if pos is not None:
        panel["gridPos"] = pos
    return panel


def test_panels_grafanas_grid_moves_are_placed_where_it_shows_them_and_named():
    panels = [_stat("a", {"x": 0, "y": 0, "w": 12, "h": 8}), _stat("b", {"x": 6, "y": 4, "w": 12, "h": 8}),
              _stat("wide", {"x": 12, "y": 20, "w": 18, "h": 3}), _stat("nowhere")]
    src = from_data(_grid_dashboard(panels), "grid.json")
    text = module_text(src, "grid")
    # react-grid-layout, cells by row then column (ties in saved order): a stays; nowhere (PanelModel's
    # default 0,0,6,3) collides with a and goes below it (8); b collides with a, goes to 8 too, beside
    # nowhere; wide moves left to 24 - 18 = 6, rises to 15 where it hits b, and goes below b (16)
    assert "# placed as Grafana displays it" in text
    assert ("#   $.panels[1] 'b': gridPos {'x': 6, 'y': 4, 'w': 12, 'h': 8} -> {'x': 6, 'y': 8, 'w': 12, 'h': 8}"
            in text)
    assert "#   $.panels[3] 'nowhere': gridPos None -> {'x': 0, 'y': 8, 'w': 6, 'h': 3}" in text
    built = {p["title"]: p["gridPos"] for p in build_text(text)["panels"]}
    assert built == {"a": {"h": 8, "w": 12, "x": 0, "y": 0}, "nowhere": {"h": 3, "w": 6, "x": 0, "y": 8},
                     "b": {"h": 8, "w": 12, "x": 6, "y": 8}, "wide": {"h": 3, "w": 18, "x": 6, "y": 16}}
    result = compare(src, text)
    assert not result.differences and not result.error and not result.exact
    assert [m.split(":")[0] for m in result.moved] == ["$.panels[1] 'b'", "$.panels[2] 'wide'", "$.panels[3] 'nowhere'"]


def test_a_gap_grafana_closes_is_kept_as_saved_and_compares_equal():
    panels = [_stat("a", {"x": 0, "y": 0, "w": 24, "h": 4}), _stat("b", {"x": 0, "y": 10, "w": 24, "h": 4})]
    src = from_data(_grid_dashboard(panels), "gap.json")
    text = module_text(src, "gap")
    assert "placed as Grafana" not in text
    assert [p["gridPos"]["y"] for p in build_text(text)["panels"]] == [0, 10]
    assert compare(src, text).exact


def test_a_datasource_ref_without_type_takes_the_type_of_its_variable():
    # DatasourceSrv.getInstanceSettings resolves a `$name` uid through the datasource variable
    variables = {"list": [{"type": "datasource", "name": "ds", "query": "loki"}]}
    panel = _stat("logs", {"x": 0, "y": 0, "w": 24, "h": 8}, datasource={"uid": "$ds"})
    panel["targets"][0]["datasource"] = {"uid": "${ds}"}
    src = from_data(_grid_dashboard([panel], templating=variables), "ds.json")
    text = module_text(src, "ds")
    assert 'DatasourceRef("loki", "$ds")' in text and 'DatasourceRef("loki", "${ds}")' in text
    assert build_text(text)["panels"][0]["datasource"] == {"type": "loki", "uid": "$ds"}
    assert compare(src, text).exact
    untyped = from_data(_grid_dashboard([_stat("p", {"x": 0, "y": 0, "w": 24, "h": 8},
                                               datasource={"uid": "Prometheus"})]), "named.json")
    result = compare(untyped, module_text(untyped, "named"))
    assert result.refused == ["$.panels[0].datasource {'uid': 'Prometheus'} is no {type, uid} reference, so the "
                              "datasource's plugin type cannot be known (Grafana looks a bare name or uid up in "
                              "the instance it runs in): write it as {\"type\": \"<plugin>\", \"uid\": \"<uid>\"}"]


def test_a_dashboard_broken_as_saved_is_reported_not_built():
    twice = _stat("twice", {"x": 0, "y": 0, "w": 24, "h": 8})
    twice["targets"] = [{"refId": "A", "expr": "up{host=\"$host\"}"}, {"refId": "A", "expr": "down"}]
    src = from_data(_grid_dashboard([twice]), "broken.json")
    result = compare(src, module_text(src, "broken"))
    assert not result.error and result.broken == [
        "$host is used at $.panels[0].targets[0].expr, but no variable of the dashboard is named 'host' (Grafana "
        "leaves the text as it is): define the variable or fix the name",
        "$.panels[0] (stat 'twice'): refId A is used by more than one query (a panel keeps one result per refId): "
        "give each query its own refId"]


def test_import_refuses_a_dashboard_broken_as_saved_in_one_message_and_writes_nothing(project, tmp_path):  # noqa: F811
    broken = _stat("x", {"x": 0, "y": 0, "w": 24, "h": 8}, datasource={"type": "prometheus", "uid": "p"})
    broken["targets"][0]["expr"] = "up{job=\"$job\"}"
    source = tmp_path / "broken.json"
    source.write_text(json.dumps(_grid_dashboard([broken])))
    good = tmp_path / "good.json"
    good.write_text(json.dumps(_grid_dashboard([_stat("y", {"x": 0, "y": 0, "w": 24, "h": 8})], uid="good")))
    before = sorted(p.name for p in (project / "dashboards").iterdir())
    done = cli(project, "import", str(good), str(source))
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"{source}: the dashboard is broken as saved" in done.stderr
    assert "$job is used at $.panels[0].targets[0].expr" in done.stderr and "nothing was written" in done.stderr
    assert sorted(p.name for p in (project / "dashboards").iterdir()) == before


def test_two_datasources_of_one_type_are_kept_until_one_is_chosen_as_the_role(project, tmp_path):  # noqa: F811
    two = {"title": "Two proms", "uid": "two-proms", "schemaVersion": 39, "panels": [
        {"id": i + 1, "type": "timeseries", "title": uid, "gridPos": {"h": 8, "w": 12, "x": 12 * i, "y": 0},
         "datasource": {"type": "prometheus", "uid": uid},
         "targets": [{"datasource": {"type": "prometheus", "uid": uid}, "expr": "up", "refId": "A"}]}
        for i, uid in enumerate(("prom-eu", "prom-us"))]}
    source = tmp_path / "two.json"
    source.write_text(json.dumps(two))
    done = cli(project, "import", str(source))
    # written, and validate says why the project does not build yet: neither datasource is provisioned
    assert done.returncode == 1 and "datasource-unresolved" in done.stdout + done.stderr, done.stdout + done.stderr
    assert "2 prometheus datasources (prom-eu, prom-us): all kept as saved" in done.stdout
    assert "--role UID=prometheus" in done.stdout
    written = project / "dashboards" / "two_proms.py"
    assert "ctx.datasource_uid" not in written.read_text()
    chosen = cli(project, "import", str(source), "--force", "--role", "prom-eu=prometheus")
    assert chosen.returncode == 1, chosen.stdout + chosen.stderr  # prom-us is still not provisioned here
    text = written.read_text()
    assert 'prometheus = DatasourceRef("prometheus", ctx.datasource_uid("prometheus"))' in text
    assert 'prometheus_datasource = DatasourceRef("prometheus", "prom-us")  # FIXME' in text
    assert "round trip: builds back into the same dashboard" in chosen.stdout
    for wrong, message in [("prom-eu=mysql", "ROLE one of"), ("nowhere=prometheus", "no dashboard given"),
                           ("prom-eu=loki", "is a prometheus datasource in this dashboard, not loki")]:
        refused = cli(project, "import", str(source), "--force", "--role", wrong)
        assert refused.returncode == 2 and message in refused.stderr, (wrong, refused.stderr)
