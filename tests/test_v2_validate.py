"""Issue 13 (validate): v2 dashboards in every form are checked by the same rules as classic ones, over
one classic-shaped view (druppie_grafana/checks/v2_view.py), each finding at its place in the v2 file."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from druppie_grafana.cli import main

ROOT = Path(__file__).resolve().parents[1]


def validate(capsys, *paths, root=ROOT) -> list[dict]:
    main(["validate", "--format", "json", "--root", str(root), *map(str, paths)])
    return json.loads(capsys.readouterr().out)["findings"]


@pytest.fixture(scope="module")
def built_v2():
    """Our dashboards as the dev environment (Grafana 13, schema v2) builds them."""
    assert main(["build", "--root", str(ROOT)]) == 0
    folder = ROOT / "build" / "dev" / "api" / "dashboards"
    docs = {p.name: json.loads(p.read_text()) for p in sorted(folder.glob("*.json"))}
    assert docs and all(d["apiVersion"] == "dashboard.grafana.app/v2" for d in docs.values())
    return docs


def test_our_v2_dashboards_validate_clean(built_v2, capsys):
    findings = validate(capsys, ROOT / "build" / "dev" / "api" / "dashboards")
    assert [f for f in findings if f["severity"] == "error"] == []
    assert not [f for f in findings if f["rule"] == "not-checked"]


@pytest.mark.parametrize("damage,rule,where", [
    (lambda s: s["elements"]["panel-4"]["spec"]["data"]["spec"]["queries"][0]["spec"]["query"]["spec"].update(
        query="{ span.x = "), "traceql-syntax", "$.spec.elements.panel-4.spec.data.spec.queries[0].spec.query.spec"),
    (lambda s: s["elements"]["panel-4"]["spec"]["data"]["spec"]["queries"][0]["spec"]["query"].update(
        datasource={"name": "no-such-datasource"}), "datasource-unresolved", "$.spec.elements.panel-4"),
])
def test_a_damaged_v2_dashboard_is_caught_at_its_v2_place(built_v2, capsys, tmp_path, damage, rule, where):
    doc = copy.deepcopy(built_v2["druppie-trace-audit.json"])
    damage(doc["spec"])
    path = tmp_path / "damaged.json"
    path.write_text(json.dumps(doc))
    datasources = ROOT / "build" / "dev" / "provisioning" / "datasources"  # so references can be resolved
    findings = [f for f in validate(capsys, path, datasources, root=tmp_path) if f["rule"] == rule]
    assert findings and findings[0]["path"].startswith(where), findings


def test_v2_files_of_the_shared_corpus(capsys, corpus):
    findings = validate(capsys, corpus / "grafana13" / "dashboards-v2", root=corpus)
    errors = [(Path(f["file"]).name, f["rule"], f["path"]) for f in findings if f["severity"] == "error"]
    # the one error is real: mcp-grafana's example sends PromQL (sum(container_memory_usage_bytes)) to Loki
    assert errors == [("v2beta1_dashboard.json", "logql-syntax",
                       "$.spec.elements.panel-mem.spec.data.spec.queries[0].spec.query.spec.expr")]


def test_a_v2_file_of_the_wrong_shape_is_a_schema_error_at_its_place(capsys, tmp_path):
    doc = {"apiVersion": "dashboard.grafana.app/v2", "kind": "Dashboard", "metadata": {"name": "x"},
           "spec": {"title": "x", "elements": {"panel-1": {"kind": "Chart", "spec": {}}},
                    "layout": {"kind": "GridLayout", "spec": {"items": []}}}}
    path = tmp_path / "shape.json"
    path.write_text(json.dumps(doc))
    found = [(f["rule"], f["path"]) for f in validate(capsys, path, root=tmp_path) if f["severity"] == "error"]
    assert ("schema", "$.spec.elements.panel-1.kind") in found
