"""`pull`: a dashboard edited in the UI of the Grafana stand-in comes back into code. plan refuses the
drift and names `pull`; pull rewrites an imported definition (plan is then clean) and leaves a
hand-written one alone unless --force, writing Grafana's version and the diff beside it."""

from __future__ import annotations

import json

import pytest

import grafana_kit as kit
from test_cli_output import cli, grafana  # noqa: F401 - grafana: the fixture, a running stand-in

DASHBOARD = {"title": "Team logs", "uid": "team-logs", "schemaVersion": 39, "tags": ["team"],
             "panels": [{"id": 1, "type": "logs", "title": "Lines", "gridPos": {"h": 8, "w": 24, "x": 0, "y": 0},
                         "datasource": {"type": "loki", "uid": "somewhere-else"},
                         "options": {"showTime": True},
                         "targets": [{"datasource": {"type": "loki", "uid": "somewhere-else"},
                                      "expr": "{app=\"x\"}", "refId": "A"}]}]}


@pytest.fixture
def project(tmp_path):
    return kit.write_project(tmp_path / "project", {"t-hand": "Hand-written"})


def test_ui_edit_plan_refuses_and_suggests_pull_then_pull_writes_it_and_plan_is_clean(grafana, project, tmp_path):
    source = tmp_path / "team-logs.json"
    source.write_text(json.dumps(DASHBOARD))
    imported = cli(project, grafana, "import", str(source))
    assert imported.returncode == 0, imported.stdout + imported.stderr
    definition = project / "dashboards" / "team_logs.py"
    assert 'ctx.datasource_uid("loki")' in definition.read_text()
    assert cli(project, grafana, "apply").returncode == 0
    grafana.edit_dashboard("team-logs", title="Team logs (edited in the UI)")

    refused = cli(project, grafana, "plan")
    assert refused.returncode != 0 and "`pull team-logs` brings the edit into code" in refused.stdout

    pulled = cli(project, grafana, "pull", "team-logs")
    assert pulled.returncode == 0, pulled.stdout + pulled.stderr
    text = definition.read_text()
    assert "Team logs (edited in the UI)" in text and 'ctx.datasource_uid("loki")' in text
    assert "druppie-grafana\"" not in text and "druppieOwner" not in text  # apply's stamp stays out of code
    clean = cli(project, grafana, "plan")
    assert clean.returncode == 0, clean.stdout + clean.stderr
    again = cli(project, grafana, "pull", "team-logs")
    assert again.returncode == 0 and "nothing to pull" in again.stdout


def test_pull_never_overwrites_a_hand_written_definition_without_force(grafana, project):
    assert cli(project, grafana, "apply").returncode == 0
    grafana.edit_dashboard("t-hand", title="Hand-written, edited")
    definition = project / "dashboards" / "t_hand.py"
    before = definition.read_text()
    pulled = cli(project, grafana, "pull", "t-hand")
    assert pulled.returncode == 3 and "is hand-written" in pulled.stdout
    assert definition.read_text() == before
    beside = project / "dashboards" / "_pulled_t_hand.py"
    assert "Hand-written, edited" in beside.read_text()
    assert "Hand-written, edited" in (project / "dashboards" / "_pulled_t_hand.diff").read_text()
    assert cli(project, grafana, "validate").returncode == 0  # the side-by-side module is not a definition
    forced = cli(project, grafana, "pull", "t-hand", "--force")
    assert forced.returncode == 0 and "Hand-written, edited" in definition.read_text()
    # a hand-written dict leaves Grafana's defaults out; the rewritten module writes them (and the
    # environment's schemaVersion), so the first apply after it still needs --force for the drift
    assert cli(project, grafana, "apply", "--force").returncode == 0
    after = cli(project, grafana, "plan")
    assert after.returncode == 0, after.stdout
