"""`plan` and `apply` through the command line against the fake Grafana: exit codes, output, backups,
and no credential anywhere but in Grafana's secret store."""

from __future__ import annotations

import json

import pytest

import grafana_kit as kit
from druppie_grafana.cli import main


@pytest.fixture
def grafana(monkeypatch):
    with kit.running_grafana(monkeypatch) as fake:
        yield fake


@pytest.fixture
def project(tmp_path):
    return kit.write_project(tmp_path / "project", {"t-overview": "Overview", "t-errors": "Errors"})


def run(capsys, project, *args):
    code = main([*args, "--root", str(project)])
    out, err = capsys.readouterr()
    return code, out, err


def test_plan_apply_cycle_with_exit_codes(grafana, project, capsys):
    outputs = []
    code, out, err = run(capsys, project, "plan")
    outputs.append(out + err)
    assert code == 3 and "+ create    dashboard t-overview (Overview)" in out and "Changes pending (exit code 3)" in out

    code, out, err = run(capsys, project, "apply")
    outputs.append(out + err)
    assert code == 0, err
    assert "created   datasource t-loki (T Loki)" in out and "health    datasource t-loki: OK" in out
    assert "Apply complete: 4 created" in out
    assert grafana.secure["t-loki"] == {"basicAuthPassword": kit.SECRET}  # it was sent, and only there

    code, out, err = run(capsys, project, "plan")
    assert code == 0 and "No changes." in out
    grafana.clear_log()
    code, out, err = run(capsys, project, "apply")
    assert code == 0 and "Nothing changed: 0 write requests sent" in out and grafana.writes() == []

    kit.set_dashboard(project, "t-errors", "Errors and exceptions")
    grafana.edit_dashboard("t-overview", title="Tweaked in the UI")
    for fmt in ("text", "json", "markdown"):
        code, out, err = run(capsys, project, "plan", "--format", fmt)
        outputs.append(out + err)
        assert code == 3
    data = json.loads(outputs[-2])
    assert {c["uid"]: c["action"] for c in data["changes"] if c["action"] != "no change"} == {
        "t-errors": "update", "t-overview": "update"}

    code, out, err = run(capsys, project, "apply")
    outputs.append(out + err)
    assert code == 1 and "refused   dashboard t-overview" in out and "updated   dashboard t-errors" in out
    assert "Apply INCOMPLETE" in out

    code, out, err = run(capsys, project, "apply", "--force")
    outputs.append(out + err)
    assert code == 0 and "updated   dashboard t-overview" in out and "backups   " in out

    backups = list((project / "backups" / "dev").glob("*/*/*.json"))
    assert {p.name for p in backups} == {"t-overview.json", "t-errors.json"}
    everything = "\n".join(outputs) + "".join(p.read_text() for p in backups)
    assert kit.SECRET not in everything and kit.TOKEN not in everything


def test_datasource_backup_has_no_secrets(grafana, project, capsys):
    assert run(capsys, project, "apply")[0] == 0
    (project / "datasources" / "loki.py").write_text((project / "datasources" / "loki.py").read_text()
                                                      .replace('"maxLines": 1000', '"maxLines": 10'))
    code, out, err = run(capsys, project, "apply")
    assert code == 0, out + err
    backup = next((project / "backups" / "dev").glob("*/datasources/t-loki.json"))
    data = json.loads(backup.read_text())
    assert data["secureJsonFields"] == {"basicAuthPassword": True} and "secureJsonData" not in data
    assert kit.SECRET not in backup.read_text()
    assert "updated   datasource t-loki" in out and kit.SECRET not in out + err


def test_missing_credential_stops_plan_and_apply_pointing_at_its_reference(grafana, project, capsys, monkeypatch):
    monkeypatch.delenv("LOKI_PASSWORD")
    for verb in ("plan", "apply"):  # a PR's plan fails where main's apply would
        code, out, err = run(capsys, project, verb)
        assert code == 1 and "LOKI_PASSWORD" in err, verb
        assert "environments.yaml: $.environments.dev.datasources.loki.basic_auth.password" in err, verb
    assert grafana.writes() == []


def test_the_service_account_token_variable_is_read_after_grafana_token(grafana, project, capsys, monkeypatch):
    monkeypatch.delenv("GRAFANA_TOKEN")
    monkeypatch.setenv("GRAFANA_SERVICE_ACCOUNT_TOKEN", kit.TOKEN)
    assert run(capsys, project, "plan")[0] == 3
    monkeypatch.setenv("GRAFANA_TOKEN", "glsa_wins-but-wrong")
    code, _, err = run(capsys, project, "plan")
    assert code == 1 and "401" in err


def test_a_syntax_error_in_a_definition_names_its_file_and_line(project, capsys):
    (project / "dashboards" / "broken.py").write_text("UID = 'x'\ndef build(ctx)\n    return {}\n")
    code, out, err = run(capsys, project, "build")
    assert code == 1 and "broken.py: line 2" in err and "SyntaxError" in err and "importlib" not in err


def test_bad_token_message(grafana, project, capsys, monkeypatch):
    monkeypatch.setenv("GRAFANA_TOKEN", "glsa_not-valid-123")
    code, out, err = run(capsys, project, "plan")
    assert code == 1 and "401 Unauthorized" in err and "GRAFANA_TOKEN" in err
    assert "glsa_not-valid-123" not in out + err


def test_prune_through_the_cli(grafana, project, capsys):
    assert run(capsys, project, "apply")[0] == 0
    (project / "dashboards" / "t_errors.py").unlink()
    code, out, err = run(capsys, project, "plan")
    assert code == 0 and "no longer defined; run with --prune" in out
    code, out, err = run(capsys, project, "plan", "--prune")
    assert code == 3 and "- delete    dashboard t-errors" in out
    code, out, err = run(capsys, project, "apply", "--prune")
    assert code == 0 and "deleted   dashboard t-errors" in out and "t-errors" not in grafana.dashboards
