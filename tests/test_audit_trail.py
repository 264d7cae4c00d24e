"""The audit trail: retention and object storage from environments.yaml reach Tempo's and Loki's Helm
values for every environment under keys the charts read; a non-development environment that leaves
them out is refused naming the key; the build summary and the plan say how long and where."""

from __future__ import annotations

import json
import shutil

import pytest
import yaml

from druppie_grafana.audit_trail import retention_hours
from druppie_grafana.build import Project, build
from druppie_grafana.cli import main
from druppie_grafana.errors import InputError
from druppie_grafana.trail_report import sampling_in, trail_lines, with_trail

ENVS = ("dev", "test", "prod")
ANY = object()  # a subtree the chart passes through as it is (checked elsewhere or free-form)

# Tempo's S3 keys: grafana/tempo tempodb/backend/s3/config.go (yaml tags).
TEMPO_S3 = dict.fromkeys(("bucket", "prefix", "endpoint", "region", "access_key", "secret_key", "session_token",
                          "insecure", "forcepathstyle"))
# Keys grafana/tempo chart 2.2.4 reads (grafana-community/helm-charts charts/tempo/values.yaml): tempo.retention
# feeds compactor.compaction.block_retention; tempo.storage is Tempo's storage block as it is.
TEMPO_CHART = {
    "persistence": {"enabled": None, "size": None},
    "tempo": {"retention": None, "server": ANY, "receivers": ANY, "metricsGenerator": ANY, "overrides": ANY,
              "extraArgs": ANY, "extraEnv": ANY,
              "storage": {"trace": {"backend": None, "s3": TEMPO_S3, "wal": {"path": None},
                                    "local": {"path": None}}}},
}
# Keys grafana/loki chart reads (grafana-community/helm-charts charts/loki/values.yaml 18.11; grafana/loki
# production/helm/loki/values.yaml 7.3): loki.compactor and loki.limits_config go to Loki's config through
# tpl, so their keys are Loki's (pkg/compactor/config.go, pkg/validation/limits.go); loki.storage.s3 keys are
# the chart's own (templates/_helpers.tpl loki.lokiStorageConfig.s3).
LOKI_CHART = {
    "loki": {"compactor": {"retention_enabled": None, "delete_request_store": None},
             "limits_config": {"allow_structured_metadata": None, "retention_period": None, "otlp_config": ANY},
             "storage": {"type": None, "bucketNames": {"chunks": None, "ruler": None},
                         "s3": dict.fromkeys(("endpoint", "region", "accessKeyId", "secretAccessKey",
                                              "s3ForcePathStyle", "insecure"))}},
    "global": {"extraArgs": ANY, "extraEnv": ANY},
}


def unread(values, chart, path="") -> list[str]:
    """Keys of values the chart (as described above) does not read."""
    if chart is ANY or chart is None:
        return [] if chart is ANY or not isinstance(values, dict) else [f"{path} (a value, not a mapping)"]
    if not isinstance(values, dict):
        return [f"{path} (a mapping expected)"]
    out = []
    for key, value in values.items():
        out += [f"{path}.{key}"] if key not in chart else unread(value, chart[key], f"{path}.{key}")
    return out


def _values(root, env) -> dict[str, dict]:
    result = build(Project(root), env)
    return {p.removeprefix("helm/"): yaml.safe_load(t) for p, t in result.files.items() if p.startswith("helm/")}


@pytest.fixture(scope="module")
def shipped(project_root, tmp_path_factory):
    root = tmp_path_factory.mktemp("shipped")
    shutil.copy(project_root / "environments.yaml", root / "environments.yaml")
    shutil.copytree(project_root / "datasources", root / "datasources", ignore=shutil.ignore_patterns("__pycache__"))
    (root / "dashboards").mkdir()
    return {env: _values(root, env) for env in ENVS} | {"root": root}


def _edit(root, env, **audit) -> None:
    path = root / "environments.yaml"
    data = yaml.safe_load(path.read_text())
    data["environments"][env]["audit"] = audit
    if not audit:
        del data["environments"][env]["audit"]
    path.write_text(yaml.safe_dump(data))


def test_retention_reaches_tempo_and_loki_for_every_environment(shipped):
    envs = yaml.safe_load((shipped["root"] / "environments.yaml").read_text())["environments"]
    for env in ENVS:
        hours = retention_hours(envs[env]["audit"]["retention"])
        tempo, loki = shipped[env]["tempo-values.yaml"], shipped[env]["loki-values.yaml"]
        assert tempo["tempo"]["retention"] == f"{hours}h"
        assert loki["loki"]["limits_config"]["retention_period"] == f"{hours}h"
        assert loki["loki"]["compactor"]["retention_enabled"] is True
        assert loki["loki"]["compactor"]["delete_request_store"]  # Loki refuses retention without it


