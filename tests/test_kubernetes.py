"""Kubernetes output: sidecar ConfigMaps/Secret, kustomization, namespace, and kubectl's annotation limit."""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from druppie_grafana.build import Project, build, build_resources
from druppie_grafana.errors import InputError
from druppie_grafana.outputs.helm_values import grafana_sidecar_values
from druppie_grafana.outputs.kubernetes import (ANNOTATION_LIMIT, FOLDER_ANNOTATION, LAST_APPLIED_ANNOTATION,
                                                datasource_objects, kubernetes_files, last_applied_size)
from druppie_grafana.resources import DASHBOARD, DATASOURCE, Resource

DNS_1123 = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")

DASHBOARD_SOURCE = '''
UID = {uid!r}

def build(ctx):
    m = ctx.contract.metrics
    return {{
        "title": {title!r},
        "schemaVersion": ctx.env.schema_version,
        "tags": ["druppie"],
        "panels": [{{
            "id": 1, "type": "timeseries", "title": "Requests",
            "gridPos": {{"h": 8, "w": 12, "x": 0, "y": 0}},
            "datasource": {{"type": "prometheus", "uid": ctx.datasource_uid("prometheus")}},
            "targets": [{{"refId": "A", "expr": f"sum by ({{m.service_label}}) (rate({{m.calls_total}}[$__rate_interval]))"}}],
        }}],
    }}
'''


def _add_dashboard(root: Path, name: str, uid: str, title: str) -> None:
    (root / "dashboards" / f"{name}.py").write_text(DASHBOARD_SOURCE.format(uid=uid, title=title))


def _load_tree(folder: Path) -> dict[str, dict]:
    return {p.name: yaml.safe_load(p.read_text()) for p in sorted(folder.glob("*.yaml"))}


def _objects(folder: Path) -> dict[str, dict]:
    """The Kubernetes objects of a k8s/ folder (everything but kustomization.yaml)."""
    docs = _load_tree(folder)
    docs.pop("kustomization.yaml")
    return docs


@pytest.fixture
def built(scratch_project):
    _add_dashboard(scratch_project, "agents", "druppie-agents", "Agents")
    _add_dashboard(scratch_project, "audit", "Trace_Audit", "Trace audit")  # capitals and _: not a k8s name
    return build(Project(scratch_project), "dev")


def test_every_file_parses_and_kustomization_lists_exactly_the_objects(built):
    k8s = built.out / "k8s"
    docs = _load_tree(k8s)
    kustomization = docs.pop("kustomization.yaml")
    assert kustomization["kind"] == "Kustomization" and kustomization["namespace"] == "monitoring"
    assert sorted(kustomization["resources"]) == sorted(docs)
    for name, obj in docs.items():
        assert obj["apiVersion"] == "v1" and obj["kind"] in ("ConfigMap", "Secret"), name
        assert obj["metadata"]["namespace"] == built.env.k8s_namespace
        assert DNS_1123.match(obj["metadata"]["name"]) and len(obj["metadata"]["name"]) <= 253
        assert last_applied_size(obj) <= ANNOTATION_LIMIT


def test_one_configmap_per_dashboard_labelled_and_foldered_with_the_provisioning_json(built):
    docs = _objects(built.out / "k8s")
    dashboards = {o["metadata"]["name"]: o for o in docs.values() if "grafana_dashboard" in o["metadata"]["labels"]}
    assert len(dashboards) == 2
    by_uid = {}
    for obj in dashboards.values():
        assert obj["kind"] == "ConfigMap"
        assert obj["metadata"]["labels"]["grafana_dashboard"] == "1"  # a string: label values are strings
        assert obj["metadata"]["annotations"] == {FOLDER_ANNOTATION: built.env.folder_title}
        (key, text), = obj["data"].items()
        by_uid[key.removesuffix(".json")] = json.loads(text)
    assert set(by_uid) == {"druppie-agents", "Trace_Audit"}
    for uid, spec in by_uid.items():
        provisioned = built.out / "provisioning/dashboards/druppie" / built.env.folder_uid / f"{uid}.json"
        assert spec == json.loads(provisioned.read_text())
    assert "grafana-dashboard-druppie-agents" in dashboards  # a valid uid keeps its name unchanged
    assert any(n.startswith("grafana-dashboard-trace-audit-") for n in dashboards)


