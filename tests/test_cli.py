"""The command line: default verb, options before or after the verb, usage errors exit 2."""

from __future__ import annotations

import subprocess
import sys


def _run(root, *args):
    return subprocess.run([sys.executable, "-m", "druppie_grafana.cli", "--root", str(root), *args],
                          capture_output=True, text=True)


def test_env_before_or_after_the_verb(scratch_project):
    for args in (["--env", "test", "build"], ["build", "--env", "test"], ["-e", "test"]):
        result = _run(scratch_project, *args)
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith("built environment test:"), args


def test_unknown_verb_is_a_usage_error(scratch_project):
    result = _run(scratch_project, "bogus")
    assert result.returncode == 2
    assert "invalid choice: 'bogus'" in result.stderr and "--help" in result.stderr
    assert not (scratch_project / "build").exists()


def test_output_into_a_closed_pipe_is_not_a_crash(scratch_project):
    proc = subprocess.run(f"{sys.executable} -m druppie_grafana.cli --root {scratch_project} | head -c 10",
                          shell=True, capture_output=True, text=True)
    assert "Traceback" not in proc.stderr
