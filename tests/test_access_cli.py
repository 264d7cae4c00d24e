"""Access through the command line: plan shows permissions and the open-source warning, apply sets
them after the folder exists, refuses a lock-out with a non-zero exit, and validate warns."""

from __future__ import annotations

import json

import pytest

import grafana_kit as kit
from druppie_grafana.cli import main

ACCESS = ("      access:\n        teams: {developers: View}\n        roles: {Viewer: None, Editor: None}\n")


@pytest.fixture
def grafana(monkeypatch):
    with kit.running_grafana(monkeypatch) as fake:
        yield fake


@pytest.fixture
def project(tmp_path):
    root = kit.write_project(tmp_path / "project", {"t-overview": "Overview"})
    env_file = root / "environments.yaml"
    text = env_file.read_text()
    folder_line = f"    folder: {{uid: {kit.FOLDER_UID}, title: Team folder}}\n"
    assert folder_line in text
    env_file.write_text(text.replace(folder_line, f"    folder:\n      uid: {kit.FOLDER_UID}\n"
                                                  f"      title: Team folder\n{ACCESS}"))
    return root


def run(capsys, project, *args):
    code = main([*args, "--root", str(project)])
    out, err = capsys.readouterr()
    return code, out, err


def test_plan_apply_replan(grafana, project, capsys):
    code, out, err = run(capsys, project, "plan")
    assert code == 3
    assert "Access:\n  + create    team developers\n" in out
    assert f"~ update    permissions of folder {kit.FOLDER_UID} (new: replaces Grafana's defaults)" in out
    # the warning once, as one line; its full text is validate's
    assert (out + err).count("SECURITY WARNING") == 1 and "[datasources-unprotected]" in err
    assert out.rstrip().endswith("Changes pending (exit code 3).") and "1 permission change" in out

    code, out, _ = run(capsys, project, "apply")
    assert code == 0, out
    assert "created   team developers" in out and f"updated   permissions of folder {kit.FOLDER_UID}" in out
    assert grafana.folder_permissions[kit.FOLDER_UID] == [{"teamId": grafana.team_id("developers"), "permission": 1}]

    code, out, _ = run(capsys, project, "plan", "--format", "json")
    data = json.loads(out)
    assert code == 0 and data["pending"] is False
    assert data["access"]["changes"][0]["desired"] == ["team developers: View"]
    assert data["access"]["warnings"] and "SECURITY WARNING" in data["access"]["warnings"][0]

    grafana.clear_log()
    code, out, _ = run(capsys, project, "apply")
    assert code == 0 and grafana.writes() == [] and "Access: unchanged. Nothing changed: 0 write requests" in out


def test_apply_refuses_a_lock_out_with_exit_1(grafana, project, capsys, monkeypatch):
    grafana.add_user("deployer", "Editor", token="editor-token")
    monkeypatch.setenv("GRAFANA_TOKEN", "editor-token")
    code, out, _ = run(capsys, project, "plan", "--format", "markdown")
    assert code == 3 and "### Access" in out and "REFUSED" in out
    code, out, _ = run(capsys, project, "apply")
    assert code == 1 and "Apply INCOMPLETE" in out
    # fails closed: the folder would get Grafana's open defaults, so it is not created, nor anything in it
    assert f"refused   folder {kit.FOLDER_UID} (Team folder): not created" in out and "would leave" in out
    assert kit.FOLDER_UID not in grafana.folders and not grafana.dashboards
    assert "skipped   dashboard t-overview" in out


def test_validate_warns_on_oss_and_not_on_enterprise(project, capsys):
    code, out, _ = run(capsys, project, "validate")
    assert code == 0 and "warning [datasources-unprotected]" in out and "separate Grafana org" in out
    env_file = project / "environments.yaml"
    env_file.write_text(env_file.read_text().replace("      auth:", "      edition: enterprise\n      auth:", 1))
    code, out, _ = run(capsys, project, "validate")
    assert code == 0 and "datasources-unprotected" not in out


def test_one_switch_turns_the_oss_warning_off_in_every_verb(grafana, project, capsys):
    env_file = project / "environments.yaml"
    env_file.write_text("checks: {disable: [datasources-unprotected]}\n" + env_file.read_text())
    for verb in (["build"], ["validate"], ["plan"], ["plan", "--format", "markdown"], ["plan", "--format", "json"],
                 ["apply"]):
        code, out, err = run(capsys, project, *verb)
        assert "SECURITY WARNING" not in out + err and "datasources-unprotected" not in out + err, verb