def test_uids_that_differ_only_in_case_get_different_objects(scratch_project):
    _add_dashboard(scratch_project, "a", "Latency", "Latency A")
    _add_dashboard(scratch_project, "b", "latency", "Latency B")
    files = build(Project(scratch_project), "dev").files
    names = [p for p in files if p.startswith("k8s/configmap-grafana-dashboard-")]
    assert len(names) == 2


def test_datasources_are_a_configmap_without_credentials_and_the_same_files_grafana_reads(built):
    docs = _objects(built.out / "k8s")
    (obj,) = [o for o in docs.values() if "grafana_datasource" in o["metadata"]["labels"]]
    assert obj["kind"] == "ConfigMap" and obj["metadata"]["labels"]["grafana_datasource"] == "1"
    provisioning = built.out / "provisioning/datasources"
    assert obj["data"] == {p.name: p.read_text() for p in provisioning.glob("*.yaml")}
    assert "$${__value.raw}" in obj["data"]["druppie-loki.yaml"]  # Grafana's own variable, escaped


def test_credentials_make_a_secret_of_references_never_values(project_root, tmp_path, monkeypatch):
    monkeypatch.setenv("LOKI_PASSWORD", "s3cret-not-for-output")
    for env_name, reference in (("test", "${LOKI_PASSWORD}"), ("prod", "$__file{/var/run/secrets/loki/password}")):
        project = Project(project_root)
        env = project.environment(env_name)
        files = kubernetes_files(build_resources(project, env), env)
        (secret,) = [yaml.safe_load(t) for p, t in files.items() if "grafana-datasources" in p]
        assert secret["kind"] == "Secret" and secret["type"] == "Opaque"
        loki = yaml.safe_load(secret["stringData"]["druppie-loki.yaml"])["datasources"][0]
        assert loki["secureJsonData"]["basicAuthPassword"] == reference
        assert not any("s3cret-not-for-output" in text for text in files.values())


def test_namespace_comes_from_the_environment(scratch_project):
    path = scratch_project / "environments.yaml"
    data = yaml.safe_load(path.read_text())
    data["environments"]["dev"]["kubernetes"] = {"namespace": "observability"}
    path.write_text(yaml.safe_dump(data))
    _add_dashboard(scratch_project, "agents", "druppie-agents", "Agents")
    files = build(Project(scratch_project), "dev").files
    docs = [yaml.safe_load(t) for p, t in files.items() if p.startswith("k8s/")]
    assert {d.get("namespace") or d["metadata"]["namespace"] for d in docs} == {"observability"}


def test_sidecar_values_match_the_objects_labels_and_annotation(built):
    sidecar = grafana_sidecar_values(built.env)["sidecar"]
    docs = _objects(built.out / "k8s")
    dash = next(o for o in docs.values() if o["metadata"].get("annotations"))
    ds = next(o for o in docs.values() if not o["metadata"].get("annotations"))
    assert dash["metadata"]["labels"][sidecar["dashboards"]["label"]] == sidecar["dashboards"]["labelValue"]
    assert sidecar["dashboards"]["folderAnnotation"] in dash["metadata"]["annotations"]
    assert sidecar["dashboards"]["provider"]["foldersFromFilesStructure"] is True
    assert ds["metadata"]["labels"][sidecar["datasources"]["label"]] == sidecar["datasources"]["labelValue"]


# ---- kubectl's annotation limit -----------------------------------------------------------------

def test_last_applied_size_follows_kubectl():
    # What kubectl writes for this object: Go's JSON (HTML characters escaped), an empty
    # annotations map added, and a trailing newline.
    obj = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}, "data": {"k": "<&>é"}}
    annotation = '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a","annotations":{}},' \
                 '"data":{"k":"\\u003c\\u0026\\u003eé"}}\n'
    assert last_applied_size(obj) == len(LAST_APPLIED_ANNOTATION) + len(annotation.encode())
    annotated = {**obj, "metadata": {"name": "a", "annotations": {"x": "yz"}}}
    expected = '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a","annotations":{"x":"yz"}},' \
               '"data":{"k":"\\u003c\\u0026\\u003eé"}}\n'
    assert last_applied_size(annotated) == len(LAST_APPLIED_ANNOTATION) + len(expected.encode()) + len("x") + len("yz")


