"""`plan --preview DIR` (issue 17): per changed dashboard, Grafana's layout and the defined one side by side,
added/removed/moved/changed panels marked; opened in a real headless chromium where it is installed."""

from __future__ import annotations

import json

import pytest

import browser
import grafana_kit as kit
from druppie_grafana.preview.plan_preview import marks
from test_cli_output import cli
from test_preview import ARTIFACTS


def _panel(pid, title, x=0, y=0):
    return {"id": pid, "type": "timeseries", "title": title, "gridPos": {"x": x, "y": y, "w": 12, "h": 8}}


def test_marks_follow_panel_ids():
    remote = {"panels": [_panel(1, "kept"), _panel(2, "moved", x=12), _panel(3, "gone"), _panel(4, "retitled")]}
    defined = {"panels": [_panel(1, "kept"), _panel(2, "moved", y=8), _panel(4, "new title"), _panel(5, "added")]}
    found = {k: [t for _, _, t in v] for k, v in marks(remote, defined).items()}
    assert found == {"added": ["added"], "removed": ["gone"], "moved": ["moved"], "changed": ["new title"]}


def test_plan_preview_site_for_a_ui_edit(tmp_path):
    project = kit.write_project(tmp_path / "project", {"t-d0": "Dashboard 0"})
    (project / "dashboards" / "t_d0.py").write_text(
        "UID = 't-d0'\ndef build(ctx):\n    return {'title': 'Dashboard 0', 'schemaVersion': 39, 'panels': ["
        + ", ".join(json.dumps(_panel(i, f"panel {i}", y=8 * i)) for i in (1, 2, 3)) + "]}\n", encoding="utf-8")
    with kit.running_grafana() as grafana:
        assert cli(project, grafana, "apply").returncode == 0
        panels = grafana.dashboards["t-d0"]["dashboard"]["panels"]
        panels[0]["gridPos"]["x"] = 12  # moved in the UI
        panels[1]["title"] = "renamed in the UI"
        grafana.dashboards["t-d0"]["dashboard"]["panels"] = panels[:2]  # panel 3 removed in the UI
        grafana.edit_dashboard("t-d0")
        site = tmp_path / "plan-preview"
        done = cli(project, grafana, "plan", "--preview", str(site))
        assert done.returncode == 3 and (site / "index.html").is_file()
    page = (site / "d" / "t-d0.html").read_text()
    assert "In Grafana" in page and "Defined" in page and "REFUSED" in page
    assert "<b>added</b>: panel 3" in page and "<b>moved</b>: panel 1" in page and "<b>changed</b>: panel 2" in page
    if browser.available():
        pytest.skip(browser.available())
    with browser.chromium() as driver:
        browser.open_page(driver, site / "d" / "t-d0.html")
        assert browser.javascript_errors(driver) == []
        outlined = driver.execute_script(
            "return [...document.querySelectorAll('#defined [data-path]')].filter(e => "
            "getComputedStyle(e).outlineStyle === 'solid').map(e => e.dataset.path)")
        assert sorted(outlined) == ["$.panels[0]", "$.panels[1]", "$.panels[2]"]
        browser.screenshot(driver, ARTIFACTS / "plan-preview.png")
