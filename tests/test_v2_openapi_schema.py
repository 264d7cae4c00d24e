"""Our v2 dashboards against Grafana's own schema for them: the DashboardSpec of the dashboard.grafana.app/v2
OpenAPI snapshot in ../shared/corpus/grafana13 (skipped when it is absent)."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from druppie_grafana.cli import main

ROOT = Path(__file__).resolve().parents[1]
SNAPSHOT = (ROOT.parent / "shared" / "corpus" / "grafana13" / "http-api" / "grafana" / "pkg" / "tests" / "apis"
            / "openapi_snapshots" / "dashboard.grafana.app-v2.json")
SPEC = "com.github.grafana.grafana.apps.dashboard.pkg.apis.dashboard.v2.DashboardSpec"


@pytest.fixture(scope="module")
def validator():
    if not SNAPSHOT.is_file():
        pytest.skip("../shared/corpus/grafana13 OpenAPI snapshot is absent")
    components = json.loads(SNAPSHOT.read_text())["components"]
    schema = {"$ref": f"#/components/schemas/{SPEC}", "components": components}
    return jsonschema.Draft202012Validator(schema)


def test_our_v2_dashboards_are_valid_by_grafanas_own_schema(validator):
    assert main(["build", "--root", str(ROOT)]) == 0
    docs = sorted((ROOT / "build" / "dev" / "api" / "dashboards").glob("*.json"))
    assert len(docs) >= 5
    for path in docs:
        doc = json.loads(path.read_text())
        assert doc["apiVersion"] == "dashboard.grafana.app/v2"
        problems = [f"{'/'.join(map(str, e.absolute_path))}: {e.message[:200]}" for e in validator.iter_errors(doc["spec"])]
        assert problems == [], f"{path.name}: {problems[:5]}"


def test_the_schema_check_can_fail(validator):
    assert list(validator.iter_errors({"title": "no elements, no layout"}))