def _dashboard(uid: str, panels: int, text: str) -> Resource:
    spec = {"uid": uid, "title": uid, "schemaVersion": 41,
            "panels": [{"id": i, "type": "text", "title": f"p{i}", "gridPos": {"h": 2, "w": 24, "x": 0, "y": i},
                        "options": {"mode": "markdown", "content": text}} for i in range(panels)]}
    return Resource(DASHBOARD, uid, spec, folder="druppie-traceability", source=f"dashboards/{uid}.py")


def _env(project_root):
    # Size limits are tested on the classic JSON these hand-made specs are; the dev environment (13.0)
    # writes v2 by default, and the converter would refuse them before any size is measured.
    return dataclasses.replace(Project(project_root).environment("dev"), dashboards_schema="v1")


def test_a_dashboard_too_big_indented_is_written_compact(project_root):
    env = _env(project_root)
    # Deeply indented nesting makes the pretty JSON about twice the compact JSON.
    spec = {"uid": "wide", "title": "wide", "panels": [{"id": i, "a": {"b": {"c": {"d": [1, 2, 3, 4]}}}}
                                                       for i in range(3000)]}
    res = Resource(DASHBOARD, "wide", spec, folder="druppie-traceability", source="dashboards/wide.py")
    pretty = json.dumps(spec, indent=2)
    assert len(pretty) > ANNOTATION_LIMIT > len(json.dumps(spec, separators=(",", ":")))
    files = kubernetes_files([res], env)
    obj = yaml.safe_load(files["k8s/configmap-grafana-dashboard-wide.yaml"])
    assert json.loads(obj["data"]["wide.json"]) == spec and "\n " not in obj["data"]["wide.json"]
    assert last_applied_size(obj) <= ANNOTATION_LIMIT


def test_a_dashboard_too_big_even_compact_fails_naming_it(project_root):
    env = _env(project_root)
    small = _dashboard("fine", 2, "ok")
    huge = _dashboard("huge-board", 40, "x" * 8000)
    with pytest.raises(InputError) as info:
        kubernetes_files([small, huge], env)
    message = str(info.value)
    assert "dashboards/huge-board.py" in message and "dashboard huge-board" in message
    assert "ConfigMap monitoring/grafana-dashboard-huge-board" in message
    assert "262,144" in message and "--server-side" in message
    assert "dashboard fine" not in message  # only the dashboard that does not fit is named


def test_datasources_split_over_objects_when_together_too_big(project_root):
    env = _env(project_root)
    big = [Resource(DATASOURCE, f"ds-{i}", {"uid": f"ds-{i}", "name": f"DS {i}", "type": "loki",
                                             "url": "http://loki:3100", "jsonData": {"note": "n" * 90_000}},
                    source=f"datasources/ds{i}.py") for i in range(5)]
    objects = datasource_objects(big, env)
    assert len(objects) == 3  # two ~90 KB files fit under 256 KiB, three do not
    assert [o["metadata"]["name"] for o in objects] == ["grafana-datasources", "grafana-datasources-2",
                                                        "grafana-datasources-3"]
    keys = [k for o in objects for k in o["data"]]
    assert sorted(keys) == sorted(f"ds-{i}.yaml" for i in range(5))
    assert all(last_applied_size(o) <= ANNOTATION_LIMIT for o in objects)
    files = kubernetes_files(big, env)
    listed = yaml.safe_load(files["k8s/kustomization.yaml"])["resources"]
    assert len(listed) == 3 and all(f"k8s/{name}" in files for name in listed)


def test_a_single_datasource_too_big_fails_naming_it(project_root):
    env = _env(project_root)
    res = Resource(DATASOURCE, "giant", {"uid": "giant", "name": "Giant", "type": "loki", "url": "http://l",
                                         "jsonData": {"note": "n" * 300_000}}, source="datasources/giant.py")
    with pytest.raises(InputError, match=r"datasources/giant.py: datasource giant: .*262,144"):
        datasource_objects([res], env)


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")
def test_kubectl_kustomize_renders_the_directory(built):
    out = subprocess.run(["kubectl", "kustomize", str(built.out / "k8s")], capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    objects = list(yaml.safe_load_all(out.stdout))
    assert len(objects) == 3 and {o["metadata"]["namespace"] for o in objects} == {"monitoring"}
