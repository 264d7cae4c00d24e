"""The v2 converter against Grafana's own conversion test data, and our dashboards through it.

Every v1 -> v2beta1 pair in tests/corpus/conversion (and the three in ../shared/corpus when present)
either converts to exactly Grafana's expected spec, compared through the shared normaliser
(outputs/v2/normalise.py: key order, and the defaults its versions write differently), or is in
REFUSED with the reason the converter gives. A pair in neither fails the suite.
"""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path

import pytest
import yaml

from druppie_grafana.build import Project, build, build_resources
from druppie_grafana.environments import load_environments
from druppie_grafana.errors import InputError
from druppie_grafana.outputs.v2 import ConversionRefused, dashboard_object, to_v2_spec, to_v2beta1_spec
from druppie_grafana.outputs.v2.normalise import normalise_spec
from druppie_grafana.resources import DASHBOARD

ROOT = Path(__file__).resolve().parent.parent
LOCAL = ROOT / "tests" / "corpus" / "conversion"
SHARED = ROOT.parent / "shared" / "corpus" / "grafana13" / "conversion" / "testdata"

# pair name -> (the converter's reason, a fragment of its message). Each must be refused, not converted.
REFUSED = {
    "v1beta1.panel-library.v42": "angular graph panel (autoMigrateFrom): Grafana's expected output for such "
                                 "panels differs between its versions (__angularMigration kept or not)",
    "v0alpha1.testdata-variables-textbox.v42": "datasource given by uid without type: Grafana resolves the "
                                               "type from its datasource list, which the converter does not have",
}
REFUSAL_MESSAGES = {
    "v1beta1.panel-library.v42": "autoMigrateFrom",
    "v0alpha1.testdata-variables-textbox.v42": "has no type",
}


def _pairs() -> dict[str, tuple[Path, Path | None]]:
    pairs = {}
    for base in (LOCAL, SHARED):
        if not base.is_dir():
            continue
        for path in sorted((base / "input").rglob("*.json")):
            name = path.stem
            if not name.startswith(("v0alpha1.", "v1beta1.")):
                continue  # v2 inputs are Grafana's v2 -> v1 direction
            outputs = sorted((base / "output").rglob(f"{name}.v2beta1.json"))
            pairs[name] = (path, outputs[0] if outputs else None)
    return pairs


PAIRS = _pairs()


def test_the_corpus_is_there():
    assert len([n for n in PAIRS if n not in REFUSED]) >= 9, sorted(PAIRS)  # 9 here, 2 more in ../shared
    if SHARED.is_dir():  # panel-library lives in ../shared (only the team's checkouts have it)
        assert set(REFUSED) <= set(PAIRS), "a listed refusal has no input file"
    else:
        assert set(REFUSED) - set(PAIRS) <= {"v1beta1.panel-library.v42"}


@pytest.mark.parametrize("name", sorted(n for n in PAIRS if n not in REFUSED))
def test_conversion_equals_grafanas(name):
    source, expected_file = PAIRS[name]
    assert expected_file is not None, f"{name}: no expected output stored"
    expected = json.loads(expected_file.read_text())
    assert expected["apiVersion"] == "dashboard.grafana.app/v2beta1"
    got = to_v2beta1_spec(json.loads(source.read_text()))
    assert normalise_spec(got) == normalise_spec(expected["spec"])


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_unsupported_pairs_are_refused_with_a_reason(name):
    if name not in PAIRS:
        pytest.skip(f"{name} is in ../shared/corpus, which is absent here")
    source, _ = PAIRS[name]
    dashboard = json.loads(source.read_text())
    with pytest.raises(ConversionRefused) as exc:
        to_v2beta1_spec(dashboard)
    assert REFUSAL_MESSAGES[name] in str(exc.value)
    assert exc.value.dashboard == dashboard["uid"] and exc.value.path.startswith("$.")


def test_a_difference_is_seen():
    # The comparison is not blind: one changed query in a passing pair makes it unequal.
    source, expected_file = PAIRS["v1beta1.datagrid_metric_values.v42"]
    dashboard = json.loads(source.read_text())
    dashboard["panels"][0]["targets"][1]["stringInput"] = "1,2,3"
    expected = json.loads(expected_file.read_text())["spec"]
    assert normalise_spec(to_v2beta1_spec(dashboard)) != normalise_spec(expected)


