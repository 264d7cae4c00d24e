"""Build: correlation links, $ escaping both ways, determinism, atomic output, and bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from druppie_grafana.build import Project, build, build_resources, write_tree
from druppie_grafana.errors import InputError
from druppie_grafana.resources import DATASOURCE
from druppie_grafana.secrets import resolve_secrets

from grafana_interpolation import interpolate


def _datasources(root: Path, env: str | None = None) -> dict[str, dict]:
    project = Project(root)
    resources = build_resources(project, project.environment(env))
    return {r.uid: r.spec for r in resources if r.kind == DATASOURCE}


def _links(spec: dict) -> list[tuple[str, str]]:
    """(where, datasourceUid) of every correlation link in a datasource spec."""
    jd = spec["jsonData"]
    out = [(f"derivedFields[{i}]", d["datasourceUid"]) for i, d in enumerate(jd.get("derivedFields", []))]
    out += [(f"exemplarTraceIdDestinations[{i}]", d["datasourceUid"])
            for i, d in enumerate(jd.get("exemplarTraceIdDestinations", [])) if "datasourceUid" in d]
    for key in ("tracesToLogsV2", "tracesToMetrics", "serviceMap"):
        if key in jd:
            out.append((key, jd[key]["datasourceUid"]))
    return out


def test_every_correlation_link_points_at_a_defined_uid(project_root):
    specs = _datasources(project_root)
    by_type = {s["type"]: uid for uid, s in specs.items()}
    links = {uid: dict(_links(s)) for uid, s in specs.items()}
    assert links[by_type["loki"]] == {"derivedFields[0]": by_type["tempo"], "derivedFields[1]": by_type["tempo"]}
    assert links[by_type["tempo"]] == {"tracesToLogsV2": by_type["loki"], "tracesToMetrics": by_type["prometheus"],
                                       "serviceMap": by_type["prometheus"]}
    assert links[by_type["prometheus"]] == {"exemplarTraceIdDestinations[0]": by_type["tempo"]}
    # the second exemplar destination is a URL: the Trace audit dashboard of the exemplar's trace
    audit = specs[by_type["prometheus"]]["jsonData"]["exemplarTraceIdDestinations"][1]
    assert audit["url"] == "/d/druppie-trace-audit?var-traceID=${__value.raw}"


def test_wiring_details(project_root):
    specs = {s["type"]: s for s in _datasources(project_root).values()}
    loki, tempo, prom = specs["loki"]["jsonData"], specs["tempo"]["jsonData"], specs["prometheus"]["jsonData"]
    assert [d["matcherType"] for d in loki["derivedFields"]] == ["regex", "label"]
    assert all(d["url"] == "${__value.raw}" for d in loki["derivedFields"])
    assert len({d["name"] for d in loki["derivedFields"]}) == 2  # Grafana groups configs by name
    assert {"key": "service.name", "value": "service_name"} in tempo["tracesToLogsV2"]["tags"]
    assert tempo["tracesToLogsV2"]["filterByTraceID"] is True
    assert tempo["nodeGraph"] == {"enabled": True} and tempo["search"] == {"hide": False}
    assert {"traceQuery", "spanBar"} <= set(tempo)
    assert [q["name"] for q in tempo["tracesToMetrics"]["queries"]] == ["Request rate", "Error rate", "p95 latency"]
    assert prom["httpMethod"] == "POST"
    assert prom["exemplarTraceIdDestinations"][0]["name"] == "traceID"


def test_changing_a_uid_in_one_place_changes_every_consumer(scratch_project):
    loki = scratch_project / "datasources/loki.py"
    loki.write_text(loki.read_text().replace('UID = "druppie-loki"', 'UID = "logs-elsewhere"'))
    specs = _datasources(scratch_project)
    assert "logs-elsewhere" in specs
    tempo = next(s for s in specs.values() if s["type"] == "tempo")
    assert tempo["jsonData"]["tracesToLogsV2"]["datasourceUid"] == "logs-elsewhere"


def test_changing_a_contract_field_changes_every_consumer(scratch_project):
    envs = scratch_project / "environments.yaml"
    data = yaml.safe_load(envs.read_text())
    data["contract"] = {"trace_id_field": "otelTraceID", "metrics_naming": "otel-collector"}
    envs.write_text(yaml.safe_dump(data))
    specs = {s["type"]: s["jsonData"] for s in _datasources(scratch_project).values()}
    assert '"otelTraceID"' in specs["loki"]["derivedFields"][0]["matcherRegex"]
    assert specs["prometheus"]["exemplarTraceIdDestinations"][0]["name"] == "trace_id"
    queries = " ".join(q["query"] for q in specs["tempo"]["tracesToMetrics"]["queries"])
    assert "traces_span_metrics_calls_total" in queries and "traces_spanmetrics" not in queries
    assert specs["tempo"]["tracesToMetrics"]["tags"] == [{"key": "service.name", "value": "service_name"}]


@pytest.mark.parametrize("env_name", ["dev", "test", "prod"])
def test_provisioning_yaml_interpolates_back_to_the_api_form(project_root, tmp_path, env_name):
    """Grafana's interpolation of our YAML equals the API form with credentials resolved."""
    secret_file = tmp_path / "pw"
    secret_file.write_text("file-secret\n")
    # No "$" in the value: Grafana expands a credential's value once more (os.ExpandEnv after the
    # expanders), so "pa$s" would reach the datasource as "pa"; README warns about it.
    environ = {"LOKI_PASSWORD": "s3cret!", "GRAFANA_TOKEN": "t"}
    project = Project(project_root)
    env = project.environment(env_name)
    resources = build_resources(project, env)
    from druppie_grafana.build import render
    files = render(resources, env)
    for res in (r for r in resources if r.kind == DATASOURCE):
        doc = yaml.safe_load(files[f"provisioning/datasources/{res.uid}.yaml"])
        assert doc["apiVersion"] == 1
        entry = doc["datasources"][0]
        # File references in prod point at /var/run/...: point them at a readable file for the check.
        text = json.dumps(entry).replace("/var/run/secrets/loki/password", str(secret_file))
        seen = interpolate(json.loads(text), environ)
        api_text = json.dumps(json.loads(files[f"api/datasources/{res.uid}.json"])["spec"])
        api = resolve_secrets(json.loads(api_text.replace("/var/run/secrets/loki/password", str(secret_file))),
                              environ)
        for key in ("orgId", "editable"):
            seen.pop(key)
        # Correlations: the YAML's, once interpolated, are the API form's POST bodies less the root type
        # (which Grafana's provisioning must not be given; druppie_grafana/correlations.py).
        correlations = seen.pop("correlations", [])
        api_form = f"api/correlations/{res.uid}.json"
        posted = json.loads(files[api_form])["correlations"] if api_form in files else []
        assert correlations == [{k: v for k, v in body.items() if k != "type"} for body in posted]
        assert seen == api


