"""`new dashboard NAME` / `new datasource ROLE` through the real entry point: what it writes builds and
validates as written; bad names, existing files and taken roles are usage errors with nothing written."""

from __future__ import annotations

import json
import subprocess
import sys

from test_readme_examples import ROOT, project  # noqa: F401 - the fixture: a copy of the project


def cli(root, *args):
    done = subprocess.run([sys.executable, str(ROOT / "provision.py"), *args, "--root", str(root)],
                          capture_output=True, text=True, timeout=300)
    assert "Traceback" not in done.stdout + done.stderr
    return done


def test_a_new_dashboard_validates_clean_and_queries_the_contracts_names(project):  # noqa: F811
    done = cli(project, "new", "dashboard", "llm_costs", "--title", "LLM costs")
    assert done.returncode == 0 and "builds and validates as written" in done.stdout
    report = json.loads(cli(project, "validate", "--format", "json").stdout)
    mine = [f for f in report["findings"] if "llm_costs" in (f.get("file") or "")]
    assert mine == [] and not [f for f in report["findings"] if f["severity"] == "error"]
    built = json.loads((project / "build" / "dev" / "api" / "dashboards" / "druppie-llm-costs.json").read_text()) \
        if cli(project, "build").returncode == 0 else None
    assert built is not None and "LLM costs" in json.dumps(built)


def test_new_refuses_bad_names_existing_files_and_taken_roles(project):  # noqa: F811
    for args in (["new", "dashboard", "My-Dash"], ["new", "dashboard", "audit_log"], ["new", "datasource", "loki"],
                 ["new", "datasource", "mysql"], ["new", "dashboard", "x", "--uid", "bad uid"]):
        before = sorted(p.name for p in (project / "dashboards").iterdir())
        done = cli(project, *args)
        assert done.returncode == 2 and done.stderr.startswith("error: "), args
        assert sorted(p.name for p in (project / "dashboards").iterdir()) == before, args
