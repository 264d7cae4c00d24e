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


def test_missing_credential_stops_apply_before_any_write(grafana, project, capsys, monkeypatch):
    monkeypatch.delenv("LOKI_PASSWORD")
    code, out, err = run(capsys, project, "apply")
    assert code == 1 and "LOKI_PASSWORD" in err and "loki.py" in err
    assert grafana.writes() == []


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