# ---- refusals name the dashboard, the panel and the JSON path ---------------------------------------

def _dashboard(**extra) -> dict:
    base = {"uid": "d1", "title": "D", "schemaVersion": 42, "panels": [
        {"id": 1, "type": "timeseries", "title": "P", "gridPos": {"x": 0, "y": 0, "w": 12, "h": 8},
         "datasource": {"type": "prometheus", "uid": "prom"},
         "targets": [{"refId": "A", "expr": "up", "datasource": {"type": "prometheus", "uid": "prom"}}]}]}
    base.update(extra)
    return base


@pytest.mark.parametrize("change, path, words", [
    (lambda d: d["panels"][0].update(autoMigrateFrom="graph"), "$.panels[0].autoMigrateFrom", "panel keys"),
    (lambda d: d["panels"][0]["targets"][0].update(datasource={"uid": "prom"}), "$.panels[0].targets[0].datasource",
     "has no type"),
    (lambda d: d.update(templating={"list": [{"type": "interval", "name": "i"}]}), "$.templating.list[0].type",
     "interval"),
    (lambda d: d.update(templating={"list": [{"type": "query", "name": "q", "query": "label_values(up)"}]}),
     "$.templating.list[0].query", "string"),
    (lambda d: d.update(annotations={"list": [{"name": "deploys", "datasource": {"type": "loki", "uid": "l"}}]}),
     "$.annotations.list[0]", "built-in"),
    (lambda d: d.update(schemaVersion=39), "$.schemaVersion", "42"),
    (lambda d: d["panels"].append({**d["panels"][0], "repeatPanelId": 1}), "$.panels[1]", "repeated copy"),
])
def test_refusal_names_dashboard_panel_and_path(change, path, words):
    dashboard = _dashboard()
    change(dashboard)
    with pytest.raises(ConversionRefused) as exc:
        to_v2_spec(dashboard)
    assert exc.value.path == path and exc.value.dashboard == "d1" and words in str(exc.value)
    if path.startswith("$.panels[0]"):
        assert exc.value.panel and exc.value.panel.startswith("1 ")


def test_v2_transformations_are_transformation_kinds():
    dashboard = _dashboard()
    dashboard["panels"][0]["transformations"] = [{"id": "organize", "options": {"renameByName": {"a": "b"}}}]
    v2beta1 = to_v2beta1_spec(dashboard)["elements"]["panel-1"]["spec"]["data"]["spec"]["transformations"]
    v2 = to_v2_spec(dashboard)["elements"]["panel-1"]["spec"]["data"]["spec"]["transformations"]
    assert v2beta1 == [{"kind": "organize", "spec": {"id": "organize", "options": {"renameByName": {"a": "b"}}}}]
    assert v2 == [{"kind": "Transformation", "group": "organize", "spec": {"options": {"renameByName": {"a": "b"}}}}]


def test_the_input_is_not_changed():
    dashboard = _dashboard()
    before = copy.deepcopy(dashboard)
    to_v2_spec(dashboard)
    assert dashboard == before


# ---- our dashboards: v1 -> v2 keeps every query, variable and link -----------------------------------

def _ours() -> list:
    project = Project(ROOT)
    env = project.environment("dev")
    return [r for r in build_resources(project, env) if r.kind == DASHBOARD]


OURS = _ours()


def test_all_five_dashboards_are_converted():
    assert {r.uid for r in OURS} == {"druppie-trace-audit", "druppie-latency", "druppie-service-map",
                                     "druppie-audit-log", "druppie-pipeline-health"}


def _panels(dashboard: dict):
    for panel in dashboard.get("panels", []):
        yield panel
        yield from panel.get("panels", [])


def _items(layout: dict):
    if layout["kind"] == "GridLayout":
        yield from layout["spec"]["items"]
    else:
        for row in layout["spec"]["rows"]:
            yield from _items(row["spec"]["layout"])