def test_yaml_escapes_grafana_variables_but_not_credentials(project_root):
    project = Project(project_root)
    env = project.environment("test")
    from druppie_grafana.build import render
    files = render(build_resources(project, env), env)
    loki = files["provisioning/datasources/druppie-loki.yaml"]
    assert "$${__value.raw}" in loki and "basicAuthPassword: ${LOKI_PASSWORD}" in loki
    tempo = files["provisioning/datasources/druppie-tempo.yaml"]
    assert "{$$__tags}" in tempo and "{$__tags}" not in tempo.replace("$$__tags", "")
    api = files["api/datasources/druppie-tempo.json"]
    assert "$$" not in api and "{$__tags}" in api
    assert '"secretRef": {\n          "env": "LOKI_PASSWORD"' in files["api/datasources/druppie-loki.json"]


def test_two_builds_are_byte_identical(project_root, tmp_path):
    outputs = []
    for run in range(2):
        result = subprocess.run([sys.executable, str(project_root / "provision.py"), "--env", "test"],
                                capture_output=True, text=True, cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        out = project_root / "build" / "test"
        outputs.append({str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()})
    assert outputs[0] == outputs[1] and len(outputs[0]) >= 7


def test_build_prints_what_it_wrote(scratch_project):
    short = subprocess.run([sys.executable, "-m", "druppie_grafana.cli", "--root", str(scratch_project)],
                           capture_output=True, text=True)
    assert short.returncode == 0, short.stderr
    assert "wrote build/dev/api/" in short.stdout and "next: `python provision.py preview`" in short.stdout
    assert len(short.stdout.splitlines()) <= 6  # a summary and the next step, not one line per file
    result = subprocess.run([sys.executable, "-m", "druppie_grafana.cli", "build", "-v", "--root", str(scratch_project)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "wrote build/dev/provisioning/datasources/druppie-tempo.yaml" in result.stdout
    assert (scratch_project / "build/dev/provisioning/dashboards/druppie.yaml").is_file()


def test_failed_build_leaves_previous_output_intact(scratch_project):
    project = Project(scratch_project)
    build(project, "dev")
    out = scratch_project / "build/dev"
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    (scratch_project / "datasources/loki.py").write_text("ROLE = 'loki'\nUID = 'x'\ndef build(ctx):\n    return 1 / 0\n")
    with pytest.raises(InputError):
        build(project, "dev")
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    assert [p.name for p in out.parent.iterdir()] == ["dev"]  # no staging folders left behind


def test_write_failure_midway_keeps_old_tree(tmp_path, monkeypatch):
    dest = tmp_path / "out"
    write_tree({"a.txt": "old"}, dest)
    calls = {"n": 0}
    real = Path.write_text

    def flaky(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError("disk full")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", flaky)
    with pytest.raises(OSError):
        write_tree({"a.txt": "new", "b.txt": "new"}, dest)
    monkeypatch.undo()
    assert (dest / "a.txt").read_text() == "old" and not (dest / "b.txt").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


# ---- bad input: every problem at once, file and key named, exit non-zero, nothing written ----

def _run(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "druppie_grafana.cli", "--root", str(root), *args],
                          capture_output=True, text=True)


def _assert_refused(root: Path, result, *fragments: str) -> None:
    assert result.returncode == 1, result.stdout + result.stderr
    for fragment in fragments:
        assert fragment in result.stderr, result.stderr
    assert "nothing was written" in result.stderr
    assert not (root / "build").exists()


def test_unknown_environment(scratch_project):
    _assert_refused(scratch_project, _run(scratch_project, "--env", "staging"),
                    "environments.yaml", "unknown environment 'staging'", "dev, prod, test")


def test_malformed_environments_yaml(scratch_project):
    (scratch_project / "environments.yaml").write_text("environments:\n  dev: [unclosed\n")
    _assert_refused(scratch_project, _run(scratch_project), "environments.yaml", "malformed YAML", "line ")


def test_duplicate_key_in_environments_yaml(scratch_project):
    path = scratch_project / "environments.yaml"
    path.write_text(path.read_text().replace("default: dev\n", "default: dev\ndefault: prod\n"))
    _assert_refused(scratch_project, _run(scratch_project), "duplicate key 'default'")


def test_wrongly_typed_environments_file_reports_every_problem(scratch_project):
    path = scratch_project / "environments.yaml"
    data = yaml.safe_load(path.read_text())
    data["environments"]["dev"]["grafana"]["org_id"] = "one"
    data["environments"]["dev"]["datasources"]["loki"]["url"] = 3100
    data["environments"]["test"]["datasources"]["loki"]["basic_auth"]["password"] = "plain-text-password"
    path.write_text(yaml.safe_dump(data))
    result = _run(scratch_project)
    _assert_refused(scratch_project, result, "$.environments.dev.grafana.org_id",
                    "$.environments.dev.datasources.loki.url",
                    "$.environments.test.datasources.loki.basic_auth.password", "{env: VAR}")
    assert "3 problems" in result.stderr
    assert "plain-text-password" not in result.stderr  # a misplaced credential is never echoed


def test_duplicate_uid(scratch_project):
    loki = scratch_project / "datasources/loki.py"
    loki.write_text(loki.read_text().replace('UID = "druppie-loki"', 'UID = "druppie-tempo"'))
    _assert_refused(scratch_project, _run(scratch_project), "uid 'druppie-tempo' is also used by")


@pytest.mark.parametrize("uid, fragment", [
    ("x" * 41, "at most 40"),
    ("bad uid!", "outside [A-Za-z0-9_-]"),
])
def test_bad_uid(scratch_project, uid, fragment):
    prom = scratch_project / "datasources/prometheus.py"
    prom.write_text(prom.read_text().replace('UID = "druppie-prometheus"', f"UID = {uid!r}"))
    _assert_refused(scratch_project, _run(scratch_project), "datasources/prometheus.py", fragment)


def test_definitions_that_raise_are_all_reported_with_their_line(scratch_project):
    (scratch_project / "datasources/broken_import.py").write_text("import no_such_module_here\n")
    tempo = scratch_project / "datasources/tempo.py"
    tempo.write_text(tempo.read_text().replace("    m = contract.metrics\n", "    m = contract.metrics\n    {}['x']\n"))
    result = _run(scratch_project)
    _assert_refused(scratch_project, result, "2 problems", "broken_import.py: line 1",
                    "ModuleNotFoundError", "tempo.py: line ", "KeyError")


def test_helper_modules_are_read_from_each_project(tmp_path, scratch_project):
    """Two projects in one process, each with its own dashboards/_common.py helper."""
    from druppie_grafana.resources import DASHBOARD
    titles = []
    for title in ("First", "Second"):
        root = tmp_path / title
        import shutil
        shutil.copytree(scratch_project, root)
        (root / "dashboards/_common.py").write_text(f"TITLE = {title!r}\n")
        (root / "dashboards/one.py").write_text(
            "from _common import TITLE\nUID = 'one'\ndef build(ctx):\n    return {'title': TITLE, 'panels': []}\n")
        project = Project(root)
        resources = build_resources(project, project.environment("dev"))
        titles.append(next(r.spec["title"] for r in resources if r.kind == DASHBOARD))
    assert titles == ["First", "Second"]
