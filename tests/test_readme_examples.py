"""The README's example blocks marked `<!-- tested: ... -->`, run as written through the real entry point,
in a copy of the project (and against the local Grafana-like server where they talk to Grafana), so the
README cannot go stale."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import grafana_kit as kit

ROOT = Path(__file__).resolve().parents[1]


def readme_blocks() -> dict[str, list[str]]:
    """Section heading -> the command lines of the tested block under it."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    out = {}
    for match in re.finditer(r"^## ([^\n]+)\n(?:(?!^## ).)*?<!-- tested:[^>]*-->\n```bash\n(.*?)```", text, re.M | re.S):
        out[match.group(1)] = [line for line in match.group(2).splitlines() if line.strip()]
    return out


def run_line(line: str, project: Path, environ: dict) -> int:
    """One README line: `python provision.py ARGS [> FILE]`, comments dropped, run in `project`."""
    command = line.split("  #")[0].strip()
    target = None
    if ">" in command:
        command, target = (part.strip() for part in command.split(">", 1))
    words = shlex.split(command)
    assert words[:2] == ["python", "provision.py"], line
    done = subprocess.run([sys.executable, str(ROOT / "provision.py"), *words[2:], "--root", str(project)],
                          cwd=project, env=environ, capture_output=True, text=True, timeout=300)
    assert "Traceback" not in done.stdout + done.stderr, done.stderr
    if target:
        (project / target).write_text(done.stdout, encoding="utf-8")
    return done.returncode


@pytest.fixture
def project(tmp_path):
    root = tmp_path / "project"
    root.mkdir()
    for name in ("dashboards", "datasources"):
        shutil.copytree(ROOT / name, root / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "environments.yaml", root / "environments.yaml")
    return root


def test_the_readme_has_its_readme_blocks():
    assert set(readme_blocks()) >= {"Add a dashboard", "Review and apply in CI"}


def test_add_a_dashboard_as_the_readme_says(project):
    for line in readme_blocks()["Add a dashboard"]:
        assert run_line(line, project, dict(os.environ)) == 0, line
    assert (project / "dashboards" / "llm_costs.py").is_file()
    assert (project / "build" / "dev" / "api" / "dashboards" / "druppie-llm-costs.json").is_file()


def test_review_and_apply_in_ci_as_the_readme_says(project):
    with kit.running_grafana(version="13.0.2") as grafana:
        environ = {**os.environ, "GRAFANA_URL": grafana.url, "GRAFANA_TOKEN": kit.TOKEN}
        plan_line, apply_line = readme_blocks()["Review and apply in CI"]
        assert run_line(plan_line, project, environ) == 3  # changes pending
        assert (project / "plan.json").is_file() and "### Grafana plan" in (project / "plan.md").read_text()
        assert run_line(apply_line, project, environ) == 0
        assert "druppie-trace-audit" in grafana.dashboards