@pytest.mark.parametrize("resource", OURS, ids=lambda r: r.uid)
def test_round_trip_keeps_queries_variables_links_and_places(resource):
    classic = resource.spec
    obj = dashboard_object(resource)
    assert obj["apiVersion"] == "dashboard.grafana.app/v2" and obj["metadata"]["name"] == resource.uid
    assert obj["metadata"]["annotations"] == {"grafana.app/folder": resource.folder}
    spec = obj["spec"]
    assert not {"id", "uid", "version", "schemaVersion"} & set(spec)
    panels = [p for p in _panels(classic) if p.get("type") != "row"]
    assert sorted(spec["elements"]) == sorted(f"panel-{p['id']}" for p in panels)
    rows = [p for p in classic["panels"] if p.get("type") == "row"]
    for panel in panels:
        element = spec["elements"][f"panel-{panel['id']}"]["spec"]
        assert element["title"] == panel["title"] and element["vizConfig"]["group"] == panel["type"]
        assert [(l["title"], l["url"], l.get("targetBlank", False)) for l in element["links"]] == \
            [(l["title"], l["url"], l.get("targetBlank", False)) for l in panel.get("links", [])]
        assert all(set(link) <= {"title", "url", "targetBlank"} for link in panel.get("links", []))
        queries = element["data"]["spec"]["queries"]
        assert len(queries) == len(panel.get("targets", []))
        for target, query in zip(panel.get("targets", []), queries):
            q = query["spec"]["query"]
            ds = target.get("datasource", panel.get("datasource"))
            assert (q["group"], q["datasource"]["name"]) == (ds["type"], ds["uid"])
            assert query["spec"]["refId"] == target["refId"]
            assert q["spec"] == {k: v for k, v in target.items() if k not in ("datasource", "refId", "hide")}
        assert element["data"]["spec"]["transformations"] == [
            {"kind": "Transformation", "group": t["id"], "spec": {k: v for k, v in t.items() if k != "id"}}
            for t in panel.get("transformations", [])]
        assert element["vizConfig"]["spec"]["options"] == panel.get("options", {})
        assert element["vizConfig"]["spec"]["fieldConfig"]["overrides"] == panel["fieldConfig"]["overrides"]
    # every panel keeps its place: absolute y = row's first line + item y
    placed = {item["spec"]["element"]["name"]: item["spec"] for item in _items(spec["layout"])}
    assert len(placed) == len(panels)
    if rows:
        assert [r["spec"]["title"] for r in spec["layout"]["spec"]["rows"] if not r["spec"].get("hideHeader")] == \
            [r["title"] for r in rows]
    for panel in panels:
        item = placed[f"panel-{panel['id']}"]
        above = [r for r in rows if r["gridPos"]["y"] < panel["gridPos"]["y"]]
        top = above[-1]["gridPos"]["y"] + 1 if above else 0
        assert (item["x"], item["y"] + top, item["width"], item["height"]) == tuple(
            panel["gridPos"][k] for k in ("x", "y", "w", "h"))
    # variables: same names, kinds, queries and current values; links: same targets
    variables = classic["templating"]["list"]
    assert [v["spec"]["name"] for v in spec["variables"]] == [v["name"] for v in variables]
    kinds = {"query": "QueryVariable", "custom": "CustomVariable", "textbox": "TextVariable"}
    for var, v2 in zip(variables, spec["variables"]):
        assert v2["kind"] == kinds[var["type"]]
        assert v2["spec"]["current"] == {"text": var["current"]["text"], "value": var["current"]["value"]}
        if var["type"] == "query":
            assert v2["spec"]["query"]["spec"] == var["query"]
            assert v2["spec"]["query"]["datasource"]["name"] == var["datasource"]["uid"]
            assert v2["spec"].get("allValue") == var.get("allValue")
        else:
            assert v2["spec"]["query"] == var["query"]
    assert [(l["title"], l.get("url"), l["keepTime"], l["includeVars"]) for l in spec["links"]] == \
        [(l["title"], l.get("url"), l["keepTime"], l["includeVars"]) for l in classic["links"]]
    assert spec["timeSettings"]["from"] == classic["time"]["from"]
    assert spec["timeSettings"]["autoRefresh"] == classic["refresh"]
    assert spec["tags"] == classic["tags"] and spec["title"] == classic["title"]


