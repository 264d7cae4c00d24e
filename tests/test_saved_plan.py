"""Issue 16: saved plans (what was reviewed is what is applied) and --target, through the real entry point."""

from __future__ import annotations

import json

import grafana_kit as kit
from test_cli_output import cli, grafana, project  # noqa: F401 - the same server, project and runner


def test_apply_of_a_saved_plan_applies_exactly_it_once(grafana, project, tmp_path):
    saved = tmp_path / "reviewed.plan.json"
    done = cli(project, grafana, "plan", "--out", str(saved))
    assert done.returncode == 3 and saved.is_file()
    text = saved.read_text()
    assert kit.SECRET not in text and kit.TOKEN not in text
    done = cli(project, grafana, "apply", str(saved))
    assert done.returncode == 0 and "Apply complete: 5 created" in done.stdout
    writes = len(grafana.writes())
    again = cli(project, grafana, "apply", str(saved))  # Grafana is no longer what the plan read
    assert again.returncode == 1 and "out of date" in again.stderr and len(grafana.writes()) == writes


def test_a_saved_plan_is_refused_when_grafana_or_the_definitions_changed(grafana, project, tmp_path):
    assert cli(project, grafana, "apply").returncode == 0
    (project / "dashboards" / "t_d1.py").write_text((project / "dashboards" / "t_d1.py").read_text()
                                                    .replace("Dashboard 1", "Dashboard one"))
    saved = tmp_path / "p.json"
    assert cli(project, grafana, "plan", "--out", str(saved)).returncode == 3
    grafana.edit_dashboard("t-d1", title="edited in the UI after the review")
    grafana.clear_log()
    done = cli(project, grafana, "apply", str(saved))
    assert done.returncode == 1 and "dashboard t-d1: changed in Grafana since the plan was saved" in done.stderr
    assert grafana.writes() == []

    assert cli(project, grafana, "plan", "--out", str(saved)).returncode == 3
    (project / "dashboards" / "t_d2.py").write_text((project / "dashboards" / "t_d2.py").read_text()
                                                    .replace("Dashboard 2", "Dashboard two"))
    done = cli(project, grafana, "apply", str(saved))
    assert done.returncode == 1 and "the definitions or environments.yaml changed" in done.stderr
    assert grafana.writes() == []


def test_target_limits_plan_apply_and_force(grafana, project):
    assert cli(project, grafana, "apply").returncode == 0
    grafana.edit_dashboard("t-d0", title="edited 0")
    grafana.edit_dashboard("t-d1", title="edited 1")
    done = cli(project, grafana, "plan", "--target", "dashboard/t-d1", "--format", "json")
    data = json.loads(done.stdout)
    assert {(c["kind"], c["uid"]) for c in data["changes"]} == {("Dashboard", "t-d1"), ("Folder", kit.FOLDER_UID)}
    done = cli(project, grafana, "apply", "--target", "dashboard/t-d1", "--force")
    assert done.returncode == 0 and "updated   dashboard t-d1" in done.stdout
    assert grafana.dashboards["t-d1"]["dashboard"]["title"] == "Dashboard 1"
    assert grafana.dashboards["t-d0"]["dashboard"]["title"] == "edited 0"  # --force reached only the target
    for bad in ("dashboard/nope", "panel/t-d1", "t-d1"):
        done = cli(project, grafana, "plan", "--target", bad)
        assert done.returncode == 2 and "--target" in done.stderr, bad