def test_values_use_only_keys_the_charts_read(shipped):
    for env in ENVS:
        assert unread(shipped[env]["tempo-values.yaml"], TEMPO_CHART) == [], env
        assert unread(shipped[env]["loki-values.yaml"], LOKI_CHART) == [], env


def test_the_key_check_catches_a_key_no_chart_reads():
    assert unread({"tempo": {"retention": "24h", "block_retention": "24h"}}, TEMPO_CHART) == [".tempo.block_retention"]
    assert unread({"loki": {"storage": {"s3": {"secret_access_key": "x"}}}}, LOKI_CHART) == \
        [".loki.storage.s3.secret_access_key"]


def test_object_storage_reaches_tempo_and_loki_with_credentials_as_references(shipped):
    prod = shipped["prod"]
    trace = prod["tempo-values.yaml"]["tempo"]["storage"]["trace"]
    assert trace["backend"] == "s3"
    assert trace["s3"] == {"bucket": "druppie-prod-traces", "endpoint": "s3.eu-west-1.amazonaws.com",
                           "region": "eu-west-1", "insecure": False, "forcepathstyle": False,
                           "access_key": "${S3_ACCESS_KEY_ID}", "secret_key": "${S3_SECRET_ACCESS_KEY}"}
    tempo = prod["tempo-values.yaml"]["tempo"]
    assert tempo["extraArgs"] == {"config.expand-env": "true"}  # else Tempo keeps ${...} literally
    assert {e["name"]: e["valueFrom"]["secretKeyRef"]["name"] for e in tempo["extraEnv"]} == {
        "S3_ACCESS_KEY_ID": "druppie-telemetry-credentials", "S3_SECRET_ACCESS_KEY": "druppie-telemetry-credentials"}
    loki = prod["loki-values.yaml"]
    assert loki["loki"]["storage"]["bucketNames"] == {"chunks": "druppie-prod-logs", "ruler": "druppie-prod-logs"}
    assert loki["loki"]["storage"]["s3"]["secretAccessKey"] == "${S3_SECRET_ACCESS_KEY}"
    assert loki["loki"]["compactor"]["delete_request_store"] == "s3"
    assert loki["global"]["extraArgs"] == ["-config.expand-env=true"]
    test = shipped["test"]  # MinIO: plain http, path-style buckets
    s3 = test["tempo-values.yaml"]["tempo"]["storage"]["trace"]["s3"]
    assert s3["insecure"] is True and s3["forcepathstyle"] is True and s3["endpoint"] == "minio.storage:9000"
    assert test["loki-values.yaml"]["loki"]["storage"]["s3"]["s3ForcePathStyle"] is True


def test_development_keeps_local_volumes(shipped):
    dev = shipped["dev"]
    assert "storage" not in dev["tempo-values.yaml"]["tempo"]  # the chart's local backend
    assert dev["tempo-values.yaml"]["persistence"] == {"enabled": True, "size": "10Gi"}
    assert "storage" not in dev["loki-values.yaml"]["loki"] and "global" not in dev["loki-values.yaml"]
    # Loki's delete requests live in whatever store the install uses (rendered by the chart's tpl).
    assert dev["loki-values.yaml"]["loki"]["compactor"]["delete_request_store"] == "{{ .Values.loki.storage.type }}"


def test_a_production_environment_without_retention_is_refused_naming_the_key(scratch_project):
    _edit(scratch_project, "prod", storage={"bucket": "b", "endpoint": "s3.example"})
    with pytest.raises(InputError, match=r"\$\.environments\.prod\.audit\.retention: environment 'prod' is not a "
                                         r"development one"):
        Project(scratch_project).environment("prod")
    _edit(scratch_project, "prod")  # no audit block at all: both keys named, and nothing written
    with pytest.raises(InputError) as caught:
        build(Project(scratch_project), "prod")
    paths = {p.path for p in caught.value.problems}
    assert {"$.environments.prod.audit.retention", "$.environments.prod.audit.storage"} <= paths
    assert not (scratch_project / "build" / "prod").exists()


def test_development_may_leave_it_out_and_an_explicit_flag_wins(scratch_project):
    _edit(scratch_project, "dev")
    env = Project(scratch_project).environment("dev")
    assert env.audit.defaulted and env.audit.traces_hours == 7 * 24
    assert "(development default)" in env.audit.summary()
    _edit(scratch_project, "dev", development=False)
    with pytest.raises(InputError, match=r"audit\.retention"):
        Project(scratch_project).environment("dev")
    _edit(scratch_project, "dev")
    _edit(scratch_project, "prod", development=True)
    assert Project(scratch_project).environment("prod").audit.storage is None