# ---- emit: dashboards.schema per environment ---------------------------------------------------------


def _set_env(root: Path, env: str, version: str, schema: str | None) -> None:
    path = root / "environments.yaml"
    data = yaml.safe_load(path.read_text())
    data["environments"][env]["grafana"]["version"] = version
    if schema is None:
        data["environments"][env].pop("dashboards", None)
    else:
        data["environments"][env]["dashboards"] = {"schema": schema}
    path.write_text(yaml.safe_dump(data))


@pytest.mark.parametrize("version, schema, expected", [
    ("13.0", None, "v2"), ("auto", None, "v2"), ("12.4", None, "v1"), ("11.6", None, "v1"),
    ("13.1", "v1", "v1"), ("13.0", "v2", "v2"),
])
def test_schema_defaults_to_v2_for_13_and_follows_the_choice(scratch_project, version, schema, expected):
    _set_env(scratch_project, "dev", version, schema)
    assert load_environments(scratch_project / "environments.yaml").get("dev").dashboards_schema == expected


def test_v2_for_an_older_target_is_refused_with_the_reason(scratch_project):
    _set_env(scratch_project, "test", "12.4", "v2")
    with pytest.raises(InputError) as exc:
        load_environments(scratch_project / "environments.yaml")
    (problem,) = exc.value.problems
    assert problem.path == "$.environments.test.dashboards.schema"
    assert "12.x serves only v2beta1" in problem.message and "v1" in problem.hint


def test_an_unknown_schema_is_refused_by_the_schema(scratch_project):
    _set_env(scratch_project, "dev", "13.0", "v3")
    with pytest.raises(InputError) as exc:
        load_environments(scratch_project / "environments.yaml")
    assert any("dashboards" in p.path for p in exc.value.problems)


def _project_with_our_dashboards(root: Path) -> Project:
    shutil.rmtree(root / "dashboards")
    shutil.copytree(ROOT / "dashboards", root / "dashboards", ignore=shutil.ignore_patterns("__pycache__"))
    return Project(root)


def test_v2_build_writes_the_object_in_every_form_and_v1_stays_classic(scratch_project):
    project = _project_with_our_dashboards(scratch_project)
    _set_env(scratch_project, "test", "12.1", None)
    v2, v1 = build(project, "dev"), build(project, "test")
    folder = v2.env.folder_uid
    for res in (r for r in v2.resources if r.kind == DASHBOARD):
        api = json.loads(v2.files[f"api/dashboards/{res.uid}.json"])
        assert api == dashboard_object(res)  # folder annotation included
        provisioned = json.loads(v2.files[f"provisioning/dashboards/druppie/{folder}/{res.uid}.json"])
        assert provisioned == {**api, "metadata": {"name": res.uid}}
        assert "id" not in provisioned and "uid" not in provisioned["spec"]
        configmap = yaml.safe_load(v2.files[f"k8s/configmap-grafana-dashboard-{res.uid}.yaml"])
        assert json.loads(configmap["data"][f"{res.uid}.json"]) == provisioned
        classic = json.loads(v1.files[f"provisioning/dashboards/druppie/{folder}/{res.uid}.json"])
        assert classic["uid"] == res.uid and "panels" in classic and "apiVersion" not in classic
        assert json.loads(v1.files[f"api/dashboards/{res.uid}.json"])["spec"] == classic


def test_a_dashboard_the_converter_refuses_stops_the_build_with_its_file(scratch_project):
    (scratch_project / "dashboards" / "odd.py").write_text(
        "UID = 'odd'\n"
        "def build(ctx):\n"
        "    return {'title': 'Odd', 'schemaVersion': ctx.env.schema_version, 'panels': [],\n"
        "            'templating': {'list': [{'type': 'interval', 'name': 'i', 'query': '1m'}]}}\n")
    with pytest.raises(InputError) as exc:
        build(Project(scratch_project), "dev")
    (problem,) = [p for p in exc.value.problems if "odd.py" in p.file]
    assert problem.path == "$.templating.list[0].type" and "dashboards.schema: v1" in problem.hint
