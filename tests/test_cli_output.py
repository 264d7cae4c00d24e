"""Issue 16: output that fits the habits of terraform and kubectl, through the real entry point in a
subprocess (python provision.py ...) against the Grafana-like server on 127.0.0.1."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import grafana_kit as kit

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def grafana():
    with kit.running_grafana() as fake:
        yield fake


@pytest.fixture
def project(tmp_path):
    return kit.write_project(tmp_path / "project", {f"t-d{i}": f"Dashboard {i}" for i in range(3)})


def cli(project: Path, grafana, *args: str, **env) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("GRAFANA_", "NO_COLOR"))}
    environ.update({"GRAFANA_URL": grafana.url, "GRAFANA_TOKEN": kit.TOKEN, "LOKI_PASSWORD": kit.SECRET, **env})
    done = subprocess.run([sys.executable, str(ROOT / "provision.py"), *args, "--root", str(project)],
                          env=environ, capture_output=True, text=True, timeout=120)
    assert "Traceback" not in done.stdout + done.stderr
    return done


def test_apply_lists_changes_summarises_unchanged_and_ends_with_the_summary(grafana, project):
    first = cli(project, grafana, "apply")
    assert first.returncode == 0 and "created   dashboard t-d0" in first.stdout
    assert "\x1b[" not in first.stdout  # not a terminal: no colour
    (project / "dashboards" / "t_d1.py").write_text((project / "dashboards" / "t_d1.py").read_text()
                                                    .replace("Dashboard 1", "Dashboard one"))
    second = cli(project, grafana, "apply")
    lines = second.stdout.strip().splitlines()
    assert second.returncode == 0 and "updated   dashboard t-d1" in second.stdout
    assert "unchanged dashboard" not in second.stdout and "  = 4 unchanged" in lines
    assert lines[-1].startswith("Apply complete: 0 created, 1 updated")
    verbose = cli(project, grafana, "apply", "-v")
    assert verbose.stdout.count("unchanged dashboard") == 3


def test_quiet_prints_problems_and_the_summary_only(grafana, project):
    cli(project, grafana, "apply")
    grafana.edit_dashboard("t-d2", title="edited in the UI")
    quiet = cli(project, grafana, "apply", "-q")
    lines = quiet.stdout.strip().splitlines()
    assert quiet.returncode == 1 and lines[-1].startswith("Apply INCOMPLETE")
    assert any(line.startswith("  refused   dashboard t-d2") for line in lines)
    assert not any("Applying environment" in line or "health" in line for line in lines)
    assert len([line for line in lines if line.startswith("      ")]) <= 31  # a short diff, never a dashboard


def test_apply_json_is_one_document(grafana, project):
    done = cli(project, grafana, "apply", "--format", "json")
    data = json.loads(done.stdout)
    assert done.returncode == 0 and data["ok"] is True and data["writes"] == 5
    assert {o["uid"]: o["status"] for o in data["outcomes"]}["t-d0"] == "created"
    assert kit.SECRET not in done.stdout + done.stderr


def test_bad_option_values_and_urls_are_usage_errors(grafana, project):
    for args in (["plan", "--timeout", "-1"], ["apply", "--workers", "0"]):
        done = cli(project, grafana, *args)
        assert done.returncode == 2 and "must be" in done.stderr
    done = cli(project, grafana, "plan", GRAFANA_URL="grafana.example:3000")
    assert done.returncode == 2 and "GRAFANA_URL must start with http:// or https://" in done.stderr


def test_debug_shows_the_traceback_of_an_error(grafana, project):
    done = subprocess.run([sys.executable, str(ROOT / "provision.py"), "plan", "--debug", "--root", str(project)],
                          env={**os.environ, "GRAFANA_URL": "http://127.0.0.1:9", "GRAFANA_TOKEN": "x",
                               "LOKI_PASSWORD": "y"}, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and "Traceback" in done.stderr and "cannot reach Grafana" in done.stderr


class _Terminal:
    def __init__(self):
        self.text = ""

    def isatty(self):
        return True

    def write(self, text):
        self.text += text


def test_colour_only_on_a_terminal_and_never_with_no_color(monkeypatch):
    from druppie_grafana.style import emit
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    terminal = _Terminal()
    emit("  + create    dashboard x\n  refused   dashboard y: drift\n  = 3 unchanged\n", terminal)
    assert "\x1b[32m  + create" in terminal.text and "\x1b[31m  refused" in terminal.text
    assert "  = 3 unchanged\n" in terminal.text
    monkeypatch.setenv("NO_COLOR", "1")
    plain = _Terminal()
    emit("  + create    dashboard x\n", plain)
    assert plain.text == "  + create    dashboard x\n"