def test_traces_and_logs_may_be_kept_apart(scratch_project):
    _edit(scratch_project, "test", retention={"traces": "60d", "logs": "2w"},
          storage={"bucket": "t", "endpoint": "minio:9000"})
    values = _values(scratch_project, "test")
    assert values["tempo-values.yaml"]["tempo"]["retention"] == "1440h"
    assert values["loki-values.yaml"]["loki"]["limits_config"]["retention_period"] == "336h"
    assert "traces kept 60d, logs 14d" in Project(scratch_project).environment("test").audit.summary()


@pytest.mark.parametrize("bad", ["36h", "0d", "12"])
def test_a_retention_that_is_not_whole_days_is_refused(scratch_project, bad):
    _edit(scratch_project, "dev", retention=bad)
    with pytest.raises(InputError, match=r"\$\.environments\.dev\.audit\.retention"):
        Project(scratch_project).environment("dev")


def test_credentials_from_files_are_refused_and_values_never_accepted(scratch_project):
    _edit(scratch_project, "prod", retention="30d", storage={"bucket": "b", "endpoint": "s3.example",
                                                             "secret_access_key": {"file": "/run/s3"}})
    with pytest.raises(InputError, match=r"audit\.storage\.secret_access_key: .*only environment variables"):
        Project(scratch_project).environment("prod")
    _edit(scratch_project, "prod", retention="30d", storage={"bucket": "b", "endpoint": "s3.example",
                                                             "secret_access_key": "hunter2-literal"})
    with pytest.raises(InputError) as caught:
        Project(scratch_project).environment("prod")
    assert "hunter2-literal" not in str(caught.value)


def test_the_build_summary_and_the_plan_say_how_long_and_where(shipped, capsys):
    root = shipped["root"]
    assert main(["build", "--env", "prod", "--root", str(root)]) == 0
    out = capsys.readouterr().out
    assert "audit trail: traces and logs kept 400d; traces in s3://druppie-prod-traces" in out
    env = Project(root).environment("prod")
    text = with_trail("Plan for environment prod:\n  + create x\n", "text", env)
    assert text.splitlines()[1].strip().startswith("audit trail: traces and logs kept 400d")
    data = json.loads(with_trail(json.dumps({"environment": "prod"}), "json", env))
    assert data["audit_trail"] == trail_lines(env)


def test_sampling_in_a_pipeline_is_said_loudly(shipped):
    config = shipped["prod"]["otel-collector-values.yaml"]["config"]
    assert sampling_in(config) == []  # our pipelines keep every span and log record
    sampled = yaml.safe_load(yaml.safe_dump(config))
    sampled["service"]["pipelines"]["traces"]["processors"].insert(1, "probabilistic_sampler/audit")
    assert sampling_in(sampled) == ["traces: probabilistic_sampler/audit"]


# ---- validate: retention rules --------------------------------------------------------------------

def _findings(root, env_name, rule):
    from druppie_grafana.build import build_resources
    from druppie_grafana.checks.gate import check_build
    project = Project(root)
    env = project.environment(env_name)
    return [f for f in check_build(build_resources(project, env), env) if f.rule == rule]


def test_validate_warns_when_a_dashboard_reaches_past_the_retention(scratch_project):
    (scratch_project / "dashboards" / "old.py").write_text(
        'UID = "old-incidents"\n'
        'def build(ctx):\n'
        '    return {"title": "Old", "uid": UID, "schemaVersion": 41, "panels": [],\n'
        '            "time": {"from": "now-90d", "to": "now"}}\n')
    (hit,) = _findings(scratch_project, "test", "retention-exceeded")  # test keeps 30d
    assert hit.severity == "warning" and hit.path == "$.time.from" and "30d" in hit.message
    assert _findings(scratch_project, "prod", "retention-exceeded") == []  # prod keeps 400d


def test_validate_warns_when_tempo_looks_a_trace_up_past_the_retention(scratch_project):
    path = scratch_project / "datasources" / "tempo.py"
    path.write_text(path.read_text().replace('"traceQuery": {"timeShiftEnabled": False, "spanStartTimeShift": "-30m"',
                                              '"traceQuery": {"timeShiftEnabled": True, "spanStartTimeShift": "-60d"'))
    (hit,) = _findings(scratch_project, "test", "retention-exceeded")
    assert hit.path.endswith("jsonData.traceQuery.spanStartTimeShift") and "-60d" in hit.message


def test_validate_warns_when_traces_and_logs_are_kept_apart(scratch_project):
    assert _findings(scratch_project, "test", "retention-mismatch") == []
    _edit(scratch_project, "test", retention={"traces": "30d", "logs": "90d"},
          storage={"bucket": "t", "endpoint": "minio:9000"})
    (hit,) = _findings(scratch_project, "test", "retention-mismatch")
    assert hit.path == "$.environments.test.audit.retention" and "traces 30d and logs 90d" in hit.message
