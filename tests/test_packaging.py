"""Installs outside a checkout: the console script's entry point (--version, setup), the query grammars found in
a checkout or installed into the user cache on first need (real npm, real node), and what validate says
without node. Building and installing the wheels themselves is .ci/smoke_wheels.sh (run by .ci/run)."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from druppie_grafana import grammars
from druppie_grafana.checks.grammar import check_syntax

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
NODE = shutil.which("node")
NPM = shutil.which("npm")
needs_node = pytest.mark.skipif(NODE is None, reason="node is needed for the query grammars")
needs_npm = pytest.mark.skipif(NODE is None or NPM is None, reason="node and npm are needed to install the grammars")
needs_checkout_grammars = pytest.mark.skipif(
    grammars.find(grammars.js_dir(), Path("/nonexistent")) is None,
    reason="druppie_grafana/js/node_modules is not installed (.ci/run runs npm ci)")

DASHBOARD = {"title": "t", "uid": "d1", "schemaVersion": 39, "panels": [
    {"type": "logs", "title": "l", "id": 1, "gridPos": {"x": 0, "y": 0, "w": 24, "h": 8},
     "datasource": {"type": "loki", "uid": "loki"},
     "targets": [{"refId": "A", "expr": '{service_name="a"} |= "x"'}]}]}


def entry_point(*args: str, env: dict | None = None, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    """The console script as pyproject.toml declares it (druppie_grafana.cli:main), in a fresh interpreter
    that imports this checkout's package (cwd first on sys.path)."""
    module, func = PYPROJECT["project"]["scripts"]["druppie-grafana"].split(":")
    code = f"import sys; from {module} import {func}; sys.exit({func}())"
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=300,
                          cwd=cwd, env={**os.environ, **(env or {}), "PYTHONPATH": str(ROOT)}, check=False)


def test_version_and_the_name_it_gives_itself():
    proc = entry_point("--version")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"druppie-grafana {PYPROJECT['project']['version']}"
    usage = entry_point("--help").stdout
    assert usage.startswith("usage: druppie-grafana ") and "setup" in usage
    # provision.py keeps its own name
    own = subprocess.run([sys.executable, str(ROOT / "provision.py"), "--help"], capture_output=True, text=True,
                         timeout=60, check=False)
    assert own.stdout.startswith("usage: provision.py ")


@needs_node
@needs_checkout_grammars
def test_setup_in_a_checkout_uses_its_grammars_quickly_and_twice_alike(tmp_path):
    runs = [entry_point("setup", env={"XDG_CACHE_HOME": str(tmp_path)}) for _ in range(2)]
    for proc in runs:
        assert proc.returncode == 0, proc.stderr
        assert f"query grammars ready in {ROOT / 'druppie_grafana' / 'js'}:" in proc.stdout
        assert "installing" not in proc.stdout + proc.stderr
    assert runs[0].stdout == runs[1].stdout
    assert not any(tmp_path.iterdir())  # nothing went into the cache


@needs_npm
def test_setup_installs_the_pinned_grammars_into_the_user_cache_once(tmp_path):
    env = {"XDG_CACHE_HOME": str(tmp_path / "xdg")}
    first = entry_point("setup", "--cache", env=env)
    assert first.returncode == 0, first.stderr
    target = tmp_path / "xdg" / "druppie-grafana" / "grammars" / grammars.lock_hash()
    assert f"installing the pinned query grammars into {target}" in first.stdout
    assert f"query grammars ready in {target}:" in first.stdout
    assert grammars.complete(target)
    assert [p.name for p in target.parent.iterdir()] == [target.name]  # no temporary folder left behind
    second = entry_point("setup", "--cache", env=env)
    assert second.returncode == 0 and "installing" not in second.stdout, second.stdout


@needs_npm
def test_first_need_installs_into_the_cache_once_with_a_notice_then_checks_for_real(tmp_path):
    # A package without node_modules beside it, as a wheel installs it.
    js = tmp_path / "js"
    js.mkdir()
    for name in ("check_queries.mjs", "package.json", "package-lock.json"):
        shutil.copyfile(grammars.js_dir() / name, js / name)
    cache = tmp_path / "cache" / grammars.lock_hash(js)
    assert grammars.find(js, cache) is None
    notices = io.StringIO()
    found = grammars.ready(js, cache, notice=notices)
    assert found.ready and found.root == cache, found.unavailable
    assert notices.getvalue().count("\n") == 1 and "installing the pinned query grammars" in notices.getvalue()
    again = grammars.ready(js, cache, notice=notices)
    assert again.root == cache and notices.getvalue().count("\n") == 1  # once
    good, bad = check_syntax([("logql", '{a="b"} |= "x"', True), ("promql", "rate(x[5m]", True)], found=found)
    assert good.errors == () and good.unchecked is None
    assert bad.errors and bad.unchecked is None


@needs_node
def test_validate_without_node_says_what_to_install_and_run(tmp_path):
    (tmp_path / "d.json").write_text(json.dumps(DASHBOARD), encoding="utf-8")
    python_only = tmp_path / "bin"
    python_only.mkdir()
    (python_only / "python").symlink_to(sys.executable)
    proc = entry_point("validate", "d.json", cwd=tmp_path, env={"PATH": str(python_only)})
    assert proc.returncode == 0, proc.stderr  # a warning, not an error
    assert "[not-checked]" in proc.stdout
    assert "install Node.js 20 or newer with npm" in proc.stdout and "`druppie-grafana setup`" in proc.stdout


@needs_node
@needs_checkout_grammars
def test_the_grammars_run_on_this_node_whatever_their_engines_declare():
    """@grafana/lezer-logql declares engines node >=24 (its build tooling); the published grammar runs on
    older node. The README names what is declared and what is tested; this is the test."""
    lock = json.loads((grammars.js_dir() / "package-lock.json").read_text(encoding="utf-8"))
    declared = {name: lock["packages"][f"node_modules/{name}"].get("engines", {}).get("node")
                for name in grammars.GRAMMAR_PACKAGES}
    assert declared["@grafana/lezer-logql"] == ">=24"
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "Node.js 20" in readme and "node >=24" in readme
    version = subprocess.run([NODE, "--version"], capture_output=True, text=True, check=True).stdout.strip()
    results = check_syntax([("logql", '{a="b"} | json | traceID != ""', True), ("logql", '{a="b"', True),
                            ("traceql", '{ span.db.system = "postgresql" }', True), ("promql", "sum by (x) (y)", True)])
    assert [bool(r.errors) for r in results] == [False, True, False, False], (version, results)
    assert all(r.unchecked is None for r in results)
